//! A till is never told wrong: what the point-of-sale API answers about a payment agrees with
//! what Stripe did with it, when events about the previous sale arrive late, when Stripe fails
//! and hangs, when webhooks are dropped and delayed, and when the instance a till was talking
//! to dies in the middle of its request.

use crate::harness::fleet::{create_location, default_connection, register};
use crate::harness::pos::{create_key, Answer, Till};
use crate::harness::process::instance;
use crate::harness::stripe::{account_of_connection, clear_faults, faults, intents_at_stripe, sim};
use crate::harness::wait::{eventually, until};
use crate::harness::webhooks::deliver_at;
use crate::harness::{on_postgres, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const APPROVED: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";

/// The instances a till may talk to (a load balancer's view): the live ones, in turn.
#[derive(Clone)]
struct Balancer {
    bases: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicUsize>,
}

impl Balancer {
    fn new(bases: Vec<String>) -> Balancer {
        Balancer {
            bases: Arc::new(Mutex::new(bases)),
            next: Arc::default(),
        }
    }

    fn pick(&self) -> String {
        let bases = self.bases.lock().expect("bases");
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        bases[n % bases.len()].clone()
    }

    fn replace(&self, old: &str, new: Option<String>) {
        let mut bases = self.bases.lock().expect("bases");
        bases.retain(|b| b != old);
        bases.extend(new);
    }
}

/// Sends one request until it gets an answer that is not ours to retry (what a till does:
/// the same Idempotency-Key on every retry of a sale), for at most `seconds`.
async fn until_answered(
    till: &Till,
    lb: &Balancer,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
    seconds: u64,
) -> Answer {
    let what = format!("{path}: an answer");
    until(&what, seconds, Duration::from_millis(150), || async {
        let a = till.try_at(&lb.pick(), path, key, body.clone()).await?;
        let retry = a.status.is_server_error()
            || a.status == StatusCode::CONFLICT
            || a.status == StatusCode::TOO_MANY_REQUESTS;
        (!retry).then_some(a)
    })
    .await
}

/// A sale as the till saw it.
#[derive(Debug, Clone)]
struct Sale {
    key: String,
    payment: String,
    card: &'static str,
    told: String,
}

/// One till ringing up `sales` sales back to back on one reader: start, the customer taps,
/// wait for the outcome; every step retried with its key on any failure.
async fn ring_up(till: Till, lb: Balancer, reader: String, lane: usize, sales: usize) -> Vec<Sale> {
    let mut done = Vec::new();
    for n in 0..sales {
        let key = format!("lane{lane}-sale{n:03}");
        let card = if (lane + n) % 10 == 9 {
            DECLINED
        } else {
            APPROVED
        };
        let started = until_answered(
            &till,
            &lb,
            "/payments",
            Some(&key),
            Some(json!({"reader": reader, "amount": 1000 + 100 * n as i64, "currency": "usd"})),
            90,
        )
        .await;
        assert_eq!(
            started.status,
            StatusCode::CREATED,
            "{key}: {}",
            started.body
        );
        let payment = started.body["id"].as_str().expect("id").to_string();
        assert_ne!(
            started.body["outcome"], "reader_failed",
            "{key} was told it failed as it started: {}",
            started.body
        );
        let tapped = until_answered(
            &till,
            &lb,
            &format!("/test_helpers/readers/{reader}/present_payment_method"),
            Some(&format!("{key}-tap")),
            Some(json!({"card_number": card})),
            90,
        )
        .await;
        assert!(tapped.status.is_success(), "{key} tap: {}", tapped.body);
        let told = loop {
            let a = until_answered(
                &till,
                &lb,
                &format!("/payments/{payment}?wait=20s"),
                None,
                None,
                90,
            )
            .await;
            assert_eq!(a.status, StatusCode::OK, "{key}: {}", a.body);
            let outcome = a.body["outcome"].as_str().unwrap_or("").to_string();
            if outcome != "pending" {
                break outcome;
            }
        };
        done.push(Sale {
            key,
            payment,
            card,
            told,
        });
    }
    done
}

#[tokio::test]
async fn a_late_event_about_the_previous_sale_never_fails_the_current_one() {
    let s = TestServer::start().await;
    let owner = s.user("late@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Cafe").await;
    let reader = register(&owner, &location, "simulated-wpe", "Till").await;
    let till = Till::new(&s, &create_key(&owner, "Till", "pos").await.secret);
    let lb = Balancer::new(vec![s.base.clone()]);

    // The previous sale: paid.
    let first = ring_up(till.clone(), lb.clone(), reader.clone(), 0, 1).await;
    assert_eq!(first[0].told, "succeeded");
    let previous = first[0].payment.clone();

    // The next sale starts; then Stripe's events about the previous one arrive, late.
    let next = until_answered(
        &till,
        &lb,
        "/payments",
        Some("next-sale"),
        Some(json!({"reader": reader, "amount": 700})),
        30,
    )
    .await;
    let current = next.body["id"].as_str().expect("id").to_string();
    let created = app::ssr::ids::now_ms() / 1000 - 1;
    for (n, (kind, status, failure)) in [
        ("terminal.reader.action_succeeded", "succeeded", Value::Null),
        (
            "terminal.reader.action_failed",
            "failed",
            json!("The customer canceled the payment on the reader."),
        ),
        ("terminal.reader.action_updated", "in_progress", Value::Null),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({
            "id": format!("evt_late{n}"), "object": "event", "type": kind, "created": created,
            "livemode": false, "pending_webhooks": 1, "api_version": "2026-10-28.endive",
            "request": {"id": null, "idempotency_key": null},
            "data": {"object": {
                "id": reader, "object": "terminal.reader", "device_type": "simulated_wisepos_e",
                "label": "Till", "livemode": false, "location": location, "metadata": {},
                "serial_number": "SIM-1", "status": "online", "device_sw_version": "2.1.0",
                "ip_address": "10.0.0.2", "last_seen_at": created * 1000,
                "action": {"type": "process_payment_intent", "status": status,
                           "failure_code": if failure.is_null() { Value::Null } else { json!("customer_canceled") },
                           "failure_message": failure,
                           "process_payment_intent": {"payment_intent": previous}}
            }}
        })
        .to_string();
        let r = deliver_at(&s, &connection, body, created).await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let now = till
            .try_at(&s.base, &format!("/payments/{current}"), None, None)
            .await
            .expect("answer");
        assert_eq!(
            now.body["outcome"], "pending",
            "a late {kind} about {previous} decided {current}: {}",
            now.body
        );
        let on_reader = till
            .try_at(&s.base, &format!("/readers/{reader}"), None, None)
            .await
            .expect("answer");
        assert_eq!(
            on_reader.body["action"]["payment"], current,
            "the reader still shows the current sale after a late {kind}: {}",
            on_reader.body
        );
    }
    // The customer pays: the till hears it.
    let tapped = till
        .try_at(
            &s.base,
            &format!("/test_helpers/readers/{reader}/present_payment_method"),
            Some("next-tap"),
            Some(json!({})),
        )
        .await
        .expect("tap");
    assert!(tapped.status.is_success(), "{}", tapped.body);
    let paid = till
        .try_at(
            &s.base,
            &format!("/payments/{current}?wait=20s"),
            None,
            None,
        )
        .await
        .expect("answer");
    assert_eq!(paid.body["outcome"], "succeeded", "{}", paid.body);
}

#[tokio::test]
async fn a_sale_whose_instance_died_is_taken_over_within_seconds() {
    let s = TestServer::start().await;
    let owner = s.user("takeover@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Cafe").await;
    let reader = register(&owner, &location, "simulated-wpe", "Till").await;
    let till = Till::new(&s, &create_key(&owner, "Till", "pos").await.secret);
    let mut doomed = instance(&s).await;
    // Stripe hangs on the first PaymentIntent, so the request is still running when its
    // instance is killed.
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 0, "count": 1, "hang_ms": 3000, "path_prefix": "/v1/payment_intents",
               "method": "POST", "account": account_of_connection(&s, &connection).await}),
    )
    .await;
    let sale = json!({"reader": reader, "amount": 1250});
    let first = {
        let (till, base, sale) = (till.clone(), doomed.base.clone(), sale.clone());
        tokio::spawn(async move {
            till.try_at(&base, "/payments", Some("sale-dead"), Some(sale))
                .await
        })
    };
    eventually("Stripe hangs on the sale's PaymentIntent", 10, || async {
        faults(&s).await.is_empty()
    })
    .await;
    doomed.child.kill().await.expect("kill -9");
    let killed = tokio::time::Instant::now();
    assert!(
        first.await.expect("task").is_none(),
        "the killed instance answered"
    );

    // The till retries on the instance that is left, with the same key, every 250 ms.
    let conflicts = AtomicUsize::new(0);
    let answer = until(
        "the sale taken over after its instance died",
        15,
        Duration::from_millis(250),
        || async {
            let a = till
                .try_at(&s.base, "/payments", Some("sale-dead"), Some(sale.clone()))
                .await
                .expect("answer");
            if a.status != StatusCode::CONFLICT {
                return Some(a);
            }
            assert_eq!(
                a.body["error"]["code"], "idempotency_in_progress",
                "{}",
                a.body
            );
            conflicts.fetch_add(1, Ordering::Relaxed);
            None
        },
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert!(
        conflicts.load(Ordering::Relaxed) > 0,
        "the dead instance's claim was honoured for a moment"
    );
    let waited = killed.elapsed();
    assert!(
        waited <= Duration::from_secs(12),
        "the till waited {waited:?}"
    );
    let intents = intents_at_stripe(&s, &owner).await;
    assert_eq!(
        intents.len(),
        1,
        "one PaymentIntent for the sale: {:?}",
        intents.keys()
    );
    assert!(intents.contains_key(answer.body["id"].as_str().expect("id")));
}

#[tokio::test]
async fn a_busy_store_under_faults_tells_every_till_the_truth() {
    let s = TestServer::start().await;
    let owner = s.user("store@example.com").await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "High Street").await;
    let lanes = 4;
    let per_lane = if on_postgres() { 10 } else { 8 };
    let mut readers = Vec::new();
    for n in 0..lanes {
        readers.push(register(&owner, &location, "simulated-wpe", &format!("Till {n}")).await);
    }
    // PostgreSQL: two instances behind the balancer, and a third process killed mid-run and
    // started again. SQLite: one instance.
    let second = if on_postgres() {
        Some(s.another_instance().await)
    } else {
        None
    };
    let mut doomed = if on_postgres() {
        Some(instance(&s).await)
    } else {
        None
    };
    let mut bases = vec![s.base.clone()];
    bases.extend(second.as_ref().map(|b| b.base.clone()));
    bases.extend(doomed.as_ref().map(|p| p.base.clone()));
    let lb = Balancer::new(bases);

    let account = account_of_connection(&s, &connection).await;
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 500, "rate": 0.05, "account": account}),
    )
    .await;
    sim(
        &s,
        "/_sim/faults",
        json!({"status": 0, "rate": 0.05, "hang_ms": 2000, "account": account}),
    )
    .await;
    sim(&s, "/_sim/webhooks", json!({"delay_ms": 200, "drop": 20})).await;

    let mut tills = Vec::new();
    for (lane, reader) in readers.iter().enumerate() {
        let till = Till::new(
            &s,
            &create_key(&owner, &format!("Till {lane}"), "pos")
                .await
                .secret,
        );
        tills.push(tokio::spawn(ring_up(
            till,
            lb.clone(),
            reader.clone(),
            lane,
            per_lane,
        )));
    }
    if let Some(process) = doomed.as_mut() {
        // A third of the way in, one instance dies with whatever it was doing; it comes back.
        eventually("a third of the sales", 120, || async {
            s.count("SELECT COUNT(*) FROM payments").await >= (lanes * per_lane / 3) as i64
        })
        .await;
        process.child.kill().await.expect("kill -9");
        lb.replace(&process.base, None);
        // The sleep is the outage itself: the instance stays down a while, as a real restart
        // does, with the claims of the sales it held left behind.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let back = instance(&s).await;
        lb.replace("", Some(back.base.clone()));
        *process = back;
    }
    let mut sales = Vec::new();
    for till in tills {
        sales.extend(till.await.expect("till"));
    }
    clear_faults(&s).await;
    assert_eq!(sales.len(), lanes * per_lane);

    // Every till was told what Stripe did, and the database agrees once the faults clear.
    let intents = intents_at_stripe(&s, &owner).await;
    assert_eq!(
        intents.len(),
        sales.len(),
        "exactly one PaymentIntent per sale"
    );
    for sale in &sales {
        let pi = &intents[&sale.payment];
        let expected = if sale.card == DECLINED {
            "declined"
        } else {
            "succeeded"
        };
        assert_eq!(
            sale.told, expected,
            "{} ({}) was told {} while Stripe says {:?}",
            sale.key, sale.payment, sale.told, pi.status
        );
        let stripe_says = match (pi.status.as_str(), &pi.last_payment_error) {
            ("succeeded", _) => "succeeded",
            ("requires_payment_method", Some(_)) => "declined",
            (other, _) => other,
        };
        assert_eq!(stripe_says, expected, "{} at Stripe", sale.key);
    }
    eventually("the database agrees with Stripe", 30, || async {
        let mut agree = true;
        for sale in &sales {
            let status: String = sqlx::query_scalar("SELECT status FROM payments WHERE id = $1")
                .bind(&sale.payment)
                .fetch_one(&s.state.db.pool)
                .await
                .expect("row");
            agree &= status == intents[&sale.payment].status.as_str();
        }
        agree
    })
    .await;
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payments WHERE gave_up IS NOT NULL")
            .await,
        0,
        "no reader gave up on any sale"
    );
}
