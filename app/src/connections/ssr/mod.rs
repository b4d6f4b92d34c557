//! The Stripe connections' server half: keys, the simulator, connected accounts (onboarding,
//! OAuth, assignment by the operator) and the organisation's payment settings.

pub mod connected_accounts;
pub mod connection_rows;
pub mod connections_service;
