//! A real server per test, on a fresh database: a temporary SQLite file, or a fresh PostgreSQL
//! database when FLEET_TEST_DB=postgres.

use super::Browser;
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
        Browser::new(&self.base, origin)
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

    /// A new browser in which `email` (signed up before, on this or another instance) signs in.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let b = self.client();
        let () = b
            .ok("sign_in", &[("email", email), ("password", PASSWORD)])
            .await;
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
        // Retries come back within a second, not half a minute.
        notifications: server::tasks::notifications::NotifyConfig {
            backoff: std::time::Duration::from_millis(200),
            interval: std::time::Duration::from_millis(100),
            look_every: std::time::Duration::from_millis(300),
            ..Default::default()
        },
        api_rate: server::api::RateLimit::default(),
        limits: app::ssr::limits::Limits::default(),
        max_streams_per_user: server::config::DEFAULT_MAX_STREAMS_PER_USER,
        accounts: server::config::AccountLimits::default(),
        metrics: Default::default(),
    }
}

/// A simulator playing api.stripe.com for tenants' own keys.
async fn stand_in_stripe() -> String {
    super::stripe::start_simulator(fleet_stripe_sim::SimConfig::default()).await
}
