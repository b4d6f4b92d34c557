//! Store groups: locations grouped by region or franchisee, granted to operators as one.

mod api;
mod page;
pub mod types;

pub use api::*;
pub use page::StoreGroupsPage;
