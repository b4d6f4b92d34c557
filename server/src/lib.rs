//! The Terminal Fleet server: configuration, the axum router, middleware and background work.
//! `main.rs` is only the command line; tests start the same server through [`start`].

pub mod api;
pub mod audit_export;
pub mod bench;
pub mod config;
pub mod connect_pages;
pub mod csrf;
pub mod events;
pub mod export;
pub mod headers;
pub mod health;
pub mod housekeeping;
pub mod meta;
pub mod router;
pub mod sf_status;
pub mod stream_watch;
pub mod sync_task;
pub mod webhook_queue;
pub mod webhooks;

pub use router::{start, Running};
