//! The server half of reader configurations: Stripe is the record, read live; our only copy is
//! a location's override id.

pub mod configurations_service;
pub mod form;
pub mod in_force;
pub mod splash;
pub mod stripe_views;
