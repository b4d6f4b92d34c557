//! The server half of reader configurations: Stripe is the record, read live (what pages show
//! as in force is remembered for a minute, `in_force_cache`); our only copy is a location's
//! override id.

pub mod configurations_service;
pub mod form;
pub mod in_force;
pub mod in_force_cache;
pub mod splash;
pub mod stripe_views;
