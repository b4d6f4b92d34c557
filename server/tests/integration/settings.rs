//! The settings as `terminal-fleet` reads them from its environment, through clap: a blank
//! variable counts as unset, and a bad one stops it with a message naming the variable.

use std::path::Path;
use std::process::Output;

/// `terminal-fleet migrate` on a SQLite file in `dir`, with only the variables given.
fn migrate(dir: &Path, env: &[(&str, &str)]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_terminal-fleet"))
        .arg("migrate")
        .current_dir(dir)
        // None of the test run's own FLEET_… settings.
        .env_clear()
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/fleet.db?mode=rwc", dir.display()),
        )
        .env("FLEET_MASTER_KEY", "09".repeat(32))
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .output()
        .expect("terminal-fleet runs")
}

#[test]
fn a_blank_variable_is_unset_and_a_bad_one_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let done = migrate(
        dir.path(),
        &[
            ("FLEET_ENV", ""),
            ("FLEET_PUBLIC_URL", ""),
            ("FLEET_MAX_API_KEYS", "  "),
            ("FLEET_SYNC_INTERVAL_MS", " 250 "),
            ("FLEET_SYNC", "off"),
        ],
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    for (name, bad) in [
        ("FLEET_ENV", "staging"),
        ("FLEET_MAX_STORE_GROUPS", "0"),
        ("FLEET_COOKIE_SECURE", "maybe"),
        ("FLEET_TRUSTED_PROXIES", "10.0.0.0/33"),
    ] {
        let refused = migrate(dir.path(), &[(name, bad)]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{name}={bad}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(bad),
            "{name}={bad}: {stderr}"
        );
    }
}
