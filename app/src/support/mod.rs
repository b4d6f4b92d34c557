//! Support access: an owner lets a named support user read the organisation for a while.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use api::*;
pub use page::SupportPage;
