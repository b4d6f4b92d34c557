//! Members' server half: the members list, invitations and roles.

pub mod members_service;
