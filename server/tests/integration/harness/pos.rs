//! The point-of-sale API as a till uses it: an API key, and an HTTP client holding it.

use super::{Browser, TestServer};
use app::api_keys::types::ApiKeyCreated;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

pub async fn create_key(b: &Browser, name: &str, scope: &str) -> ApiKeyCreated {
    b.ok("create_api_key", &[("name", name), ("scope", scope)])
        .await
}

/// A till: an HTTP client holding one API key, talking to one server or to any instance.
#[derive(Clone)]
pub struct Till {
    http: reqwest::Client,
    base: String,
    secret: Option<String>,
}

/// What the API answered: its JSON body, or the text as a JSON string.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Till {
    pub fn new(s: &TestServer, secret: &str) -> Till {
        Till {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            base: s.base.clone(),
            secret: Some(secret.to_string()),
        }
    }

    /// A client with no key at all.
    pub fn anonymous(s: &TestServer) -> Till {
        Till {
            secret: None,
            ..Till::new(s, "")
        }
    }

    /// Sends a request to the API of the instance at `base`; `None` when it could not be
    /// reached or hung up (killed, restarting).
    pub async fn send_to(
        &self,
        base: &str,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Option<Answer> {
        let mut request = self.http.request(method, format!("{base}/api/v1{path}"));
        if let Some(secret) = &self.secret {
            request = request.bearer_auth(secret);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.ok()?;
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.ok()?;
        Some(Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        })
    }

    /// A GET, or a POST of `body`, to the instance at `base`; `None` when it could not be
    /// reached or hung up.
    pub async fn try_at(
        &self,
        base: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Option<Answer> {
        let method = if body.is_some() {
            Method::POST
        } else {
            Method::GET
        };
        self.send_to(base, method, path, key, body).await
    }

    /// Sends a request to the API of the till's own server.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.send_to(&self.base, method, path, key, body)
            .await
            .unwrap_or_else(|| panic!("{path}: no answer"))
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: Value) -> Answer {
        self.send(Method::POST, path, key, Some(body)).await
    }
}
