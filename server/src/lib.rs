//! The Terminal Fleet server: configuration, the axum router, middleware and background work.
//! `main.rs` is only the command line; tests start the same server through [`start`].

pub mod api;
pub mod assets;
pub mod config;
pub mod listener;
pub mod metrics;
pub mod middleware;
pub mod router;
pub mod routes;
pub mod tasks;

pub use router::{start, Running};
