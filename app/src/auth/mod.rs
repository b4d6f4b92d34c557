//! Accounts: server functions and the sign-in, sign-up and settings pages.

mod api;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use api::*;
pub use pages::{LoginPage, SettingsPage, SignupPage};
