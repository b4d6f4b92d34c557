//! The Stripe side of Terminal Fleet: wire types, the API client and webhook signatures.
//! Server-only: the Leptos app depends on it under its `ssr` feature, so the wasm never sees it.

pub mod client;
pub mod enums;
pub mod error;
pub mod form;
pub mod oauth;
pub mod objects;
pub mod params;
pub mod retry;
pub mod webhook;

pub use client::{
    endpoint_of, ClientConfig, Credentials, Exchange, IdempotencyKey, Observer, SecretKey,
    StripeClient,
};
pub use error::{ApiError, StripeError};
pub use objects::*;
