use super::{Expandable, Metadata};
use crate::enums::{ActionStatus, ActionType, DeviceType, ReaderStatus};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// `terminal.location`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: String,
    pub display_name: String,
    pub address: Address,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub livemode: bool,
    pub phone: Option<String>,
    pub configuration_overrides: Option<String>,
}

/// `terminal.reader`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reader {
    pub id: String,
    pub label: Option<String>,
    pub location: Option<Expandable<Location>>,
    pub device_type: DeviceType,
    pub serial_number: Option<String>,
    pub device_sw_version: Option<String>,
    pub ip_address: Option<String>,
    pub status: Option<ReaderStatus>,
    /// Milliseconds since the epoch.
    pub last_seen_at: Option<i64>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub livemode: bool,
    pub action: Option<ReaderAction>,
}

/// The reader's current or last action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderAction {
    #[serde(rename = "type")]
    pub kind: ActionType,
    pub status: ActionStatus,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub process_payment_intent: Option<ProcessPaymentIntentAction>,
    pub process_setup_intent: Option<serde_json::Value>,
    pub set_reader_display: Option<serde_json::Value>,
    pub refund_payment: Option<RefundPaymentAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessPaymentIntentAction {
    pub payment_intent: Expandable<super::PaymentIntent>,
    pub process_config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundPaymentAction {
    pub payment_intent: Option<Expandable<super::PaymentIntent>>,
    pub charge: Option<Expandable<super::Charge>>,
    pub amount: Option<i64>,
    pub refund: Option<Expandable<super::Refund>>,
}

/// `terminal.connection_token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionToken {
    pub secret: String,
    pub location: Option<String>,
}
