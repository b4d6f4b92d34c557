//! The error pages.

mod errors;

pub use errors::{ForbiddenPage, NotFound};
