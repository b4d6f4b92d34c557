//! Support access's server half: granting, listing and revoking support access.

pub mod support_service;
