//! All stores: one view across every organisation (and Stripe account) a user belongs to.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use api::*;
pub use page::StoresPage;
