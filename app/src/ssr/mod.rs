//! The server-only layer every feature shares: database, state, sessions, caller resolution,
//! audit writing, the live bus, secrets, Stripe access, ids and limits. Each feature keeps its own
//! services in its `ssr` module; nothing here imports a feature. Nothing under here reaches the
//! wasm bundle.

pub mod audit;
pub mod binds;
pub mod bus;
pub mod caller;
pub mod client_meta;
pub mod cursor;
pub mod db;
pub mod fleet_scope;
pub mod identity;
pub mod ids;
pub mod limits;
pub mod notify;
pub mod operations;
pub mod passwords;
pub mod read_cache;
pub mod reveal;
pub mod secrets;
pub mod session_store;
pub mod state;
pub mod stripe_access;
pub mod stripe_clients;
pub mod support_access;

pub use caller::{require, Caller};
pub use client_meta::ClientMeta;
pub use db::{Db, StoreError};
pub use secrets::MasterKey;
pub use state::{AppState, Settings};
