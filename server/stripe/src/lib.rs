//! The Stripe side of Terminal Fleet: wire types, the API client and webhook signatures.
//! Server-only: the Leptos app depends on it under its `ssr` feature, so the wasm never sees it.

pub mod webhook;
