//! Test helpers: a simulator on a random port, a Stripe-speaking HTTP client over reqwest,
//! and one-line set-ups (a location and reader, a PaymentIntent, a webhook receiver).

#![allow(dead_code)]

use axum::body::Bytes;
use axum::http::HeaderMap;
use fleet_stripe_sim::{SimConfig, Simulator};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Mutex;

pub struct Sim {
    pub base: String,
    pub http: reqwest::Client,
}

/// A simulator without rate limits (tests that want them configure them).
pub async fn start() -> Sim {
    start_with(SimConfig {
        rate_limit: None,
        ..SimConfig::default()
    })
    .await
}

pub async fn start_with(config: SimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(Simulator::new(config).serve(listener));
    Sim {
        base,
        http: reqwest::Client::new(),
    }
}

/// A simulator and the handle to its Rust API.
pub async fn start_keeping() -> (Sim, Simulator) {
    let simulator = Simulator::new(SimConfig {
        rate_limit: None,
        ..SimConfig::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(simulator.clone().serve(listener));
    let sim = Sim {
        base,
        http: reqwest::Client::new(),
    };
    (sim, simulator)
}

/// A fresh test key: a fresh account.
pub fn new_key() -> String {
    format!("sk_test_{}", rand_suffix())
}

pub fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:x}{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A Stripe answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "expected 200, got {:#}", self.body);
        self.body
    }

    /// The error object, checking the status.
    pub fn err(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer {:#}", self.body);
        &self.body["error"]
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One caller: a key, optionally acting on a connected account.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub key: String,
    pub account: Option<String>,
}

impl Sim {
    pub fn api(&self, key: &str) -> Api {
        Api {
            base: self.base.clone(),
            http: self.http.clone(),
            key: key.to_string(),
            account: None,
        }
    }

    pub fn new_api(&self) -> Api {
        self.api(&new_key())
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/_sim{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control call");
        assert!(r.status().is_success(), "control {path}: {}", r.status());
        r.json().await.expect("json")
    }

    pub async fn control_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/_sim{path}", self.base))
            .send()
            .await
            .expect("control call")
            .json()
            .await
            .expect("json")
    }

    /// Delivery log entries of one event type, once at least `n` were delivered.
    pub async fn wait_deliveries(&self, event_type: &str, n: usize) -> Vec<Value> {
        for _ in 0..100 {
            let all = self.control_get("/deliveries").await;
            let found: Vec<Value> = all["deliveries"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|d| d["event_type"] == event_type && d["delivered"] == true)
                .collect();
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("fewer than {n} {event_type} deliveries");
    }
}

impl Api {
    pub fn on(&self, account: &str) -> Api {
        Api {
            account: Some(account.to_string()),
            ..self.clone()
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
        idempotency_key: Option<&str>,
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.key);
        if let Some(a) = &self.account {
            req = req.header("Stripe-Account", a);
        }
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        req = if method == reqwest::Method::GET {
            req.query(form)
        } else {
            req.form(form)
        };
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(reqwest::Method::POST, path, form, None).await
    }

    pub async fn post_idem(&self, path: &str, form: &[(&str, &str)], key: &str) -> Reply {
        self.send(reqwest::Method::POST, path, form, Some(key))
            .await
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Reply {
        self.send(reqwest::Method::GET, path, query, None).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, &[], None).await
    }

    pub async fn location(&self) -> String {
        let l = self
            .post(
                "/v1/terminal/locations",
                &[
                    ("display_name", "HQ"),
                    ("address[line1]", "1 Market St"),
                    ("address[city]", "San Francisco"),
                    ("address[state]", "CA"),
                    ("address[postal_code]", "94105"),
                    ("address[country]", "US"),
                ],
            )
            .await
            .ok();
        l["id"].as_str().expect("location id").to_string()
    }

    /// A location and a simulated WisePOS E registered to it: (location, reader).
    pub async fn reader(&self) -> (String, String) {
        let location = self.location().await;
        let r = self
            .post(
                "/v1/terminal/readers",
                &[
                    ("registration_code", "simulated-wpe"),
                    ("label", "Front"),
                    ("location", &location),
                ],
            )
            .await
            .ok();
        (location, r["id"].as_str().expect("reader id").to_string())
    }

    pub async fn intent(&self, amount: i64, capture: &str) -> String {
        let amount = amount.to_string();
        let pi = self
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", &amount),
                    ("currency", "usd"),
                    ("payment_method_types[]", "card_present"),
                    ("capture_method", capture),
                ],
            )
            .await
            .ok();
        pi["id"].as_str().expect("pi id").to_string()
    }

    pub async fn process(&self, reader: &str, pi: &str) -> Reply {
        self.post(
            &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
            &[("payment_intent", pi)],
        )
        .await
    }

    pub async fn present(&self, reader: &str, form: &[(&str, &str)]) -> Reply {
        self.post(
            &format!("/v1/test_helpers/terminal/readers/{reader}/present_payment_method"),
            form,
        )
        .await
    }

    /// The account's default configuration (Stripe provisions it).
    pub async fn default_configuration(&self) -> Value {
        let list = self
            .get(
                "/v1/terminal/configurations",
                &[("is_account_default", "true")],
            )
            .await
            .ok();
        list["data"][0].clone()
    }

    /// Turns on-reader tipping on for `currency` in the account's default configuration.
    pub async fn enable_tipping(&self, currency: &str) -> Value {
        let id = self.default_configuration().await["id"]
            .as_str()
            .expect("default configuration")
            .to_string();
        let field = |k: &str, i: usize| format!("tipping[{currency}][{k}][{i}]");
        let (p0, p1, p2) = (
            field("percentages", 0),
            field("percentages", 1),
            field("percentages", 2),
        );
        self.post(
            &format!("/v1/terminal/configurations/{id}"),
            &[
                (p0.as_str(), "15"),
                (p1.as_str(), "18"),
                (p2.as_str(), "20"),
            ],
        )
        .await
        .ok()
    }

    /// `POST /v1/files` as multipart, with `file` holding `bytes` named `filename`.
    pub async fn upload(&self, purpose: &str, filename: &str, bytes: Vec<u8>) -> Reply {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string());
        let form = reqwest::multipart::Form::new()
            .text("purpose", purpose.to_string())
            .part("file", part);
        let mut req = self
            .http
            .post(format!("{}/v1/files", self.base))
            .bearer_auth(&self.key)
            .multipart(form);
        if let Some(a) = &self.account {
            req = req.header("Stripe-Account", a);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A captured payment of `amount`: (reader, PaymentIntent).
    pub async fn paid(&self, amount: i64) -> (String, String) {
        let (_, reader) = self.reader().await;
        let pi = self.intent(amount, "automatic").await;
        self.process(&reader, &pi).await.ok();
        let r = self.present(&reader, &[]).await.ok();
        assert_eq!(r["action"]["status"], "succeeded");
        (reader, pi)
    }
}

/// A webhook receiver: every POST's raw body and `Stripe-Signature`.
#[derive(Clone, Default)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<(Bytes, String)>>>,
}

impl Receiver {
    /// Answers `status` to every delivery.
    pub async fn start(status: u16) -> Receiver {
        let got: Arc<Mutex<Vec<(Bytes, String)>>> = Arc::default();
        let sink = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let sink = sink.clone();
                async move {
                    let sig = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    sink.lock().await.push((body, sig));
                    axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got }
    }

    /// The events received so far, parsed.
    pub async fn events(&self) -> Vec<Value> {
        self.got
            .lock()
            .await
            .iter()
            .filter_map(|(b, _)| serde_json::from_slice(b).ok())
            .collect()
    }

    /// Waits until an event of `kind` arrived and returns it.
    pub async fn wait_for(&self, kind: &str) -> Value {
        for _ in 0..100 {
            if let Some(e) = self.events().await.into_iter().find(|e| e["type"] == kind) {
                return e;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "no {kind} event delivered; got {:?}",
            self.events()
                .await
                .iter()
                .map(|e| e["type"].clone())
                .collect::<Vec<_>>()
        );
    }
}

/// Stripe's scheme, computed independently of the simulator: HMAC-SHA256 over `t.body`.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    use hmac::{Hmac, Mac};
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v.to_string()),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (json!(t).as_i64().unwrap_or(0) - now()).abs() < 300);
    fresh && sigs.iter().any(|s| s == &expected)
}

/// A PNG of `len` bytes: the signature, then padding (enough for type and size checks).
pub fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len.max(8), 0);
    bytes
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
