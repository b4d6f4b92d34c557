//! What the API answers with. Field names follow Stripe's conventions (snake_case, Unix seconds,
//! amounts in the currency's smallest unit) so a till's developer meets no surprises.

use app::fleet::types::ReaderView;
use app::payments::outcome::Outcome;
use app::payments::types::PaymentView;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Reader {
    pub id: String,
    pub object: &'static str,
    pub label: String,
    pub location: Option<String>,
    pub location_name: Option<String>,
    pub device_type: String,
    pub serial_number: String,
    pub software_version: Option<String>,
    pub ip_address: Option<String>,
    /// `online` or `offline`.
    pub status: &'static str,
    /// Collecting a payment or otherwise working right now.
    pub busy: bool,
    pub action: Option<Action>,
    pub last_seen_at: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub payment: Option<String>,
    pub failure_message: Option<String>,
}

fn seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

impl From<ReaderView> for Reader {
    fn from(r: ReaderView) -> Self {
        let busy = r.busy();
        let action = r.action.map(|a| Action {
            failure_message: a.detail.filter(|_| a.status == "failed"),
            payment: a.payment,
            kind: a.kind,
            status: a.status,
        });
        Reader {
            id: r.id,
            object: "terminal_reader",
            label: r.label,
            location: r.location_id,
            location_name: r.location_name,
            device_type: r.device_type,
            serial_number: r.serial_number,
            software_version: r.sw_version,
            ip_address: r.ip_address,
            status: if r.online { "online" } else { "offline" },
            busy,
            action,
            last_seen_at: r.last_seen_at.map(seconds),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ReaderList {
    pub object: &'static str,
    pub data: Vec<Reader>,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub has_more: bool,
}

#[derive(Debug, Serialize)]
pub struct Payment {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub capture_method: String,
    /// Stripe's PaymentIntent status.
    pub status: String,
    /// Where the payment stands for the till: `pending`, `succeeded`, `requires_capture`,
    /// `declined`, `canceled` or `reader_failed`.
    pub outcome: &'static str,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub reader: Option<String>,
    pub location: Option<String>,
    pub card: Option<Card>,
    pub failure: Option<Failure>,
    pub started_by: Option<String>,
    pub created: i64,
}

#[derive(Debug, Serialize)]
pub struct Card {
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub read_method: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Failure {
    pub code: Option<String>,
    pub message: String,
}

impl Payment {
    pub fn new(p: PaymentView) -> Self {
        let outcome = p.outcome();
        let failure = match outcome {
            Outcome::Declined => Some(Failure {
                code: p.failure_code.clone(),
                message: p
                    .failure_message
                    .clone()
                    .unwrap_or_else(|| "The card was declined.".into()),
            }),
            Outcome::ReaderFailed => p.gave_up.clone().map(|message| Failure {
                code: None,
                message,
            }),
            _ => None,
        };
        let card = (p.card_brand.is_some() || p.card_last4.is_some()).then(|| Card {
            brand: p.card_brand.clone(),
            last4: p.card_last4.clone(),
            read_method: p.read_method.clone(),
        });
        Payment {
            id: p.id,
            object: "payment",
            amount: p.amount,
            currency: p.currency,
            description: p.description,
            capture_method: p.capture_method,
            status: p.status,
            outcome: outcome.as_str(),
            amount_capturable: p.amount_capturable,
            amount_received: p.amount_received,
            amount_refunded: p.amount_refunded,
            reader: p.reader_id,
            location: p.location_id,
            card,
            failure,
            started_by: p.started_by,
            created: seconds(p.created_at),
        }
    }

    pub fn settled(&self) -> bool {
        self.outcome != Outcome::Pending.as_str()
    }
}

/// A collection of inputs on a reader's screen: the questions and, once the customer answered,
/// the answers. Read from Stripe when asked; never stored by the dashboard.
#[derive(Debug, Serialize)]
pub struct InputCollection {
    pub object: &'static str,
    pub reader: String,
    /// `in_progress`, `succeeded` or `failed` (the customer walked away, or it was cancelled).
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub inputs: Vec<CollectedInput>,
    pub metadata: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct CollectedInput {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: Option<String>,
    pub required: bool,
    pub skipped: bool,
    /// The answer: the text typed, the chosen choice's id, or for a signature the id of the
    /// Stripe file holding the image. `null` until answered, or when skipped.
    pub value: Option<String>,
    pub toggles: Vec<ToggleValue>,
}

#[derive(Debug, Serialize)]
pub struct ToggleValue {
    pub title: Option<String>,
    /// `enabled` or `disabled` once answered.
    pub value: Option<String>,
}

impl InputCollection {
    pub fn new(reader: &str, action: fleet_stripe::ReaderAction) -> Self {
        let collected =
            action
                .collect_inputs
                .unwrap_or_else(|| fleet_stripe::CollectInputsAction {
                    inputs: Vec::new(),
                    metadata: Default::default(),
                });
        InputCollection {
            object: "input_collection",
            reader: reader.to_string(),
            status: action.status.as_str().to_string(),
            failure_code: action.failure_code,
            failure_message: action.failure_message,
            inputs: collected
                .inputs
                .into_iter()
                .map(|i| CollectedInput {
                    value: i.answer().map(str::to_string),
                    kind: i.kind.as_str().to_string(),
                    title: i.custom_text.and_then(|t| t.title),
                    required: i.required,
                    skipped: i.skipped,
                    toggles: i
                        .toggles
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| ToggleValue {
                            title: t.title,
                            value: t.value,
                        })
                        .collect(),
                })
                .collect(),
            metadata: collected.metadata.into_iter().collect(),
        }
    }
}
