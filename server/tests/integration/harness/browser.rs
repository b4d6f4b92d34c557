//! A browser as the hydrated app is one: it calls server functions, loads pages and listens to
//! the live stream.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, ORIGIN, REFERER};
use reqwest::{Client, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Clone)]
pub struct Browser {
    pub http: Client,
    pub base: String,
    /// The notice id of the last trip back from Stripe's pages (`/settings/stripe?notice=…`),
    /// which the settings page passes on as its URL does.
    pub notice: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl Browser {
    /// A browser on the server at `base`: cookie jar, the given `Origin` header, no redirect
    /// following.
    pub fn new(base: &str, origin: Option<&str>) -> Browser {
        let mut headers = HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).expect("origin"));
        }
        let http = Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            // A page or call that never answers fails its test, naming the request, instead of
            // holding the whole suite.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client");
        Browser {
            http,
            base: base.to_string(),
            notice: Default::default(),
        }
    }

    /// Calls a server function the way the hydrated app does (form-encoded POST).
    pub async fn call(&self, name: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(format!("{}/sf/{name}", self.base))
            .header(ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Calls a server function and decodes its successful answer.
    pub async fn ok<T: DeserializeOwned>(&self, name: &str, form: &[(&str, &str)]) -> T {
        let r = self.call(name, form).await;
        let status = r.status();
        let body = r.text().await.expect("body");
        assert!(status.is_success(), "{name} failed: {status} {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}: {body}"))
    }

    /// Calls a server function expecting an error; returns the status and the error JSON.
    pub async fn err(&self, name: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let r = self.call(name, form).await;
        let status = r.status();
        let body = r.text().await.expect("body");
        assert!(
            !status.is_success(),
            "{name} unexpectedly succeeded: {body}"
        );
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    /// Posts a form to a server function as a browser without the app's JavaScript does: it
    /// accepts HTML and comes from `page`, so the answer is a redirect.
    pub async fn plain_post(&self, name: &str, page: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(format!("{}/sf/{name}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, format!("{}{page}", self.base))
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {name}: {e:?}"))
    }

    /// Loads a page as a browser does (`Accept: text/html`).
    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e:?}"))
    }

    /// Calls a list's server function with `query[…]` filters, as its page's filter form does
    /// (no filter at all sends nothing).
    pub async fn list<T: DeserializeOwned>(&self, name: &str, filters: &[(&str, &str)]) -> T {
        let form: Vec<(String, &str)> = filters
            .iter()
            .map(|(k, v)| (format!("query[{k}]"), *v))
            .collect();
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.ok(name, &form).await
    }

    pub async fn me(&self) -> Option<app::model::Me> {
        self.ok("current_user", &[]).await
    }
}

/// The `fleet_session=…` pair a response sets, as a client sends it back.
pub fn session_cookie(r: &Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fleet_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// The message inside an error JSON such as `{"Invalid":{"field":…,"message":…}}`.
pub fn message(err: &Value) -> String {
    match err {
        Value::Object(map) => map
            .values()
            .next()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                other => other.to_string(),
            })
            .unwrap_or_default(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An open `/events` stream.
pub struct EventStream {
    response: Response,
    buffer: String,
}

impl Browser {
    pub async fn events(&self) -> EventStream {
        self.events_at("/events").await
    }

    /// Opens a live stream at `path` (such as `/events?all=1`), which must be granted.
    pub async fn events_at(&self, path: &str) -> EventStream {
        let response = self.open_events(path).await;
        assert_eq!(response.status(), StatusCode::OK);
        EventStream {
            response,
            buffer: String::new(),
        }
    }

    /// Asks for a live stream at `path`, whatever the answer.
    pub async fn open_events(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(ACCEPT, "text/event-stream")
            .send()
            .await
            .expect("events")
    }
}

/// What an open stream says next.
#[derive(Debug)]
pub enum Said {
    /// A named event other than `ready` (such as `session`), with its data.
    Event(String, Value),
    /// A plain message.
    Message(Value),
    /// The server ended the stream.
    Ended,
    /// Nothing within the wait.
    Nothing,
}

impl EventStream {
    pub fn from_response(response: Response) -> EventStream {
        EventStream {
            response,
            buffer: String::new(),
        }
    }

    /// The next thing the stream says within `wait`; keep-alives and `ready` are skipped.
    pub async fn next_said(&mut self, wait: std::time::Duration) -> Said {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_string())
                };
                let data =
                    field("data:").map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d)));
                match (field("event:"), data) {
                    (Some(name), _) if name == "ready" => continue,
                    (Some(name), Some(data)) => return Said::Event(name, data),
                    (None, Some(data)) => return Said::Message(data),
                    _ => continue,
                }
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return Said::Nothing,
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) => return Said::Ended,
            }
        }
    }

    /// The next `data:` payload of a plain message (named events such as `ready` are skipped),
    /// or `None` after `wait` without one.
    pub async fn next_message(&mut self, wait: std::time::Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.lines().any(|l| l.starts_with("event:")) {
                    continue;
                }
                if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                    return serde_json::from_str(data.trim()).ok();
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?;
            let bytes = chunk.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}
