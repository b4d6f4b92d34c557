//! Settings → API keys: credentials for point-of-sale software calling `/api/v1`.

mod api;
mod page;
pub mod types;

pub use api::*;
pub use page::ApiKeysPage;
