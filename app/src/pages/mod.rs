//! Top-level pages that are not part of a feature folder yet, and the error pages.

mod errors;
mod fleet;
mod overview;

pub use errors::{ForbiddenPage, NotFound};
pub use fleet::{LocationsPage, ReadersPage, TransactionsPage};
pub use overview::OverviewPage;
