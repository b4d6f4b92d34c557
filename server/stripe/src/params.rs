//! Request parameters, named as Stripe names them. `None` fields are not sent.

use serde::Serialize;
use std::collections::BTreeMap;

pub type MetadataParams = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, Serialize)]
pub struct AddressParams {
    pub line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreateLocation {
    pub display_name: String,
    pub address: AddressParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataParams>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataParams>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreateReader {
    pub registration_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataParams>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateReader {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataParams>,
}

/// Paging shared by every list endpoint.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ListParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starting_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending_before: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ListReaders {
    #[serde(flatten)]
    pub page: ListParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Tipping {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_eligible: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcessConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_tipping: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tipping: Option<Tipping>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_customer_cancellation: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcessPaymentIntent {
    pub payment_intent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_config: Option<ProcessConfig>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CardPresentParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

/// The test helper that makes a simulated reader read a card.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PresentPaymentMethod {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_present: Option<CardPresentParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_tip: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreatePaymentIntent {
    pub amount: i64,
    pub currency: String,
    pub payment_method_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataParams>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expand: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CapturePaymentIntent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_to_capture: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CancelPaymentIntent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreatedFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gte: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lte: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gt: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lt: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ListPaymentIntents {
    #[serde(flatten)]
    pub page: ListParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<CreatedFilter>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expand: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreateRefund {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataParams>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreateWebhookEndpoint {
    pub url: String,
    pub enabled_events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreateAccount {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_profile: Option<AccountProfile>,
}

/// `business_profile` of a new account.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountProfile {
    pub name: String,
}

/// `POST /v1/account_links`.
#[derive(Debug, Clone, Serialize)]
pub struct CreateAccountLink {
    pub account: String,
    /// `account_onboarding` or `account_update`.
    #[serde(rename = "type")]
    pub kind: String,
    pub refresh_url: String,
    pub return_url: String,
}

/// `expand[]` on a retrieve.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Expand {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expand: Vec<String>,
}
