//! The "All stores" view: every location of every organisation the user belongs to.

use leptos_router::params::Params;
use serde::{Deserialize, Serialize};

/// Filters and sort of the All stores page; all in the URL, so a view can be bookmarked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, leptos::Params)]
pub struct StoresQuery {
    pub tenant: Option<String>,
    pub connection: Option<String>,
    /// Matches the store's name, city, region (state) or country.
    pub q: Option<String>,
    /// `attention` (offline readers or alerts), `alerts`, `busy`.
    pub status: Option<String>,
    /// `name`, `organisation`, `city`, `online`, `offline`, `alerts`, `volume`, `last`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub dir: Option<String>,
    /// From 1, [`STORES_PER_PAGE`] stores each.
    pub page: Option<i64>,
}

pub const STORES_PER_PAGE: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreLastPayment {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreRow {
    pub tenant_id: String,
    pub tenant_name: String,
    pub connection_id: String,
    pub connection_name: String,
    pub location_id: String,
    pub name: String,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: String,
    pub online: i64,
    pub offline: i64,
    pub busy: i64,
    pub alerts: i64,
    /// Readers whose action has run past the organisation's stuck threshold.
    #[serde(default)]
    pub stuck: i64,
    /// Succeeded payments since midnight UTC.
    pub today_count: i64,
    /// Net volume since midnight UTC, per currency, in minor units.
    pub today_volume: Vec<(String, i64)>,
    pub last_payment: Option<StoreLastPayment>,
}

impl StoreRow {
    pub fn place(&self) -> String {
        [
            self.city.as_deref(),
            self.region.as_deref(),
            Some(self.country.as_str()),
        ]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// The volume in the store's main currency, for sorting.
    pub fn volume_for_sort(&self) -> i64 {
        self.today_volume.iter().map(|(_, v)| *v).max().unwrap_or(0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoresTotals {
    pub stores: i64,
    pub online: i64,
    pub offline: i64,
    pub busy: i64,
    pub alerts: i64,
    pub today_count: i64,
    pub today_volume: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoresView {
    pub now: i64,
    /// This page of the stores that match.
    pub stores: Vec<StoreRow>,
    /// How many stores match, over every page.
    pub matching: usize,
    pub page: i64,
    pub pages: i64,
    /// Before filtering, across everything the user sees.
    pub totals: StoresTotals,
    pub tenants: Vec<(String, String)>,
    /// Connection id, its name and its organisation's name.
    pub connections: Vec<(String, String, String)>,
}
