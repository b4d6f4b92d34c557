//! What the payment pages and their server functions exchange, and how amounts are written.

use super::outcome::{outcome, Facts, Outcome};
use leptos_router::params::Params;
use serde::{Deserialize, Serialize};

pub use crate::money::{format_amount, parse_amount, CURRENCIES};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub id: String,
    pub reader_id: Option<String>,
    pub reader_label: Option<String>,
    pub location_id: Option<String>,
    pub location_name: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub capture_method: String,
    pub status: String,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub read_method: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub started_by: Option<String>,
    pub created_at: i64,
    /// Stripe confirmed the reader gave up on this payment before a card was presented (why).
    pub gave_up: Option<String>,
    /// A reader signal suggests it gave up, not yet confirmed with Stripe.
    pub reader_doubt: bool,
}

/// The facts of a payment as the page and the server last saw it.
impl<'a> From<&'a PaymentView> for Facts<'a> {
    fn from(p: &'a PaymentView) -> Facts<'a> {
        Facts {
            status: &p.status,
            failure_code: p.failure_code.as_deref(),
            gave_up: p.gave_up.as_deref(),
            doubt: p.reader_doubt,
        }
    }
}

impl PaymentView {
    /// Where the payment stands, from facts about this payment only.
    pub fn outcome(&self) -> Outcome {
        outcome(&Facts::from(self))
    }

    pub fn amount_text(&self) -> String {
        format_amount(self.amount, &self.currency)
    }

    /// What a person calls this state.
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "requires_payment_method" if self.failure_code.is_some() => "Declined",
            "requires_payment_method" if self.gave_up.is_some() => "Reader gave up",
            "requires_payment_method" => "Waiting for card",
            "requires_confirmation" => "Card read",
            "requires_action" => "Needs action",
            "processing" => "Processing",
            "requires_capture" => "Authorised",
            "canceled" => "Canceled",
            "succeeded"
                if self.amount_refunded >= self.amount_received && self.amount_refunded > 0 =>
            {
                "Refunded"
            }
            "succeeded" if self.amount_refunded > 0 => "Partly refunded",
            "succeeded" => "Succeeded",
            _ => "Unknown",
        }
    }

    pub fn status_class(&self) -> &'static str {
        match self.status_label() {
            "Succeeded" | "Authorised" => "badge status-online",
            "Declined" | "Reader gave up" => "badge status-alert",
            "Waiting for card" | "Card read" | "Processing" | "Needs action" => "badge status-busy",
            _ => "badge status-offline",
        }
    }

    pub fn can_capture(&self) -> bool {
        self.status == "requires_capture"
    }

    pub fn can_cancel(&self) -> bool {
        matches!(
            self.status.as_str(),
            "requires_capture"
                | "requires_payment_method"
                | "requires_confirmation"
                | "requires_action"
        )
    }

    pub fn refundable(&self) -> i64 {
        if self.status == "succeeded" {
            (self.amount_received - self.amount_refunded).max(0)
        } else {
            0
        }
    }

    pub fn card_text(&self) -> Option<String> {
        match (&self.card_brand, &self.card_last4) {
            (Some(brand), Some(last4)) => Some(format!("{} •••• {last4}", capitalise(brand))),
            (None, Some(last4)) => Some(format!("•••• {last4}")),
            _ => None,
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Filters of the transactions list; each is a URL query parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, leptos::Params)]
pub struct TransactionQuery {
    /// `succeeded`, `requires_capture`, `canceled`, `declined`, `waiting`, `refunded`.
    pub status: Option<String>,
    pub location: Option<String>,
    pub reader: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Major units, e.g. `10` or `12.50`.
    pub min: Option<String>,
    pub max: Option<String>,
    pub currency: Option<String>,
    /// A card brand (`visa`) or the last four digits.
    pub card: Option<String>,
    /// A PaymentIntent id, or part of it.
    pub q: Option<String>,
    /// Keyset cursor: `created_at:id` of the last row of the previous page.
    pub before: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotal {
    pub currency: String,
    pub count: i64,
    pub received: i64,
    pub refunded: i64,
}

pub const TRANSACTIONS_PER_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionsView {
    pub payments: Vec<PaymentView>,
    pub next: Option<String>,
    pub locations: Vec<(String, String)>,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineItem {
    pub at: i64,
    /// `us` (this dashboard), `stripe` (Stripe's answer or event) or `audit`.
    pub source: String,
    pub what: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentDetail {
    pub payment: PaymentView,
    pub timeline: Vec<TimelineItem>,
    pub can_charge: bool,
    /// May capture and refund (owners and admins; operators when the organisation allows).
    pub can_refund: bool,
    /// A fresh operation id for this page's buttons: a double click reuses it, so Stripe
    /// answers the second request with the first one's result.
    pub op: String,
    pub now: i64,
}

/// A webhook event as the Events page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: String,
    pub connection_id: String,
    pub connection_name: String,
    pub kind: String,
    /// The id of the event's object (`pi_…`, `tmr_…`), when it has one.
    pub object_id: Option<String>,
    pub received_at: i64,
    pub processed_at: Option<i64>,
    pub outcome: Option<String>,
    pub attempts: i64,
    pub payload: String,
}

/// Filters of the Events page; each is a URL query parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, leptos::Params)]
pub struct EventsQuery {
    /// An event type, e.g. `payment_intent.succeeded`.
    pub kind: Option<String>,
    /// Keyset cursor: `received_at:connection_id:id` of the last event of the previous page.
    pub before: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsView {
    pub events: Vec<EventView>,
    /// Cursor for older events: `received_at:connection_id:id`.
    pub next: Option<String>,
    pub can_reapply: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip() {
        assert_eq!(parse_amount("12.5", "usd"), Ok(1250));
        assert_eq!(parse_amount("1,000", "usd"), Ok(100_000));
        assert_eq!(parse_amount("500", "jpy"), Ok(500));
        assert!(parse_amount("5.5", "jpy").is_err());
        assert!(parse_amount("1.234", "usd").is_err());
        assert!(parse_amount("-3", "usd").is_err());
        assert!(parse_amount("0", "usd").is_err());
        assert!(parse_amount("abc", "usd").is_err());
        assert!(parse_amount("99999999999999999999", "usd").is_err());
        assert_eq!(format_amount(1250, "usd"), "12.50 USD");
        assert_eq!(format_amount(500, "jpy"), "500 JPY");
    }
}
