//! The pages where the fleet and its payments meet: the overview (`/`: readers per location,
//! payment volume, a test charge) and a reader's page (`/readers/:id`: the reader, its payments,
//! the charge panel). The one module that may depend on both `fleet` and `payments`; only the
//! shell depends on it.

pub mod api;
mod overview_page;
mod reader_page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use overview_page::OverviewPage;
pub use reader_page::ReaderPage;
