//! The fleet against the built-in simulator over real HTTP: locations and readers go to Stripe
//! first, the sync task mirrors changes made at Stripe (creates, updates, deletes, on/offline
//! transitions), backs off under 429s, and operators see only the locations they are granted.

use crate::harness::fleet::{
    create_location, default_connection, is_online, reader_detail, readers, register,
};
use crate::harness::members::join;
use crate::harness::payments::charge_at_stripe;
use crate::harness::stripe::{
    account_of_connection, clear_faults, set_reader_state, sim, stand_in_client, stripe_access,
};
use crate::harness::wait::eventually;
use crate::harness::webhooks::{deliver, webhook_url};
use crate::harness::{message, on_postgres, TestServer};
use app::connections::types::ConnectionsView;
use app::dashboard::types::OverviewView;
use app::fleet::types::{LocationDetail, LocationsView};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn locations_and_readers_go_to_stripe_first_and_follow_its_answer() {
    let s = TestServer::start().await;
    let owner = s.user("fleet@example.com").await;
    let connection = default_connection(&owner).await;

    // Per-country address rules, all fields at once, nothing created.
    let (status, err) = owner
        .err(
            "create_location",
            &[
                ("connection_id", connection.as_str()),
                ("display_name", ""),
                ("line1", "1 Main St"),
                ("city", "Toronto"),
                ("postal_code", "12345"),
                ("country", "CA"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<String> = err["Fields"]
        .as_array()
        .expect("field errors")
        .iter()
        .map(|f| f[0].as_str().unwrap_or_default().to_string())
        .collect();
    for field in ["display_name", "state", "postal_code"] {
        assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
    }
    assert_eq!(s.count("SELECT COUNT(*) FROM locations").await, 0);

    let location = create_location(&owner, &connection, "Downtown").await;
    assert!(location.starts_with("tml_"), "{location}");
    let list: LocationsView = owner.ok("list_locations", &[]).await;
    assert_eq!(list.locations.len(), 1);
    assert_eq!(list.locations[0].address.state.as_deref(), Some("CA"));

    // A wrong registration code gets Stripe's reason on that field.
    let (status, err) = owner
        .err(
            "register_reader",
            &[
                ("location", location.as_str()),
                ("registration_code", "no-such-code"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["Invalid"]["field"], "registration_code");
    assert!(!message(&err).is_empty());

    let reader = register(&owner, &location, "simulated-wpe", "Front counter").await;
    let view = readers(&owner, &[]).await;
    assert_eq!(view.total, 1);
    let r = &view.readers[0];
    assert_eq!(r.id, reader, "the listed reader's id");
    assert!(r.online, "{} online", r.id);
    assert_eq!(r.device_type, "simulated_wisepos_e");
    assert_eq!(r.location_name.as_deref(), Some("Downtown"));
    assert!(!r.serial_number.is_empty(), "{}: empty serial_number", r.id);
    assert!(r.ip_address.is_some(), "{}: no ip_address", r.id);

    let () = owner
        .ok("relabel_reader", &[("id", &reader), ("label", "Till 1")])
        .await;
    let detail = reader_detail(&owner, &reader).await;
    assert_eq!(detail.reader.label, "Till 1");
    assert_eq!(detail.history.len(), 1);

    // Offline at Stripe → the sync notices, records the transition, and back.
    set_reader_state(&s, &reader, "offline").await;
    eventually("reader offline", 10, || async {
        !is_online(&owner, &reader).await
    })
    .await;
    let offline = readers(&owner, &[("status", "offline")]).await;
    assert_eq!(offline.total, 1);
    assert_eq!(readers(&owner, &[("status", "online")]).await.total, 0);
    set_reader_state(&s, &reader, "online").await;
    eventually("reader online", 10, || async {
        is_online(&owner, &reader).await
    })
    .await;
    let detail = reader_detail(&owner, &reader).await;
    let history: Vec<bool> = detail.history.iter().map(|h| h.online).collect();
    assert_eq!(history, vec![true, false, true], "newest first");

    // Deleting a location with readers needs a confirmation, then removes both.
    let (status, err) = owner.err("delete_location", &[("id", &location)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("1 reader"), "{err}");
    let r = owner
        .call("delete_location", &[("id", &location), ("confirm", "yes")])
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(readers(&owner, &[]).await.total, 0);
    let list: LocationsView = owner.ok("list_locations", &[]).await;
    assert!(list.locations.is_empty());
    let audit = s
        .count("SELECT COUNT(*) FROM audit_log WHERE action IN ('location.created', 'reader.registered', 'reader.relabeled', 'location.deleted')")
        .await;
    assert_eq!(audit, 4);
}

#[tokio::test]
async fn the_sync_mirrors_changes_made_at_stripe() {
    let s = TestServer::start().await;
    let owner = s.user("mirror@example.com").await;
    let connection = default_connection(&owner).await;
    let access = stripe_access(&s, &owner, &connection).await;
    let key = |n: &str| fleet_stripe::IdempotencyKey::new(format!("test-{n}"));

    // Made in Stripe's dashboard, not here.
    let location = access
        .client
        .create_location(
            &access.creds,
            &fleet_stripe::params::CreateLocation {
                display_name: "Airport".into(),
                address: fleet_stripe::params::AddressParams {
                    line1: "1 Terminal Rd".into(),
                    city: Some("Dublin".into()),
                    state: Some("Dublin".into()),
                    country: "IE".into(),
                    ..Default::default()
                },
                metadata: None,
            },
            &key("loc"),
        )
        .await
        .expect("location");
    let mut ids = Vec::new();
    for (n, code) in ["simulated-wpe", "simulated-s700", "simulated-wpe"]
        .iter()
        .enumerate()
    {
        let reader = access
            .client
            .create_reader(
                &access.creds,
                &fleet_stripe::params::CreateReader {
                    registration_code: code.to_string(),
                    label: Some(format!("Gate {n}")),
                    location: Some(location.id.clone()),
                    metadata: None,
                },
                &key(&format!("r{n}")),
            )
            .await
            .expect("reader");
        ids.push(reader.id);
    }
    eventually("three readers mirrored", 10, || async {
        readers(&owner, &[]).await.total == 3
    })
    .await;
    // Locations are listed less often; the readers already point at it.
    eventually("location mirrored", 15, || async {
        let l: LocationsView = owner.ok("list_locations", &[]).await;
        l.locations
            .iter()
            .any(|l| l.id == location.id && l.counts.online == 3)
    })
    .await;

    // Update, delete and an offline transition, all at Stripe.
    access
        .client
        .update_reader(
            &access.creds,
            &ids[0],
            &fleet_stripe::params::UpdateReader {
                label: Some("Gate A".into()),
                metadata: None,
            },
            &key("relabel"),
        )
        .await
        .expect("relabel");
    access
        .client
        .delete_reader(&access.creds, &ids[1])
        .await
        .expect("delete");
    set_reader_state(&s, &ids[2], "offline").await;
    eventually("update, delete and transition mirrored", 10, || async {
        let v = readers(&owner, &[("sort", "label")]).await;
        v.total == 2
            && v.readers.iter().any(|r| r.label == "Gate A")
            && v.readers.iter().any(|r| r.id == ids[2] && !r.online)
    })
    .await;
    let transitions = s
        .count(&format!(
            "SELECT COUNT(*) FROM reader_status_events WHERE reader_id = '{}'",
            ids[2]
        ))
        .await;
    assert_eq!(transitions, 2, "first seen online, then offline");

    // Search, filters, sort and paging.
    assert_eq!(readers(&owner, &[("q", "gate a")]).await.total, 1);
    assert_eq!(readers(&owner, &[("q", &ids[2][..12])]).await.total, 1);
    assert_eq!(
        readers(&owner, &[("device_type", "simulated_wisepos_e")])
            .await
            .total,
        2
    );
    let (status, _) = owner.err("list_readers", &[("query[sort]", "price")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v = readers(&owner, &[("page", "99")]).await;
    assert_eq!(
        (v.page, v.pages),
        (1, 1),
        "an out-of-range page shows the last one"
    );
    assert_eq!(v.readers.len(), 2, "and its readers");
    // The filters offer the visible locations and the device types among the readers.
    assert!(
        v.locations
            .iter()
            .any(|l| l.id == location.id && l.simulated),
        "{:?}",
        v.locations
    );
    assert!(
        v.device_types.iter().any(|d| d == "simulated_wisepos_e"),
        "{:?}",
        v.device_types
    );
    let options: app::fleet::types::RegisterOptions =
        owner.ok("reader_register_options", &[]).await;
    assert!(options.can_manage);
    assert!(options.locations.iter().any(|l| l.id == location.id));
}

#[tokio::test]
async fn an_offline_reader_raises_an_alert_that_clears_when_it_returns() {
    let s = TestServer::start().await;
    let owner = s.user("alerts@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Kiosk").await;
    let reader = register(&owner, &location, "simulated-s700", "Kiosk 1").await;
    let (status, _) = owner.err("set_alert_threshold", &[("minutes", "0")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let () = owner.ok("set_alert_threshold", &[("minutes", "1")]).await;
    set_reader_state(&s, &reader, "offline").await;
    eventually("offline", 10, || async {
        !is_online(&owner, &reader).await
    })
    .await;
    // Not yet: it has been offline for seconds, not a minute.
    let detail = reader_detail(&owner, &reader).await;
    assert!(detail.reader.alert_since.is_none());
    // Two minutes later (in our records: move back the time we saw it go offline).
    sqlx::query("UPDATE readers SET status_since = status_since - 120000 WHERE id = $1")
        .bind(&reader)
        .execute(&s.state.db.pool)
        .await
        .expect("age");
    eventually("alert raised", 10, || async {
        let o: OverviewView = owner.ok("fleet_overview", &[]).await;
        o.totals.alerts == 1 && o.locations[0].alerts.len() == 1
    })
    .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reader.offline_alert'")
            .await,
        1
    );
    set_reader_state(&s, &reader, "online").await;
    eventually("alert cleared", 10, || async {
        let o: OverviewView = owner.ok("fleet_overview", &[]).await;
        o.totals.alerts == 0 && o.totals.online == 1
    })
    .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reader.alert_cleared'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_sync_backs_off_when_stripe_answers_429() {
    let s = TestServer::start().await;
    let owner = s.user("slow@example.com").await;
    let connection = default_connection(&owner).await;
    let account = account_of_connection(&s, &connection).await;
    let stats = s.running.sync.as_ref().expect("sync runs").stats.clone();
    eventually("first syncs", 10, || async { stats.get(&stats.syncs) >= 2 }).await;
    // Read before the fault, so that every 429 counted from here is one of the fault's, and each
    // comes after `faulted`.
    let limited_before = stats.get(&stats.rate_limited);
    let faulted = Instant::now();
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 429, "rate": 1.0, "account": account, "path_prefix": "/v1/terminal/readers", "method": "GET"}),
    )
    .await;
    let attempts = 4;
    eventually("four rate-limited attempts", 20, || async {
        stats.get(&stats.rate_limited) - limited_before >= attempts
    })
    .await;
    // Between the first attempt and the fourth the sync waited at least half of each doubled
    // back-off (0.5, 1, 2 s, less up to half for jitter): 1.75 s. At its 250 ms interval,
    // without backing off, the four would have come within about a second. Seeing the fourth
    // late only lengthens `took`, so the bound needs no margin.
    let took = faulted.elapsed();
    assert!(
        took >= Duration::from_millis(250 + 500 + 1000),
        "{attempts} rate-limited attempts came within {took:?}"
    );
    let view: ConnectionsView = owner.ok("list_connections", &[]).await;
    assert!(
        view.connections[0].sync_error.is_some(),
        "the failure is shown"
    );
    clear_faults(&s).await;
    eventually("recovered", 20, || async {
        let view: ConnectionsView = owner.ok("list_connections", &[]).await;
        view.connections[0].sync_error.is_none()
    })
    .await;
}

#[tokio::test]
async fn operators_see_and_use_only_the_locations_they_are_granted() {
    let s = TestServer::start().await;
    let owner = s.user("franchise@example.com").await;
    let connection = default_connection(&owner).await;
    let north = create_location(&owner, &connection, "North").await;
    let south = create_location(&owner, &connection, "South").await;
    let north_reader = register(&owner, &north, "simulated-wpe", "N1").await;
    let south_reader = register(&owner, &south, "simulated-wpe", "S1").await;
    let operator = join(&s, &owner, "op@example.com", "operator").await;
    let auditor = join(&s, &owner, "aud@example.com", "auditor").await;
    let op_id = operator.me().await.expect("op").user_id;

    // Nothing granted yet: nothing visible.
    assert_eq!(readers(&operator, &[]).await.total, 0);
    let l: LocationsView = operator.ok("list_locations", &[]).await;
    assert_eq!(
        (l.locations.len(), l.connections.len()),
        (0, 0),
        "(locations, connections) an operator sees with no grant"
    );

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
    let detail: LocationDetail = owner.ok("location_detail", &[("id", &north)]).await;
    assert!(
        detail
            .operators
            .iter()
            .any(|o| o.user_id == op_id && o.granted),
        "{op_id} not granted North; operators (user_id, granted): {:?}",
        detail
            .operators
            .iter()
            .map(|o| (&o.user_id, o.granted))
            .collect::<Vec<_>>()
    );
    let v = readers(&operator, &[]).await;
    assert_eq!(v.total, 1);
    assert_eq!(v.readers[0].id, north_reader);
    let offered: Vec<&str> = v.locations.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(offered, [north.as_str()], "the operator's location filter");
    // An operator does not register readers, so their form offers nothing.
    let options: app::fleet::types::RegisterOptions =
        operator.ok("reader_register_options", &[]).await;
    assert!(!options.can_manage && options.locations.is_empty());
    let l: LocationsView = operator.ok("list_locations", &[]).await;
    assert_eq!(l.locations.len(), 1);
    let o: OverviewView = operator.ok("fleet_overview", &[]).await;
    assert_eq!(
        (o.totals.total(), o.locations.len()),
        (1, 1),
        "(readers, locations) on the operator's overview"
    );
    for (name, args) in [
        ("reader_detail", vec![("id", south_reader.as_str())]),
        ("location_detail", vec![("id", south.as_str())]),
        ("cancel_reader_action", vec![("id", south_reader.as_str())]),
    ] {
        let (status, _) = operator.err(name, &args).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
    }
    // Operators run readers but do not change the fleet; auditors only read.
    for who in [&operator, &auditor] {
        for (name, args) in [
            (
                "create_location",
                vec![
                    ("connection_id", connection.as_str()),
                    ("display_name", "X"),
                    ("line1", "1 A St"),
                    ("country", "US"),
                ],
            ),
            (
                "register_reader",
                vec![
                    ("location", north.as_str()),
                    ("registration_code", "simulated-wpe"),
                ],
            ),
            (
                "relabel_reader",
                vec![("id", north_reader.as_str()), ("label", "mine")],
            ),
            ("delete_reader", vec![("id", north_reader.as_str())]),
            ("delete_location", vec![("id", north.as_str())]),
            (
                "update_location",
                vec![
                    ("id", north.as_str()),
                    ("display_name", "X"),
                    ("line1", "1 A St"),
                    ("country", "US"),
                ],
            ),
            (
                "set_location_grant",
                vec![
                    ("location_id", south.as_str()),
                    ("user_id", op_id.as_str()),
                    ("granted", "true"),
                ],
            ),
            ("set_alert_threshold", vec![("minutes", "10")]),
        ] {
            let (status, _) = who.err(name, &args).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        }
    }
    let (status, _) = auditor
        .err("cancel_reader_action", &[("id", &north_reader)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The granted operator may cancel; Stripe says there is nothing to cancel.
    let r = operator
        .call("cancel_reader_action", &[("id", &north_reader)])
        .await;
    assert_ne!(r.status(), StatusCode::FORBIDDEN);
    assert_ne!(r.status(), StatusCode::NOT_FOUND);
    // The auditor sees everything.
    assert_eq!(readers(&auditor, &[]).await.total, 2);
    // Live updates reach the operator without naming what changed (pages refetch, scoped).
    let mut events = operator.events().await;
    let () = owner
        .ok(
            "relabel_reader",
            &[("id", &south_reader), ("label", "S-one")],
        )
        .await;
    let mut heard = None;
    for _ in 0..10 {
        if let Some(m) = events.next_message(Duration::from_secs(1)).await {
            if m["topic"] == "readers" {
                heard = Some(m);
                break;
            }
        }
    }
    let heard = heard.expect("the operator's stream heard the change");
    assert!(heard["id"].is_null(), "{heard}");
    // A grant is only for operators.
    let owner_id = owner.me().await.expect("owner").user_id;
    let (status, _) = owner
        .err(
            "set_location_grant",
            &[
                ("location_id", &north),
                ("user_id", &owner_id),
                ("granted", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn two_instances_share_the_lease_and_one_takes_over_when_the_other_dies() {
    let a = TestServer::start().await;
    let owner = a.user("lease@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Shared").await;
    let reader = register(&owner, &location, "simulated-wpe", "Shared 1").await;
    let b = a.another_instance().await;
    let holder_of = |s: &TestServer| s.running.sync.as_ref().expect("sync").holder.clone();
    let (holder_a, holder_b) = (holder_of(&a), holder_of(&b));
    let lease = || async {
        sqlx::query_scalar::<_, String>("SELECT holder FROM sync_leases WHERE connection_id = $1")
            .bind(&connection)
            .fetch_optional(&a.state.db.pool)
            .await
            .expect("lease")
    };
    eventually("a lease is held", 10, || async { lease().await.is_some() }).await;
    let first = lease().await.expect("holder");
    assert!(
        first == holder_a || first == holder_b,
        "the lease is held by {first}, neither instance"
    );
    let (survivor, dead) = if first == holder_a {
        (&b, &a)
    } else {
        (&a, &b)
    };
    // One instance syncs the connection; the other is refused the lease while it lives: time
    // after time, over more than one lease's lifetime (8 refusals at the 250 ms interval).
    let not_leased = survivor.running.sync.as_ref().expect("sync").stats.clone();
    let refused_before = not_leased.get(&not_leased.not_leased);
    eventually(
        "the other instance refused the lease again and again",
        20,
        || async { not_leased.get(&not_leased.not_leased) >= refused_before + 8 },
    )
    .await;
    assert_eq!(
        lease().await.as_deref(),
        Some(first.as_str()),
        "the lease stays put"
    );
    assert!(
        not_leased.get(&not_leased.not_leased) > 0,
        "the other instance was refused"
    );

    // A browser on the survivor hears what the holder's sync publishes (PostgreSQL crosses
    // instances with NOTIFY; on SQLite each instance has its own bus).
    let mut events = if on_postgres() {
        let browser = survivor.signed_in("lease@example.com").await;
        Some(browser.events().await)
    } else {
        None
    };
    set_reader_state(&a, &reader, "offline").await;
    if let Some(events) = events.as_mut() {
        let mut heard = false;
        for _ in 0..20 {
            match events.next_message(Duration::from_secs(1)).await {
                Some(m) if m["topic"] == "readers" => {
                    heard = true;
                    break;
                }
                _ => {}
            }
        }
        assert!(heard, "the survivor's browser heard the holder's sync");
    }
    eventually("offline seen", 10, || async {
        !is_online(&owner, &reader).await
    })
    .await;

    // The holder dies; its lease expires and the survivor takes over the syncing.
    dead.running.kill();
    let survivor_holder = holder_of(survivor);
    eventually("lease taken over", 10, || async {
        lease().await.as_deref() == Some(survivor_holder.as_str())
    })
    .await;
    set_reader_state(&a, &reader, "online").await;
    let survivor_browser = survivor.signed_in("lease@example.com").await;
    eventually("online again via the survivor", 10, || async {
        is_online(&survivor_browser, &reader).await
    })
    .await;
}

#[tokio::test]
async fn reader_action_webhooks_are_verified_stored_once_and_applied_at_once() {
    let s = TestServer::start().await;
    let owner = s.user("hooks@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Cafe").await;
    let reader = register(&owner, &location, "simulated-wpe", "Cafe till").await;
    // The card completes the reader's action; the sync (or our own call) showed the reader
    // busy, and only the webhook says it is done before the next sync.
    let access = stripe_access(&s, &owner, &connection).await;
    charge_at_stripe(&access, &reader, 1250, "hook").await;
    eventually("action_succeeded stored and applied", 10, || async {
        let stored = s
            .count("SELECT COUNT(*) FROM webhook_events WHERE type = 'terminal.reader.action_succeeded' AND processed_at IS NOT NULL")
            .await;
        let detail = reader_detail(&owner, &reader).await;
        stored == 1 && detail.reader.action.as_ref().is_some_and(|a| a.status == "succeeded")
    })
    .await;

    // The receiver refuses what Stripe did not sign, and stores a redelivery once.
    let url = webhook_url(&s.base, &connection);
    let http = reqwest::Client::new();
    let body = r#"{"id":"evt_forged","object":"event","type":"terminal.reader.action_failed","created":1,"data":{"object":{}}}"#;
    let r = http
        .post(&url)
        .header("stripe-signature", "t=1,v1=00")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = http.post(&url).body(body).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "no signature");
    let r = http
        .post(webhook_url(&s.base, "con_nobody"))
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM webhook_events WHERE id = 'evt_forged'")
            .await,
        0
    );
    let (event_id, payload): (String, String) = sqlx::query_as(
        "SELECT id, payload FROM webhook_events WHERE type = 'terminal.reader.action_succeeded'",
    )
    .fetch_one(&s.state.db.pool)
    .await
    .expect("event");
    let r = deliver(&s, &connection, payload).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap_or_default(), "already received");
    assert_eq!(
        s.count(&format!(
            "SELECT COUNT(*) FROM webhook_events WHERE id = '{event_id}'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn connecting_an_account_imports_its_locations_and_readers_at_once() {
    let s = TestServer::start().await;
    let owner = s.user("import@example.com").await;
    let key = "sk_test_existing_fleet_0042";
    let stripe = stand_in_client(&s);
    let creds = fleet_stripe::Credentials::key(key);
    let location = stripe
        .create_location(
            &creds,
            &fleet_stripe::params::CreateLocation {
                display_name: "Existing store".into(),
                address: fleet_stripe::params::AddressParams {
                    line1: "10 Downing St".into(),
                    city: Some("London".into()),
                    postal_code: Some("SW1A 2AA".into()),
                    country: "GB".into(),
                    ..Default::default()
                },
                metadata: None,
            },
            &fleet_stripe::IdempotencyKey::new("import-loc"),
        )
        .await
        .expect("location");
    for n in 0..3 {
        stripe
            .create_reader(
                &creds,
                &fleet_stripe::params::CreateReader {
                    registration_code: "simulated-s700".into(),
                    label: Some(format!("Existing {n}")),
                    location: Some(location.id.clone()),
                    metadata: None,
                },
                &fleet_stripe::IdempotencyKey::new(format!("import-r{n}")),
            )
            .await
            .expect("reader");
    }
    let _: String = owner
        .ok(
            "connect_stripe_key",
            &[("name", "Existing"), ("secret_key", key)],
        )
        .await;
    // No waiting for the sync: the connection's first import already holds them.
    let list: LocationsView = owner.ok("list_locations", &[]).await;
    let existing = list
        .locations
        .iter()
        .find(|l| l.id == location.id)
        .expect("imported location");
    assert_eq!(existing.counts.online, 3);
    assert_eq!(existing.address.postal_code.as_deref(), Some("SW1A 2AA"));
    assert_eq!(
        readers(&owner, &[("location", &location.id)]).await.total,
        3
    );
}

/// Rows as a registration in the dashboard writes them, for a location and a reader Stripe's
/// list does not show: `stored_at` is when our rows were written.
async fn rows_missing_from_stripe(s: &TestServer, tenant: &str, connection: &str, stored_at: i64) {
    let location = format!("tml_unlisted{stored_at}");
    sqlx::query(
        "INSERT INTO locations (connection_id, id, tenant_id, display_name, line1, country,
         synced_at) VALUES ($1, $2, $3, 'Unlisted', '1 Main St', 'US', $4)",
    )
    .bind(connection)
    .bind(&location)
    .bind(tenant)
    .bind(stored_at)
    .execute(&s.state.db.pool)
    .await
    .expect("location row");
    sqlx::query(
        "INSERT INTO readers (connection_id, id, tenant_id, label, location_id, device_type,
         serial_number, status, status_since, synced_at)
         VALUES ($1, $2, $3, 'Unlisted till', $4, 'simulated_wisepos_e', 'SIM-UNLISTED',
         'online', $5, $5)",
    )
    .bind(connection)
    .bind(format!("tmr_unlisted{stored_at}"))
    .bind(tenant)
    .bind(&location)
    .bind(stored_at)
    .execute(&s.state.db.pool)
    .await
    .expect("reader row");
}

#[tokio::test]
async fn a_sync_keeps_what_was_registered_while_it_listed_stripe() {
    let s = TestServer::start().await;
    let owner = s.user("listing@example.com").await;
    let connection = default_connection(&owner).await;
    let tenant = owner.me().await.expect("me").tenant.id;
    let now = app::ssr::ids::now_ms();
    // Written after the sync below began listing: registered meanwhile, so not in its list.
    let during = now + 60_000;
    // Written long before: Stripe's list not showing them means they are gone there.
    let before = 1_000;
    rows_missing_from_stripe(&s, &tenant, &connection, during).await;
    rows_missing_from_stripe(&s, &tenant, &connection, before).await;
    app::fleet::ssr::sync::import(
        &s.state,
        &tenant,
        &connection,
        &app::payments::ssr::reconcile::ReconcilePayments,
    )
    .await
    .expect("sync");
    for (table, prefix) in [("locations", "tml"), ("readers", "tmr")] {
        let count = |stored_at: i64| {
            format!("SELECT COUNT(*) FROM {table} WHERE id = '{prefix}_unlisted{stored_at}'")
        };
        assert_eq!(s.count(&count(during)).await, 1, "{table}: kept");
        assert_eq!(s.count(&count(before)).await, 0, "{table}: removed");
    }
}
