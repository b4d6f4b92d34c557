//! The HTTP endpoints the router serves beside Leptos' pages and server functions (the REST API
//! has its own folder, `api/`): the live event stream, the CSV exports, the bulk registration upload, reader configurations' splash screens, Stripe's webhooks and the
//! health checks.

pub mod audit_export;
pub mod bulk_upload;
pub mod connect_pages;
pub mod events;
pub mod export;
pub mod health;
pub mod multipart;
pub mod readers_export;
pub mod splash;
pub mod stream_watch;
pub mod webhooks;
