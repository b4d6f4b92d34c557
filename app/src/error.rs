//! The one error type that crosses the wire from server functions to the browser.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use server_fn::{Bytes, Encodes};
use std::borrow::Cow;

/// The most characters of one message (or field name) an error carries on the wire. Messages
/// quote what the user sent ("'…' is not a scope"); unbounded, a 70 KB field made an answer
/// larger than the status middleware then read, and the 400 became an empty 500.
pub const MAX_MESSAGE_CHARS: usize = 300;
/// The most per-field errors one answer lists; a form has far fewer fields.
const MAX_FIELD_ERRORS: usize = 32;
/// How much of a user's input a message quotes.
const MAX_QUOTE_CHARS: usize = 40;

/// `text` cut to at most `max` characters (an ellipsis marks the cut).
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => {
            let keep = text[..end]
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(end, |(i, _)| i);
            Cow::Owned(format!("{}…", &text[..keep]))
        }
    }
}

/// A user's input as an error message quotes it: short, with control characters shown as `�`
/// so a quote cannot break a log line or a header.
pub fn quote(input: &str) -> String {
    clip(input.trim(), MAX_QUOTE_CHARS)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// What went wrong, in words a person can act on. The server logs the cause; the browser gets
/// only this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A field the user filled in is wrong; `field` names the form field when there is one.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// Several fields are wrong at once (an address): each with its own message.
    #[error("{}", .0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" "))]
    Fields(Vec<(String, String)>),
    #[error("{0}")]
    Conflict(String),
    /// Stripe refused what was asked (a reader offline or busy, a card declined…): Stripe's
    /// error code, kept for API clients, and its reason in plain words.
    #[error("{message}")]
    Refused { code: String, message: String },
    #[error("{0}")]
    TooManyRequests(String),
    /// A limit on what one client may do (sign-in failures, sign-ups per address): answered
    /// with 429 and `Retry-After`.
    #[error("{message}")]
    Throttled {
        message: String,
        retry_after_secs: u64,
    },
    /// The server is at capacity for this kind of work (password hashing): answered with 503
    /// and `Retry-After`, so the client tries again shortly.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    /// Our own failure. It carries only the reference under which the cause was logged: make
    /// it with [`AppError::internal`] or [`AppError::internal_with`], never by hand.
    #[error("Something went wrong on our side. Please try again; if it keeps happening, quote reference {0} to support.")]
    Internal(String),
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Our own failure: logs `err` under a new reference and answers with that reference, so
    /// the person can quote it and the log holds the cause.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::internal_with("internal error", err)
    }

    /// [`AppError::internal`] with a sentence saying what failed (`"database error"`).
    pub fn internal_with(context: &str, err: impl std::fmt::Display) -> Self {
        let reference = crate::ssr::ids::new_id("err");
        tracing::error!(%reference, error = %err, "{context}");
        AppError::Internal(reference)
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden("Your role in this organisation does not allow that.".into())
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!(
            "That {what} does not exist, or you do not have access to it."
        ))
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The message for one form field, whether the error names one field or several.
    pub fn field_message(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid {
                field: Some(field),
                message,
            } if field == name => Some(message.clone()),
            AppError::Fields(errors) => errors
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, message)| message.clone()),
            _ => None,
        }
    }

    /// The same error with every text clipped, so what goes on the wire stays small whatever
    /// input a message quotes.
    pub fn bounded(&self) -> AppError {
        let clip = |text: &str| clip(text, MAX_MESSAGE_CHARS).into_owned();
        match self {
            AppError::Unauthenticated => AppError::Unauthenticated,
            AppError::Forbidden(m) => AppError::Forbidden(clip(m)),
            AppError::NotFound(m) => AppError::NotFound(clip(m)),
            AppError::Invalid { field, message } => AppError::Invalid {
                field: field.as_deref().map(clip),
                message: clip(message),
            },
            AppError::Fields(errors) => AppError::Fields(
                errors
                    .iter()
                    .take(MAX_FIELD_ERRORS)
                    .map(|(field, message)| (clip(field), clip(message)))
                    .collect(),
            ),
            AppError::Conflict(m) => AppError::Conflict(clip(m)),
            AppError::Refused { code, message } => AppError::Refused {
                code: clip(code),
                message: clip(message),
            },
            AppError::TooManyRequests(m) => AppError::TooManyRequests(clip(m)),
            AppError::Throttled {
                message,
                retry_after_secs,
            } => AppError::Throttled {
                message: clip(message),
                retry_after_secs: *retry_after_secs,
            },
            AppError::Busy {
                message,
                retry_after_secs,
            } => AppError::Busy {
                message: clip(message),
                retry_after_secs: *retry_after_secs,
            },
            AppError::BadRequest(m) => AppError::BadRequest(clip(m)),
            AppError::Internal(m) => AppError::Internal(clip(m)),
        }
    }

    /// The error as a server function's answer carries it (clipped JSON). It cannot fail,
    /// since a failing error path is an empty 500.
    pub fn to_json(&self) -> Bytes {
        <JsonEncoding as Encodes<AppError>>::encode(&self.bounded())
            .unwrap_or_else(|_| Bytes::from_static(br#"{"Internal":"unencodable-error"}"#))
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Invalid { .. } | AppError::Fields(_) | AppError::BadRequest(_) => 400,
            AppError::Conflict(_) | AppError::Refused { .. } => 409,
            AppError::TooManyRequests(_) | AppError::Throttled { .. } => 429,
            AppError::Busy { .. } => 503,
            AppError::Internal(_) => 500,
        }
    }

    /// Seconds the client should wait before trying again, for a `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::Throttled {
                retry_after_secs, ..
            }
            | AppError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg)
            | ServerFnErrorErr::MissingArg(msg)
            | ServerFnErrorErr::Deserialization(msg) => AppError::BadRequest(msg),
            ServerFnErrorErr::Request(msg) => {
                AppError::BadRequest(format!("the server could not be reached ({msg})"))
            }
            #[cfg(feature = "ssr")]
            other => AppError::internal_with("server function failed", other),
            // The browser has no log to quote a reference from, so it keeps the cause.
            #[cfg(not(feature = "ssr"))]
            other => AppError::Internal(format!("{other}")),
        }
    }

    /// Every error a server function answers is encoded here (the body, and the URL of a
    /// plain form's redirect), so this is where it is kept small, and where the answer gets
    /// this error's own status.
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        self.set_response_status();
        self.to_json()
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Server functions answer every error with 500; this gives the answer this error's status
    /// (400 for a bad field, 403, 404, 429, 503…) and its `Retry-After`, so a user's mistake is
    /// never reported as the server's fault. `leptos_axum` applies `ResponseOptions` to the
    /// response after the server function has run, and `ser` runs inside it.
    fn set_response_status(&self) {
        use leptos::prelude::use_context;
        let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        // A plain form post is answered with a redirect carrying the error in its URL, and a
        // status set here would replace the redirect's.
        let form_post = use_context::<http::request::Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        });
        // A status already chosen (a redirect) stands.
        let chosen = response
            .0
            .read()
            .map_or(true, |parts| parts.status.is_some());
        if form_post || chosen {
            return;
        }
        if let Ok(status) = http::StatusCode::from_u16(self.status()) {
            response.set_status(status);
        }
        if let Some(seconds) = self.retry_after_secs() {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
