//! One error type for every Stripe call, carrying what Stripe said and what a person should do.

use serde::Deserialize;

/// Stripe's error object (`{"error": {...}}`), plus the HTTP status and `Request-Id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub param: Option<String>,
    pub message: Option<String>,
    pub doc_url: Option<String>,
    #[serde(skip)]
    pub status: u16,
    #[serde(skip)]
    pub request_id: Option<String>,
    /// `Stripe-Should-Retry`, when Stripe sent it.
    #[serde(skip)]
    pub should_retry: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ApiError,
}

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    #[error("Stripe answered {status} {kind}{}: {}", code_suffix(.0), .0.message.as_deref().unwrap_or("no message"), status = .0.status, kind = .0.kind)]
    Api(Box<ApiError>),
    #[error("could not reach Stripe: {0}")]
    Transport(String),
    #[error("Stripe did not answer within {0} seconds")]
    Timeout(u64),
    #[error("could not read Stripe's answer: {0}")]
    Decode(String),
    #[error(transparent)]
    Encode(#[from] crate::form::EncodeError),
}

fn code_suffix(e: &ApiError) -> String {
    e.code
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default()
}

impl StripeError {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            StripeError::Api(e) => Some(e.as_ref()),
            _ => None,
        }
    }

    fn code(&self) -> Option<&str> {
        self.api().and_then(|e| e.code.as_deref())
    }

    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(|e| e.request_id.as_deref())
    }

    pub fn is_reader_offline(&self) -> bool {
        self.code() == Some("terminal_reader_offline")
    }

    pub fn is_reader_busy(&self) -> bool {
        self.code() == Some("terminal_reader_busy")
    }

    pub fn is_reader_timeout(&self) -> bool {
        self.code() == Some("terminal_reader_timeout")
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404) || self.code() == Some("resource_missing")
    }

    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    pub fn is_authentication(&self) -> bool {
        self.status() == Some(401)
    }

    pub fn is_idempotency_error(&self) -> bool {
        self.api().is_some_and(|e| e.kind == "idempotency_error")
    }

    pub fn is_card_declined(&self) -> bool {
        self.api().is_some_and(|e| e.kind == "card_error")
    }

    /// What to tell a person: Stripe's reason in plain words and the next step.
    pub fn user_message(&self) -> String {
        let Some(e) = self.api() else {
            return match self {
                StripeError::Timeout(_) | StripeError::Transport(_) => {
                    "Stripe could not be reached. Check the connection and try again; nothing was charged twice.".into()
                }
                _ => "Stripe's answer could not be read. Try again in a moment.".into(),
            };
        };
        let stripe_says = e.message.clone().unwrap_or_default();
        match e.code.as_deref() {
            Some("terminal_reader_offline") => {
                "The reader is offline — check its power and network, then try again.".into()
            }
            Some("terminal_reader_busy") => {
                "The reader is busy with another payment — wait for it to finish or cancel its action.".into()
            }
            Some("terminal_reader_timeout") => {
                "The reader did not answer in time — check it is on and connected, then try again.".into()
            }
            Some("resource_missing") => format!("Stripe does not know that object: {stripe_says}"),
            Some("intent_invalid_state") | Some("payment_intent_unexpected_state") => {
                format!("That payment cannot do this in its current state: {stripe_says}")
            }
            _ if e.status == 401 => format!("Stripe rejected the API key: {stripe_says}"),
            _ if e.status == 403 => format!("The API key is not allowed to do this: {stripe_says}"),
            _ if e.status == 429 => "Stripe is rate limiting these requests — wait a moment and try again.".into(),
            _ if e.kind == "card_error" => match e.decline_code.as_deref().or(e.code.as_deref()) {
                Some(reason) => format!("The card was declined ({}): {stripe_says}", reason.replace('_', " ")),
                None => format!("The card was declined: {stripe_says}"),
            },
            _ if e.status >= 500 => "Stripe had a problem on its side. Try again in a moment.".into(),
            _ => stripe_says,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> StripeError {
        let mut e = serde_json::from_str::<ErrorBody>(body)
            .expect("error body")
            .error;
        e.status = status;
        StripeError::Api(Box::new(e))
    }

    #[test]
    fn parses_stripe_error_bodies() {
        let e = parse(
            400,
            r#"{"error":{"type":"invalid_request_error","code":"terminal_reader_offline","message":"Reader is currently offline, please ensure the reader is powered on and connected to the internet before retrying your request.","doc_url":"https://stripe.com/docs/error-codes/terminal-reader-offline"}}"#,
        );
        assert!(e.is_reader_offline());
        assert!(e.user_message().contains("offline"));
        let e = parse(
            404,
            r#"{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such terminal.reader: 'tmr_x'"}}"#,
        );
        assert!(e.is_not_found());
        assert_eq!(e.api().and_then(|a| a.param.as_deref()), Some("id"));
        let e = parse(
            402,
            r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}"#,
        );
        assert!(e.is_card_declined());
        assert!(e.user_message().contains("insufficient funds"));
        let e = parse(
            400,
            r#"{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}"#,
        );
        assert!(e.is_idempotency_error());
        let e = parse(
            401,
            r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****abcd"}}"#,
        );
        assert!(e.is_authentication());
        assert!(e.user_message().starts_with("Stripe rejected the API key"));
    }
}
