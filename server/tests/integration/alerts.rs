//! Fleet alerts beyond a reader going offline: an action stuck in progress (raised, shown,
//! audited, cancelled with one click, cleared) and a reader going offline inside its nightly
//! reboot window, which raises nothing until the window has ended.

use crate::harness::fleet::{
    create_location, default_connection, is_online, owner_with_reader, reader_detail, register,
};
use crate::harness::members::join;
use crate::harness::payments::charge;
use crate::harness::stripe::set_reader_state;
use crate::harness::wait::eventually;
use crate::harness::TestServer;
use app::dashboard::types::OverviewView;
use reqwest::StatusCode;
use std::time::Duration;

const HOUR_MS: i64 = 3_600_000;

async fn audited(s: &TestServer, action: &str) -> i64 {
    s.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

fn now_ms() -> i64 {
    app::ssr::ids::now_ms()
}

#[tokio::test]
async fn a_stuck_action_raises_an_alert_that_one_click_cancels() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "stuck@example.com").await;
    for bad in ["0", "1441", "soon"] {
        let (status, _) = owner.err("set_stuck_threshold", &[("minutes", bad)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let () = owner.ok("set_stuck_threshold", &[("minutes", "2")]).await;
    assert_eq!(audited(&s, "fleet.stuck_threshold_set").await, 1);

    let op = app::payments::ssr::payments_service::new_operation();
    charge(&owner, &reader, "5", "automatic", &op).await;
    eventually("waiting for a card", 10, || async {
        reader_detail(&owner, &reader).await.reader.busy()
    })
    .await;
    // Seconds in, nothing is stuck.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(reader_detail(&owner, &reader)
        .await
        .reader
        .stuck_since
        .is_none());
    // Three minutes later, in our records.
    sqlx::query("UPDATE readers SET action_at = action_at - 180000 WHERE id = $1")
        .bind(&reader)
        .execute(&s.state.db.pool)
        .await
        .expect("age the action");
    eventually("stuck alert raised", 10, || async {
        let o: OverviewView = owner.ok("fleet_overview", &[]).await;
        o.totals.stuck == 1
            && o.stuck_minutes == 2
            && o.locations[0]
                .alerts
                .iter()
                .any(|r| r.id == reader && r.stuck_since.is_some())
    })
    .await;
    assert_eq!(audited(&s, "reader.action_stuck").await, 1);
    let stores: app::stores::types::StoresView = owner.ok("all_stores", &[]).await;
    assert_eq!(stores.stores[0].stuck, 1);

    // The reader's page says so before any script runs, with the cancel form for those who
    // may cancel; an auditor sees the alert only.
    let html = owner
        .get(&format!("/readers/{reader}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Action stuck"), "{html}");
    assert!(html.contains("Cancel the stuck action"));
    assert!(html.contains(r#"action="/sf/cancel_reader_action""#));
    let auditor = join(&s, &owner, "aud@stuck.example", "auditor").await;
    let html = auditor
        .get(&format!("/readers/{reader}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Action stuck"));
    assert!(!html.contains("Cancel the stuck action"));
    let (status, _) = auditor
        .err("cancel_reader_action", &[("id", reader.as_str())])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // One click: the form's only field is the reader.
    let () = owner
        .ok("cancel_reader_action", &[("id", reader.as_str())])
        .await;
    let detail = reader_detail(&owner, &reader).await;
    assert!(detail.reader.stuck_since.is_none(), "{:?}", detail.reader);
    assert_eq!(audited(&s, "reader.action_stuck_cleared").await, 1);
    let o: OverviewView = owner.ok("fleet_overview", &[]).await;
    assert_eq!(o.totals.stuck, 0);
    // Later syncs neither raise it again nor clear it twice.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(audited(&s, "reader.action_stuck").await, 1);
    assert_eq!(audited(&s, "reader.action_stuck_cleared").await, 1);
}

/// The hour `offset` hours from now, UTC, as the form takes it.
fn hour(offset: i64) -> String {
    ((now_ms() / HOUR_MS + offset).rem_euclid(24)).to_string()
}

#[tokio::test]
async fn a_reader_offline_in_its_reboot_window_raises_nothing_until_the_window_ends() {
    let s = TestServer::start().await;
    let owner = s.user("reboot@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Night shop").await;
    let reader = register(&owner, &location, "simulated-wpe", "Till").await;
    let () = owner.ok("set_alert_threshold", &[("minutes", "1")]).await;
    // The location's readers reboot from the hour before this one (UTC) to two hours on.
    let (start, end) = (hour(-1), hour(2));
    let configuration: String = owner
        .ok(
            "create_configuration",
            &[
                ("connection_id", connection.as_str()),
                ("form[name]", "Nightly"),
                ("form[reboot_start]", start.as_str()),
                ("form[reboot_end]", end.as_str()),
            ],
        )
        .await;
    let () = owner
        .ok(
            "set_location_configuration",
            &[
                ("location_id", location.as_str()),
                ("configuration_id", configuration.as_str()),
            ],
        )
        .await;

    set_reader_state(&s, &reader, "offline").await;
    eventually("offline", 10, || async {
        !is_online(&owner, &reader).await
    })
    .await;
    // Two minutes later, in our records: past the threshold, inside the window.
    sqlx::query("UPDATE readers SET status_since = $1 WHERE id = $2")
        .bind(now_ms() - 120_000)
        .bind(&reader)
        .execute(&s.state.db.pool)
        .await
        .expect("age");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let detail = reader_detail(&owner, &reader).await;
    assert!(detail.reader.alert_since.is_none(), "{:?}", detail.reader);
    assert_eq!(audited(&s, "reader.offline_alert").await, 0);

    // Gone since two and a half hours, in a window that ended an hour ago: still offline
    // after the window, so the alert is raised.
    let (start, end) = (hour(-4), hour(-1));
    let () = owner
        .ok(
            "update_configuration",
            &[
                ("connection_id", connection.as_str()),
                ("id", configuration.as_str()),
                ("form[name]", "Nightly"),
                ("form[reboot_start]", start.as_str()),
                ("form[reboot_end]", end.as_str()),
            ],
        )
        .await;
    sqlx::query("UPDATE readers SET status_since = $1 WHERE id = $2")
        .bind(now_ms() - 150 * 60_000)
        .bind(&reader)
        .execute(&s.state.db.pool)
        .await
        .expect("age");
    eventually("alert after the window", 10, || async {
        reader_detail(&owner, &reader)
            .await
            .reader
            .alert_since
            .is_some()
    })
    .await;
    assert_eq!(audited(&s, "reader.offline_alert").await, 1);
}
