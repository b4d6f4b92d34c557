//! Store groups: locations grouped by region or franchisee, granted to operators as one.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use api::*;
pub use page::StoreGroupsPage;
