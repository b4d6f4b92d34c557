use super::Metadata;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// `event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
    pub api_version: Option<String>,
    #[serde(default)]
    pub pending_webhooks: i64,
    pub request: Option<EventRequest>,
    pub data: EventData,
    /// The connected account the event happened on (Connect), if any.
    pub account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRequest {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
    pub previous_attributes: Option<serde_json::Value>,
}

impl Event {
    /// The event's object as a typed value (e.g. `Reader` for `terminal.reader.*`).
    pub fn object<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self.data.object.clone())
    }

    /// The `object` field of the event's object, e.g. `terminal.reader`.
    pub fn object_type(&self) -> Option<&str> {
        self.data.object.get("object").and_then(|v| v.as_str())
    }
}

/// `webhook_endpoint`. `secret` is only present in the answer to its creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub enabled_events: Vec<String>,
    pub secret: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub livemode: bool,
    pub created: i64,
}

/// `account_link`: a single-use URL into Stripe's hosted onboarding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLink {
    pub url: String,
    pub created: i64,
    pub expires_at: i64,
}

/// `account`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub country: Option<String>,
    pub default_currency: Option<String>,
    pub email: Option<String>,
    pub business_profile: Option<BusinessProfile>,
    pub settings: Option<serde_json::Value>,
    #[serde(default)]
    pub charges_enabled: bool,
    /// Whether its holder finished onboarding (Connect).
    #[serde(default)]
    pub details_submitted: bool,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub created: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessProfile {
    pub name: Option<String>,
    pub url: Option<String>,
}

impl Account {
    /// The name to show: the business name, else the dashboard display name, else the id.
    pub fn display_name(&self) -> String {
        self.business_profile
            .as_ref()
            .and_then(|p| p.name.clone())
            .or_else(|| {
                self.settings
                    .as_ref()
                    .and_then(|s| s.pointer("/dashboard/display_name"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| self.id.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::*;
    use serde_json::Value;

    fn examples() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/stripe/contract-data.json"
        );
        let text = std::fs::read_to_string(path).expect("contract-data.json beside the repository");
        serde_json::from_str(&text).expect("json")
    }

    fn example(name: &str) -> Value {
        examples()["objects"][name]["example"].clone()
    }

    #[test]
    fn every_contract_example_decodes() {
        let _: Location = serde_json::from_value(example("terminal.location")).expect("location");
        let r: Reader = serde_json::from_value(example("terminal.reader")).expect("reader");
        assert_eq!(r.device_type, crate::enums::DeviceType::BbposWiseposE);
        let _: PaymentIntent =
            serde_json::from_value(example("payment_intent")).expect("payment intent");
        let _: Charge = serde_json::from_value(example("charge")).expect("charge");
        let _: Refund = serde_json::from_value(example("refund")).expect("refund");
        let e: Event = serde_json::from_value(example("event")).expect("event");
        assert_eq!(e.object_type(), Some("plan"));
        let _: WebhookEndpoint =
            serde_json::from_value(example("webhook_endpoint")).expect("endpoint");
        let a: Account = serde_json::from_value(example("account")).expect("account");
        assert!(!a.display_name().is_empty());
        let _: ConnectionToken =
            serde_json::from_value(example("terminal.connection_token")).expect("token");
    }
}
