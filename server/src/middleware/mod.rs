//! Layers every request passes through: the cross-origin check, security headers, the client's
//! address and user agent, the flash of a plain form's success, and the size limit of a server function's body. (Compression is
//! tower-http's `CompressionLayer`, set in `router.rs`.)

pub mod client_meta;
pub mod csrf;
pub mod done_flash;
pub mod headers;
pub mod sf_body_limit;
