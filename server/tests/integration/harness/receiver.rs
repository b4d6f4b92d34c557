//! A notification receiver: a real HTTP listener on a free loopback port that records every
//! request (body, signature header, when it came) and answers as the test says: a status per
//! request in turn (then 200), or never.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct Received {
    pub body: String,
    pub signature: Option<String>,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Whether the signature verifies with `secret`, as a receiver checks it (the Stripe crate's
    /// verifier, five minutes' tolerance).
    pub fn signed_with(&self, secret: &str) -> bool {
        let Some(header) = &self.signature else {
            return false;
        };
        let now = app::ssr::ids::now_ms() / 1000;
        fleet_stripe::webhook::verify_header(header, self.body.as_bytes(), secret, now, 300).is_ok()
    }
}

#[derive(Clone)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    hang: bool,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

impl Receiver {
    /// Answers `answers` in turn, then 200.
    pub async fn answering(answers: &[u16]) -> Receiver {
        Self::start(answers, false).await
    }

    /// Takes every request and never answers.
    pub async fn hanging() -> Receiver {
        Self::start(&[], true).await
    }

    async fn start(answers: &[u16], hang: bool) -> Receiver {
        let shared = Shared {
            got: Arc::default(),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            hang,
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            shared,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .got
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

async fn hook(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    shared
        .got
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Received {
            body: String::from_utf8_lossy(&body).into_owned(),
            signature: headers
                .get("terminal-fleet-signature")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            at: Instant::now(),
        });
    if shared.hang {
        std::future::pending::<()>().await;
    }
    let next = shared
        .answers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop_front()
        .unwrap_or(200);
    StatusCode::from_u16(next).unwrap_or(StatusCode::OK)
}
