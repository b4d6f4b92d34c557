//! The server functions of the overview and of a reader's page. Their endpoints keep the names
//! they had under `fleet` (`fleet_overview`, `reader_detail`).

use super::types::{OverviewView, ReaderDetail};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Permission;
#[cfg(feature = "ssr")]
use {
    super::ssr::{overview_service, reader_detail},
    crate::ssr::require,
};

#[server(prefix = "/sf", endpoint = "reader_detail")]
pub async fn load_reader(id: String) -> Result<ReaderDetail, AppError> {
    let c = require(Permission::View).await?;
    reader_detail::detail(&c, &id).await
}

#[server(prefix = "/sf", endpoint = "fleet_overview")]
pub async fn fleet_overview() -> Result<OverviewView, AppError> {
    let c = require(Permission::View).await?;
    overview_service::overview(&c).await
}
