//! Layers every request passes through: the cross-origin check, security headers, the client's
//! address and user agent, and server functions' error statuses and body limit.

pub mod client_meta;
pub mod csrf;
pub mod headers;
pub mod sf_status;
