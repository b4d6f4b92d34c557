//! Support access: an owner lets a named support user read the organisation for a while.

mod api;
mod page;
pub mod types;

pub use api::*;
pub use page::SupportPage;
