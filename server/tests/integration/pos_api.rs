//! The point-of-sale API over real HTTP: key lifecycle and scopes, tenant isolation, idempotent
//! payment start under retries, the long-poll outcome, errors, the rate limit, the audit trail,
//! and the OpenAPI document checked against what every documented path answers.

use crate::harness::fleet::owner_with_reader;
use crate::harness::members::join;
use crate::harness::pos::{create_key, Answer, Till};
use crate::harness::stripe::{intents_at_stripe, set_reader_state};
use crate::harness::wait::eventually;
use crate::harness::{message, TestServer};
use app::api_keys::types::ApiKeysView;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or("")
}

async fn start(till: &Till, reader: &str, amount: i64, capture: &str, key: &str) -> Answer {
    till.post(
        "/payments",
        Some(key),
        json!({"reader": reader, "amount": amount, "currency": "usd",
               "description": "Flat white", "capture_method": capture}),
    )
    .await
}

#[tokio::test]
async fn keys_are_shown_once_scoped_and_revocable() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "keys@example.com").await;
    let created = create_key(&owner, "Till 1", "pos").await;
    assert!(created.secret.starts_with("tfk_"), "{}", created.secret);

    // Listed by name and prefix; the secret is never shown again, nor stored in the clear.
    let listed: ApiKeysView = owner.ok("list_api_keys", &[]).await;
    assert_eq!(listed.keys.len(), 1);
    assert!(created.secret.starts_with(&listed.keys[0].prefix));
    assert!(listed.keys[0].last_used_at.is_none());
    let page = owner
        .get("/settings/api-keys")
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("Till 1"), "the key's name is not on its page");
    assert!(
        !page.contains(&created.secret),
        "the key's secret is on its page"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT COUNT(*) FROM api_keys WHERE secret_hash = '{}' OR prefix = '{}'",
            created.secret, created.secret
        ))
        .await,
        0
    );
    let (status, err) = owner
        .err("create_api_key", &[("name", "Till 1"), ("scope", "pos")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["Invalid"]["field"], "name");
    let (_, err) = owner
        .err("create_api_key", &[("name", "Till 2"), ("scope", "root")])
        .await;
    assert_eq!(err["Invalid"]["field"], "scope");

    let till = Till::new(&s, &created.secret);
    let readers = till.get("/readers").await;
    assert_eq!(readers.status, StatusCode::OK, "{}", readers.body);
    assert_eq!(readers.body["data"][0]["id"], reader.as_str());
    let listed: ApiKeysView = owner.ok("list_api_keys", &[]).await;
    assert!(listed.keys[0].last_used_at.is_some());

    // Scopes: a pos key may start payments but not refund; a read key may not start them.
    let refund = till
        .post("/payments/pi_whatever/refunds", Some("r1"), json!({}))
        .await;
    assert_eq!(refund.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&refund), "insufficient_scope");
    let read = create_key(&owner, "Dashboard screen", "read").await;
    let reader_only = Till::new(&s, &read.secret);
    let denied = start(&reader_only, &reader, 500, "automatic", "k-read").await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&denied), "insufficient_scope");
    assert_eq!(s.count("SELECT COUNT(*) FROM payments").await, 0);

    // Only admins create and revoke keys; auditors may see the list.
    let auditor = join(&s, &owner, "keys-auditor@example.com", "auditor").await;
    let seen: ApiKeysView = auditor.ok("list_api_keys", &[]).await;
    assert_eq!(seen.keys.len(), 2);
    assert!(!seen.can_manage);
    let (status, _) = auditor
        .err("create_api_key", &[("name", "Mine"), ("scope", "payments")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = auditor.err("revoke_api_key", &[("id", &created.id)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let operator = join(&s, &owner, "keys-operator@example.com", "operator").await;
    let (status, _) = operator.err("list_api_keys", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Revoked: refused at once, with the same words as a key that never existed.
    let () = owner.ok("revoke_api_key", &[("id", &created.id)]).await;
    let after = till.get("/readers").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&after), "unauthenticated");
    let made_up = Till::new(&s, "tfk_madeupmadeupmadeup")
        .get("/readers")
        .await;
    assert_eq!(
        made_up.body["error"]["message"],
        after.body["error"]["message"]
    );
    let anonymous = Till::anonymous(&s).get("/readers").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers.contains_key("www-authenticate"));
    let audit = s
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('api_key.created', 'api_key.revoked')",
        )
        .await;
    assert_eq!(audit, 3);
}

#[tokio::test]
async fn a_key_of_one_tenant_sees_and_changes_nothing_of_another() {
    let s = TestServer::start().await;
    let (alice, alice_reader) = owner_with_reader(&s, "alice-api@example.com").await;
    let (bob, bob_reader) = owner_with_reader(&s, "bob-api@example.com").await;
    let alice_till = Till::new(&s, &create_key(&alice, "A", "payments").await.secret);
    let bob_till = Till::new(&s, &create_key(&bob, "B", "payments").await.secret);
    let bob_payment = start(&bob_till, &bob_reader, 900, "automatic", "bob-1").await;
    assert_eq!(
        bob_payment.status,
        StatusCode::CREATED,
        "{}",
        bob_payment.body
    );
    let bob_pi = bob_payment.body["id"].as_str().expect("id").to_string();

    let listed = alice_till.get("/readers").await;
    let ids: Vec<&str> = listed.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, vec![alice_reader.as_str()]);
    for (method, path, body) in [
        ("GET", format!("/readers/{bob_reader}"), None),
        ("GET", format!("/payments/{bob_pi}"), None),
        ("GET", format!("/payments/{bob_pi}?wait=1s"), None),
        (
            "POST",
            format!("/readers/{bob_reader}/cancel_action"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/test_helpers/readers/{bob_reader}/present_payment_method"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/payments/{bob_pi}/capture"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/payments/{bob_pi}/cancel"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/payments/{bob_pi}/refunds"),
            Some(json!({})),
        ),
        (
            "POST",
            "/payments".to_string(),
            Some(json!({"reader": bob_reader, "amount": 100})),
        ),
    ] {
        let method: reqwest::Method = method.parse().expect("method");
        let key = format!("iso-{path}");
        let a = alice_till.send(method, &path, Some(&key), body).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.body);
        assert_eq!(code(&a), "not_found", "{path}");
    }
    // Bob's payment is untouched and still waits on his reader.
    let still = bob_till.get(&format!("/payments/{bob_pi}")).await;
    assert_eq!(still.body["outcome"], "pending");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM payments").await,
        1,
        "alice started nothing"
    );
}

#[tokio::test]
async fn retries_of_one_payment_make_one_payment_intent() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "retry@example.com").await;
    let till = Till::new(&s, &create_key(&owner, "Till", "pos").await.secret);

    // Five copies at once (a till retrying on a timeout) and two afterwards.
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let till = till.clone();
        let reader = reader.clone();
        tasks.push(tokio::spawn(async move {
            start(&till, &reader, 1500, "automatic", "sale-0042").await
        }));
    }
    let mut created = BTreeSet::new();
    for task in tasks {
        let a = task.await.expect("task");
        match a.status {
            StatusCode::CREATED => {
                created.insert(a.body["id"].as_str().expect("id").to_string());
            }
            StatusCode::CONFLICT => {
                assert_eq!(code(&a), "idempotency_in_progress", "{}", a.body);
                assert!(a.headers.contains_key("retry-after"));
            }
            other => panic!("unexpected {other}: {}", a.body),
        }
    }
    let again = start(&till, &reader, 1500, "automatic", "sale-0042").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    created.insert(again.body["id"].as_str().expect("id").to_string());
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(s.count("SELECT COUNT(*) FROM payments").await, 1);
    let pi = created.into_iter().next().expect("one");
    let at_stripe = intents_at_stripe(&s, &owner).await;
    assert_eq!(at_stripe.len(), 1, "one PaymentIntent at Stripe");

    // The same key for another request is refused; no key at all is refused.
    let other = start(&till, &reader, 1600, "automatic", "sale-0042").await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&other), "idempotency_key_reused");
    let keyless = till
        .post("/payments", None, json!({"reader": reader, "amount": 100}))
        .await;
    assert_eq!(keyless.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&keyless), "idempotency_key_required");

    // A new payment on the same reader replaces the one waiting for a card, as at Stripe; the
    // first then says the reader moved on, so a till waiting on it is not left hanging.
    let next = start(&till, &reader, 700, "automatic", "sale-0043").await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.body);
    let first = till.get(&format!("/payments/{pi}?wait=5s")).await;
    assert_eq!(first.body["outcome"], "reader_failed", "{}", first.body);
    assert!(first.body["failure"]["message"]
        .as_str()
        .unwrap_or("")
        .contains(next.body["id"].as_str().expect("id")));
    let next_again = start(&till, &reader, 700, "automatic", "sale-0043").await;
    assert_eq!(next_again.body, next.body);
    assert_eq!(next_again.headers["idempotent-replayed"], "true");

    // The payment names the key that started it, in the dashboard and the audit log.
    let p = till.get(&format!("/payments/{pi}")).await;
    assert_eq!(p.body["started_by"], "API key Till");
    let audited = s
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.test_charge_started' AND actor_email = 'API key Till' AND actor_user_id IS NULL")
        .await;
    assert_eq!(audited, 2, "one entry per payment, none per retry");
}

#[tokio::test]
async fn a_till_waits_for_the_outcome_and_refunds() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "wait@example.com").await;
    let key = create_key(&owner, "Till", "payments").await;
    let till = Till::new(&s, &key.secret);
    let started = start(&till, &reader, 2500, "automatic", "w-1").await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    assert_eq!(started.body["outcome"], "pending");
    let pi = started.body["id"].as_str().expect("id").to_string();

    // A short wait with nothing happening answers "pending" when its time is up.
    let pending = till.get(&format!("/payments/{pi}?wait=1s")).await;
    assert_eq!(pending.status, StatusCode::OK);
    assert_eq!(pending.body["outcome"], "pending");

    // A long wait answers as soon as the customer taps a card.
    let waiting = {
        let till = till.clone();
        let pi = pi.clone();
        tokio::spawn(async move { till.get(&format!("/payments/{pi}?wait=30s")).await })
    };
    eventually("the till's wait is held", 5, || async {
        s.state.in_flight.long_polls.held(&key.id) == 1
    })
    .await;
    assert!(!waiting.is_finished(), "the wait returned before the card");
    // As in the README's curl walk-through: a bare POST, no body.
    let tapped = till
        .send(
            reqwest::Method::POST,
            &format!("/test_helpers/readers/{reader}/present_payment_method"),
            None,
            None,
        )
        .await;
    assert_eq!(tapped.status, StatusCode::OK, "{}", tapped.body);
    let done = waiting.await.expect("wait");
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["outcome"], "succeeded", "{}", done.body);
    assert_eq!(done.body["amount_received"], 2500);

    // Refund part, then the rest; a refund needs its own key.
    let part = till
        .post(
            &format!("/payments/{pi}/refunds"),
            Some("rf-1"),
            json!({"amount": 500}),
        )
        .await;
    assert_eq!(part.status, StatusCode::OK, "{}", part.body);
    assert_eq!(part.body["amount_refunded"], 500);
    let rest = till
        .post(&format!("/payments/{pi}/refunds"), Some("rf-2"), json!({}))
        .await;
    assert_eq!(rest.body["amount_refunded"], 2500, "{}", rest.body);
    let more = till
        .post(&format!("/payments/{pi}/refunds"), Some("rf-3"), json!({}))
        .await;
    assert_eq!(more.status, StatusCode::CONFLICT);

    // A declined card: the outcome carries Stripe's decline code and words.
    let second = start(&till, &reader, 900, "automatic", "w-2").await;
    let pi2 = second.body["id"].as_str().expect("id").to_string();
    let tapped = till
        .post(
            &format!("/test_helpers/readers/{reader}/present_payment_method"),
            None,
            json!({"card_number": "4000000000009995"}),
        )
        .await;
    assert_eq!(tapped.status, StatusCode::OK, "{}", tapped.body);
    let declined = till.get(&format!("/payments/{pi2}?wait=20s")).await;
    assert_eq!(declined.body["outcome"], "declined", "{}", declined.body);
    assert_eq!(declined.body["failure"]["code"], "insufficient_funds");

    // Canceled at the till.
    let canceled = till
        .post(&format!("/payments/{pi2}/cancel"), None, json!({}))
        .await;
    assert_eq!(canceled.body["outcome"], "canceled", "{}", canceled.body);
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_every_call_is_audited() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "errors@example.com").await;
    let till = Till::new(&s, &create_key(&owner, "Till", "pos").await.secret);
    let cases: Vec<(Answer, StatusCode, &str, Option<&str>)> = vec![
        (
            till.post(
                "/payments",
                Some("e1"),
                json!({"reader": reader, "amount": 0}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("amount"),
        ),
        (
            till.post(
                "/payments",
                Some("e2"),
                json!({"reader": reader, "ammount": 5}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_json",
            None,
        ),
        (
            till.post(
                "/payments",
                Some("e3"),
                json!({"reader": reader, "amount": 5, "currency": "xyz"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("currency"),
        ),
        (
            till.post(
                "/payments",
                Some("e4"),
                json!({"reader": reader, "amount": 5, "capture_method": "later"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("capture_method"),
        ),
        (
            till.post(
                "/payments",
                Some("e5"),
                json!({"reader": "tmr_nope", "amount": 5}),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
            Some("reader"),
        ),
        (
            till.get("/payments/pi_nope?wait=forever").await,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("wait"),
        ),
        (
            till.get("/readers?status=sleeping").await,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("status"),
        ),
        (
            till.get("/nothing/here").await,
            StatusCode::NOT_FOUND,
            "no_such_endpoint",
            None,
        ),
        (
            till.send(
                reqwest::Method::DELETE,
                &format!("/readers/{reader}"),
                None,
                None,
            )
            .await,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
        ),
        (
            till.get("/readers?page=7").await,
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("page"),
        ),
        (
            till.send(reqwest::Method::POST, "/payments", Some("e6"), None)
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_json",
            None,
        ),
    ];
    for (i, (a, status, want, param)) in cases.iter().enumerate() {
        assert_eq!(a.status, *status, "case {i}: {}", a.body);
        assert_eq!(code(a), *want, "case {i}: {}", a.body);
        assert_eq!(a.body["error"]["param"].as_str(), *param, "case {i}");
        assert!(
            !a.body["error"]["message"].as_str().unwrap_or("").is_empty(),
            "case {i}"
        );
    }
    // An offline reader: Stripe's code and reason, and nothing left waiting.
    set_reader_state(&s, &reader, "offline").await;
    let offline = start(&till, &reader, 500, "automatic", "e7").await;
    assert_eq!(offline.status, StatusCode::CONFLICT, "{}", offline.body);
    assert_eq!(code(&offline), "terminal_reader_offline");
    assert!(
        message(&offline.body).to_lowercase().contains("offline"),
        "{}",
        offline.body
    );
    let cancel = till
        .post(&format!("/readers/{reader}/cancel_action"), None, json!({}))
        .await;
    assert_eq!(cancel.status, StatusCode::CONFLICT, "{}", cancel.body);
    assert_eq!(code(&cancel), "terminal_reader_offline");

    // Every call with a key is in the audit log (unknown endpoints included), by the key.
    let calls = cases.len() as i64;
    let audited = s
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'api.request' AND actor_email = 'API key Till'")
        .await;
    assert_eq!(audited, calls + 2);
}

#[tokio::test]
async fn a_key_that_calls_too_fast_is_slowed_down() {
    let s = TestServer::start_with(Some(Box::new(|mut c| {
        c.api_rate.per_second = std::num::NonZeroU32::new(5).expect("5");
        c
    })))
    .await;
    let (owner, _) = owner_with_reader(&s, "rate@example.com").await;
    let till = Till::new(&s, &create_key(&owner, "Busy till", "read").await.secret);
    let other = Till::new(&s, &create_key(&owner, "Calm till", "read").await.secret);
    let mut limited = None;
    for _ in 0..40 {
        let a = till.get("/readers").await;
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(a);
            break;
        }
        assert_eq!(a.status, StatusCode::OK);
    }
    let limited = limited.expect("a 429 within 40 quick calls at 5/s");
    assert_eq!(code(&limited), "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&retry));
    // Per key: another key of the same tenant is not slowed by it.
    assert_eq!(other.get("/readers").await.status, StatusCode::OK);
}

/// Every `$ref` in the document points at something in it.
fn refs_resolve(doc: &Value, node: &Value, path: &str) {
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    let target = v.as_str().expect("ref").trim_start_matches('#');
                    assert!(doc.pointer(target).is_some(), "{path}: dangling {target}");
                } else {
                    refs_resolve(doc, v, &format!("{path}/{k}"));
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs_resolve(doc, v, &format!("{path}/{i}"));
            }
        }
        _ => {}
    }
}

struct Documented {
    doc: Value,
    exercised: BTreeSet<(String, String)>,
}

impl Documented {
    /// Checks one answer of `method template` against the document: the status is listed for
    /// that operation and the body matches the schema given for it.
    fn check(&mut self, method: &str, template: &str, a: &Answer) {
        let op = &self.doc["paths"][template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let status = a.status.as_u16().to_string();
        let response = &op["responses"][&status];
        assert!(
            response.is_object(),
            "{method} {template} answered {status}, which is not documented: {}",
            a.body
        );
        let schema = &response["content"]["application/json"]["schema"];
        let root = json!({"components": self.doc["components"], "$ref": schema["$ref"]});
        let validator = jsonschema::validator_for(&root).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&a.body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: {errors:?}\n{:#}",
            a.body
        );
        self.exercised
            .insert((method.to_lowercase(), template.to_string()));
    }
}

#[tokio::test]
async fn the_openapi_document_matches_what_every_path_answers() {
    let s = TestServer::start().await;
    let doc = Till::anonymous(&s).get("/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.body;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    refs_resolve(&doc, &doc, "");
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        let root = json!({"components": doc["components"], "$ref": format!("#/components/schemas/{name}")});
        jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(schema.is_object());
    }
    let mut d = Documented {
        doc: doc.clone(),
        exercised: BTreeSet::new(),
    };

    let (owner, reader) = owner_with_reader(&s, "openapi@example.com").await;
    let till = Till::new(&s, &create_key(&owner, "Till", "payments").await.secret);
    let reader_path = format!("/readers/{reader}");
    d.check("GET", "/readers", &till.get("/readers?status=online").await);
    d.check("GET", "/readers/{id}", &till.get(&reader_path).await);
    d.check("GET", "/readers/{id}", &till.get("/readers/tmr_none").await);

    let first = start(&till, &reader, 1234, "manual", "doc-1").await;
    d.check("POST", "/payments", &first);
    let pi = first.body["id"].as_str().expect("id").to_string();
    d.check(
        "POST",
        "/payments",
        &start(&till, &reader, 999, "manual", "doc-1").await,
    );
    d.check(
        "POST",
        "/payments",
        &till
            .post("/payments", Some("doc-x"), json!({"amount": 1}))
            .await,
    );
    d.check(
        "GET",
        "/payments/{id}",
        &till.get(&format!("/payments/{pi}?wait=0s")).await,
    );
    d.check(
        "POST",
        "/test_helpers/readers/{id}/present_payment_method",
        &till
            .post(
                &format!("/test_helpers/readers/{reader}/present_payment_method"),
                None,
                json!({"card_number": "4242424242424242"}),
            )
            .await,
    );
    let authorized = till.get(&format!("/payments/{pi}?wait=20s")).await;
    assert_eq!(
        authorized.body["outcome"], "requires_capture",
        "{}",
        authorized.body
    );
    d.check("GET", "/payments/{id}", &authorized);
    d.check(
        "POST",
        "/payments/{id}/capture",
        &till
            .post(&format!("/payments/{pi}/capture"), None, json!({}))
            .await,
    );
    let refunded = till
        .post(
            &format!("/payments/{pi}/refunds"),
            Some("doc-r"),
            json!({"amount": 234}),
        )
        .await;
    assert_eq!(refunded.body["amount_refunded"], 234, "{}", refunded.body);
    d.check("POST", "/payments/{id}/refunds", &refunded);
    d.check(
        "POST",
        "/payments/{id}/refunds",
        &till
            .post(
                &format!("/payments/{pi}/refunds"),
                Some("doc-r"),
                json!({"amount": 5}),
            )
            .await,
    );

    let second = start(&till, &reader, 500, "automatic", "doc-2").await;
    let pi2 = second.body["id"].as_str().expect("id").to_string();
    d.check(
        "POST",
        "/readers/{id}/cancel_action",
        &till
            .post(&format!("{reader_path}/cancel_action"), None, json!({}))
            .await,
    );
    // The reader no longer collects it: the payment says so instead of pending for ever.
    let idle = till.get(&format!("/payments/{pi2}?wait=5s")).await;
    assert_eq!(idle.body["outcome"], "reader_failed", "{}", idle.body);
    d.check("GET", "/payments/{id}", &idle);
    d.check(
        "POST",
        "/payments/{id}/cancel",
        &till
            .post(&format!("/payments/{pi2}/cancel"), None, json!({}))
            .await,
    );
    d.check(
        "POST",
        "/payments/{id}/cancel",
        &till.post("/payments/pi_none/cancel", None, json!({})).await,
    );
    d.check(
        "GET",
        "/readers",
        &Till::anonymous(&s).get("/readers").await,
    );
    let read_only = Till::new(&s, &create_key(&owner, "Screen", "read").await.secret);
    d.check(
        "POST",
        "/payments/{id}/capture",
        &read_only
            .post(&format!("/payments/{pi}/capture"), None, json!({}))
            .await,
    );

    // The till's screen: a cart shown and cleared, questions asked, answered and timed out.
    let display = format!("{reader_path}/display");
    let cart = json!({"line_items": [{"description": "Tea", "amount": 300, "quantity": 2}],
                      "tax": 24, "total": 624});
    d.check(
        "POST",
        "/readers/{id}/display",
        &till.post(&display, None, cart).await,
    );
    d.check(
        "POST",
        "/readers/{id}/display",
        &till
            .post(
                &display,
                None,
                json!({"line_items": [{"description": "Tea", "amount": 300}], "total": 1}),
            )
            .await,
    );
    d.check(
        "DELETE",
        "/readers/{id}/display",
        &till
            .send(reqwest::Method::DELETE, &display, None, None)
            .await,
    );
    let inputs = format!("{reader_path}/collect_inputs");
    d.check(
        "GET",
        "/readers/{id}/collect_inputs",
        &till.get(&inputs).await,
    );
    let ask = json!({"inputs": [{"type": "email", "custom_text": {"title": "Receipt by email?"}}]});
    d.check(
        "POST",
        "/readers/{id}/collect_inputs",
        &till.post(&inputs, None, ask.clone()).await,
    );
    d.check(
        "POST",
        "/readers/{id}/collect_inputs",
        &till
            .post(
                &inputs,
                None,
                json!({"inputs": [{"type": "iris", "custom_text": {"title": "?"}}]}),
            )
            .await,
    );
    d.check(
        "POST",
        "/test_helpers/readers/{id}/succeed_input_collection",
        &till
            .post(
                &format!("/test_helpers/readers/{reader}/succeed_input_collection"),
                None,
                json!({"skip_optional": true}),
            )
            .await,
    );
    let answered = till.get(&format!("{inputs}?wait=5s")).await;
    assert_eq!(answered.body["status"], "succeeded", "{}", answered.body);
    d.check("GET", "/readers/{id}/collect_inputs", &answered);
    d.check(
        "POST",
        "/test_helpers/readers/{id}/timeout_input_collection",
        &till
            .post(
                &format!("/test_helpers/readers/{reader}/timeout_input_collection"),
                None,
                json!({}),
            )
            .await,
    );
    till.post(&inputs, None, ask).await;
    d.check(
        "POST",
        "/test_helpers/readers/{id}/timeout_input_collection",
        &till
            .post(
                &format!("/test_helpers/readers/{reader}/timeout_input_collection"),
                None,
                json!({}),
            )
            .await,
    );

    // Every documented operation was called and answered as documented.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    assert_eq!(documented, d.exercised);
}

#[tokio::test]
async fn the_audit_log_filters_by_target_and_exports_as_csv() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "audit-target@example.com").await;
    let till = Till::new(&s, &create_key(&owner, "Till", "payments").await.secret);
    let started = start(&till, &reader, 1000, "automatic", "a-1").await;
    let pi = started.body["id"].as_str().expect("id").to_string();
    till.post(
        &format!("/test_helpers/readers/{reader}/present_payment_method"),
        None,
        json!({}),
    )
    .await;
    let refunded = till
        .post(
            &format!("/payments/{pi}/refunds"),
            Some("a-r"),
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.body);

    // Everything that happened to this payment, and nothing else.
    let page: app::audit::types::AuditPage = owner.ok("list_audit", &[("target", &pi)]).await;
    let actions: BTreeSet<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains("payment.test_charge_started"),
        "{actions:?}"
    );
    assert!(actions.contains("payment.refunded"), "{actions:?}");
    assert!(page
        .entries
        .iter()
        .all(|e| e.target_id.as_deref() == Some(pi.as_str())));

    // The same filter as CSV, parsed back with the csv crate.
    let r = owner.get(&format!("/audit.csv?target={pi}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    let text = r.text().await.expect("csv");
    let mut reader_csv = csv::Reader::from_reader(text.as_bytes());
    let headers = reader_csv.headers().expect("header").clone();
    assert_eq!(&headers[2], "action");
    let rows: Vec<csv::StringRecord> = reader_csv.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), page.entries.len());
    assert!(rows.iter().all(|r| &r[4] == pi.as_str()));
    assert!(rows.iter().any(|r| &r[1] == "API key Till"));
    // Every entry, across pages, when unfiltered: more than one page of API calls.
    for i in 0..60 {
        till.get(&format!("/readers?page=1&n={i}")).await;
    }
    let all = owner.get("/audit.csv").await.text().await.expect("csv");
    let total = s.count("SELECT COUNT(*) FROM audit_log").await;
    let exported = csv::Reader::from_reader(all.as_bytes()).records().count() as i64;
    assert!(total > 50, "more than one page ({total})");
    assert_eq!(exported, total - 1, "every entry but this export's own");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.exported'")
            .await,
        2
    );
    let operator = join(&s, &owner, "audit-op@example.com", "operator").await;
    assert_eq!(
        operator.get("/audit.csv").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        owner.get("/audit.csv?from=yesterday").await.status(),
        StatusCode::BAD_REQUEST
    );
}
