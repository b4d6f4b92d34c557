//! Members of a tenant and invitations.

mod api;
mod pages;

pub use api::*;
pub use pages::{InvitePage, MembersPage};
