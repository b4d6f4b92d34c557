//! Accounts: server functions and the sign-in, sign-up and settings pages.

mod api;
mod pages;

pub use api::*;
pub use pages::{LoginPage, SettingsPage, SignupPage};
