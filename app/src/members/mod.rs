//! Members of a tenant and invitations.

mod api;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use api::*;
pub use pages::{InvitePage, MembersPage};
