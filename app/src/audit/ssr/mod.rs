//! The audit log's server half: reading and filtering the log (writing entries is shared, in
//! `crate::ssr::audit`).

pub mod audit_service;
