use super::*;
use clap::{CommandFactory, FromArgMatches, Parser};

#[derive(Debug, Parser)]
#[command(name = "serve")]
struct Serve {
    #[command(flatten)]
    config: ConfigArgs,
}

/// The options without their variables: a test sees only its arguments, whatever the
/// environment of the test run holds, and no test changes the process environment.
fn command() -> clap::Command {
    Serve::command().mut_args(|arg| arg.env(None::<&str>))
}

fn parse(args: &[&str]) -> Result<ConfigArgs, clap::Error> {
    let matches =
        command().try_get_matches_from(std::iter::once("serve").chain(args.iter().copied()))?;
    Serve::from_arg_matches(&matches).map(|serve| serve.config)
}

fn parsed(args: &[&str]) -> ConfigArgs {
    parse(args).unwrap_or_else(|err| panic!("{args:?}: {err}"))
}

/// A message that names `variable` and says why, as `terminal-fleet` prints it.
fn refused(args: &[&str]) -> String {
    match parse(args) {
        Ok(config) => panic!("{args:?} accepted: {config:?}"),
        Err(err) => err.render().to_string(),
    }
}

/// No file is touched: the key and an in-memory database are given.
fn loaded(args: &[&str]) -> Result<Config, ConfigError> {
    let key = "07".repeat(32);
    let mut all = vec!["--master-key", &key, "--database-url", "sqlite::memory:"];
    all.extend_from_slice(args);
    Config::load(parsed(&all))
}

#[test]
fn the_defaults_are_those_of_the_structs_they_fill() {
    let config = loaded(&[]).expect("defaults load");
    assert_eq!(config.env, Environment::Development);
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.listen, DEFAULT_LISTEN);
    assert_eq!(config.public_url, "http://127.0.0.1:3000");
    assert!(!config.cookie_secure);
    assert_eq!(config.session_idle_minutes, 480);
    assert_eq!(config.trusted_proxies, TrustedProxies::None);
    assert_eq!(config.simulator_listen, "127.0.0.1:0".parse().ok());
    assert!(!config.simulator_allow_remote_control);
    assert_eq!(config.simulator_url, None);
    assert_eq!(config.stripe_api_base, "https://api.stripe.com");
    assert!(config.platform_key.is_none());
    assert_eq!(
        (config.connect.base, config.connect.client_id),
        (None, None)
    );
    let sync = crate::tasks::reader_sync::SyncConfig::default();
    assert_eq!(
        (config.sync.enabled, config.sync.interval),
        (sync.enabled, sync.interval)
    );
    assert_eq!(
        config.api_rate.per_second,
        crate::api::RateLimit::default().per_second
    );
    assert_eq!(config.limits, app::ssr::limits::Limits::default());
    assert_eq!(config.max_streams_per_user, DEFAULT_MAX_STREAMS_PER_USER);
    let accounts = AccountLimits::default();
    assert_eq!(
        (
            config.accounts.hash_concurrency,
            config.accounts.hash_wait,
            config.accounts.sign_ups_per_hour,
            config.accounts.organisations_per_user,
        ),
        (
            accounts.hash_concurrency,
            accounts.hash_wait,
            accounts.sign_ups_per_hour,
            accounts.organisations_per_user,
        )
    );
}

#[test]
fn the_environment_takes_its_aliases_in_any_case_and_names_itself_when_wrong() {
    for (raw, env) in [
        ("development", Environment::Development),
        ("dev", Environment::Development),
        ("Production", Environment::Production),
        ("PROD", Environment::Production),
    ] {
        assert_eq!(parsed(&["--env", raw]).server.env, env, "{raw}");
    }
    let message = refused(&["--env", "staging"]);
    assert!(message.contains("FLEET_ENV"), "{message}");
    assert!(message.contains("'staging'"), "{message}");
    assert!(message.contains("production"), "{message}");
}

#[test]
fn an_out_of_range_count_names_its_variable() {
    for (option, variable, bad) in [
        (
            "--max-long-polls-per-key",
            "FLEET_MAX_LONG_POLLS_PER_KEY",
            "0",
        ),
        (
            "--max-exports-per-user",
            "FLEET_MAX_EXPORTS_PER_USER",
            "100001",
        ),
        ("--max-api-keys", "FLEET_MAX_API_KEYS", "-1"),
        ("--max-pending-invites", "FLEET_MAX_PENDING_INVITES", "many"),
        ("--max-store-groups", "FLEET_MAX_STORE_GROUPS", "0"),
        (
            "--max-streams-per-user",
            "FLEET_MAX_STREAMS_PER_USER",
            "1001",
        ),
        ("--session-idle-minutes", "FLEET_SESSION_IDLE_MINUTES", "4"),
        ("--sync-interval-ms", "FLEET_SYNC_INTERVAL_MS", "99"),
        ("--api-rate-per-second", "FLEET_API_RATE_PER_SECOND", "0"),
        ("--hash-concurrency", "FLEET_HASH_CONCURRENCY", "1025"),
        ("--hash-wait-ms", "FLEET_HASH_WAIT_MS", "60001"),
        ("--sign-ups-per-hour", "FLEET_SIGN_UPS_PER_HOUR", "0"),
        (
            "--organisations-per-user",
            "FLEET_ORGANISATIONS_PER_USER",
            "100001",
        ),
        ("--trust-proxy-hops", "FLEET_TRUST_PROXY_HOPS", "11"),
    ] {
        // `=` so that "-1" is a value, not an option.
        let message = refused(&[&format!("{option}={bad}")]);
        assert!(message.contains(variable), "{message}");
        assert!(message.contains(&format!("'{bad}'")), "{message}");
    }
    let limits = parsed(&["--max-api-keys", "100000", "--max-store-groups", "1"]).limits;
    assert_eq!((limits.max_api_keys, limits.max_store_groups), (100_000, 1));
}

#[test]
fn switches_take_the_spellings_they_always_took() {
    for (raw, on) in [
        ("true", true),
        ("1", true),
        ("yes", true),
        ("ON", true),
        ("false", false),
        ("0", false),
        ("no", false),
        ("Off", false),
    ] {
        assert_eq!(parsed(&["--sync", raw]).limits.sync, on, "{raw}");
        assert_eq!(
            parsed(&["--cookie-secure", raw]).server.cookie_secure,
            Some(on),
            "{raw}"
        );
    }
    let message = refused(&["--simulator", "maybe"]);
    assert!(message.contains("FLEET_SIMULATOR"), "{message}");
}

#[test]
fn proxies_are_trusted_by_networks_hops_or_the_old_switch() {
    let trusted = |args: &[&str]| loaded(args).map(|c| c.trusted_proxies).ok();
    assert_eq!(trusted(&[]), Some(TrustedProxies::None));
    assert_eq!(
        trusted(&["--trust-proxy", "false"]),
        Some(TrustedProxies::None)
    );
    assert_eq!(
        trusted(&["--trust-proxy", "true"]),
        Some(TrustedProxies::Hops(1))
    );
    assert_eq!(
        trusted(&["--trust-proxy-hops", "2", "--trust-proxy", "true"]),
        Some(TrustedProxies::Hops(2))
    );
    assert_eq!(
        trusted(&[
            "--trusted-proxies",
            "10.0.0.0/8, 192.0.2.10",
            "--trust-proxy-hops",
            "1"
        ]),
        Some(TrustedProxies::Networks(vec![
            "10.0.0.0/8".parse().expect("net"),
            "192.0.2.10/32".parse().expect("net"),
        ]))
    );
    assert!(refused(&["--trust-proxy-hops", "many"]).contains("FLEET_TRUST_PROXY_HOPS"));
    assert!(refused(&["--trusted-proxies", "10.0.0.0/33"]).contains("FLEET_TRUSTED_PROXIES"));
    assert!(refused(&["--trust-proxy", "maybe"]).contains("FLEET_TRUST_PROXY"));
}

#[test]
fn settings_that_depend_on_others_are_worked_out_and_checked_together() {
    let config = loaded(&["--site-addr", "0.0.0.0:3100"]).expect("cargo-leptos' address");
    assert_eq!(config.listen, "0.0.0.0:3100".parse().expect("addr"));
    assert_eq!(config.public_url, "http://127.0.0.1:3100");
    let config = loaded(&[
        "--listen",
        "127.0.0.1:3200",
        "--site-addr",
        "127.0.0.1:3100",
    ])
    .expect("FLEET_LISTEN wins");
    assert_eq!(config.listen.port(), 3200);

    let config = loaded(&["--public-url", "https://fleet.example.com/app"]).expect("https");
    assert_eq!(config.public_url, "https://fleet.example.com");
    assert!(config.cookie_secure, "Secure by default over https");

    let err = loaded(&["--env", "production"]).expect_err("production over http");
    assert!(err.to_string().contains("FLEET_COOKIE_SECURE"), "{err}");
    assert!(loaded(&["--env", "prod", "--public-url", "https://fleet.example.com"]).is_ok());

    assert_eq!(
        loaded(&["--simulator", "off"])
            .ok()
            .and_then(|c| c.simulator_listen),
        None
    );
    let err = loaded(&["--simulator-listen", "0.0.0.0:0"]).expect_err("remote control");
    assert!(
        err.to_string()
            .contains("FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL"),
        "{err}"
    );
    assert!(loaded(&[
        "--simulator-listen",
        "0.0.0.0:0",
        "--simulator-allow-remote-control",
        "true"
    ])
    .is_ok());
}

#[test]
fn a_rejected_secret_is_named_but_not_repeated() {
    let err = loaded(&["--platform-key", "pk_test_published"]).expect_err("publishable key");
    assert!(err.to_string().contains("FLEET_PLATFORM_KEY"), "{err}");
    assert!(!err.to_string().contains("pk_test_published"), "{err}");
    let err = Config::load(parsed(&["--master-key", "secret-but-short"])).expect_err("short key");
    assert!(err.to_string().contains("FLEET_MASTER_KEY"), "{err}");
    assert!(!err.to_string().contains("secret-but-short"), "{err}");
    let err = Config::load(parsed(&[
        "--master-key",
        &"07".repeat(32),
        "--database-url",
        "mysql://root:hunter2@db/fleet",
    ]))
    .expect_err("not a supported database");
    assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn the_help_and_the_readme_list_the_same_variables() {
    let readme = include_str!("../../../README.md");
    let in_readme: std::collections::BTreeSet<String> = readme
        .lines()
        .skip_while(|line| !line.starts_with("| Variable |"))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| line.strip_prefix("| `")?.split_once('`'))
        .map(|(name, _)| name.to_string())
        .filter(|name| name != "RUST_LOG")
        .collect();
    let read: std::collections::BTreeSet<String> = variables(&Serve::command())
        .into_iter()
        .filter_map(|name| name.into_string().ok())
        .collect();
    // cargo-leptos sets it; the table mentions it beside FLEET_LISTEN.
    let in_readme_or_leptos =
        |name: &String| in_readme.contains(name) || name == "LEPTOS_SITE_ADDR";
    assert!(
        read.iter().all(in_readme_or_leptos),
        "{read:?} against {in_readme:?}"
    );
    assert!(
        in_readme.iter().all(|name| read.contains(name)),
        "{in_readme:?} against {read:?}"
    );
    let help = Serve::command().render_long_help().to_string();
    for name in &read {
        assert!(
            help.contains(&format!("[env: {name}")),
            "--help misses {name}"
        );
    }
}

#[test]
fn sqlite_parent_dirs() {
    assert_eq!(
        sqlite_parent("sqlite://data/x.db?mode=rwc"),
        Some(PathBuf::from("data"))
    );
    assert_eq!(sqlite_parent("sqlite://x.db"), None);
    assert_eq!(sqlite_parent("sqlite::memory:"), None);
}
