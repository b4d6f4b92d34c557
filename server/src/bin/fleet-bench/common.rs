//! What several benchmarks share: a server on a throwaway database and a signed-in user.

use server::config::{AccountLimits, Config, Environment};
use server::tasks::reader_sync::SyncConfig;
use server::Running;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bench set-up failed: {0}")]
    Setup(String),
}

pub fn setup(e: impl std::fmt::Display) -> BenchError {
    BenchError::Setup(e.to_string())
}

/// A server as `terminal-fleet serve` runs it, on `database_url`, listening on a free port.
pub async fn start(database_url: &str, data_dir: &Path, sync: bool) -> Result<Running, BenchError> {
    start_with(database_url, data_dir, sync, AccountLimits::default()).await
}

/// [`start`] with other limits on what accounts may cost.
pub async fn start_with(
    database_url: &str,
    data_dir: &Path,
    sync: bool,
    accounts: AccountLimits,
) -> Result<Running, BenchError> {
    let sync = SyncConfig {
        enabled: sync,
        ..Default::default()
    };
    server::start(config(database_url, data_dir, sync, accounts))
        .await
        .map_err(setup)
}

/// [`start`] with the reader sync on this schedule.
pub async fn start_syncing(
    database_url: &str,
    data_dir: &Path,
    sync: SyncConfig,
) -> Result<Running, BenchError> {
    server::start(config(
        database_url,
        data_dir,
        sync,
        AccountLimits::default(),
    ))
    .await
    .map_err(setup)
}

fn config(
    database_url: &str,
    data_dir: &Path,
    sync: SyncConfig,
    accounts: AccountLimits,
) -> Config {
    Config {
        env: Environment::Development,
        database_url: database_url.to_string(),
        data_dir: data_dir.to_path_buf(),
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        public_url: "http://127.0.0.1:0".into(),
        cookie_secure: false,
        master_key: app::ssr::MasterKey([7; 32]),
        session_idle_minutes: 60,
        trusted_proxies: Default::default(),
        simulator_allow_remote_control: false,
        simulator_listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        simulator_url: None,
        stripe_api_base: "http://127.0.0.1:9".into(),
        platform_key: None,
        connect: Default::default(),
        sync,
        notifications: Default::default(),
        api_rate: server::api::RateLimit::default(),
        limits: app::ssr::limits::Limits::default(),
        // The SSE benchmark opens thousands of streams as one user.
        max_streams_per_user: usize::MAX,
        accounts,
        metrics: Default::default(),
    }
}

/// Signs a new user up through the server function, as a browser would; returns the session
/// cookie (`name=value`) and the user's tenant id.
pub async fn signed_in_user(
    running: &Running,
    email: &str,
) -> Result<(String, String), BenchError> {
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/sf/sign_up"))
        .header("origin", &base)
        .header("accept", "application/json")
        .form(&[
            ("email", email),
            ("password", "correct horse battery"),
            ("organisation", "Bench organisation"),
        ])
        .send()
        .await
        .map_err(setup)?;
    if !r.status().is_success() {
        return Err(setup(format!("sign up answered {}", r.status())));
    }
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fleet_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| setup("no session cookie"))?
        .to_string();
    let tenant: String = sqlx::query_scalar(
        "SELECT m.tenant_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(&running.state.db.pool)
    .await
    .map_err(setup)?;
    Ok((cookie, tenant))
}

/// This process's resident memory in MiB (Linux), to compare before and after.
pub fn rss_mib() -> f64 {
    rss_mib_of("self")
}

/// The resident memory of process `pid` ("self" for this one), in MiB.
pub fn rss_mib_of(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) process `pid` (or `self`) has used so far (Linux; the kernel
/// counts in ticks of 1/100 s).
pub fn cpu_seconds(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // The fields after the command name, which may itself hold spaces.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}

/// CPU seconds used so far by every local process named `comm` (e.g. `postgres`, when the
/// database runs on this machine).
pub fn cpu_seconds_of(comm: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == comm))
        .map(|e| cpu_seconds(&e.file_name().to_string_lossy()))
        .sum()
}

/// Repairs the figures kept beside rows a bench inserted around them and, on PostgreSQL,
/// refreshes the planner's statistics, which bulk inserts leave as they were on empty tables
/// (without them PostgreSQL plans the first pages as if every table were empty); prints how
/// long each took.
pub async fn after_seeding(db: &app::ssr::Db) -> Result<(), BenchError> {
    let started = std::time::Instant::now();
    let repaired = app::payments::ssr::figures_repair::repair_all(db)
        .await
        .map_err(setup)?;
    println!(
        "  figures of {} organisations repaired from the rows in {:.1} s",
        repaired.len(),
        started.elapsed().as_secs_f64()
    );
    if db.backend == app::ssr::db::Backend::Postgres {
        let started = std::time::Instant::now();
        sqlx::query("ANALYZE")
            .execute(&db.pool)
            .await
            .map_err(setup)?;
        println!("  ANALYZE in {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}
