//! What the server believes from outside: forwarded addresses, `next` after sign-in, text that
//! ends up in CSV exports, Host headers, and where the simulator's control API listens.

use crate::harness::fleet::{create_location, default_connection, register};
use crate::harness::members::join;
use crate::harness::payments::{charge, present};
use crate::harness::wait::eventually;
use crate::harness::webhooks::deliver_at;
use crate::harness::{message, Browser, TestServer, Tweak, PASSWORD};
use reqwest::header::{ACCEPT, HOST, LOCATION, ORIGIN, USER_AGENT};
use reqwest::StatusCode;
use server::middleware::client_meta::TrustedProxies;
use std::time::Duration;

fn behind_proxies(trusted: TrustedProxies) -> Option<Tweak> {
    Some(Box::new(move |config| server::config::Config {
        trusted_proxies: trusted,
        ..config
    }))
}

/// A failed sign-in as a browser behind our proxy would send it.
async fn failed_sign_in(b: &Browser, email: &str, forwarded_for: &str) -> StatusCode {
    b.http
        .post(format!("{}/sf/sign_in", b.base))
        .header(ACCEPT, "application/json")
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", email), ("password", "not the password")])
        .send()
        .await
        .expect("request")
        .status()
}

async fn ips(s: &TestServer, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql)
        .fetch_all(&s.state.db.pool)
        .await
        .expect("ips")
}

#[tokio::test]
async fn the_client_is_the_first_untrusted_address_from_the_right() {
    let s = TestServer::start_with(behind_proxies(TrustedProxies::Hops(1))).await;
    s.user("victim@example.com").await;
    let b = s.client();
    let limit = s.state.settings.throttle_per_ip;
    // The attacker writes a fresh left-most address on every try; our one proxy appends the
    // address it really saw. All of them count against that one address…
    for i in 0..limit {
        let spoofed = format!("192.0.2.{}, 198.51.100.7", i % 250);
        let status = failed_sign_in(&b, &format!("nobody{i}@example.com"), &spoofed).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(
        failed_sign_in(&b, "fresh@example.com", "192.0.2.251, 198.51.100.7").await,
        StatusCode::TOO_MANY_REQUESTS,
        "rotating the left-most address does not escape the per-address limit"
    );
    // …and naming the victim's address does not lock the victim out.
    let victim = s.client();
    let r = victim
        .http
        .post(format!("{}/sf/sign_in", victim.base))
        .header(ACCEPT, "application/json")
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[("email", "victim@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        ips(&s, "SELECT DISTINCT ip FROM login_attempts ORDER BY ip").await,
        vec!["198.51.100.7", "203.0.113.9"]
    );
    assert_eq!(
        ips(
            &s,
            "SELECT DISTINCT ip FROM audit_log WHERE action = 'user.sign_in_failed'"
        )
        .await,
        vec!["198.51.100.7"]
    );
}

#[tokio::test]
async fn only_parsed_addresses_are_stored_and_without_a_proxy_the_header_is_ignored() {
    let s = TestServer::start_with(behind_proxies(TrustedProxies::Hops(1))).await;
    let b = s.client();
    for junk in [
        "<script>alert(1)</script>",
        "203.0.113.5, unknown",
        "",
        "=1+1",
    ] {
        failed_sign_in(&b, "junk@example.com", junk).await;
    }
    failed_sign_in(&b, "port@example.com", "[2001:db8::7]:4711").await;
    let stored = ips(&s, "SELECT DISTINCT ip FROM login_attempts ORDER BY ip").await;
    assert_eq!(stored, vec!["127.0.0.1", "2001:db8::7"]);
    let audited = ips(&s, "SELECT DISTINCT ip FROM audit_log ORDER BY ip").await;
    assert!(
        audited
            .iter()
            .all(|ip| ip.parse::<std::net::IpAddr>().is_ok()),
        "{audited:?}"
    );

    let direct = TestServer::start().await;
    let b = direct.client();
    failed_sign_in(&b, "direct@example.com", "198.51.100.7").await;
    assert_eq!(
        ips(&direct, "SELECT ip FROM login_attempts").await,
        vec!["127.0.0.1"]
    );
}

/// `next` values a browser would follow off the site, or that no header can carry.
const HOSTILE_NEXT: [&str; 14] = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\nSet-Cookie: planted=1",
    "/\0",
    "/\u{7f}",
    "//evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/ /evil.example",
    " //evil.example",
    "https://evil.example",
    "/\u{3000}/evil.example",
    "javascript:alert(1)",
];

#[tokio::test]
async fn sign_in_goes_only_to_paths_of_this_site_and_no_next_crashes_it() {
    let s = TestServer::start().await;
    s.user("next@example.com").await;
    for (accept, redirected) in [
        ("application/json", StatusCode::OK),
        ("text/html", StatusCode::FOUND),
    ] {
        for (next, want) in HOSTILE_NEXT
            .iter()
            .map(|n| (*n, "/"))
            .chain([("/readers?status=online", "/readers?status=online")])
        {
            let b = s.client();
            let r = b
                .http
                .post(format!("{}/sf/sign_in", s.base))
                .header(ACCEPT, accept)
                .form(&[
                    ("email", "next@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ])
                .send()
                .await;
            let r = r.unwrap_or_else(|e| panic!("no answer for next={next:?}: {e}"));
            assert_eq!(r.status(), redirected, "next={next:?}");
            assert_eq!(
                r.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
                Some(want),
                "next={next:?}"
            );
        }
    }
    // Sign-up redirects the same way.
    let r = s
        .client()
        .http
        .post(format!("{}/sf/sign_up", s.base))
        .header(ACCEPT, "application/json")
        .form(&[
            ("email", "next2@example.com"),
            ("password", PASSWORD),
            ("next", "/\n/evil.example"),
        ])
        .send()
        .await
        .expect("an answer");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
        Some("/")
    );
}

/// Every cell of a CSV export: none may start like a formula unless it is a plain number.
fn assert_inert(csv_text: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    for row in &rows {
        for cell in row {
            let numeric = cell.trim_start_matches('-').parse::<u64>().is_ok();
            assert!(
                numeric || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "live formula {cell:?} in {row:?}"
            );
        }
    }
    rows
}

async fn download(b: &Browser, path: &str) -> String {
    let r = b
        .http
        .get(format!("{}{path}", b.base))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.expect("body")
}

#[tokio::test]
async fn csv_exports_neutralise_formulas_from_outsiders() {
    let s = TestServer::start().await;
    let owner = s.user("sheet@example.com").await;
    let hyperlink = r#"=HYPERLINK("http://evil.example","x")"#;
    let r = s
        .client()
        .http
        .post(format!("{}/sf/sign_in", s.base))
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, hyperlink)
        .form(&[
            ("email", "sheet@example.com"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "@SUM(1+1)").await;
    let reader = register(&owner, &location, "simulated-wpe", "+cmd|' /C calc'!A0").await;
    let detail: app::dashboard::types::ReaderDetail =
        owner.ok("reader_detail", &[("id", &reader)]).await;
    let pi = charge(&owner, &reader, "5", "automatic", &detail.op).await;
    present(&owner, &reader, "4242424242424242", &detail.op).await;
    eventually("the payment succeeded", 10, || async {
        s.count(&format!(
            "SELECT COUNT(*) FROM payments WHERE id = '{pi}' AND status = 'succeeded'"
        ))
        .await
            == 1
    })
    .await;

    let audit = assert_inert(&download(&owner, "/audit.csv").await);
    let failed = audit
        .iter()
        .find(|row| row.get(2) == Some("user.sign_in_failed"))
        .expect("the failed sign-in is exported");
    assert_eq!(failed.get(7), Some(format!("'{hyperlink}").as_str()));
    assert!(audit.iter().any(|row| row.get(5) == Some("'@SUM(1+1)")));

    let payments = assert_inert(&download(&owner, "/transactions.csv").await);
    let row = payments
        .iter()
        .find(|row| row.get(1) == Some(pi.as_str()))
        .expect("the payment is exported");
    assert_eq!(row.get(3), Some("500"), "amounts stay numbers");
    assert_eq!(row.get(11), Some("'+cmd|' /C calc'!A0"));
    assert_eq!(row.get(12), Some("'@SUM(1+1)"));
}

#[tokio::test]
async fn removing_a_member_removes_their_grants_for_good() {
    let s = TestServer::start().await;
    let owner = s.user("grants@example.com").await;
    let op = join(&s, &owner, "grantee@example.com", "operator").await;
    let op_id = op.me().await.expect("op").user_id;
    let connection = default_connection(&owner).await;
    let north = create_location(&owner, &connection, "North").await;
    let south = create_location(&owner, &connection, "South").await;
    register(&owner, &north, "simulated-wpe", "N1").await;
    register(&owner, &south, "simulated-wpe", "S1").await;
    let group: String = owner
        .ok("create_store_group", &[("name", "South region")])
        .await;
    let () = owner
        .ok(
            "set_group_location",
            &[
                ("group_id", &group),
                ("location_id", &south),
                ("member", "true"),
            ],
        )
        .await;
    let () = owner
        .ok(
            "set_location_grant",
            &[
                ("location_id", &north),
                ("user_id", &op_id),
                ("granted", "true"),
            ],
        )
        .await;
    let () = owner
        .ok(
            "set_group_grant",
            &[
                ("group_id", &group),
                ("user_id", &op_id),
                ("granted", "true"),
            ],
        )
        .await;
    let seen: app::fleet::types::ReadersView = op.ok("list_readers", &[]).await;
    assert_eq!(seen.total, 2);

    let () = owner.ok("remove_member", &[("user_id", &op_id)]).await;
    let grants = format!(
        "SELECT (SELECT COUNT(*) FROM location_grants WHERE user_id = '{op_id}')
              + (SELECT COUNT(*) FROM group_grants WHERE user_id = '{op_id}')"
    );
    assert_eq!(s.count(&grants).await, 0);

    // Invited again, they start from nothing.
    let invite: app::members::types::InviteCreated = owner
        .ok(
            "invite_member",
            &[("email", "grantee@example.com"), ("role", "operator")],
        )
        .await;
    let token = invite.link.rsplit('/').next().expect("token").to_string();
    let () = op.ok("accept_invite", &[("token", &token)]).await;
    let seen: app::fleet::types::ReadersView = op.ok("list_readers", &[]).await;
    assert_eq!(seen.total, 0);
}

#[tokio::test]
async fn a_user_without_an_organisation_can_still_sign_out() {
    let s = TestServer::start().await;
    let owner = s.user("leaver@example.com").await;
    let owner_id = owner.me().await.expect("me").user_id;
    let heir = join(&s, &owner, "heir@example.com", "admin").await;
    let () = owner
        .ok(
            "change_member_role",
            &[
                ("user_id", &heir.me().await.expect("me").user_id),
                ("role", "owner"),
            ],
        )
        .await;
    let () = heir.ok("remove_member", &[("user_id", &owner_id)]).await;
    assert!(owner.me().await.expect("signed in").tenants.is_empty());

    let r = owner.call("sign_out", &[]).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert!(owner.me().await.is_none(), "signed out");
}

#[tokio::test]
async fn sign_in_refuses_an_overlong_email_before_hashing_anything() {
    let s = TestServer::start().await;
    let b = s.client();
    let long = format!("{}@example.com", "a".repeat(250));
    let (status, err) = b
        .err(
            "sign_in",
            &[("email", &long), ("password", "whatever it is")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("at most 254 characters"), "{err}");
    assert_eq!(s.count("SELECT COUNT(*) FROM login_attempts").await, 0);
    let (status, _) = b
        .err(
            "sign_up",
            &[("email", &"b".repeat(100_000)), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn webhook_failures_on_our_side_say_nothing_internal() {
    let s = TestServer::start().await;
    let owner = s.user("hooks@example.com").await;
    let connection = default_connection(&owner).await;
    sqlx::query("ALTER TABLE webhook_events RENAME TO webhook_events_elsewhere")
        .execute(&s.state.db.pool)
        .await
        .expect("rename");
    let now = app::ssr::ids::now_ms() / 1000;
    let body = format!(
        r#"{{"id":"evt_internal","object":"event","type":"terminal.reader.action_failed","created":{now},"livemode":false,"pending_webhooks":1,"data":{{"object":{{}}}}}}"#
    );
    let r = deliver_at(&s, &connection, body, now).await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = r.text().await.expect("body");
    assert!(text.contains("reference err_"), "{text}");
    for internal in ["database", "webhook_events", "relation", "table", "sqlx"] {
        assert!(
            !text.to_lowercase().contains(internal),
            "{internal} in {text}"
        );
    }
}

/// A sign-in from a page of `host`, sent to the server at `base`.
async fn sign_in_from(base: &str, host: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/sf/sign_in"))
        .header(ACCEPT, "application/json")
        .header(HOST, host)
        .header(ORIGIN, format!("http://{host}"))
        .form(&[
            ("email", "nobody@example.com"),
            ("password", "whatever it is"),
        ])
        .send()
        .await
        .expect("request")
        .status()
}

#[tokio::test]
async fn the_development_origin_rule_needs_a_loopback_listener() {
    let everywhere = TestServer::start_with(Some(Box::new(|config| server::config::Config {
        listen: "0.0.0.0:0".parse().expect("addr"),
        ..config
    })))
    .await;
    let port = everywhere.running.addr.port();
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(
        sign_in_from(&base, &format!("evil.example:{port}")).await,
        StatusCode::FORBIDDEN,
        "a Host the client chose is not this site"
    );
    // The public URL still works.
    assert_eq!(
        sign_in_from(&base, &format!("127.0.0.1:{port}")).await,
        StatusCode::BAD_REQUEST
    );

    let local = TestServer::start().await;
    let port = local.running.addr.port();
    assert_eq!(
        sign_in_from(&local.base, &format!("localhost:{port}")).await,
        StatusCode::BAD_REQUEST,
        "on loopback, localhost and 127.0.0.1 are both this site"
    );
}

#[tokio::test]
async fn the_simulator_control_api_stays_on_loopback_unless_allowed() {
    let bin = env!("CARGO_BIN_EXE_terminal-fleet");
    // Dropped (a failed assertion, a timeout), a child is killed, not left listening.
    let run = |args: &[&str]| {
        tokio::process::Command::new(bin)
            .args(args)
            .env_remove("FLEET_SIMULATOR_ALLOW_REMOTE_CONTROL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn")
    };
    let refused = run(&["stripe-sim", "--listen", "0.0.0.0:0"]);
    let output = tokio::time::timeout(Duration::from_secs(20), refused.wait_with_output())
        .await
        .expect("the simulator started on 0.0.0.0 without --allow-remote-control")
        .expect("wait");
    assert!(!output.status.success(), "exit status {}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-remote-control"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let port = std::net::TcpListener::bind("0.0.0.0:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut allowed = run(&[
        "stripe-sim",
        "--listen",
        &format!("0.0.0.0:{port}"),
        "--allow-remote-control",
    ]);
    // Told to, it listens on 0.0.0.0: it answers there (through loopback) and keeps running.
    let http = reqwest::Client::new();
    eventually("the simulator answers on 0.0.0.0", 20, || async {
        http.get(format!("http://127.0.0.1:{port}/_sim/faults"))
            .send()
            .await
            .is_ok()
    })
    .await;
    let still_running = allowed.try_wait().expect("wait").is_none();
    let _ = allowed.kill().await;
    assert!(still_running, "told to, it listens on 0.0.0.0");

    // The library refuses too, and so does the simulator built into the server.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let served =
        fleet_stripe_sim::Simulator::new(fleet_stripe_sim::SimConfig::default()).serve(listener);
    assert!(
        tokio::time::timeout(std::time::Duration::from_secs(5), served)
            .await
            .expect("refused at once")
            .is_err()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/fleet.db?mode=rwc", dir.path().display());
    let config = server::config::Config {
        simulator_listen: Some("0.0.0.0:0".parse().expect("addr")),
        ..crate::harness::test_config(url, dir.path().to_path_buf()).await
    };
    match server::start(config).await {
        Err(err) => assert!(err.to_string().contains("loopback"), "{err}"),
        Ok(running) => {
            running.kill();
            panic!("the built-in simulator started on 0.0.0.0");
        }
    }
}

/// The value of `name` in `html` after `nonce="`, for every script tag.
fn script_nonces(html: &str) -> Vec<String> {
    html.split("<script")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            tag.split("nonce=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn pages_run_only_their_own_scripts_and_nothing_signed_in_is_cached() {
    let s = TestServer::start().await;
    let owner = s.user("headers@example.com").await;
    for path in ["/login", "/", "/readers", "/no-such-page"] {
        let r = owner.get(path).await;
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        let html = r.text().await.expect("html");
        let nonces = script_nonces(&html);
        assert!(!nonces.is_empty(), "{path} has its hydration script");
        for nonce in &nonces {
            assert!(!nonce.is_empty(), "{path}: a script without the nonce");
            assert!(
                csp.contains(&format!("'nonce-{nonce}'")),
                "{path}: script nonce {nonce} not in {csp}"
            );
        }
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
    // A fresh nonce per answer.
    let a = script_nonces(&owner.get("/login").await.text().await.expect("html"));
    let b = script_nonces(&owner.get("/login").await.text().await.expect("html"));
    assert_ne!(a, b);
    // Server functions' answers, exports and the API are never cached either.
    let me = owner.call("current_user", &[]).await;
    assert_eq!(me.headers()["cache-control"], "no-store");
    assert!(me.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .contains("default-src 'none'"));
    let csv = owner.get("/audit.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["cache-control"], "no-store");
    let api = owner.get("/api/v1/openapi.json").await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert!(owner
        .get("/login")
        .await
        .headers()
        .get("strict-transport-security")
        .is_none());
}

#[tokio::test]
async fn behind_https_cookies_are_host_only_and_browsers_keep_to_https() {
    let s = TestServer::start_with(Some(Box::new(|config| server::config::Config {
        public_url: "https://fleet.example".into(),
        cookie_secure: true,
        ..config
    })))
    .await;
    let b = s.client_with_origin(Some("https://fleet.example"));
    let r = b
        .call(
            "sign_up",
            &[
                ("email", "secure@example.com"),
                ("password", PASSWORD),
                ("organisation", "Secure"),
            ],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert!(r.headers()["strict-transport-security"]
        .to_str()
        .expect("ascii")
        .starts_with("max-age="));
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("fleet_session="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.starts_with("__Host-fleet_session="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_an_owner() {
    let s = TestServer::start().await;
    let a = s.user("owner-a@example.com").await;
    let b = join(&s, &a, "owner-b@example.com", "owner").await;
    let a_id = a.me().await.expect("me").user_id;
    let b_id = b.me().await.expect("me").user_id;
    let tenant = a.me().await.expect("me").tenant.id;
    let owners = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM memberships WHERE tenant_id = $1 AND role = 'owner'",
        )
        .bind(&tenant)
        .fetch_one(&s.state.db.pool)
        .await
        .expect("count")
    };
    for round in 0..10 {
        let demote_b = [("user_id", b_id.as_str()), ("role", "admin")];
        let demote_a = [("user_id", a_id.as_str()), ("role", "admin")];
        let (one, two) = tokio::join!(
            a.call("change_member_role", &demote_b),
            b.call("change_member_role", &demote_a),
        );
        assert!(
            one.status().as_u16() < 500 && two.status().as_u16() < 500,
            "round {round}: {} {}",
            one.status(),
            two.status()
        );
        assert_eq!(
            owners().await,
            1,
            "round {round}: exactly one of them is still an owner"
        );
        // Whoever is still the owner makes the other an owner again for the next round.
        let (owner, other) = if one.status().is_success() {
            (&a, &b_id)
        } else {
            (&b, &a_id)
        };
        let r = owner
            .call(
                "change_member_role",
                &[("user_id", other.as_str()), ("role", "owner")],
            )
            .await;
        assert!(r.status().is_success(), "round {round}: {}", r.status());
    }
}

#[tokio::test]
async fn a_request_in_flight_cannot_bring_back_a_deleted_session() {
    use tower_sessions::session_store::SessionStore;
    let s = TestServer::start().await;
    let b = s.user("session@example.com").await;
    assert!(b.me().await.is_some());
    let id: String = sqlx::query_scalar("SELECT id FROM sessions LIMIT 1")
        .fetch_one(&s.state.db.pool)
        .await
        .expect("session");
    let store = app::ssr::session_store::DbSessionStore::new(s.state.db.clone());
    let session_id: tower_sessions::session::Id = id.parse().expect("id");
    // A slow request loaded the session; meanwhile the user signed out; then it ends and saves.
    let loaded = store
        .load(&session_id)
        .await
        .expect("load")
        .expect("exists");
    let r = b.call("sign_out", &[]).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    store.save(&loaded).await.expect("save");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "the signed-out session stays gone"
    );
    assert!(b.me().await.is_none(), "the browser is signed out");
}
