//! Top-level pages that are not part of a feature folder yet, and the error pages.

mod errors;
mod transactions;

pub use errors::{ForbiddenPage, NotFound};
pub use transactions::TransactionsPage;
