//! The Stripe API client. Credentials are per call (each tenant has its own key or connected
//! account); every POST carries an idempotency key derived from the caller's own operation id,
//! so retries, ours or the caller's, never act twice.

use crate::error::{ErrorBody, StripeError};
use crate::form::encode;
use crate::objects::*;
use crate::params::*;
use crate::retry::{is_retryable, Outcome, RetryPolicy};
use futures::stream::{self, Stream};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// The API version pinned on every call: the one of the contract the simulator follows
/// (../shared/stripe/contract-data.json).
pub const API_VERSION: &str = "2026-10-28.endive";

/// A secret or restricted key. Never printed: `Debug` and `Display` mask it as Stripe does.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(key: impl Into<String>) -> Self {
        SecretKey(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sk_test_…abcd`.
    pub fn masked(&self) -> String {
        let prefix = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
            .into_iter()
            .find(|p| self.0.starts_with(p))
            .unwrap_or("");
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{prefix}…{tail}")
    }

    pub fn is_live(&self) -> bool {
        self.0.starts_with("sk_live_") || self.0.starts_with("rk_live_")
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.masked())
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Who a call acts as: a key, and optionally a connected account (`Stripe-Account`).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub key: SecretKey,
    pub account: Option<String>,
}

impl Credentials {
    pub fn key(key: impl Into<String>) -> Self {
        Credentials {
            key: SecretKey::new(key),
            account: None,
        }
    }

    pub fn on_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }
}

/// An `Idempotency-Key`, derived by the caller from its own operation id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Stripe accepts up to 255 characters; longer ids are cut (they are ours, so unique
    /// prefixes are the caller's job).
    pub fn new(operation: impl Into<String>) -> Self {
        let mut key: String = operation.into();
        key.truncate(255);
        IdempotencyKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: "https://api.stripe.com".into(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// One HTTP exchange with Stripe as an [`Observer`] sees it: every attempt, retries included,
/// so a 429 that a retry then got past is still counted.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    pub method: &'a str,
    /// The path with ids replaced by `{id}`, such as
    /// `/v1/terminal/readers/{id}/process_payment_intent`: few enough values to label by.
    pub endpoint: &'a str,
    /// The HTTP status, or `None` when no answer came.
    pub status: Option<u16>,
    /// No answer within the client's timeout (else, with no status, the connection failed).
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// Told of every exchange with Stripe (the server's metrics).
pub trait Observer: Send + Sync + std::fmt::Debug {
    fn exchanged(&self, exchange: &Exchange<'_>);
}

/// `/v1/terminal/readers/tmr_Fx81/cancel_action` → `/v1/terminal/readers/{id}/cancel_action`.
/// An id is a lower-case prefix, `_`, and a tail holding a digit or a capital; Stripe's words
/// (`payment_intents`, `test_helpers`) hold neither.
pub fn endpoint_of(path: &str) -> String {
    let id_like = |segment: &str| {
        segment.split_once('_').is_some_and(|(prefix, tail)| {
            !prefix.is_empty()
                && prefix.bytes().all(|b| b.is_ascii_lowercase())
                && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && tail
                    .bytes()
                    .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        })
    };
    path.split('/')
        .map(|segment| if id_like(segment) { "{id}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Debug, Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    config: ClientConfig,
    /// Where file uploads go, when not the default (see [`StripeClient::with_upload_base_url`]).
    upload_base_url: Option<String>,
    observer: Option<std::sync::Arc<dyn Observer>>,
}

impl StripeClient {
    pub fn new(config: ClientConfig) -> Result<Self, StripeError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("TerminalFleet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StripeError::Transport(e.to_string()))?;
        Ok(StripeClient {
            http,
            config,
            upload_base_url: None,
            observer: None,
        })
    }

    /// Tells `observer` of every exchange this client has with Stripe.
    pub fn with_observer(mut self, observer: std::sync::Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn observe(&self, method: &Method, url: &str, outcome: Outcome, started: std::time::Instant) {
        let Some(observer) = &self.observer else {
            return;
        };
        let path = reqwest::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        let (status, timed_out) = match outcome {
            Outcome::Status { code, .. } => (Some(code), false),
            Outcome::TimedOut => (None, true),
            Outcome::ConnectionFailed => (None, false),
        };
        observer.exchanged(&Exchange {
            method: method.as_str(),
            endpoint: &endpoint_of(&path),
            status,
            timed_out,
            elapsed: started.elapsed(),
        });
    }

    /// Sends file uploads to `url` instead of files.stripe.com (Stripe's API) or `base_url`
    /// (anything else, such as the simulator, which takes uploads on its own address).
    pub fn with_upload_base_url(mut self, url: impl Into<String>) -> Self {
        self.upload_base_url = Some(url.into());
        self
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// One call with retries where safe. `body` is form-encoded for POST and a query string
    /// for GET and DELETE.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        creds: &Credentials,
        params: &impl Serialize,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<T, StripeError> {
        let encoded = encode(params)?;
        let url = format!("{}{path}", self.config.base_url.trim_end_matches('/'));
        self.execute(method, &url, creds, Body::Form(&encoded), idempotency)
            .await
    }

    /// Sends with retries where safe; a multipart body is rebuilt for every attempt.
    async fn execute<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        creds: &Credentials,
        body: Body<'_>,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<T, StripeError> {
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url)
                .bearer_auth(creds.key.expose())
                .header("Stripe-Version", API_VERSION);
            if let Some(account) = &creds.account {
                request = request.header("Stripe-Account", account);
            }
            if let Some(key) = idempotency {
                request = request.header("Idempotency-Key", key.as_str());
            }
            request = match body {
                Body::Upload(upload) => request.multipart(upload.form()?),
                Body::Form(encoded) if method == Method::POST => request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(encoded.to_string()),
                Body::Form("") => request,
                Body::Form(encoded) => request
                    .query(&url::form_urlencoded::parse(encoded.as_bytes()).collect::<Vec<_>>()),
            };
            let started = std::time::Instant::now();
            let (outcome, result) = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let should_retry = response
                        .headers()
                        .get("stripe-should-retry")
                        .and_then(|v| v.to_str().ok())
                        .map(|v| v == "true");
                    let outcome = Outcome::Status {
                        code: status.as_u16(),
                        should_retry,
                    };
                    (outcome, read(response, status, should_retry).await)
                }
                Err(err) if err.is_timeout() => (
                    Outcome::TimedOut,
                    Err(StripeError::Timeout(self.config.timeout.as_secs())),
                ),
                // The error's text can include the URL but never the key, which travels in a header.
                Err(err) => (
                    Outcome::ConnectionFailed,
                    Err(StripeError::Transport(err.to_string())),
                ),
            };
            self.observe(&method, url, outcome, started);
            let retryable = result.is_err() && is_retryable(outcome);
            if !retryable || attempt >= self.config.retry.max_retries {
                return result;
            }
            attempt += 1;
            let delay = self.config.retry.delay(attempt);
            tracing::debug!(url, attempt, ?outcome, ?delay, "retrying Stripe call");
            tokio::time::sleep(delay).await;
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        creds: &Credentials,
        query: &impl Serialize,
    ) -> Result<T, StripeError> {
        self.call(Method::GET, path, creds, query, None).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        creds: &Credentials,
        body: &impl Serialize,
        key: &IdempotencyKey,
    ) -> Result<T, StripeError> {
        self.call(Method::POST, path, creds, body, Some(key)).await
    }

    async fn delete(&self, path: &str, creds: &Credentials) -> Result<Deleted, StripeError> {
        self.call(Method::DELETE, path, creds, &(), None).await
    }

    /// Every item of a list, following `has_more` with `starting_after`, page by page.
    pub fn paginate<T, P>(
        &self,
        path: String,
        creds: Credentials,
        params: P,
    ) -> impl Stream<Item = Result<T, StripeError>> + '_
    where
        T: DeserializeOwned + HasId + 'static,
        P: Serialize + Clone + Paged + 'static,
    {
        let first = Some(params);
        let pages = stream::try_unfold(first, move |next| {
            let path = path.clone();
            let creds = creds.clone();
            async move {
                let Some(params) = next else {
                    return Ok::<_, StripeError>(None);
                };
                let page: List<T> = self.get(&path, &creds, &params).await?;
                let following = match (page.has_more, page.data.last()) {
                    (true, Some(last)) => Some(params.after(last.id())),
                    _ => None,
                };
                Ok(Some((
                    stream::iter(page.data.into_iter().map(Ok)),
                    following,
                )))
            }
        });
        futures::TryStreamExt::try_flatten(pages)
    }

    // Account
    pub async fn retrieve_own_account(&self, creds: &Credentials) -> Result<Account, StripeError> {
        self.get("/v1/account", creds, &()).await
    }
    pub async fn create_account(
        &self,
        creds: &Credentials,
        p: &CreateAccount,
        key: &IdempotencyKey,
    ) -> Result<Account, StripeError> {
        self.post("/v1/accounts", creds, p, key).await
    }
    pub async fn retrieve_account(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Account, StripeError> {
        self.get(&format!("/v1/accounts/{id}"), creds, &()).await
    }

    pub async fn create_account_link(
        &self,
        creds: &Credentials,
        p: &CreateAccountLink,
        key: &IdempotencyKey,
    ) -> Result<AccountLink, StripeError> {
        self.post("/v1/account_links", creds, p, key).await
    }

    // Locations
    pub async fn create_location(
        &self,
        creds: &Credentials,
        p: &CreateLocation,
        key: &IdempotencyKey,
    ) -> Result<Location, StripeError> {
        self.post("/v1/terminal/locations", creds, p, key).await
    }
    pub async fn retrieve_location(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Location, StripeError> {
        self.get(&format!("/v1/terminal/locations/{id}"), creds, &())
            .await
    }
    pub async fn update_location(
        &self,
        creds: &Credentials,
        id: &str,
        p: &UpdateLocation,
        key: &IdempotencyKey,
    ) -> Result<Location, StripeError> {
        self.post(&format!("/v1/terminal/locations/{id}"), creds, p, key)
            .await
    }
    pub async fn delete_location(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Deleted, StripeError> {
        self.delete(&format!("/v1/terminal/locations/{id}"), creds)
            .await
    }
    pub async fn list_locations(
        &self,
        creds: &Credentials,
        p: &ListParams,
    ) -> Result<List<Location>, StripeError> {
        self.get("/v1/terminal/locations", creds, p).await
    }

    // Readers
    pub async fn create_reader(
        &self,
        creds: &Credentials,
        p: &CreateReader,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post("/v1/terminal/readers", creds, p, key).await
    }
    pub async fn retrieve_reader(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Reader, StripeError> {
        self.get(&format!("/v1/terminal/readers/{id}"), creds, &())
            .await
    }
    pub async fn update_reader(
        &self,
        creds: &Credentials,
        id: &str,
        p: &UpdateReader,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(&format!("/v1/terminal/readers/{id}"), creds, p, key)
            .await
    }
    pub async fn delete_reader(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Deleted, StripeError> {
        self.delete(&format!("/v1/terminal/readers/{id}"), creds)
            .await
    }
    pub async fn list_readers(
        &self,
        creds: &Credentials,
        p: &ListReaders,
    ) -> Result<List<Reader>, StripeError> {
        self.get("/v1/terminal/readers", creds, p).await
    }
    pub fn all_readers(
        &self,
        creds: &Credentials,
        p: ListReaders,
    ) -> impl Stream<Item = Result<Reader, StripeError>> + '_ {
        self.paginate("/v1/terminal/readers".into(), creds.clone(), p)
    }

    // Reader actions
    pub async fn process_payment_intent(
        &self,
        creds: &Credentials,
        reader: &str,
        p: &ProcessPaymentIntent,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
            creds,
            p,
            key,
        )
        .await
    }
    /// Shows a cart on the reader's screen ([`SetReaderDisplay`], or any form `Serialize`).
    pub async fn set_reader_display(
        &self,
        creds: &Credentials,
        reader: &str,
        p: &impl Serialize,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/terminal/readers/{reader}/set_reader_display"),
            creds,
            p,
            key,
        )
        .await
    }
    pub async fn refund_payment(
        &self,
        creds: &Credentials,
        reader: &str,
        p: &CreateRefund,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/terminal/readers/{reader}/refund_payment"),
            creds,
            p,
            key,
        )
        .await
    }
    pub async fn cancel_action(
        &self,
        creds: &Credentials,
        reader: &str,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/terminal/readers/{reader}/cancel_action"),
            creds,
            &(),
            key,
        )
        .await
    }
    pub async fn present_payment_method(
        &self,
        creds: &Credentials,
        reader: &str,
        p: &PresentPaymentMethod,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/test_helpers/terminal/readers/{reader}/present_payment_method"),
            creds,
            p,
            key,
        )
        .await
    }
    /// Asks the customer on the reader's screen; answers come in the reader's action.
    pub async fn collect_inputs(
        &self,
        creds: &Credentials,
        reader: &str,
        p: &CollectInputs,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/terminal/readers/{reader}/collect_inputs"),
            creds,
            p,
            key,
        )
        .await
    }
    /// Test helper: a simulated customer answers the inputs of a simulated reader.
    pub async fn succeed_input_collection(
        &self,
        creds: &Credentials,
        reader: &str,
        p: &SucceedInputCollection,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/test_helpers/terminal/readers/{reader}/succeed_input_collection"),
            creds,
            p,
            key,
        )
        .await
    }
    /// Test helper: a simulated customer walks away from the inputs.
    pub async fn timeout_input_collection(
        &self,
        creds: &Credentials,
        reader: &str,
        key: &IdempotencyKey,
    ) -> Result<Reader, StripeError> {
        self.post(
            &format!("/v1/test_helpers/terminal/readers/{reader}/timeout_input_collection"),
            creds,
            &(),
            key,
        )
        .await
    }

    // Reader configurations
    pub async fn create_configuration(
        &self,
        creds: &Credentials,
        p: &ConfigurationParams,
        key: &IdempotencyKey,
    ) -> Result<TerminalConfiguration, StripeError> {
        self.post("/v1/terminal/configurations", creds, p, key)
            .await
    }
    pub async fn retrieve_configuration(
        &self,
        creds: &Credentials,
        id: &str,
        p: &Expand,
    ) -> Result<TerminalConfiguration, StripeError> {
        self.get(&format!("/v1/terminal/configurations/{id}"), creds, p)
            .await
    }
    /// Changes the settings given; [`Setting::Unset`] removes one.
    pub async fn update_configuration(
        &self,
        creds: &Credentials,
        id: &str,
        p: &ConfigurationParams,
        key: &IdempotencyKey,
    ) -> Result<TerminalConfiguration, StripeError> {
        self.post(&format!("/v1/terminal/configurations/{id}"), creds, p, key)
            .await
    }
    pub async fn delete_configuration(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Deleted, StripeError> {
        self.delete(&format!("/v1/terminal/configurations/{id}"), creds)
            .await
    }
    pub async fn list_configurations(
        &self,
        creds: &Credentials,
        p: &ListConfigurations,
    ) -> Result<List<TerminalConfiguration>, StripeError> {
        self.get("/v1/terminal/configurations", creds, p).await
    }
    /// The configuration Stripe provisions for the account (readers use it where their
    /// location has no `configuration_overrides`).
    pub async fn account_default_configuration(
        &self,
        creds: &Credentials,
    ) -> Result<Option<TerminalConfiguration>, StripeError> {
        let p = ListConfigurations {
            is_account_default: Some(true),
            ..ListConfigurations::default()
        };
        Ok(self
            .list_configurations(creds, &p)
            .await?
            .data
            .into_iter()
            .next())
    }
    /// Sets the configuration readers at `location` use, or with `None` returns them to the
    /// account default.
    pub async fn set_location_configuration(
        &self,
        creds: &Credentials,
        location: &str,
        configuration: Option<&str>,
        key: &IdempotencyKey,
    ) -> Result<Location, StripeError> {
        let p = LocationConfiguration {
            configuration_overrides: configuration.unwrap_or_default().to_string(),
        };
        self.post(
            &format!("/v1/terminal/locations/{location}"),
            creds,
            &p,
            key,
        )
        .await
    }

    // Files
    /// Uploads a file (multipart), to Stripe's upload host or the simulator.
    pub async fn upload_file(
        &self,
        creds: &Credentials,
        p: &UploadFile,
        key: &IdempotencyKey,
    ) -> Result<File, StripeError> {
        let url = format!("{}/v1/files", self.upload_base_url());
        self.execute(Method::POST, &url, creds, Body::Upload(p), Some(key))
            .await
    }
    pub async fn retrieve_file(&self, creds: &Credentials, id: &str) -> Result<File, StripeError> {
        self.get(&format!("/v1/files/{id}"), creds, &()).await
    }

    /// A file's bytes (where its `url` points, on the upload host), refused past `max_bytes` so
    /// a large file cannot fill our memory; the caller shows them (a splash screen's preview).
    pub async fn file_contents(
        &self,
        creds: &Credentials,
        id: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, StripeError> {
        let url = format!("{}/v1/files/{id}/contents", self.upload_base_url());
        let mut request = self
            .http
            .get(&url)
            .bearer_auth(creds.key.expose())
            .header("Stripe-Version", API_VERSION);
        if let Some(account) = &creds.account {
            request = request.header("Stripe-Account", account);
        }
        let mut response = request.send().await.map_err(|err| {
            if err.is_timeout() {
                StripeError::Timeout(self.config.timeout.as_secs())
            } else {
                StripeError::Transport(err.to_string())
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            return read::<serde_json::Value>(response, status, None)
                .await
                .map(|_| Vec::new());
        }
        let too_large =
            || StripeError::Decode(format!("the file is larger than {max_bytes} bytes"));
        if response
            .content_length()
            .is_some_and(|n| n > max_bytes as u64)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| StripeError::Transport(e.to_string()))?
        {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Where uploads go: the URL given to [`StripeClient::with_upload_base_url`], else
    /// files.stripe.com beside Stripe's API, else (a simulator) the API's own address.
    fn upload_base_url(&self) -> String {
        let base = self.config.base_url.trim_end_matches('/');
        match &self.upload_base_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None if base == "https://api.stripe.com" => "https://files.stripe.com".into(),
            None => base.to_string(),
        }
    }

    pub async fn create_connection_token(
        &self,
        creds: &Credentials,
        key: &IdempotencyKey,
    ) -> Result<ConnectionToken, StripeError> {
        self.post("/v1/terminal/connection_tokens", creds, &(), key)
            .await
    }

    // Payment intents
    pub async fn create_payment_intent(
        &self,
        creds: &Credentials,
        p: &CreatePaymentIntent,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent, StripeError> {
        self.post("/v1/payment_intents", creds, p, key).await
    }
    pub async fn retrieve_payment_intent(
        &self,
        creds: &Credentials,
        id: &str,
        p: &Expand,
    ) -> Result<PaymentIntent, StripeError> {
        self.get(&format!("/v1/payment_intents/{id}"), creds, p)
            .await
    }
    pub async fn capture_payment_intent(
        &self,
        creds: &Credentials,
        id: &str,
        p: &CapturePaymentIntent,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent, StripeError> {
        self.post(&format!("/v1/payment_intents/{id}/capture"), creds, p, key)
            .await
    }
    pub async fn cancel_payment_intent(
        &self,
        creds: &Credentials,
        id: &str,
        p: &CancelPaymentIntent,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent, StripeError> {
        self.post(&format!("/v1/payment_intents/{id}/cancel"), creds, p, key)
            .await
    }
    pub async fn list_payment_intents(
        &self,
        creds: &Credentials,
        p: &ListPaymentIntents,
    ) -> Result<List<PaymentIntent>, StripeError> {
        self.get("/v1/payment_intents", creds, p).await
    }
    pub fn all_payment_intents(
        &self,
        creds: &Credentials,
        p: ListPaymentIntents,
    ) -> impl Stream<Item = Result<PaymentIntent, StripeError>> + '_ {
        self.paginate("/v1/payment_intents".into(), creds.clone(), p)
    }

    // Refunds
    pub async fn retrieve_charge(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Charge, StripeError> {
        self.get(&format!("/v1/charges/{id}"), creds, &()).await
    }
    pub async fn create_refund(
        &self,
        creds: &Credentials,
        p: &CreateRefund,
        key: &IdempotencyKey,
    ) -> Result<Refund, StripeError> {
        self.post("/v1/refunds", creds, p, key).await
    }
    pub async fn retrieve_refund(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Refund, StripeError> {
        self.get(&format!("/v1/refunds/{id}"), creds, &()).await
    }

    // Webhooks and events
    pub async fn create_webhook_endpoint(
        &self,
        creds: &Credentials,
        p: &CreateWebhookEndpoint,
        key: &IdempotencyKey,
    ) -> Result<WebhookEndpoint, StripeError> {
        self.post("/v1/webhook_endpoints", creds, p, key).await
    }
    pub async fn list_webhook_endpoints(
        &self,
        creds: &Credentials,
        p: &ListParams,
    ) -> Result<List<WebhookEndpoint>, StripeError> {
        self.get("/v1/webhook_endpoints", creds, p).await
    }
    pub async fn delete_webhook_endpoint(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Deleted, StripeError> {
        self.delete(&format!("/v1/webhook_endpoints/{id}"), creds)
            .await
    }
    pub async fn list_events(
        &self,
        creds: &Credentials,
        p: &ListParams,
    ) -> Result<List<Event>, StripeError> {
        self.get("/v1/events", creds, p).await
    }
    pub async fn retrieve_event(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<Event, StripeError> {
        self.get(&format!("/v1/events/{id}"), creds, &()).await
    }
}

/// List parameters that can move to the next page.
pub trait Paged {
    fn after(&self, id: &str) -> Self;
}

macro_rules! paged {
    ($($t:ty => $($field:ident).+),+) => {
        $(impl Paged for $t {
            fn after(&self, id: &str) -> Self {
                let mut next = self.clone();
                next.$($field).+ = Some(id.to_string());
                next
            }
        })+
    };
}
paged!(ListParams => starting_after, ListReaders => page.starting_after, ListPaymentIntents => page.starting_after, ListConfigurations => page.starting_after);

/// What a request carries.
#[derive(Clone, Copy)]
enum Body<'a> {
    /// Form-encoded: the body of a POST, the query string of a GET or DELETE.
    Form(&'a str),
    Upload(&'a UploadFile),
}

async fn read<T: DeserializeOwned>(
    response: reqwest::Response,
    status: StatusCode,
    should_retry: Option<bool>,
) -> Result<T, StripeError> {
    let request_id = response
        .headers()
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response
        .bytes()
        .await
        .map_err(|e| StripeError::Transport(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| StripeError::Decode(e.to_string()));
    }
    let mut error = serde_json::from_slice::<ErrorBody>(&bytes)
        .map(|b| b.error)
        .unwrap_or_else(|_| crate::error::ApiError {
            kind: "api_error".into(),
            message: Some(format!("HTTP {status} without a Stripe error body")),
            ..Default::default()
        });
    error.status = status.as_u16();
    error.request_id = request_id;
    error.should_retry = should_retry;
    Err(StripeError::Api(Box::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_masked_everywhere() {
        let key = SecretKey::new("sk_test_51Habcdefghijklmnopqrstuvwxyz1234");
        assert_eq!(key.masked(), "sk_test_…1234");
        assert_eq!(format!("{key}"), "sk_test_…1234");
        assert_eq!(format!("{key:?}"), "SecretKey(sk_test_…1234)");
        let creds = Credentials::key("sk_live_secretsecret9876").on_account("acct_1");
        assert!(!format!("{creds:?}").contains("secretsecret"));
        assert!(creds.key.is_live());
    }

    #[test]
    fn endpoints_name_ids_by_a_placeholder_and_keep_stripes_words() {
        assert_eq!(
            endpoint_of("/v1/terminal/readers/tmr_FDOt2wlRZEdpd7/process_payment_intent"),
            "/v1/terminal/readers/{id}/process_payment_intent"
        );
        assert_eq!(
            endpoint_of("/v1/test_helpers/terminal/readers/tmr_9x/present_payment_method"),
            "/v1/test_helpers/terminal/readers/{id}/present_payment_method"
        );
        assert_eq!(
            endpoint_of("/v1/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa/capture"),
            "/v1/payment_intents/{id}/capture"
        );
        assert_eq!(
            endpoint_of("/v1/terminal/connection_tokens"),
            "/v1/terminal/connection_tokens"
        );
        assert_eq!(
            endpoint_of("/v1/accounts/acct_1Nv0FGQ9RKHgCVdK"),
            "/v1/accounts/{id}"
        );
    }

    #[test]
    fn idempotency_keys_fit_stripes_limit() {
        assert_eq!(IdempotencyKey::new("x".repeat(300)).as_str().len(), 255);
    }
}
