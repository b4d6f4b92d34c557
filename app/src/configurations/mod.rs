//! Reader configurations (Stripe's `terminal.configuration`): what readers show (splash screens,
//! tipping) and when they reboot, per Stripe account; the account default, and the override a
//! location picks. They live at Stripe and are read live; only a location's override id is
//! mirrored (`locations.configuration_override`), by the fleet's location sync.
//!
//! This feature sits below the fleet: it reads locations and readers through its own scoped
//! queries, so the fleet's location page and the reader page can show its panels.

pub mod api;
mod page;
mod panels;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use page::{ConfigurationsPage, SPLASH_UPLOAD_PATH};
pub use panels::{InForcePanel, LocationConfigurationPanel};
