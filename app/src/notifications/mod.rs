//! Alert notifications: signed JSON POSTs to endpoints an owner or admin adds, for readers
//! going offline and back, actions stuck and cleared, runs of declines and webhook events that
//! keep failing; with a delivery log, test sends and redelivery.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use api::*;
pub use page::NotificationsPage;
