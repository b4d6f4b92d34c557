//! Request parameters, named as Stripe names them. `None` fields are not sent.

use crate::enums::InputType;
use serde::{Serialize, Serializer};
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

/// A setting an update changes or removes: `Unset` sends the empty string Stripe reads as
/// "remove this setting".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting<T> {
    Set(T),
    Unset,
}

impl<T: Serialize> Serialize for Setting<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Setting::Set(value) => value.serialize(s),
            Setting::Unset => s.serialize_str(""),
        }
    }
}

/// A device type's splash screen: the id of a file uploaded for `terminal_reader_splashscreen`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SplashscreenParams {
    pub splashscreen: String,
}

/// Tip suggestions for one currency: up to three percentages and fixed amounts (minor units).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CurrencyTippingParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentages: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_amounts: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smart_tip_threshold: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RebootWindowParams {
    pub start_hour: u8,
    pub end_hour: u8,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EnabledParams {
    pub enabled: bool,
}

/// `POST /v1/terminal/configurations` and its update: each setting given replaces the old one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConfigurationParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbpos_wisepos_e: Option<Setting<SplashscreenParams>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbpos_wisepad3: Option<Setting<SplashscreenParams>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stripe_s700: Option<Setting<SplashscreenParams>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stripe_s710: Option<Setting<SplashscreenParams>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifone_p400: Option<Setting<SplashscreenParams>>,
    /// Per lower-case currency code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tipping: Option<Setting<BTreeMap<String, CurrencyTippingParams>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reboot_window: Option<Setting<RebootWindowParams>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<Setting<EnabledParams>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ListConfigurations {
    #[serde(flatten)]
    pub page: ListParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_account_default: Option<bool>,
}

/// A location's `configuration_overrides` alone (empty: back to the account default).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LocationConfiguration {
    pub configuration_overrides: String,
}

/// A file to upload with `POST /v1/files` (multipart).
#[derive(Debug, Clone)]
pub struct UploadFile {
    /// `terminal_reader_splashscreen` for splash screens.
    pub purpose: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl UploadFile {
    pub fn splashscreen(filename: impl Into<String>, bytes: Vec<u8>) -> Self {
        UploadFile {
            purpose: "terminal_reader_splashscreen".into(),
            filename: filename.into(),
            bytes,
        }
    }

    pub(crate) fn form(&self) -> Result<reqwest::multipart::Form, crate::StripeError> {
        let part = reqwest::multipart::Part::bytes(self.bytes.clone())
            .file_name(self.filename.clone())
            .mime_str("application/octet-stream")
            .map_err(|e| crate::StripeError::Transport(e.to_string()))?;
        Ok(reqwest::multipart::Form::new()
            .text("purpose", self.purpose.clone())
            .part("file", part))
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CustomTextParams {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// At most 30 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submit_button: Option<String>,
    /// At most 14 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_button: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ChoiceParams {
    pub id: String,
    pub text: String,
    /// `primary` or `secondary`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SelectionParams {
    pub choices: Vec<ChoiceParams>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ToggleParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `enabled` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
}

/// One question of `collect_inputs`.
#[derive(Debug, Clone, Serialize)]
pub struct InputParams {
    #[serde(rename = "type")]
    pub kind: InputType,
    pub custom_text: CustomTextParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// For `selection` inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection: Option<SelectionParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toggles: Option<Vec<ToggleParams>>,
}

/// `POST /v1/terminal/readers/{id}/collect_inputs`: up to five inputs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CollectInputs {
    pub inputs: Vec<InputParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataParams>,
}

/// The test helper answering a simulated reader's inputs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SucceedInputCollection {
    /// `all` skips the optional inputs, `none` (Stripe's default) answers every one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_non_required_inputs: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LineItemParams {
    pub description: String,
    /// Minor units, per item.
    pub amount: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CartParams {
    pub currency: String,
    pub line_items: Vec<LineItemParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<i64>,
    pub total: i64,
}

/// `POST /v1/terminal/readers/{id}/set_reader_display`.
#[derive(Debug, Clone, Serialize)]
pub struct SetReaderDisplay {
    #[serde(rename = "type")]
    pub kind: String,
    pub cart: CartParams,
}

impl SetReaderDisplay {
    pub fn cart(cart: CartParams) -> Self {
        SetReaderDisplay {
            kind: "cart".into(),
            cart,
        }
    }
}
