//! Store groups' server half.

pub mod groups_service;
