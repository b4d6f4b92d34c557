//! The figures kept beside payments and readers (All stores' counts, takings and last payment,
//! the transactions' totals) say exactly what a count over the rows says, after payments,
//! refunds, declines, captures, cancels, a reader going offline, moving and being deleted, and a
//! payment of yesterday refunded today, offline alerts and stuck actions raised and cleared, a
//! store deleted with its readers; and a figure changed behind their back is repaired. (A
//! webhook batch redone event by event is checked in `webhook_ingest`.)

use crate::harness::fleet::{
    create_location, default_connection, is_online, reader_detail, register,
};
use crate::harness::payments::{charge, payment_detail, present};
use crate::harness::stripe::set_reader_state;
use crate::harness::wait::eventually;
use crate::harness::{Browser, TestServer};
use app::fleet::ssr::reader_rows::{self, Mirror};
use app::fleet::types::ReaderView;
use app::payments::ssr::figures_repair::{in_step, out_of_step, repair_tenant};
use app::payments::ssr::payment_figures::DAY_MS;
use app::payments::types::CurrencyTotal;
use app::ssr::ids::now_ms;
use app::stores::types::StoresView;
use reqwest::StatusCode;

/// A succeeded test charge of `amount` on `reader`; its PaymentIntent.
async fn sale(b: &Browser, reader: &str, amount: &str, capture: &str, card: &str) -> String {
    let op = reader_detail(b, reader).await.op;
    let pi = charge(b, reader, amount, capture, &op).await;
    if !card.is_empty() {
        present(b, reader, card, &op).await;
    }
    pi
}

async fn refund(b: &Browser, pi: &str, amount: &str) {
    let op = payment_detail(b, pi).await.op;
    let () = b
        .ok(
            "refund_payment",
            &[("id", pi), ("amount", amount), ("op", &op)],
        )
        .await;
}

/// The totals as a pass over the payment rows computes them, for a condition on `p`.
async fn totals_from_rows(s: &TestServer, tenant: &str, condition: &str) -> Vec<CurrencyTotal> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT p.currency, COUNT(*), CAST(COALESCE(SUM(p.amount_received), 0) AS BIGINT),
           CAST(COALESCE(SUM(p.amount_refunded), 0) AS BIGINT)
         FROM payments p WHERE p.tenant_id = $1 AND {condition}
         GROUP BY p.currency ORDER BY p.currency"
    ))
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("totals from the rows");
    rows.into_iter()
        .map(|(currency, count, received, refunded)| CurrencyTotal {
            currency,
            count,
            received,
            refunded,
        })
        .collect()
}

fn date(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(ms / 1000).expect("a time");
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

/// The first store of the view whose figures differ from counts made from the rows (as the page
/// made them before), if any.
async fn stores_mismatch(s: &TestServer, b: &Browser, tenant: &str) -> Option<String> {
    let view: StoresView = b.list("all_stores", &[]).await;
    let overview: app::dashboard::types::OverviewView = b.ok("fleet_overview", &[]).await;
    let today = now_ms() - now_ms().rem_euclid(DAY_MS);
    for store in &view.stores {
        let counts: (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT
               CAST(COALESCE(SUM(CASE WHEN status = 'online' THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN status = 'offline' THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN action_status = 'in_progress' THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN alert_since IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN stuck_since IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM readers WHERE tenant_id = $1 AND location_id = $2",
        )
        .bind(tenant)
        .bind(&store.location_id)
        .fetch_one(&s.state.db.pool)
        .await
        .expect("reader counts");
        if (
            store.online,
            store.offline,
            store.busy,
            store.alerts,
            store.stuck,
        ) != counts
        {
            return Some(format!("readers of {}: {counts:?}", store.name));
        }
        let takings: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT currency, COUNT(*), CAST(SUM(amount_received - amount_refunded) AS BIGINT)
             FROM payments WHERE tenant_id = $1 AND location_id = $2 AND status = 'succeeded'
               AND created_at >= $3
             GROUP BY currency ORDER BY currency",
        )
        .bind(tenant)
        .bind(&store.location_id)
        .bind(today)
        .fetch_all(&s.state.db.pool)
        .await
        .expect("takings");
        let volume: Vec<(String, i64)> = takings.iter().map(|(c, _, v)| (c.clone(), *v)).collect();
        if store.today_count != takings.iter().map(|t| t.1).sum::<i64>()
            || store.today_volume != volume
        {
            return Some(format!("takings today at {}: {takings:?}", store.name));
        }
        let last: Option<String> = sqlx::query_scalar(
            "SELECT id FROM payments WHERE tenant_id = $1 AND location_id = $2
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(tenant)
        .bind(&store.location_id)
        .fetch_optional(&s.state.db.pool)
        .await
        .expect("last payment");
        if store.last_payment.as_ref().map(|p| p.id.clone()) != last {
            return Some(format!("last payment at {}: {last:?}", store.name));
        }
        // The Overview reads the same kept figure for its "Last transaction" of a store.
        if let Some(card) = overview
            .locations
            .iter()
            .find(|l| l.id == store.location_id)
        {
            if card.last_payment.as_ref().map(|p| p.id.clone()) != last {
                return Some(format!(
                    "Overview's last transaction at {}: {last:?}",
                    store.name
                ));
            }
        }
    }
    None
}

#[tokio::test]
async fn kept_figures_match_the_rows_after_a_day_of_changes() {
    let s = TestServer::start().await;
    let owner = s.user("figures@example.com").await;
    let connection = default_connection(&owner).await;
    let cafe = create_location(&owner, &connection, "Cafe").await;
    let bar = create_location(&owner, &connection, "Bar").await;
    let till = register(&owner, &cafe, "simulated-wpe", "Till").await;
    let tap = register(&owner, &bar, "simulated-wpe", "Tap").await;
    let spare = register(&owner, &bar, "simulated-wpe", "Spare").await;
    let tenant = owner.me().await.expect("me").tenant.id;
    let db = &s.state.db;

    // A sale of one millisecond before midnight UTC, refunded after it: its refund belongs to
    // yesterday, not to today's takings.
    let yesterday_sale = sale(&owner, &till, "30", "automatic", "4242424242424242").await;
    let midnight = now_ms() - now_ms().rem_euclid(DAY_MS);
    sqlx::query("UPDATE payments SET created_at = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(midnight - 1)
        .bind(&tenant)
        .bind(&yesterday_sale)
        .execute(&db.pool)
        .await
        .expect("move the sale to yesterday");
    assert!(
        repair_tenant(db, &tenant).await.expect("repair"),
        "a row changed by hand puts the figures out of step"
    );

    let coffee = sale(&owner, &till, "12.50", "automatic", "4242424242424242").await;
    refund(&owner, &coffee, "5").await;
    sale(&owner, &tap, "9.99", "automatic", "4000000000009995").await;
    let held = sale(&owner, &tap, "40", "manual", "5555555555554444").await;
    let waiting = sale(&owner, &spare, "3", "automatic", "").await;
    let op = payment_detail(&owner, &waiting).await.op;
    let () = owner
        .ok("cancel_payment", &[("id", &waiting), ("op", &op)])
        .await;
    refund(&owner, &yesterday_sale, "10").await;
    assert_eq!(
        payment_detail(&owner, &held).await.payment.status_label(),
        "Authorised"
    );

    // Tap goes offline at Stripe and the sync notices; Spare is deleted; Till moves to the Bar
    // (as the sync applies Stripe's view of it).
    set_reader_state(&s, &tap, "offline").await;
    eventually("the sync sees Tap offline", 20, || async {
        !is_online(&owner, &tap).await
    })
    .await;
    let () = owner.ok("delete_reader", &[("id", &spare)]).await;
    let mut tx = db.begin_write().await.expect("begin");
    let before = reader_rows::load(&mut tx, &connection, &till)
        .await
        .expect("load")
        .expect("Till");
    let moved = Mirror {
        location_id: Some(bar.clone()),
        ..before.clone()
    };
    reader_rows::apply(
        &mut tx,
        &tenant,
        &connection,
        Some(&before),
        &moved,
        now_ms(),
    )
    .await
    .expect("move Till");
    tx.commit().await.expect("commit");

    let mut last = None;
    for _ in 0..200 {
        last = out_of_step(db, &tenant).await.expect("compare");
        if last.is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last, None, "the kept figures match the rows");
    // The sync may move Till back to the Cafe meanwhile, as Stripe still has it there.
    eventually("All stores says what the rows say", 20, || async {
        stores_mismatch(&s, &owner, &tenant).await.is_none()
    })
    .await;

    let today = date(now_ms());
    let yesterday = date(midnight - 1);
    let filters: Vec<(Vec<(&str, &str)>, String)> = vec![
        (vec![], "true".into()),
        (
            vec![("query[status]", "succeeded")],
            "p.status = 'succeeded' AND p.amount_refunded = 0".into(),
        ),
        (vec![("query[status]", "refunded")], "p.amount_refunded > 0".into()),
        (
            vec![("query[status]", "requires_capture")],
            "p.status = 'requires_capture'".into(),
        ),
        (vec![("query[status]", "canceled")], "p.status = 'canceled'".into()),
        (
            vec![("query[status]", "declined")],
            "p.status = 'requires_payment_method' AND p.failure_code IS NOT NULL".into(),
        ),
        (
            vec![("query[status]", "waiting")],
            "p.status IN ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing') AND p.failure_code IS NULL AND p.gave_up IS NULL".into(),
        ),
        (vec![("query[location]", &cafe)], format!("p.location_id = '{cafe}'")),
        (vec![("query[location]", &bar)], format!("p.location_id = '{bar}'")),
        (vec![("query[reader]", &till)], format!("p.reader_id = '{till}'")),
        (vec![("query[reader]", &tap)], format!("p.reader_id = '{tap}'")),
        (
            vec![("query[from]", &yesterday), ("query[to]", &yesterday)],
            format!("p.created_at >= {} AND p.created_at < {midnight}", midnight - DAY_MS),
        ),
        (
            vec![("query[from]", &today)],
            format!("p.created_at >= {midnight}"),
        ),
        (
            vec![
                ("query[status]", "refunded"),
                ("query[location]", &cafe),
                ("query[to]", &yesterday),
            ],
            format!("p.amount_refunded > 0 AND p.location_id = '{cafe}' AND p.created_at < {midnight}"),
        ),
        (
            vec![("query[card]", "4242")],
            "p.card_last4 = '4242'".into(),
        ),
    ];
    for (filter, condition) in &filters {
        let kept: Vec<CurrencyTotal> = owner.ok("transaction_totals", filter).await;
        assert_eq!(
            kept,
            totals_from_rows(&s, &tenant, condition).await,
            "totals for {filter:?}"
        );
    }
    let of_yesterday: Vec<CurrencyTotal> = owner
        .ok(
            "transaction_totals",
            &[("query[from]", &yesterday), ("query[to]", &yesterday)],
        )
        .await;
    assert_eq!(
        of_yesterday,
        vec![CurrencyTotal {
            currency: "usd".into(),
            count: 1,
            received: 3000,
            refunded: 1000
        }],
        "yesterday's sale, refunded today, stays yesterday's"
    );

    // The Overview's 14 days of volume, summed from the rollup, are what the rows say.
    let overview: app::dashboard::types::OverviewView = owner.ok("fleet_overview", &[]).await;
    let since = midnight - 13 * DAY_MS;
    let by_day: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT created_at - (created_at % 86400000),
           CAST(SUM(amount_received - amount_refunded) AS BIGINT)
         FROM payments WHERE tenant_id = $1 AND status = 'succeeded' AND currency = 'usd'
           AND created_at >= $2
         GROUP BY created_at - (created_at % 86400000)",
    )
    .bind(&tenant)
    .bind(since)
    .fetch_all(&db.pool)
    .await
    .expect("volume by day");
    let expected: Vec<(i64, i64)> = (0..14)
        .map(|n| {
            let day = since + n * DAY_MS;
            let amount = by_day
                .iter()
                .filter(|(d, _)| *d == day)
                .map(|(_, a)| *a)
                .sum();
            (day, amount)
        })
        .collect();
    assert_eq!(overview.volume_currency.as_deref(), Some("usd"));
    assert_eq!(overview.volume, expected, "the Overview's volume");
    assert!(
        expected.iter().filter(|(_, a)| *a != 0).count() >= 2,
        "two days with takings"
    );
}

#[tokio::test]
async fn a_corrupted_figure_is_found_and_repaired() {
    let s = TestServer::start().await;
    let owner = s.user("repair@example.com").await;
    let connection = default_connection(&owner).await;
    let cafe = create_location(&owner, &connection, "Cafe").await;
    let till = register(&owner, &cafe, "simulated-wpe", "Till").await;
    sale(&owner, &till, "12.50", "automatic", "4242424242424242").await;
    let tenant = owner.me().await.expect("me").tenant.id;
    let db = &s.state.db;
    eventually("the kept figures match the rows", 20, || async {
        in_step(db, &tenant).await.expect("compare")
    })
    .await;
    let right: StoresView = owner.list("all_stores", &[]).await;
    let right_totals: Vec<CurrencyTotal> = owner.ok("transaction_totals", &[]).await;

    for corruption in [
        "UPDATE store_figures SET online = online + 7, last_payment_id = NULL",
        "UPDATE store_takings SET volume = volume * 3",
        "UPDATE payment_rollup SET count = count + 5, received = 1",
    ] {
        sqlx::query(corruption)
            .execute(&db.pool)
            .await
            .expect("corrupt");
    }
    let wrong: StoresView = owner.list("all_stores", &[]).await;
    assert_ne!(wrong.stores, right.stores, "the corruption shows");
    assert!(!in_step(db, &tenant).await.expect("compare"));

    assert!(repair_tenant(db, &tenant).await.expect("repair"));
    assert!(in_step(db, &tenant).await.expect("compare"));
    assert!(
        !repair_tenant(db, &tenant).await.expect("repair"),
        "nothing left to repair"
    );
    let repaired: StoresView = owner.list("all_stores", &[]).await;
    assert_eq!(repaired.stores, right.stores);
    assert_eq!(repaired.totals, right.totals);
    let totals: Vec<CurrencyTotal> = owner.ok("transaction_totals", &[]).await;
    assert_eq!(totals, right_totals);

    // The same through the command a platform operator runs.
    sqlx::query("DELETE FROM store_figures")
        .execute(&db.pool)
        .await
        .expect("corrupt");
    let data = tempfile::tempdir().expect("tempdir");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_terminal-fleet"));
    command
        .arg("repair-figures")
        .env("DATABASE_URL", &s.database_url)
        .env("FLEET_DATA_DIR", data.path())
        .env("FLEET_SIMULATOR", "false")
        .env("RUST_LOG", "error");
    // Off the test's runtime, which keeps serving meanwhile.
    let out = tokio::task::spawn_blocking(move || command.output().expect("terminal-fleet runs"))
        .await
        .expect("joined");
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("repaired in 1 organisation"),
        "{out:?}"
    );
    let repaired: StoresView = owner.list("all_stores", &[]).await;
    assert_eq!(repaired.stores, right.stores);
}

/// Waits until the kept figures of `tenant` are what its rows make, saying what differs if not.
async fn settles(s: &TestServer, tenant: &str, when: &str) {
    let mut last = None;
    for _ in 0..100 {
        last = out_of_step(&s.state.db, tenant).await.expect("compare");
        if last.is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{when}: the kept figures differ from the rows: {last:?}");
}

/// Moves a reader's times back by hand (`sql`, whose one bind is the reader: a change the
/// figures do not count) and waits for the sync to raise the alert that makes `raised` true.
async fn age_until_raised(
    s: &TestServer,
    b: &Browser,
    reader: &str,
    sql: &str,
    raised: fn(&ReaderView) -> bool,
) {
    sqlx::query(sql)
        .bind(reader)
        .execute(&s.state.db.pool)
        .await
        .expect("age");
    eventually("the alert raised", 10, || async {
        raised(&reader_detail(b, reader).await.reader)
    })
    .await;
}

#[tokio::test]
async fn alerts_stuck_actions_and_a_deleted_store_keep_the_figures_exact() {
    let s = TestServer::start().await;
    let owner = s.user("alerted@example.com").await;
    let connection = default_connection(&owner).await;
    let cafe = create_location(&owner, &connection, "Cafe").await;
    let kiosk = create_location(&owner, &connection, "Kiosk").await;
    let till = register(&owner, &cafe, "simulated-wpe", "Till").await;
    let door = register(&owner, &cafe, "simulated-wpe", "Door").await;
    let stand = register(&owner, &kiosk, "simulated-wpe", "Stand").await;
    let tenant = owner.me().await.expect("me").tenant.id;
    let db = &s.state.db;
    let () = owner.ok("set_alert_threshold", &[("minutes", "1")]).await;
    let () = owner.ok("set_stuck_threshold", &[("minutes", "2")]).await;

    // A stuck action: raised by the sync, cleared by one click.
    let op = app::payments::ssr::payments_service::new_operation();
    charge(&owner, &till, "5", "automatic", &op).await;
    eventually("waiting for a card", 10, || async {
        reader_detail(&owner, &till).await.reader.busy()
    })
    .await;
    age_until_raised(
        &s,
        &owner,
        &till,
        "UPDATE readers SET action_at = action_at - 180000 WHERE id = $1",
        |r| r.stuck_since.is_some(),
    )
    .await;
    settles(&s, &tenant, "stuck raised").await;
    let view: StoresView = owner.list("all_stores", &[]).await;
    let at_cafe = view.stores.iter().find(|r| r.location_id == cafe);
    assert_eq!(at_cafe.map(|r| (r.stuck, r.busy)), Some((1, 1)));
    let () = owner
        .ok("cancel_reader_action", &[("id", till.as_str())])
        .await;
    settles(&s, &tenant, "stuck cleared").await;

    // An offline alert: raised by the sync, cleared when the reader returns.
    set_reader_state(&s, &door, "offline").await;
    eventually("Door offline", 20, || async {
        !is_online(&owner, &door).await
    })
    .await;
    age_until_raised(
        &s,
        &owner,
        &door,
        "UPDATE readers SET status_since = status_since - 120000 WHERE id = $1",
        |r| r.alert_since.is_some(),
    )
    .await;
    settles(&s, &tenant, "alert raised").await;
    let view: StoresView = owner.list("all_stores", &[("status", "alerts")]).await;
    assert_eq!(
        view.stores
            .iter()
            .map(|r| r.location_id.as_str())
            .collect::<Vec<_>>(),
        vec![cafe.as_str()],
        "the alerts filter reads the kept figure"
    );
    set_reader_state(&s, &door, "online").await;
    eventually("alert cleared", 20, || async {
        reader_detail(&owner, &door)
            .await
            .reader
            .alert_since
            .is_none()
    })
    .await;
    settles(&s, &tenant, "alert cleared").await;
    assert_eq!(stores_mismatch(&s, &owner, &tenant).await, None);

    // A store deleted with its readers.
    sale(&owner, &stand, "7", "automatic", "4242424242424242").await;
    let (status, _) = owner
        .err("delete_location", &[("id", kiosk.as_str())])
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "its reader needs a confirmation"
    );
    let () = owner
        .ok(
            "delete_location",
            &[("id", kiosk.as_str()), ("confirm", "true")],
        )
        .await;
    settles(&s, &tenant, "store deleted").await;
    assert_eq!(stores_mismatch(&s, &owner, &tenant).await, None);
    let view: StoresView = owner.list("all_stores", &[]).await;
    assert_eq!(view.totals.stores, 1);
    assert!(
        !repair_tenant(db, &tenant).await.expect("repair"),
        "nothing for the repair pass to do"
    );
}
