//! Server functions of the All stores page.

use super::types::{StoresQuery, StoresView};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {super::ssr::stores_service as svc, crate::ssr::caller};

#[server(prefix = "/sf", endpoint = "all_stores")]
pub async fn all_stores(#[server(default)] query: StoresQuery) -> Result<StoresView, AppError> {
    let c = caller::signed_in_user().await?;
    svc::all_stores(&c, &query).await
}

/// Opens a store of any of the user's organisations: switches to that organisation (audited)
/// and goes to the store's page.
#[server(prefix = "/sf", endpoint = "open_store")]
pub async fn open_store(tenant_id: String, location_id: String) -> Result<(), AppError> {
    let c = caller::signed_in_user().await?;
    let path = svc::open_store(&c, &tenant_id, &location_id).await?;
    leptos_axum::redirect(&path);
    Ok(())
}
