//! Settings → Stripe: the tenant's Stripe connections.

mod api;
mod page;

pub use api::*;
pub use page::{SettingsTabs, StripeSettingsPage};
