//! Starts a server per test and talks to it like a browser would.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, ORIGIN};
use reqwest::{Client, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use server::config::{Config, Environment};

pub const PASSWORD: &str = "correct horse battery";
/// The platform key connected accounts are reached with, on the stand-in Stripe.
pub const PLATFORM_KEY: &str = "sk_test_platform_for_fleet_tests";

pub type Tweak = Box<dyn FnOnce(Config) -> Config + Send>;

pub enum TestDb {
    /// Held so the directory (and its database file) lives as long as the server.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// A second instance on another server's database, which that server cleans up.
    Shared,
}

pub struct TestServer {
    pub base: String,
    pub state: app::ssr::AppState,
    pub running: server::Running,
    pub database_url: String,
    db: TestDb,
    _data: tempfile::TempDir,
}

fn pg_admin_url() -> String {
    std::env::var("FLEET_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn on_postgres() -> bool {
    std::env::var("FLEET_TEST_DB")
        .map(|v| v == "postgres")
        .unwrap_or(false)
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(None).await
    }

    /// A server whose configuration `tweak` adjusts first.
    pub async fn start_with(tweak: Option<Tweak>) -> TestServer {
        // Server errors (with their reference) show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "error,sqlx=off".into()))
            .with_test_writer()
            .try_init();
        let data = tempfile::tempdir().expect("tempdir");
        let (db, database_url) = if on_postgres() {
            let admin_url = pg_admin_url();
            let name = format!("fleet_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&admin_url)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url.clone());
            let url = format!("{base}/{name}");
            (TestDb::Postgres { admin_url, name }, url)
        } else {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}/fleet.db?mode=rwc", dir.path().display());
            (TestDb::Sqlite(dir), url)
        };
        Self::launch(db, database_url, data, tweak).await
    }

    /// Another server process-alike on the same database (multi-instance tests).
    pub async fn another_instance(&self) -> TestServer {
        let data = tempfile::tempdir().expect("tempdir");
        // Instances of one deployment share one Stripe: the same simulator and stand-in API.
        let simulator = self.simulator();
        let api = self.stand_in();
        let tweak: Tweak = Box::new(move |config| Config {
            simulator_url: Some(simulator),
            stripe_api_base: api,
            ..config
        });
        Self::launch(TestDb::Shared, self.database_url.clone(), data, Some(tweak)).await
    }

    async fn launch(
        db: TestDb,
        database_url: String,
        data: tempfile::TempDir,
        tweak: Option<Tweak>,
    ) -> TestServer {
        let config = test_config(database_url.clone(), data.path().to_path_buf()).await;
        let config = match tweak {
            Some(f) => f(config),
            None => config,
        };
        let running = server::start(config).await.expect("server starts");
        TestServer {
            base: format!("http://{}", running.addr),
            state: running.state.clone(),
            running,
            database_url,
            db,
            _data: data,
        }
    }

    /// A browser-like client: cookie jar, same-origin `Origin` header, no redirect following.
    pub fn client(&self) -> Browser {
        self.client_with_origin(Some(&self.base.clone()))
    }

    pub fn client_with_origin(&self, origin: Option<&str>) -> Browser {
        let mut headers = HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).expect("origin"));
        }
        let http = Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            http,
            base: self.base.clone(),
        }
    }

    /// Signs up a new user (with their own tenant) and returns their signed-in client.
    pub async fn user(&self, email: &str) -> Browser {
        let b = self.client();
        let r = b
            .call(
                "sign_up",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("organisation", &format!("{email} Org")),
                ],
            )
            .await;
        assert!(
            r.status().is_success(),
            "sign up {email}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
        b
    }

    /// The built-in simulator's base URL (its `/_sim` control API included).
    pub fn simulator(&self) -> String {
        self.state
            .settings
            .stripe_simulator_url
            .clone()
            .expect("simulator running")
    }

    /// The stand-in for api.stripe.com that own keys and connected accounts use.
    pub fn stand_in(&self) -> String {
        self.state.settings.stripe_api_base.clone()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.state.db.pool)
            .await
            .expect("count")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // A finished test's server and sync task must not keep polling a dropped database.
        self.running.kill();
        if let TestDb::Postgres { admin_url, name } = &self.db {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop cannot await; a short-lived runtime on another thread removes the database.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(async move {
                        if let Ok(pool) = sqlx::AnyPool::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&pool)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

#[derive(Clone)]
pub struct Browser {
    pub http: Client,
    pub base: String,
}

impl Browser {
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

    /// Loads a page as a browser does (`Accept: text/html`).
    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .send()
            .await
            .expect("request")
    }

    pub async fn me(&self) -> Option<app::model::Me> {
        self.ok("current_user", &[]).await
    }
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

/// The configuration every test server starts from: development, loopback, a random port, the
/// built-in simulator and a stand-in for api.stripe.com.
pub async fn test_config(database_url: String, data_dir: std::path::PathBuf) -> Config {
    Config {
        env: Environment::Development,
        database_url,
        data_dir,
        listen: "127.0.0.1:0".parse().expect("addr"),
        public_url: "http://127.0.0.1:0".into(),
        cookie_secure: false,
        master_key: app::ssr::MasterKey([9; 32]),
        session_idle_minutes: 60,
        trusted_proxies: Default::default(),
        simulator_allow_remote_control: false,
        simulator_listen: Some("127.0.0.1:0".parse().expect("addr")),
        simulator_url: None,
        // Tenants' "own Stripe keys" talk to a separate simulator standing in for api.stripe.com.
        stripe_api_base: stand_in_stripe().await,
        platform_key: Some(fleet_stripe::SecretKey::new(PLATFORM_KEY)),
        connect: Default::default(),
        sync: server::tasks::reader_sync::SyncConfig {
            interval: std::time::Duration::from_millis(250),
            ..Default::default()
        },
        api_rate: server::api::RateLimit::default(),
        limits: app::ssr::limits::Limits::default(),
        max_streams_per_user: server::config::DEFAULT_MAX_STREAMS_PER_USER,
        accounts: server::config::AccountLimits::default(),
    }
}

/// A simulator playing api.stripe.com for tenants' own keys.
async fn stand_in_stripe() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(
        fleet_stripe_sim::Simulator::new(fleet_stripe_sim::SimConfig::default()).serve(listener),
    );
    url
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
