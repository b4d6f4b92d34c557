//! The all-stores view's server half: one query across every organisation of the user.

pub mod stores_service;
