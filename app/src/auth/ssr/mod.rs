//! Accounts' server half: sign-up, sign-in, passwords and sessions of a user, and the
//! organisations they create and rename.

pub mod auth_service;
pub mod tenants_service;
