//! Starts a real server per test and talks to it as its users do: a browser, a till, Stripe
//! and the account holders at Stripe. Every fixture the scenarios share lives here, one module
//! per part of the product; a scenario file holds only its own tests and the helpers no other
//! file needs.

mod browser;
mod test_server;

pub mod bulk;
pub mod connect;
pub mod fleet;
pub mod members;
pub mod payments;
pub mod pos;
pub mod process;
pub mod receiver;
pub mod server_fns;
pub mod stripe;
pub mod wait;
pub mod webhooks;

pub use browser::{message, session_cookie, Browser, EventStream, Said};
pub use test_server::{on_postgres, test_config, TestServer, Tweak, PASSWORD, PLATFORM_KEY};
