//! `terminal-fleet serve` as a real process on a test's database: one that can be killed.

use super::{wait, Browser, TestServer};

/// A `terminal-fleet serve` process on the test's database, on a free port.
pub struct Process {
    pub child: tokio::process::Child,
    pub base: String,
    _data: tempfile::TempDir,
}

impl Process {
    /// A browser-like client of this process.
    pub fn client(&self) -> Browser {
        Browser::new(&self.base, Some(&self.base))
    }
}

/// A `terminal-fleet serve` process on `database_url`, once it answers `/readyz`.
pub async fn serve(database_url: &str) -> Process {
    serve_with(database_url, &[]).await
}

/// A `terminal-fleet serve` process with extra environment (e.g. a shared simulator).
pub async fn serve_with(database_url: &str, env: &[(&str, String)]) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let data = tempfile::tempdir().expect("tempdir");
    let base = format!("http://127.0.0.1:{port}");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_terminal-fleet"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("FLEET_LISTEN", format!("127.0.0.1:{port}"))
        .env("FLEET_PUBLIC_URL", &base)
        .env("FLEET_DATA_DIR", data.path())
        // The harness's key, so the test can read what the process seals.
        .env("FLEET_MASTER_KEY", "09".repeat(32))
        .env("FLEET_SYNC", "false")
        .env("RUST_LOG", "error")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn terminal-fleet");
    let http = reqwest::Client::new();
    wait::eventually(&format!("terminal-fleet ready on {base}"), 10, || async {
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    Process {
        child,
        base,
        _data: data,
    }
}

/// Another instance of `s`'s deployment as a process: its database, simulator and stand-in.
pub async fn instance(s: &TestServer) -> Process {
    serve_with(
        &s.database_url,
        &[
            ("FLEET_SIMULATOR_URL", s.simulator()),
            ("FLEET_STRIPE_API_BASE", s.stand_in()),
        ],
    )
    .await
}
