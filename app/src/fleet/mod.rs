//! The fleet: locations, readers and their live status. It knows nothing of payments (a payment
//! happens on a reader, so `payments` depends on the fleet); the pages that show both are in
//! `dashboard`.

pub mod address;
pub mod api;
mod location_page;
mod locations_page;
mod readers_page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;
pub mod widgets;

pub use location_page::LocationPage;
pub use locations_page::LocationsPage;
pub use readers_page::ReadersPage;
