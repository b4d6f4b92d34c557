//! Everything that runs only on the server: database, sessions, caller resolution, audit and the
//! domain services. Nothing under here reaches the wasm bundle.

pub mod api_keys_service;
pub mod audit;
pub mod audit_service;
pub mod auth_service;
pub mod bus;
pub mod caller;
pub mod connected_accounts;
pub mod connections_service;
pub mod db;
pub mod fleet_scope;
pub mod groups_service;
pub mod ids;
pub mod limits;
pub mod locations_service;
pub mod members_service;
pub mod overview_service;
pub mod passwords;
pub mod payment_doubts;
pub mod payment_rows;
pub mod payments_service;
pub mod reader_rows;
pub mod readers_service;
pub mod secrets;
pub mod session_store;
pub mod state;
pub mod stores_service;
pub mod stripe_access;
pub mod support_service;
pub mod sync;
pub mod tenants_service;
pub mod webhook_service;

pub use caller::{require, Caller, ClientMeta};
pub use db::{Db, StoreError};
pub use state::{AppState, MasterKey, Settings};
