//! The reader sync's schedule against the simulator: a small fleet's change at Stripe reaches
//! our rows within the interval, and no account is read faster than its read budget, counted
//! by the simulator itself.

use crate::harness::fleet::{create_location, default_connection, register};
use crate::harness::stripe::{account_of_connection, requests_of, set_reader_state};
use crate::harness::wait::eventually;
use crate::harness::TestServer;
use server::config::Config;
use server::tasks::reader_sync::{ReadBudget, SyncConfig};
use std::time::{Duration, Instant};

async fn status_of(s: &TestServer, reader: &str) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM readers WHERE id = $1")
        .bind(reader)
        .fetch_optional(&s.state.db.pool)
        .await
        .expect("status")
}

#[tokio::test]
async fn a_small_fleets_change_at_stripe_is_seen_within_two_seconds() {
    // The production schedule: the bound is 2 s at the p99.
    let s = TestServer::start_with(Some(Box::new(|config| Config {
        sync: SyncConfig::default(),
        ..config
    })))
    .await;
    let owner = s.user("fresh@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Front").await;
    let mut readers = Vec::new();
    for n in 0..3 {
        readers.push(register(&owner, &location, "simulated-wpe", &format!("Till {n}")).await);
    }
    eventually("all mirrored online", 10, || async {
        let mut online = 0;
        for id in &readers {
            online += usize::from(status_of(&s, id).await.as_deref() == Some("online"));
        }
        online == readers.len()
    })
    .await;
    let bound = Duration::from_secs(2);
    for (n, id) in readers.iter().enumerate() {
        // At different points of the connection's interval.
        tokio::time::sleep(Duration::from_millis(350 * n as u64)).await;
        let changed = Instant::now();
        set_reader_state(&s, id, "offline").await;
        while status_of(&s, id).await.as_deref() != Some("offline") {
            assert!(
                changed.elapsed() < bound,
                "reader {n} still online {:?} after it went offline at Stripe",
                changed.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn no_account_is_read_faster_than_its_budget() {
    // An interval far shorter than the budget allows: the budget must set the pace.
    let budget = 2.0;
    let s = TestServer::start_with(Some(Box::new(move |config| Config {
        sync: SyncConfig {
            interval: Duration::from_millis(100),
            read_budget: ReadBudget {
                test_mode: budget,
                live_mode: budget,
            },
            ..SyncConfig::default()
        },
        ..config
    })))
    .await;
    let owner = s.user("budget@example.com").await;
    let connection = default_connection(&owner).await;
    let account = account_of_connection(&s, &connection).await;
    let location = create_location(&owner, &connection, "Back").await;
    let reader = register(&owner, &location, "simulated-wpe", "Till").await;
    eventually("mirrored", 10, || async {
        status_of(&s, &reader).await.is_some()
    })
    .await;

    let before = requests_of(&s, &account).await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let after = requests_of(&s, &account).await;
    let reads = (after.reads - before.reads) as f64;
    let seconds = started.elapsed().as_secs_f64();
    // Each sync pays for its calls before the next: at most the budget over the window, plus
    // the calls of the one sync that started before the window and was paid for inside it.
    assert!(
        reads <= budget * seconds + 4.0,
        "{reads} reads in {seconds:.1} s at a budget of {budget}/s"
    );
    assert!(
        reads >= seconds,
        "the sync still runs: {reads} reads in {seconds:.1} s"
    );
    assert_eq!(after.refused, 0, "no 429");

    // And it still follows Stripe, at the budget's pace.
    set_reader_state(&s, &reader, "offline").await;
    eventually("offline seen", 5, || async {
        status_of(&s, &reader).await.as_deref() == Some("offline")
    })
    .await;
}
