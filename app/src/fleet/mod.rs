//! The fleet: locations, readers and their live status, bulk work on many readers and the
//! inventory. It knows nothing of payments (a payment happens on a reader, so `payments`
//! depends on the fleet); the pages that show both are in `dashboard`.

pub mod address;
pub mod api;
pub mod bulk_api;
mod bulk_pages;
pub mod bulk_types;
pub mod inventory;
mod location_page;
mod locations_page;
mod readers_page;
pub mod relabel_pattern;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;
pub mod versions;
pub mod widgets;

pub use bulk_pages::{BulkConfirmPage, BulkJobPage, RegisterManyPage};
pub use inventory::FleetInventory;
pub use location_page::LocationPage;
pub use locations_page::LocationsPage;
pub use readers_page::ReadersPage;
