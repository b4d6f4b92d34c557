use super::{Expandable, Metadata};
use crate::enums::{CaptureMethod, ChargeStatus, PaymentIntentStatus};
use serde::{Deserialize, Serialize};

/// `payment_intent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_capturable: i64,
    #[serde(default)]
    pub amount_received: i64,
    pub currency: String,
    pub status: PaymentIntentStatus,
    pub capture_method: Option<CaptureMethod>,
    pub description: Option<String>,
    pub latest_charge: Option<Expandable<Charge>>,
    pub last_payment_error: Option<PaymentError>,
    #[serde(default)]
    pub payment_method_types: Vec<String>,
    pub cancellation_reason: Option<String>,
    pub canceled_at: Option<i64>,
    #[serde(default)]
    pub metadata: Metadata,
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
    /// The tip chosen on the reader, included in `amount`.
    pub amount_details: Option<AmountDetails>,
}

impl PaymentIntent {
    /// The tip chosen on the reader's tipping screen (0 for "No tip"), if it showed one.
    pub fn tip(&self) -> Option<i64> {
        self.amount_details
            .as_ref()
            .and_then(|d| d.tip.as_ref())
            .and_then(|t| t.amount)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountDetails {
    pub tip: Option<TipAmount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipAmount {
    pub amount: Option<i64>,
}

/// `last_payment_error` of a PaymentIntent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentError {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
}

/// `charge`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_captured: i64,
    #[serde(default)]
    pub amount_refunded: i64,
    pub currency: String,
    pub status: ChargeStatus,
    #[serde(default)]
    pub captured: bool,
    #[serde(default)]
    pub refunded: bool,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub payment_intent: Option<String>,
    pub payment_method_details: Option<PaymentMethodDetails>,
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethodDetails {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub card_present: Option<CardPresent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardPresent {
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub read_method: Option<String>,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
}

/// `refund`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: Option<ChargeStatus>,
    pub charge: Option<Expandable<Charge>>,
    pub payment_intent: Option<Expandable<PaymentIntent>>,
    pub reason: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    pub created: i64,
}
