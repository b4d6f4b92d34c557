//! The audit log page and its server function.

mod api;
mod page;

pub use api::*;
pub use page::AuditPage;
