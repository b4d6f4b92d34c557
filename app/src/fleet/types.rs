//! What the fleet pages and their server functions exchange.

use leptos_router::params::Params;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressView {
    pub line1: String,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

impl AddressView {
    /// One line for lists: "1 Market St, San Francisco, CA 94105, US".
    pub fn one_line(&self) -> String {
        let region = [self.state.as_deref(), self.postal_code.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        [
            Some(self.line1.as_str()),
            self.line2.as_deref(),
            self.city.as_deref(),
            (!region.is_empty()).then_some(region.as_str()),
            Some(self.country.as_str()),
        ]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// Readers by what they are doing, for counts on locations and the overview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderCounts {
    pub online: i64,
    pub offline: i64,
    /// Online and running an action (taking a payment, showing a cart…).
    pub busy: i64,
    /// Offline for longer than the tenant's threshold.
    pub alerts: i64,
    /// Running an action for longer than the tenant's stuck threshold.
    #[serde(default)]
    pub stuck: i64,
}

impl ReaderCounts {
    pub fn total(&self) -> i64 {
        self.online + self.offline
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionChoice {
    pub id: String,
    pub name: String,
    pub simulated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationView {
    pub id: String,
    pub connection_id: String,
    pub connection_name: String,
    pub simulated: bool,
    pub display_name: String,
    pub address: AddressView,
    pub counts: ReaderCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationsView {
    pub locations: Vec<LocationView>,
    pub connections: Vec<ConnectionChoice>,
    pub can_manage: bool,
}

/// An operator of the tenant and whether they may use one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAccess {
    pub user_id: String,
    pub email: String,
    pub granted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationDetail {
    /// The server's clock when this was read, for "2 min ago".
    pub now: i64,
    pub location: LocationView,
    pub readers: Vec<ReaderView>,
    pub operators: Vec<OperatorAccess>,
    pub can_manage: bool,
}

/// The action a reader is running, as Stripe reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionView {
    /// `process_payment_intent`, `set_reader_display`, …
    pub kind: String,
    /// `in_progress`, `succeeded` or `failed`.
    pub status: String,
    /// The payment intent, or the failure message.
    pub detail: Option<String>,
    /// The PaymentIntent the action collects, whatever its status.
    pub payment: Option<String>,
}

impl ActionView {
    pub fn label(&self) -> String {
        let what = match self.kind.as_str() {
            "process_payment_intent" => "Collecting payment",
            "process_setup_intent" => "Saving a card",
            "set_reader_display" => "Showing a cart",
            "collect_inputs" => "Asking the customer",
            "refund_payment" => "Refunding",
            "collect_payment_method" => "Collecting card",
            "confirm_payment_intent" => "Confirming payment",
            other => other,
        };
        match self.status.as_str() {
            "in_progress" => what.to_string(),
            // A display action succeeds once the cart is on the screen, where it stays.
            "succeeded" if self.kind == "set_reader_display" => "Cart on the screen".to_string(),
            "succeeded" => format!("{what}: done"),
            "failed" => format!("{what}: failed"),
            other => format!("{what}: {other}"),
        }
    }

    pub fn in_progress(&self) -> bool {
        self.status == "in_progress"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderView {
    pub id: String,
    pub connection_id: String,
    pub label: String,
    pub location_id: Option<String>,
    pub location_name: Option<String>,
    pub device_type: String,
    pub serial_number: String,
    pub sw_version: Option<String>,
    pub ip_address: Option<String>,
    pub online: bool,
    pub last_seen_at: Option<i64>,
    pub status_since: i64,
    pub action: Option<ActionView>,
    pub alert_since: Option<i64>,
    /// Set while the reader's action has been in progress for longer than the threshold.
    pub stuck_since: Option<i64>,
    pub synced_at: i64,
}

impl ReaderView {
    /// The device's name as people know it.
    pub fn device_name(&self) -> &str {
        device_name(&self.device_type)
    }

    pub fn busy(&self) -> bool {
        self.action.as_ref().is_some_and(ActionView::in_progress)
    }
}

pub fn device_name(device_type: &str) -> &str {
    match device_type {
        "bbpos_wisepos_e" => "BBPOS WisePOS E",
        "stripe_s700" => "Stripe Reader S700",
        "stripe_s710" => "Stripe Reader S710",
        "simulated_wisepos_e" => "Simulated WisePOS E",
        "simulated_stripe_s700" => "Simulated S700",
        "simulated_stripe_s710" => "Simulated S710",
        "bbpos_wisepad3" => "BBPOS WisePad 3",
        "stripe_m2" => "Stripe Reader M2",
        "verifone_P400" => "Verifone P400",
        other => other,
    }
}

/// Filters, search, sort and page of the readers list; each is a URL query parameter, so a
/// filtered list can be bookmarked and works before the page hydrates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, leptos::Params)]
pub struct ReaderQuery {
    pub location: Option<String>,
    /// `online`, `offline`, `busy` or `alert`.
    pub status: Option<String>,
    pub device_type: Option<String>,
    /// Matches label, serial number or id.
    pub q: Option<String>,
    /// `label`, `status`, `location`, `device`, `last_seen`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub dir: Option<String>,
    /// 1-based.
    pub page: Option<i64>,
}

pub const READERS_PER_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadersView {
    /// The server's clock when this was read, for "2 min ago".
    pub now: i64,
    pub readers: Vec<ReaderView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub locations: Vec<LocationChoice>,
    pub device_types: Vec<String>,
    pub can_manage: bool,
    pub can_operate: bool,
}

/// A location offered in a filter or a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationChoice {
    pub id: String,
    pub name: String,
    /// On the simulator, so the simulated registration codes work there.
    pub simulated: bool,
}

/// What the register form needs: where the caller may register readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterOptions {
    pub locations: Vec<LocationChoice>,
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub online: bool,
    pub at: i64,
}
