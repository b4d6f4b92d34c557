use super::{Expandable, Metadata};
use crate::enums::{ActionStatus, ActionType, DeviceType, InputType, ReaderStatus};
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
    pub collect_inputs: Option<CollectInputsAction>,
}

/// A `collect_inputs` action: the questions and, once it succeeded, the customer's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectInputsAction {
    #[serde(default)]
    pub inputs: Vec<CollectedInput>,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectedInput {
    #[serde(rename = "type")]
    pub kind: InputType,
    pub custom_text: Option<InputText>,
    #[serde(default)]
    pub required: bool,
    /// The customer skipped this (optional) input.
    #[serde(default)]
    pub skipped: bool,
    pub email: Option<InputValue>,
    pub phone: Option<InputValue>,
    pub text: Option<InputValue>,
    pub numeric: Option<InputValue>,
    /// `value` is the id of a file holding the signature image.
    pub signature: Option<InputValue>,
    pub selection: Option<SelectionAnswer>,
    pub toggles: Option<Vec<ToggleAnswer>>,
}

impl CollectedInput {
    /// The customer's answer as text: the value of its type, or the chosen choice's id.
    pub fn answer(&self) -> Option<&str> {
        let value = match self.kind {
            InputType::Email => &self.email,
            InputType::Phone => &self.phone,
            InputType::Text => &self.text,
            InputType::Numeric => &self.numeric,
            InputType::Signature => &self.signature,
            InputType::Selection => return self.selection.as_ref().and_then(|s| s.id.as_deref()),
            InputType::Other(_) => return None,
        };
        value.as_ref().and_then(|v| v.value.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputText {
    pub title: Option<String>,
    pub description: Option<String>,
    pub submit_button: Option<String>,
    pub skip_button: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputValue {
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionAnswer {
    #[serde(default)]
    pub choices: Vec<SelectionChoice>,
    /// The chosen choice.
    pub id: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionChoice {
    pub id: Option<String>,
    pub text: String,
    pub style: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToggleAnswer {
    pub title: Option<String>,
    pub description: Option<String>,
    pub default_value: Option<String>,
    /// `enabled` or `disabled`, once collected.
    pub value: Option<String>,
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
