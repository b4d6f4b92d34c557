//! What the overview and a reader's page load: fleet and payments data in one answer.

use crate::fleet::types::{ReaderCounts, ReaderView, StatusChange};
use crate::payments::types::PaymentView;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderDetail {
    /// The newest payments on this reader.
    pub payments: Vec<PaymentView>,
    /// The account's currency, preselected for test charges.
    pub currency: String,
    /// A fresh operation id for this page's buttons (double clicks reuse it).
    pub op: String,
    /// Stripe's test cards (number, what it does), on simulated readers.
    pub test_cards: Vec<(String, String)>,
    /// The server's clock when this was read, for "2 min ago".
    pub now: i64,
    pub reader: ReaderView,
    pub history: Vec<StatusChange>,
    pub simulated: bool,
    pub can_manage: bool,
    pub can_operate: bool,
    /// The reader configuration in force (its location's, else the account default), read
    /// from Stripe; it says whether a tip can be added to a test charge.
    pub configuration: crate::configurations::types::InForce,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationSummary {
    pub last_payment: Option<PaymentView>,
    /// Online readers (id, label), for a test charge from the overview.
    pub online_readers: Vec<(String, String)>,
    pub id: String,
    pub display_name: String,
    pub city: Option<String>,
    pub counts: ReaderCounts,
    pub alerts: Vec<ReaderView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewView {
    /// Whether the caller may start test charges, and a fresh operation id for that form.
    pub can_charge: bool,
    pub op: String,
    /// Net succeeded volume per UTC day (day start in ms, minor units) for the last 14 days, in
    /// the organisation's busiest currency.
    pub volume: Vec<(i64, i64)>,
    pub volume_currency: Option<String>,
    /// The server's clock when this was read, for "2 min ago".
    pub now: i64,
    pub tenant_name: String,
    pub totals: ReaderCounts,
    pub locations: Vec<LocationSummary>,
    /// Readers without a location (registered elsewhere, or their location was removed).
    pub unassigned: ReaderCounts,
    pub connections: i64,
    pub last_sync: Option<i64>,
    pub alert_minutes: i64,
    /// Minutes an action may run before it counts as stuck.
    pub stuck_minutes: i64,
    pub can_manage: bool,
}
