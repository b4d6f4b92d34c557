//! The API keys' server half: listing, creating and revoking keys, and authenticating the
//! point-of-sale API's calls.

pub mod api_keys_service;
