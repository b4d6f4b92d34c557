//! The fleet: locations, readers and their live status, and the overview.

pub mod address;
pub mod api;
mod location_page;
mod locations_page;
mod overview_page;
mod reader_page;
mod readers_page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;
mod widgets;

pub use location_page::LocationPage;
pub use locations_page::LocationsPage;
pub use overview_page::OverviewPage;
pub use reader_page::ReaderPage;
pub use readers_page::ReadersPage;
