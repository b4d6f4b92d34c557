//! The client over real HTTP against a tiny axum server that plays Stripe's HTTP layer: headers
//! sent, retries with the same idempotency key, what is not retried, and pagination.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fleet_stripe::params::{CreateLocation, ListReaders};
use fleet_stripe::retry::RetryPolicy;
use fleet_stripe::{ClientConfig, Credentials, IdempotencyKey, StripeClient};
use futures::TryStreamExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Seen {
    requests: Vec<HashMap<String, String>>,
    /// Status codes to answer before succeeding.
    failures: Vec<u16>,
    should_retry: Option<&'static str>,
}

type Shared = Arc<Mutex<Seen>>;

fn headers_of(h: &HeaderMap) -> HashMap<String, String> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn location() -> Value {
    json!({"id":"tml_1","object":"terminal.location","display_name":"S","address":{"line1":"1","country":"US"},"metadata":{},"livemode":false})
}

async fn create_location(State(seen): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mut seen = seen.lock().expect("lock");
    let mut record = headers_of(&headers);
    record.insert("body".into(), body);
    seen.requests.push(record);
    if !seen.failures.is_empty() {
        let code = seen.failures.remove(0);
        let mut response = (
            StatusCode::from_u16(code).expect("status"),
            Json(json!({"error":{"type": if code == 429 {"invalid_request_error"} else {"api_error"}, "message":"try later"}})),
        )
            .into_response();
        if let Some(v) = seen.should_retry {
            response
                .headers_mut()
                .insert("stripe-should-retry", v.parse().expect("header"));
        }
        return response;
    }
    ([("request-id", "req_123")], Json(location())).into_response()
}

/// `POST /v1/files` on the upload host: fails as told, then answers a file.
async fn upload_file(
    State(seen): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mut seen = seen.lock().expect("lock");
    let mut record = headers_of(&headers);
    record.insert("body".into(), String::from_utf8_lossy(&body).into_owned());
    seen.requests.push(record);
    if !seen.failures.is_empty() {
        let code = seen.failures.remove(0);
        return (
            StatusCode::from_u16(code).expect("status"),
            Json(json!({"error":{"type":"api_error","message":"try later"}})),
        )
            .into_response();
    }
    Json(json!({"id":"file_1","object":"file","purpose":"terminal_reader_splashscreen","size":9,"type":"png","filename":"s.png","url":null,"created":1,"expires_at":null,"title":null,"links":null})).into_response()
}

async fn list_readers(Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let reader = |i: u32| json!({"id": format!("tmr_{i}"), "object":"terminal.reader","device_type":"simulated_wisepos_e","status":"online","metadata":{},"livemode":false,"action":null});
    let start: u32 = q
        .get("starting_after")
        .and_then(|s| s.trim_start_matches("tmr_").parse().ok())
        .map(|n: u32| n + 1)
        .unwrap_or(0);
    let limit: u32 = q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(10);
    let end = (start + limit).min(25);
    Json(
        json!({"object":"list","url":"/v1/terminal/readers","has_more": end < 25, "data": (start..end).map(reader).collect::<Vec<_>>()}),
    )
}

async fn fixture(seen: Shared) -> String {
    let app = Router::new()
        .route("/v1/terminal/locations", post(create_location))
        .route("/v1/terminal/readers", get(list_readers))
        .route("/v1/files", post(upload_file))
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}")
}

fn client(base: String) -> StripeClient {
    StripeClient::new(ClientConfig {
        base_url: base,
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        },
    })
    .expect("client")
}

fn params() -> CreateLocation {
    CreateLocation {
        display_name: "S".into(),
        address: fleet_stripe::params::AddressParams {
            line1: "1".into(),
            country: "US".into(),
            ..Default::default()
        },
        metadata: None,
    }
}

#[tokio::test]
async fn sends_stripes_headers_and_form_body() {
    let seen = Shared::default();
    let c = client(fixture(seen.clone()).await);
    let creds = Credentials::key("sk_test_abcdefgh1234").on_account("acct_9");
    let loc = c
        .create_location(&creds, &params(), &IdempotencyKey::new("op-1"))
        .await
        .expect("ok");
    assert_eq!(loc.id, "tml_1");
    let seen = seen.lock().expect("lock");
    let r = &seen.requests[0];
    assert_eq!(r["authorization"], "Bearer sk_test_abcdefgh1234");
    assert_eq!(r["stripe-account"], "acct_9");
    assert_eq!(r["idempotency-key"], "op-1");
    assert_eq!(r["stripe-version"], fleet_stripe::client::API_VERSION);
    assert_eq!(r["content-type"], "application/x-www-form-urlencoded");
    assert!(
        r["body"].contains("address%5Bline1%5D=1") || r["body"].contains("address[line1]=1"),
        "{}",
        r["body"]
    );
}

#[tokio::test]
async fn retries_500_and_429_with_the_same_idempotency_key() {
    let seen = Shared::default();
    seen.lock().expect("lock").failures = vec![500, 429];
    let c = client(fixture(seen.clone()).await);
    let creds = Credentials::key("sk_test_abcdefgh1234");
    c.create_location(&creds, &params(), &IdempotencyKey::new("op-2"))
        .await
        .expect("third try succeeds");
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.requests.len(), 3);
    assert!(seen.requests.iter().all(|r| r["idempotency-key"] == "op-2"));
}

/// Records what an observer is told.
#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<(String, String, Option<u16>)>>);

impl fleet_stripe::Observer for Recorder {
    fn exchanged(&self, e: &fleet_stripe::Exchange<'_>) {
        self.0
            .lock()
            .expect("lock")
            .push((e.method.to_string(), e.endpoint.to_string(), e.status));
    }
}

#[tokio::test]
async fn an_observer_hears_every_attempt_with_its_endpoint_and_status() {
    let seen = Shared::default();
    seen.lock().expect("lock").failures = vec![429];
    let recorder = std::sync::Arc::new(Recorder::default());
    let c = client(fixture(seen.clone()).await).with_observer(recorder.clone());
    let creds = Credentials::key("sk_test_abcdefgh1234");
    c.create_location(&creds, &params(), &IdempotencyKey::new("op-o"))
        .await
        .expect("second try succeeds");
    let heard = recorder.0.lock().expect("lock").clone();
    let post = |status| {
        (
            "POST".to_string(),
            "/v1/terminal/locations".to_string(),
            Some(status),
        )
    };
    assert_eq!(heard, vec![post(429), post(200)]);
}

#[tokio::test]
async fn gives_up_after_the_bound_and_respects_should_retry_false() {
    let seen = Shared::default();
    seen.lock().expect("lock").failures = vec![503; 10];
    let c = client(fixture(seen.clone()).await);
    let creds = Credentials::key("sk_test_abcdefgh1234");
    let err = c
        .create_location(&creds, &params(), &IdempotencyKey::new("op-3"))
        .await
        .expect_err("fails");
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        seen.lock().expect("lock").requests.len(),
        4,
        "one try and three retries"
    );

    let seen = Shared::default();
    {
        let mut s = seen.lock().expect("lock");
        s.failures = vec![500];
        s.should_retry = Some("false");
    }
    let c = client(fixture(seen.clone()).await);
    let err = c
        .create_location(&creds, &params(), &IdempotencyKey::new("op-4"))
        .await
        .expect_err("fails");
    assert_eq!(err.status(), Some(500));
    assert_eq!(seen.lock().expect("lock").requests.len(), 1);
    assert!(
        !err.to_string().contains("abcdefgh"),
        "no key in errors: {err}"
    );
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    let c = client("http://127.0.0.1:9".into());
    let err = c
        .create_location(
            &Credentials::key("sk_test_abcdefgh1234"),
            &params(),
            &IdempotencyKey::new("op-5"),
        )
        .await
        .expect_err("nothing listens on port 9");
    assert!(err.user_message().contains("could not be reached"));
}

#[tokio::test]
async fn pagination_follows_has_more() {
    let c = client(fixture(Shared::default()).await);
    let creds = Credentials::key("sk_test_abcdefgh1234");
    let mut p = ListReaders::default();
    p.page.limit = Some(10);
    let all: Vec<_> = c.all_readers(&creds, p).try_collect().await.expect("pages");
    assert_eq!(all.len(), 25);
    assert_eq!(all[24].id, "tmr_24");
}

#[tokio::test]
async fn uploads_are_multipart_to_the_upload_host_and_retried_with_their_key() {
    let seen = Shared::default();
    seen.lock().expect("lock").failures = vec![500];
    let files = fixture(seen.clone()).await;
    let c = StripeClient::new(ClientConfig {
        // Nothing listens here: only the upload host may be asked.
        base_url: "http://127.0.0.1:9".into(),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        },
    })
    .expect("client")
    .with_upload_base_url(files);
    let creds = Credentials::key("sk_test_abcdefgh1234");
    let upload = fleet_stripe::params::UploadFile::splashscreen("s.png", b"\x89PNGdata".to_vec());
    let file = c
        .upload_file(&creds, &upload, &IdempotencyKey::new("up-1"))
        .await
        .expect("uploaded");
    assert_eq!(file.id, "file_1");
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.requests.len(), 2, "retried once after the 500");
    for r in &seen.requests {
        assert_eq!(r["idempotency-key"], "up-1");
        assert!(r["content-type"].starts_with("multipart/form-data; boundary="));
        assert!(r["body"].contains("name=\"purpose\""));
        assert!(r["body"].contains("terminal_reader_splashscreen"));
        assert!(r["body"].contains("filename=\"s.png\""));
    }
}
