//! The simulator over real HTTP, driven by our own client: the whole test-charge flow, the
//! reader state machine, declines, idempotency, Connect isolation, lists, faults and webhooks.

use axum::body::Bytes;
use axum::http::HeaderMap;
use fleet_stripe::enums::{ActionStatus, PaymentIntentStatus, ReaderStatus};
use fleet_stripe::params::*;
use fleet_stripe::retry::RetryPolicy;
use fleet_stripe::{ClientConfig, Credentials, IdempotencyKey, StripeClient};
use fleet_stripe_sim::{SimConfig, Simulator};
use futures::TryStreamExt;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Sim {
    base: String,
    client: StripeClient,
    http: reqwest::Client,
}

async fn start(config: SimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(Simulator::new(config).serve(listener));
    let client = StripeClient::new(ClientConfig {
        base_url: base.clone(),
        timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        },
    })
    .expect("client");
    Sim {
        base,
        client,
        http: reqwest::Client::new(),
    }
}

fn key(name: &str) -> Credentials {
    Credentials::key(format!("sk_test_{name}{}", rand_suffix()))
}

fn rand_suffix() -> String {
    format!("{:08}", std::process::id() as u64 * 7919 % 100_000_000)
}

fn idem(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(format!("{s}-{}", rand_suffix()))
}

fn address() -> AddressParams {
    AddressParams {
        line1: "1 Market St".into(),
        city: Some("San Francisco".into()),
        state: Some("CA".into()),
        postal_code: Some("94105".into()),
        country: "US".into(),
        line2: None,
    }
}

async fn location_and_reader(s: &Sim, c: &Credentials, tag: &str) -> (String, String) {
    let loc = s
        .client
        .create_location(
            c,
            &CreateLocation {
                display_name: "Store".into(),
                address: address(),
                metadata: None,
            },
            &idem(&format!("loc-{tag}")),
        )
        .await
        .expect("location");
    let reader = s
        .client
        .create_reader(
            c,
            &CreateReader {
                registration_code: "simulated-wpe".into(),
                label: Some("Till 1".into()),
                location: Some(loc.id.clone()),
                metadata: None,
            },
            &idem(&format!("rdr-{tag}")),
        )
        .await
        .expect("reader");
    assert_eq!(reader.status, Some(ReaderStatus::Online));
    assert!(reader.serial_number.is_some());
    (loc.id, reader.id)
}

async fn intent(s: &Sim, c: &Credentials, amount: i64, capture: &str, tag: &str) -> String {
    s.client
        .create_payment_intent(
            c,
            &CreatePaymentIntent {
                amount,
                currency: "usd".into(),
                payment_method_types: vec!["card_present".into()],
                capture_method: Some(capture.into()),
                ..Default::default()
            },
            &idem(tag),
        )
        .await
        .expect("intent")
        .id
}

async fn control(s: &Sim, path: &str, body: Value) -> Value {
    s.http
        .post(format!("{}/_sim{path}", s.base))
        .json(&body)
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn full_manual_capture_flow_then_refund() {
    let s = start(SimConfig::default()).await;
    let c = key("flow");
    let (_, reader) = location_and_reader(&s, &c, "flow").await;
    let pi = intent(&s, &c, 1500, "manual", "pi-flow").await;
    let r = s
        .client
        .process_payment_intent(
            &c,
            &reader,
            &ProcessPaymentIntent {
                payment_intent: pi.clone(),
                process_config: None,
            },
            &idem("proc"),
        )
        .await
        .expect("process");
    let action = r.action.expect("action");
    assert_eq!(action.status, ActionStatus::InProgress);
    let r = s
        .client
        .present_payment_method(
            &c,
            &reader,
            &PresentPaymentMethod::default(),
            &idem("present"),
        )
        .await
        .expect("present");
    assert_eq!(r.action.expect("action").status, ActionStatus::Succeeded);
    let got = s
        .client
        .retrieve_payment_intent(
            &c,
            &pi,
            &Expand {
                expand: vec!["latest_charge".into()],
            },
        )
        .await
        .expect("pi");
    assert_eq!(got.status, PaymentIntentStatus::RequiresCapture);
    assert_eq!(got.amount_capturable, 1500);
    let charge = got
        .latest_charge
        .as_ref()
        .and_then(|c| c.object())
        .expect("expanded charge");
    let card = charge
        .payment_method_details
        .as_ref()
        .and_then(|d| d.card_present.as_ref())
        .expect("card_present");
    assert_eq!(card.last4.as_deref(), Some("4242"));
    assert_eq!(card.brand.as_deref(), Some("visa"));
    let captured = s
        .client
        .capture_payment_intent(&c, &pi, &CapturePaymentIntent::default(), &idem("cap"))
        .await
        .expect("capture");
    assert_eq!(captured.status, PaymentIntentStatus::Succeeded);
    assert_eq!(captured.amount_received, 1500);
    // Capturing twice is refused like Stripe does.
    let err = s
        .client
        .capture_payment_intent(&c, &pi, &CapturePaymentIntent::default(), &idem("cap2"))
        .await
        .expect_err("twice");
    assert_eq!(
        err.api().and_then(|e| e.code.as_deref()),
        Some("payment_intent_unexpected_state")
    );
    let refund = s
        .client
        .create_refund(
            &c,
            &CreateRefund {
                payment_intent: Some(pi.clone()),
                amount: Some(500),
                ..Default::default()
            },
            &idem("ref1"),
        )
        .await
        .expect("partial refund");
    assert_eq!(refund.amount, 500);
    let err = s
        .client
        .create_refund(
            &c,
            &CreateRefund {
                payment_intent: Some(pi.clone()),
                amount: Some(1001),
                ..Default::default()
            },
            &idem("ref2"),
        )
        .await
        .expect_err("more than is left");
    assert_eq!(err.status(), Some(400));
    s.client
        .create_refund(
            &c,
            &CreateRefund {
                payment_intent: Some(pi.clone()),
                ..Default::default()
            },
            &idem("ref3"),
        )
        .await
        .expect("the rest");
}

#[tokio::test]
async fn declines_follow_stripes_test_cards_and_amounts() {
    let s = start(SimConfig::default()).await;
    let c = key("decl");
    let (_, reader) = location_and_reader(&s, &c, "decl").await;
    for (n, (number, amount, decline)) in [
        (Some("4000000000009995"), 1000, "insufficient_funds"),
        (Some("4000000000000002"), 1000, "generic_decline"),
        (None, 1055, "incorrect_pin"),
        (None, 1005, "generic_decline"),
    ]
    .into_iter()
    .enumerate()
    {
        let pi = intent(&s, &c, amount, "automatic", &format!("pi-d{n}")).await;
        s.client
            .process_payment_intent(
                &c,
                &reader,
                &ProcessPaymentIntent {
                    payment_intent: pi.clone(),
                    process_config: None,
                },
                &idem(&format!("p{n}")),
            )
            .await
            .expect("process");
        let present = PresentPaymentMethod {
            card_present: number.map(|n| CardPresentParams {
                number: Some(n.into()),
            }),
            ..Default::default()
        };
        let r = s
            .client
            .present_payment_method(&c, &reader, &present, &idem(&format!("c{n}")))
            .await
            .expect("present");
        let action = r.action.expect("action");
        assert_eq!(action.status, ActionStatus::Failed);
        assert!(action.failure_code.is_some());
        let got = s
            .client
            .retrieve_payment_intent(&c, &pi, &Expand::default())
            .await
            .expect("pi");
        assert_eq!(got.status, PaymentIntentStatus::RequiresPaymentMethod);
        assert_eq!(
            got.last_payment_error
                .and_then(|e| e.decline_code)
                .as_deref(),
            Some(decline)
        );
    }
}

#[tokio::test]
async fn reader_state_machine_offline_busy_replace_cancel() {
    let s = start(SimConfig::default()).await;
    let c = key("state");
    let (_, reader) = location_and_reader(&s, &c, "state").await;
    let first = intent(&s, &c, 1000, "manual", "pi-s1").await;
    let second = intent(&s, &c, 2000, "manual", "pi-s2").await;
    let process = |pi: String, tag: &'static str| {
        let s = &s;
        let c = c.clone();
        let reader = reader.clone();
        async move {
            s.client
                .process_payment_intent(
                    &c,
                    &reader,
                    &ProcessPaymentIntent {
                        payment_intent: pi,
                        process_config: None,
                    },
                    &idem(tag),
                )
                .await
        }
    };
    process(first.clone(), "s1").await.expect("first");
    // A new payment while the last one waits for a card replaces it.
    let r = process(second.clone(), "s2").await.expect("replace");
    let action = r.action.expect("action");
    assert_eq!(
        action
            .process_payment_intent
            .expect("ppi")
            .payment_intent
            .id(),
        second
    );
    control(&s, &format!("/readers/{reader}/busy"), json!({})).await;
    let err = process(first.clone(), "s3").await.expect_err("busy");
    assert!(err.is_reader_busy());
    control(&s, &format!("/readers/{reader}/idle"), json!({})).await;
    control(&s, &format!("/readers/{reader}/offline"), json!({})).await;
    let err = process(first.clone(), "s4").await.expect_err("offline");
    assert!(err.is_reader_offline());
    assert!(err.user_message().contains("offline"));
    let filter = ListReaders {
        status: Some("offline".into()),
        ..Default::default()
    };
    let offline = s.client.list_readers(&c, &filter).await.expect("list");
    assert_eq!(offline.data.len(), 1);
    control(&s, &format!("/readers/{reader}/online"), json!({})).await;
    let r = s
        .client
        .cancel_action(&c, &reader, &idem("cancel"))
        .await
        .expect("cancel");
    assert!(r.action.is_none());
    // Capture of an intent that never saw a card is refused.
    let err = s
        .client
        .capture_payment_intent(&c, &first, &CapturePaymentIntent::default(), &idem("capx"))
        .await
        .expect_err("state");
    assert_eq!(
        err.api().and_then(|e| e.code.as_deref()),
        Some("payment_intent_unexpected_state")
    );
    let canceled = s
        .client
        .cancel_payment_intent(&c, &first, &CancelPaymentIntent::default(), &idem("pic"))
        .await
        .expect("cancel pi");
    assert_eq!(canceled.status, PaymentIntentStatus::Canceled);
    let err = process(first, "s5").await.expect_err("canceled intent");
    assert_eq!(
        err.api().and_then(|e| e.code.as_deref()),
        Some("intent_invalid_state")
    );
}

#[tokio::test]
async fn errors_look_like_stripes() {
    let s = start(SimConfig::default()).await;
    let c = key("errs");
    let err = s
        .client
        .retrieve_reader(&c, "tmr_nope")
        .await
        .expect_err("404");
    assert!(err.is_not_found());
    assert_eq!(
        err.api().and_then(|e| e.message.as_deref()),
        Some("No such terminal.reader: 'tmr_nope'")
    );
    assert!(err.request_id().is_some_and(|r| r.starts_with("req_")));
    let r = s
        .http
        .post(format!("{}/v1/terminal/locations", s.base))
        .bearer_auth(c.key.expose())
        .form(&[("display_name", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "parameter_missing");
    assert_eq!(body["error"]["param"], "address");
    let r = s
        .http
        .post(format!("{}/v1/terminal/readers", s.base))
        .bearer_auth(c.key.expose())
        .form(&[("registration_code", "simulated-wpe"), ("colour", "red")])
        .send()
        .await
        .expect("post");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "parameter_unknown");
    assert_eq!(body["error"]["param"], "colour");
    let r = s
        .http
        .get(format!("{}/v1/terminal/readers", s.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .get(format!("{}/v1/terminal/readers", s.base))
        .bearer_auth("sk_live_abcdefghijkl")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert!(
        !body.to_string().contains("abcdefghijkl"),
        "keys are masked: {body}"
    );
    // HTTP Basic with the key as user name works too.
    let r = s
        .http
        .get(format!("{}/v1/terminal/readers", s.base))
        .basic_auth(c.key.expose(), Some(""))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let r = s
        .http
        .get(format!("{}/v1/terminal/readers?limit=101", s.base))
        .bearer_auth(c.key.expose())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 400);
    let err = s
        .client
        .create_reader(
            &c,
            &CreateReader {
                registration_code: "not-a-code".into(),
                ..Default::default()
            },
            &idem("badcode"),
        )
        .await
        .expect_err("bad code");
    assert_eq!(
        err.api().and_then(|e| e.param.as_deref()),
        Some("registration_code")
    );
}

#[tokio::test]
async fn idempotency_replays_and_refuses_other_parameters() {
    let s = start(SimConfig::default()).await;
    let c = key("idem");
    let k = idem("same");
    let p = CreatePaymentIntent {
        amount: 700,
        currency: "usd".into(),
        payment_method_types: vec!["card_present".into()],
        ..Default::default()
    };
    let a = s
        .client
        .create_payment_intent(&c, &p, &k)
        .await
        .expect("first");
    let b = s
        .client
        .create_payment_intent(&c, &p, &k)
        .await
        .expect("replay");
    assert_eq!(a.id, b.id);
    let all: Vec<_> = s
        .client
        .all_payment_intents(&c, ListPaymentIntents::default())
        .try_collect()
        .await
        .expect("list");
    assert_eq!(all.len(), 1);
    let other = CreatePaymentIntent { amount: 701, ..p };
    let err = s
        .client
        .create_payment_intent(&c, &other, &k)
        .await
        .expect_err("mismatch");
    assert!(err.is_idempotency_error());
}

#[tokio::test]
async fn injected_faults_are_retried_and_act_once() {
    let s = start(SimConfig::default()).await;
    let c = key("fault");
    control(
        &s,
        "/faults",
        json!({ "status": 500, "count": 2, "path_prefix": "/v1/payment_intents" }),
    )
    .await;
    let p = CreatePaymentIntent {
        amount: 900,
        currency: "usd".into(),
        payment_method_types: vec!["card_present".into()],
        ..Default::default()
    };
    s.client
        .create_payment_intent(&c, &p, &idem("f1"))
        .await
        .expect("third attempt");
    control(&s, "/faults", json!({ "status": 429, "count": 1 })).await;
    s.client
        .create_payment_intent(&c, &p, &idem("f2"))
        .await
        .expect("after 429");
    let all: Vec<_> = s
        .client
        .all_payment_intents(&c, ListPaymentIntents::default())
        .try_collect()
        .await
        .expect("list");
    assert_eq!(all.len(), 2, "each operation acted exactly once");
}

#[tokio::test]
async fn connect_accounts_are_isolated() {
    let s = start(SimConfig::default()).await;
    let platform = key("platform");
    let acct = s
        .client
        .create_account(
            &platform,
            &CreateAccount {
                kind: Some("standard".into()),
                country: Some("US".into()),
                email: None,
                ..Default::default()
            },
            &idem("acct"),
        )
        .await
        .expect("account");
    let connected = platform.clone().on_account(acct.id.clone());
    let (loc, _) = location_and_reader(&s, &connected, "conn").await;
    let platform_locations = s
        .client
        .list_locations(&platform, &ListParams::default())
        .await
        .expect("list");
    assert!(
        platform_locations.data.is_empty(),
        "objects never cross accounts"
    );
    let err = s
        .client
        .retrieve_location(&platform, &loc)
        .await
        .expect_err("not visible");
    assert!(err.is_not_found());
    let stranger = key("stranger").on_account(acct.id);
    let err = s
        .client
        .list_locations(&stranger, &ListParams::default())
        .await
        .expect_err("not theirs");
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn lists_page_newest_first() {
    let s = start(SimConfig {
        rate_limit: None,
        ..SimConfig::default()
    })
    .await;
    let c = key("lists");
    for i in 0..25 {
        s.client
            .create_location(
                &c,
                &CreateLocation {
                    display_name: format!("L{i}"),
                    address: address(),
                    metadata: None,
                },
                &idem(&format!("l{i}")),
            )
            .await
            .expect("location");
    }
    let page = s
        .client
        .list_locations(
            &c,
            &ListParams {
                limit: Some(10),
                ..Default::default()
            },
        )
        .await
        .expect("page");
    assert_eq!(page.data.len(), 10);
    assert!(page.has_more);
    assert_eq!(page.data[0].display_name, "L24");
    let next = s
        .client
        .list_locations(
            &c,
            &ListParams {
                limit: Some(10),
                starting_after: Some(page.data[9].id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("next");
    assert_eq!(next.data[0].display_name, "L14");
}

#[tokio::test]
async fn rate_limits_answer_429() {
    let s = start(SimConfig {
        rate_limit: Some(fleet_stripe_sim::RateLimit {
            reads_per_second: 5,
            writes_per_second: 5,
        }),
        ..SimConfig::default()
    })
    .await;
    let c = key("rate");
    let mut limited = 0;
    for _ in 0..12 {
        let r = s
            .http
            .get(format!("{}/v1/terminal/locations", s.base))
            .bearer_auth(c.key.expose())
            .send()
            .await
            .expect("get");
        if r.status() == 429 {
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["error"]["code"], "rate_limit");
            limited += 1;
        }
    }
    assert!(limited >= 6, "{limited}");
}

#[tokio::test]
async fn webhooks_are_signed_and_verifiable() {
    let s = start(SimConfig::default()).await;
    let received: Arc<Mutex<Vec<(String, Bytes)>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let sig = headers
                    .get("stripe-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                sink.lock().expect("lock").push((sig, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = key("hooks");
    let endpoint = s
        .client
        .create_webhook_endpoint(
            &c,
            &CreateWebhookEndpoint {
                url,
                enabled_events: vec!["*".into()],
                ..Default::default()
            },
            &idem("we"),
        )
        .await
        .expect("endpoint");
    let secret = endpoint.secret.expect("secret shown once");
    assert!(secret.starts_with("whsec_"));
    let (_, reader) = location_and_reader(&s, &c, "hooks").await;
    let pi = intent(&s, &c, 2500, "automatic", "pi-h").await;
    s.client
        .process_payment_intent(
            &c,
            &reader,
            &ProcessPaymentIntent {
                payment_intent: pi,
                process_config: None,
            },
            &idem("hp"),
        )
        .await
        .expect("process");
    s.client
        .present_payment_method(&c, &reader, &PresentPaymentMethod::default(), &idem("hc"))
        .await
        .expect("present");
    let mut types = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let got = received.lock().expect("lock").clone();
        types = got
            .iter()
            .map(|(sig, body)| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("time")
                    .as_secs() as i64;
                fleet_stripe::webhook::verify_header(sig, body, &secret, now, 300)
                    .expect("valid signature");
                let event: fleet_stripe::Event = serde_json::from_slice(body).expect("event");
                event.kind
            })
            .collect();
        if types.len() >= 4 {
            break;
        }
    }
    for wanted in [
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "terminal.reader.action_succeeded",
    ] {
        assert!(
            types.iter().any(|t| t == wanted),
            "{wanted} not in {types:?}"
        );
    }
}

#[tokio::test]
async fn a_hung_call_is_retried_with_its_key_and_still_acts_once() {
    let s = start(SimConfig::default()).await;
    let c = key("hang");
    // The first attempt hangs past the client's 2 s timeout, then completes anyway.
    control(
        &s,
        "/faults",
        json!({ "status": 0, "count": 1, "hang_ms": 2500, "path_prefix": "/v1/payment_intents" }),
    )
    .await;
    let p = CreatePaymentIntent {
        amount: 4200,
        currency: "usd".into(),
        payment_method_types: vec!["card_present".into()],
        ..Default::default()
    };
    let created = s
        .client
        .create_payment_intent(&c, &p, &idem("hang"))
        .await
        .expect("retry succeeds");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let all: Vec<_> = s
        .client
        .all_payment_intents(&c, ListPaymentIntents::default())
        .try_collect()
        .await
        .expect("list");
    assert_eq!(
        all.len(),
        1,
        "the hung attempt replayed instead of acting twice"
    );
    assert_eq!(all[0].id, created.id);
}

#[tokio::test]
async fn control_api_codes_for_physical_readers_and_the_clock() {
    let s = start(SimConfig::default()).await;
    let c = key("ctl");
    let issued = control(
        &s,
        "/registration_codes",
        json!({ "key": c.key.expose(), "device_type": "stripe_s700" }),
    )
    .await;
    let code = issued["registration_code"]
        .as_str()
        .expect("code")
        .to_string();
    let reader = s
        .client
        .create_reader(
            &c,
            &CreateReader {
                registration_code: code.clone(),
                ..Default::default()
            },
            &idem("phys"),
        )
        .await
        .expect("physical reader");
    assert_eq!(
        reader.device_type,
        fleet_stripe::enums::DeviceType::StripeS700
    );
    let err = s
        .client
        .create_reader(
            &c,
            &CreateReader {
                registration_code: code,
                ..Default::default()
            },
            &idem("phys2"),
        )
        .await
        .expect_err("codes work once");
    assert_eq!(
        err.api().and_then(|e| e.param.as_deref()),
        Some("registration_code")
    );
    // The present-card helper is for simulated readers only.
    let pi = intent(&s, &c, 1000, "manual", "pi-phys").await;
    s.client
        .process_payment_intent(
            &c,
            &reader.id,
            &ProcessPaymentIntent {
                payment_intent: pi,
                process_config: None,
            },
            &idem("pp"),
        )
        .await
        .expect("process");
    assert!(s
        .client
        .present_payment_method(
            &c,
            &reader.id,
            &PresentPaymentMethod::default(),
            &idem("pc")
        )
        .await
        .is_err());
    // Nobody presents a card: after the timeout the action fails.
    control(&s, "/clock/advance", json!({ "seconds": 301 })).await;
    let r = s
        .client
        .retrieve_reader(&c, &reader.id)
        .await
        .expect("reader");
    let action = r.action.expect("action");
    assert_eq!(action.status, ActionStatus::Failed);
    assert_eq!(
        action.failure_code.as_deref(),
        Some("terminal_reader_timeout")
    );
}

#[tokio::test]
async fn dropped_webhook_deliveries_are_retried() {
    let s = start(SimConfig {
        webhook_retry: fleet_stripe_sim::WebhookRetry {
            first_delay: Duration::from_millis(50),
            ..Default::default()
        },
        ..SimConfig::default()
    })
    .await;
    let count: Arc<Mutex<u32>> = Arc::default();
    let seen = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                *seen.lock().expect("lock") += 1;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = key("drop");
    s.client
        .create_webhook_endpoint(
            &c,
            &CreateWebhookEndpoint {
                url,
                enabled_events: vec!["payment_intent.created".into()],
                ..Default::default()
            },
            &idem("we"),
        )
        .await
        .expect("endpoint");
    control(&s, "/webhooks", json!({ "drop": 2 })).await;
    intent(&s, &c, 1000, "automatic", "pi-drop").await;
    for _ in 0..40 {
        if *count.lock().expect("lock") == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        *count.lock().expect("lock"),
        1,
        "delivered once after two dropped attempts"
    );
    let deliveries: Value = s
        .http
        .get(format!("{}/_sim/deliveries", s.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(deliveries["deliveries"][0]["attempts"], 3);
    assert_eq!(deliveries["deliveries"][0]["delivered"], true);
}
