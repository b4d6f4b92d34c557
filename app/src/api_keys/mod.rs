//! Settings → API keys: credentials for point-of-sale software calling `/api/v1`.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use api::*;
pub use page::ApiKeysPage;
