//! Bulk work on the fleet against the built-in simulator: readers registered from a CSV (each
//! row its own outcome, a retry of the same file registering nothing twice, a burst of 429s
//! outlasted), bulk relabel / delete / cancel that act only on readers the caller may change,
//! the fleet's CSV export and the Overview's inventory.

use crate::harness::bulk::{
    finished, physical_code, send_csv, start_action, start_registration, statuses,
};
use crate::harness::fleet::{create_location, default_connection, readers, register};
use crate::harness::members::join;
use crate::harness::payments::charge;
use crate::harness::stripe::{clear_faults, faults, sim};
use crate::harness::{message, Browser, TestServer, Tweak};
use app::fleet::bulk_types::{BulkPreview, InventoryView};
use reqwest::StatusCode;
use serde_json::json;

async fn audit_count(s: &TestServer, action: &str) -> i64 {
    s.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

async fn grant(owner: &Browser, operator: &Browser, location: &str) {
    let op_id = operator.me().await.expect("operator").user_id;
    let () = owner
        .ok(
            "set_location_grant",
            &[
                ("location_id", location),
                ("user_id", &op_id),
                ("granted", "true"),
            ],
        )
        .await;
}

#[tokio::test]
async fn bulk_registration_reports_each_row_and_a_retry_registers_nothing_twice() {
    let s = TestServer::start().await;
    let owner = s.user("bulk@example.com").await;
    let connection = default_connection(&owner).await;
    let _main = create_location(&owner, &connection, "Main St").await;
    let harbour = create_location(&owner, &connection, "Harbour").await;
    let code = physical_code(&s, &connection).await;
    let csv = format!(
        "registration_code,label,location\n\
         simulated-wpe,Till 1,Main St\n\
         simulated-s700,Till 2,{harbour}\n\
         {code},Back office,Main St\n\
         no-such-code,Refused at Stripe,Main St\n\
         simulated-wpe,Nowhere till,Nowhere\n\
         simulated-wpe,Till 3,Main St\n\
         simulated-wpe,Till 1,Main St\n"
    );
    let job = start_registration(&owner, &csv).await;
    let done = finished(&owner, &job, 60).await;
    assert_eq!(
        statuses(&done),
        ["done", "done", "done", "failed", "refused", "done", "refused"],
        "{:?}",
        done.rows
    );
    assert!(
        done.rows[4]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Nowhere"),
        "{:?}",
        done.rows[4]
    );
    assert!(
        done.rows[6]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("row 1"),
        "a duplicate row names the first: {:?}",
        done.rows[6]
    );
    assert!(done.rows[3].message.is_some(), "Stripe's reason is kept");
    assert_eq!(done.progress.done, 4);
    let view = readers(&owner, &[]).await;
    assert_eq!(view.total, 4);
    let mut labels: Vec<&str> = view.readers.iter().map(|r| r.label.as_str()).collect();
    labels.sort();
    assert_eq!(labels, ["Back office", "Till 1", "Till 2", "Till 3"]);
    assert_eq!(audit_count(&s, "reader.registered").await, 4);

    // The same file again, this time uploaded: nothing is registered twice.
    let to = send_csv(&owner, &csv, true).await;
    let again = to
        .strip_prefix("/readers/jobs/")
        .expect("a job")
        .to_string();
    let retry = finished(&owner, &again, 60).await;
    assert_eq!(
        statuses(&retry),
        ["already", "already", "already", "failed", "refused", "already", "refused"],
        "{:?}",
        retry.rows
    );
    assert!(
        retry.rows[2]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Already registered as “Back office”"),
        "{:?}",
        retry.rows[2]
    );
    assert_eq!(readers(&owner, &[]).await.total, 4);
    assert_eq!(audit_count(&s, "reader.registered").await, 4);

    // The job's page renders its rows before hydration.
    let page = owner.get(&format!("/readers/jobs/{again}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("page");
    assert!(html.contains("Already registered as"), "job page");
    assert!(
        html.contains("data-status=\"done\""),
        "job page shows it finished"
    );

    // Files that cannot be taken go back to the form, saying why; nothing starts.
    for (csv, code) in [
        ("\n\n".to_string(), "empty"),
        ("a-b,,Main St\n".repeat(501), "too_many"),
    ] {
        let to = send_csv(&owner, &csv, false).await;
        assert_eq!(to, format!("/readers/register-many?error={code}"));
    }
    assert_eq!(s.count("SELECT COUNT(*) FROM reader_bulk_jobs").await, 2);
}

#[tokio::test]
async fn a_burst_of_429s_from_stripe_does_not_stop_a_bulk_registration() {
    let s = TestServer::start().await;
    let owner = s.user("burst@example.com").await;
    let connection = default_connection(&owner).await;
    create_location(&owner, &connection, "Main St").await;
    // More 429s than the client's own retries absorb: rows wait and try again.
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 429, "count": 9, "path_prefix": "/v1/terminal/readers", "method": "POST"}),
    )
    .await;
    let csv: String = (1..=5)
        .map(|n| format!("simulated-wpe,Till {n},Main St\n"))
        .collect();
    let job = start_registration(&owner, &csv).await;
    let done = finished(&owner, &job, 120).await;
    assert_eq!(statuses(&done), ["done"; 5], "{:?}", done.rows);
    assert!(faults(&s).await.is_empty(), "every injected 429 was met");
    assert_eq!(readers(&owner, &[]).await.total, 5);
    clear_faults(&s).await;
}

#[tokio::test]
async fn one_bulk_job_runs_at_a_time_and_only_admins_register_many() {
    let s = TestServer::start().await;
    let owner = s.user("one@example.com").await;
    let connection = default_connection(&owner).await;
    create_location(&owner, &connection, "Main St").await;
    // Slow Stripe down so the first job is still running when the second arrives.
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 0, "hang_ms": 1500, "count": 3, "path_prefix": "/v1/terminal/readers", "method": "POST"}),
    )
    .await;
    let csv: String = (1..=3)
        .map(|n| format!("simulated-wpe,Till {n},Main St\n"))
        .collect();
    let first = start_registration(&owner, &csv).await;
    let to = send_csv(&owner, "simulated-wpe,Till 9,Main St\n", false).await;
    assert_eq!(to, "/readers/register-many?error=busy");
    finished(&owner, &first, 60).await;

    let operator = join(&s, &owner, "op@one.example", "operator").await;
    let to = send_csv(&operator, &csv, false).await;
    assert_eq!(to, "/readers/register-many?error=forbidden");
    let anonymous = s.client();
    let to = send_csv(&anonymous, &csv, false).await;
    assert!(to.starts_with("/login"), "{to}");
}

#[tokio::test]
async fn bulk_actions_reach_only_readers_the_caller_may_change() {
    let s = TestServer::start().await;
    let owner = s.user("actions@example.com").await;
    let connection = default_connection(&owner).await;
    let main = create_location(&owner, &connection, "Main St").await;
    let harbour = create_location(&owner, &connection, "Harbour").await;
    let m1 = register(&owner, &main, "simulated-wpe", "b").await;
    let m2 = register(&owner, &main, "simulated-wpe", "a").await;
    let h1 = register(&owner, &harbour, "simulated-s700", "c").await;
    let other = s.user("other@example.com").await;
    let other_connection = default_connection(&other).await;
    let other_location = create_location(&other, &other_connection, "Theirs").await;
    let foreign = register(&other, &other_location, "simulated-wpe", "Theirs 1").await;

    // Relabel with a pattern, a crafted id of another organisation among the selection.
    let ids = format!("{m1} {m2},{h1} {foreign}");
    let form = [
        ("action", "relabel"),
        ("ids", ids.as_str()),
        ("pattern", "{location} till {n}"),
    ];
    let preview: BulkPreview = owner.ok("preview_bulk_action", &form).await;
    let planned: Vec<(&str, Option<&str>, bool)> = preview
        .targets
        .iter()
        .map(|t| {
            (
                t.reader_id.as_str(),
                t.new_label.as_deref(),
                t.refused.is_some(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [
            (h1.as_str(), Some("Harbour till 1"), false),
            (m2.as_str(), Some("Main St till 1"), false),
            (m1.as_str(), Some("Main St till 2"), false),
            (foreign.as_str(), None, true),
        ]
    );
    let (status, err) = owner
        .err(
            "preview_bulk_action",
            &[
                ("action", "relabel"),
                ("ids", &m1),
                ("pattern", "{locaton}"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("{location}"), "{err}");

    let relabel = start_action(&owner, &form).await;
    let done = finished(&owner, &relabel, 60).await;
    assert_eq!(statuses(&done), ["done", "done", "done", "refused"]);
    let view = readers(&owner, &[("sort", "label")]).await;
    let labels: Vec<&str> = view.readers.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Harbour till 1", "Main St till 1", "Main St till 2"]
    );
    let theirs = readers(&other, &[]).await;
    assert_eq!(
        theirs.readers[0].label, "Theirs 1",
        "the foreign reader is untouched"
    );
    assert_eq!(audit_count(&s, "reader.relabeled").await, 3);

    // Only a foreign id: nothing to act on, refused outright.
    let (status, _) = owner
        .err(
            "start_bulk_action",
            &[("action", "delete"), ("ids", &foreign)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An operator of Main St: no relabel or delete; cancel only within Main St.
    let operator = join(&s, &owner, "op@actions.example", "operator").await;
    grant(&owner, &operator, &main).await;
    let (status, _) = operator
        .err("start_bulk_action", &[("action", "delete"), ("ids", &m1)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let payment = charge(&owner, &m1, "12.50", "automatic", "bulkcancel01").await;
    assert!(payment.starts_with("pi_"));
    let ids = format!("{m1} {h1}");
    let job = start_action(&operator, &[("action", "cancel_action"), ("ids", &ids)]).await;
    let done = finished(&operator, &job, 60).await;
    let outcome: Vec<(&str, &str)> = done
        .rows
        .iter()
        .map(|r| (r.reader_id.as_deref().unwrap_or(""), r.status.as_str()))
        .collect();
    assert_eq!(outcome, [(m1.as_str(), "done"), (h1.as_str(), "refused")]);
    assert_eq!(audit_count(&s, "reader.action_canceled").await, 1);
    // The owner sees the operator's job; the operator does not see the owner's.
    let (status, _) = operator.err("bulk_job", &[("id", &relabel)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = crate::harness::bulk::job(&owner, &job).await;

    // An auditor may do none of it.
    let auditor = join(&s, &owner, "aud@actions.example", "auditor").await;
    let (status, _) = auditor
        .err(
            "start_bulk_action",
            &[("action", "cancel_action"), ("ids", &m1)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Delete every reader matching a filter.
    let job = start_action(
        &owner,
        &[("action", "delete"), ("all", "1"), ("location", &harbour)],
    )
    .await;
    let done = finished(&owner, &job, 60).await;
    assert_eq!(statuses(&done), ["done"]);
    let left: Vec<String> = readers(&owner, &[])
        .await
        .readers
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(!left.contains(&h1) && left.len() == 2, "{left:?}");
    assert_eq!(readers(&other, &[]).await.total, 1);
}

#[tokio::test]
async fn the_fleet_exports_as_csv_within_the_callers_scope() {
    let s = TestServer::start().await;
    let owner = s.user("export@example.com").await;
    let connection = default_connection(&owner).await;
    let main = create_location(&owner, &connection, "Main St").await;
    let harbour = create_location(&owner, &connection, "Harbour").await;
    let m1 = register(&owner, &main, "simulated-wpe", "=HYPERLINK(\"x\")").await;
    let h1 = register(&owner, &harbour, "simulated-s700", "Harbour till").await;

    let csv = |b: Browser, query: &'static str| async move {
        let r = b.get(&format!("/readers/export.csv{query}")).await;
        let status = r.status();
        (status, r.text().await.expect("body"))
    };
    let (status, body) = csv(owner.clone(), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "id,label,location,device,serial,software,status,last_seen_utc"
    );
    assert_eq!(lines.len(), 3, "{body}");
    let m1_line = lines.iter().find(|l| l.starts_with(&m1)).expect("m1");
    assert!(
        m1_line.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "formula neutralised: {m1_line}"
    );
    assert!(
        m1_line.contains(",Main St,simulated_wisepos_e,"),
        "{m1_line}"
    );
    assert!(m1_line.contains(",online,"), "{m1_line}");

    let (_, filtered) = csv(owner.clone(), "?location=tml_none").await;
    assert_eq!(filtered.lines().count(), 1, "only the header");

    let operator = join(&s, &owner, "op@export.example", "operator").await;
    grant(&owner, &operator, &harbour).await;
    let (status, body) = csv(operator.clone(), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&h1) && !body.contains(&m1), "{body}");

    let (status, _) = csv(s.client(), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = csv(owner.clone(), "?status=sideways").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(audit_count(&s, "reader.exported").await, 3);
}

#[tokio::test]
async fn the_inventory_names_readers_older_than_most_of_their_device_type() {
    let no_sync: Tweak = Box::new(|mut config| {
        // Versions are set below as a fleet would report them; the sync would put the
        // simulator's back.
        config.sync.enabled = false;
        config
    });
    let s = TestServer::start_with(Some(no_sync)).await;
    let owner = s.user("inventory@example.com").await;
    let connection = default_connection(&owner).await;
    let main = create_location(&owner, &connection, "Main St").await;
    let harbour = create_location(&owner, &connection, "Harbour").await;
    let mut ids = Vec::new();
    for (location, label) in [
        (&main, "A"),
        (&main, "B"),
        (&main, "C"),
        (&harbour, "D"),
        (&harbour, "E"),
    ] {
        ids.push(register(&owner, location, "simulated-wpe", label).await);
    }
    let code = physical_code(&s, &connection).await;
    register(&owner, &main, &code, "Physical").await;
    // Compared as text "2.9.0.0" would be newer than "2.37.2.0", and "2.100.0.0" older.
    for (id, version) in [
        (&ids[2], "2.9.0.0"),
        (&ids[3], "2.100.0.0"),
        (&ids[4], "2.9.0.0"),
    ] {
        sqlx::query("UPDATE readers SET sw_version = $1 WHERE id = $2")
            .bind(version)
            .bind(id)
            .execute(&s.state.db.pool)
            .await
            .expect("version");
    }
    let view: InventoryView = owner.ok("fleet_inventory", &[]).await;
    let cells: Vec<(&str, Option<&str>, i64)> = view
        .cells
        .iter()
        .map(|c| (c.device_type.as_str(), c.sw_version.as_deref(), c.readers))
        .collect();
    assert_eq!(
        cells,
        [
            ("bbpos_wisepos_e", Some("2.36.1.0"), 1),
            ("simulated_wisepos_e", Some("2.100.0.0"), 1),
            ("simulated_wisepos_e", Some("2.37.2.0"), 2),
            ("simulated_wisepos_e", Some("2.9.0.0"), 2),
        ]
    );
    // A tie of two goes to the newer version.
    assert!(view
        .common
        .contains(&("simulated_wisepos_e".into(), "2.37.2.0".into(), 2)));
    let outdated: Vec<&str> = view.outdated.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(outdated, ["C", "E"]);
    assert_eq!(view.outdated_total, 2);

    // An operator of Harbour counts Harbour's readers only.
    let operator = join(&s, &owner, "op@inventory.example", "operator").await;
    grant(&owner, &operator, &harbour).await;
    let view: InventoryView = operator.ok("fleet_inventory", &[]).await;
    let total: i64 = view.cells.iter().map(|c| c.readers).sum();
    assert_eq!(total, 2);
    // The Overview shows the section.
    let html = owner.get("/").await.text().await.expect("overview");
    assert!(
        html.contains("Fleet inventory"),
        "overview has the inventory"
    );
}

#[tokio::test]
async fn a_finished_job_is_kept_thirty_days_and_its_codes_stay_remembered() {
    let s = TestServer::start().await;
    let owner = s.user("bulk-prune@example.com").await;
    let connection = default_connection(&owner).await;
    create_location(&owner, &connection, "Main St").await;
    let csv = "registration_code,label,location\n\
               simulated-wpe,Till 1,Main St\n\
               simulated-wpe,Nowhere till,Nowhere\n";
    let old = start_registration(&owner, csv).await;
    finished(&owner, &old, 60).await;
    let recent = start_registration(&owner, csv).await;
    finished(&owner, &recent, 60).await;
    let day_ms = 24 * 3600 * 1000;
    for (job, age_days) in [(&old, 31), (&recent, 29)] {
        sqlx::query("UPDATE reader_bulk_jobs SET finished_at = $1 WHERE id = $2")
            .bind(app::ssr::ids::now_ms() - age_days * day_ms)
            .bind(job)
            .execute(&s.state.db.pool)
            .await
            .expect("age the job");
    }
    server::tasks::housekeeping::prune(&s.state.db).await;

    let rows = |job: &str| format!("SELECT COUNT(*) FROM reader_bulk_rows WHERE job_id = '{job}'");
    assert_eq!(s.count(&rows(&old)).await, 0);
    assert_eq!(s.count(&rows(&recent)).await, 2);
    let (status, _) = owner.err("bulk_job", &[("id", &old)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(finished(&owner, &recent, 5).await.rows.len(), 2);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM reader_registration_codes")
            .await,
        1,
        "the code registered stays remembered"
    );
}
