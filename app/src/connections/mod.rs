//! Settings → Stripe: the tenant's Stripe connections.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use api::*;
pub use page::{SettingsTabs, StripeSettingsPage};
