//! Our client (`fleet-stripe`) against the simulator for issue 15: configurations (CRUD, the
//! account default, a location's override), splash-screen uploads, a tipped payment, the cart
//! display and collect_inputs with its test helpers.

use fleet_stripe::enums::{ActionStatus, ActionType, InputType};
use fleet_stripe::params::*;
use fleet_stripe::retry::RetryPolicy;
use fleet_stripe::{ClientConfig, Credentials, Expandable, IdempotencyKey, StripeClient};
use fleet_stripe_sim::{SimConfig, Simulator};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

async fn client() -> (StripeClient, Credentials) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(
        Simulator::new(SimConfig {
            rate_limit: None,
            ..SimConfig::default()
        })
        .serve(listener),
    );
    let client = StripeClient::new(ClientConfig {
        base_url: base,
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(50),
        },
    })
    .expect("client");
    (
        client,
        Credentials::key(format!("sk_test_client15{}", unique())),
    )
}

fn unique() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    u64::from(std::process::id()) * 1000 + N.fetch_add(1, Ordering::SeqCst)
}

fn idem() -> IdempotencyKey {
    IdempotencyKey::new(format!("op-{}", unique()))
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(2048, 7);
    bytes
}

async fn reader(c: &StripeClient, creds: &Credentials) -> (String, String) {
    let location = c
        .create_location(
            creds,
            &CreateLocation {
                display_name: "Café".into(),
                address: AddressParams {
                    line1: "1 Main".into(),
                    city: Some("Austin".into()),
                    state: Some("TX".into()),
                    postal_code: Some("78701".into()),
                    country: "US".into(),
                    line2: None,
                },
                metadata: None,
            },
            &idem(),
        )
        .await
        .expect("location");
    let reader = c
        .create_reader(
            creds,
            &CreateReader {
                registration_code: "simulated-wpe".into(),
                location: Some(location.id.clone()),
                ..Default::default()
            },
            &idem(),
        )
        .await
        .expect("reader");
    (location.id, reader.id)
}

#[tokio::test]
async fn configurations_through_the_client() {
    let (c, creds) = client().await;
    let default = c
        .account_default_configuration(&creds)
        .await
        .expect("list")
        .expect("a default");
    assert_eq!(default.is_account_default, Some(true));

    let file = c
        .upload_file(
            &creds,
            &UploadFile::splashscreen("splash.png", png()),
            &idem(),
        )
        .await
        .expect("upload");
    assert_eq!(file.purpose, "terminal_reader_splashscreen");
    assert_eq!(file.kind.as_deref(), Some("png"));
    assert_eq!(file.size, 2048);
    assert_eq!(c.retrieve_file(&creds, &file.id).await.expect("file"), file);

    let tipping = BTreeMap::from([(
        "usd".to_string(),
        CurrencyTippingParams {
            percentages: Some(vec![15, 18, 20]),
            fixed_amounts: Some(vec![100, 200]),
            smart_tip_threshold: Some(1000),
        },
    )]);
    let created = c
        .create_configuration(
            &creds,
            &ConfigurationParams {
                name: Some("Bar".into()),
                bbpos_wisepos_e: Some(Setting::Set(SplashscreenParams {
                    splashscreen: file.id.clone(),
                })),
                tipping: Some(Setting::Set(tipping)),
                reboot_window: Some(Setting::Set(RebootWindowParams {
                    start_hour: 2,
                    end_hour: 4,
                })),
                offline: Some(Setting::Set(EnabledParams { enabled: true })),
                ..Default::default()
            },
            &idem(),
        )
        .await
        .expect("create");
    assert_eq!(created.name.as_deref(), Some("Bar"));
    let usd = created.tipping_for("USD").expect("usd tipping");
    assert_eq!(usd.percentages, Some(vec![15, 18, 20]));
    assert_eq!(usd.smart_tip_threshold, Some(1000));
    assert_eq!(created.reboot_window.map(|w| w.end_hour), Some(4));
    assert_eq!(created.offline.and_then(|o| o.enabled), Some(true));

    let expanded = c
        .retrieve_configuration(
            &creds,
            &created.id,
            &Expand {
                expand: vec!["bbpos_wisepos_e.splashscreen".into()],
            },
        )
        .await
        .expect("retrieve");
    match expanded.bbpos_wisepos_e.and_then(|d| d.splashscreen) {
        Some(Expandable::Object(f)) => assert_eq!(f.id, file.id),
        other => panic!("not expanded: {other:?}"),
    }

    let updated = c
        .update_configuration(
            &creds,
            &created.id,
            &ConfigurationParams {
                tipping: Some(Setting::Unset),
                bbpos_wisepos_e: Some(Setting::Unset),
                ..Default::default()
            },
            &idem(),
        )
        .await
        .expect("update");
    assert!(updated.tipping.is_none());
    assert!(updated.bbpos_wisepos_e.is_none());
    assert_eq!(updated.name.as_deref(), Some("Bar"));

    let (location, _) = reader(&c, &creds).await;
    let loc = c
        .set_location_configuration(&creds, &location, Some(&created.id), &idem())
        .await
        .expect("override");
    assert_eq!(
        loc.configuration_overrides.as_deref(),
        Some(created.id.as_str())
    );
    let err = c
        .set_location_configuration(&creds, &location, Some("tmc_nope"), &idem())
        .await
        .expect_err("unknown configuration");
    assert_eq!(
        err.api().and_then(|e| e.code.as_deref()),
        Some("resource_missing")
    );
    let loc = c
        .set_location_configuration(&creds, &location, None, &idem())
        .await
        .expect("back to the default");
    assert!(loc.configuration_overrides.is_none());

    let page = c
        .list_configurations(&creds, &ListConfigurations::default())
        .await
        .expect("list");
    assert_eq!(page.data.len(), 2);
    let deleted = c
        .delete_configuration(&creds, &created.id)
        .await
        .expect("delete");
    assert!(deleted.deleted);
    let err = c
        .delete_configuration(&creds, &default.id)
        .await
        .expect_err("the default stays");
    assert_eq!(err.status(), Some(400));
    let err = c
        .upload_file(
            &creds,
            &UploadFile::splashscreen("notes.txt", b"hello".to_vec()),
            &idem(),
        )
        .await
        .expect_err("not an image");
    assert_eq!(err.api().and_then(|e| e.param.as_deref()), Some("file"));
}

#[tokio::test]
async fn a_tipped_payment_and_the_till_screen() {
    let (c, creds) = client().await;
    let default = c
        .account_default_configuration(&creds)
        .await
        .expect("list")
        .expect("default");
    c.update_configuration(
        &creds,
        &default.id,
        &ConfigurationParams {
            tipping: Some(Setting::Set(BTreeMap::from([(
                "usd".to_string(),
                CurrencyTippingParams {
                    percentages: Some(vec![10, 15, 20]),
                    ..Default::default()
                },
            )]))),
            ..Default::default()
        },
        &idem(),
    )
    .await
    .expect("tipping on");
    let (_, reader) = reader(&c, &creds).await;

    let shown = c
        .set_reader_display(
            &creds,
            &reader,
            &SetReaderDisplay::cart(CartParams {
                currency: "usd".into(),
                line_items: vec![LineItemParams {
                    description: "Latte".into(),
                    amount: 450,
                    quantity: 2,
                }],
                tax: Some(100),
                total: 1000,
            }),
            &idem(),
        )
        .await
        .expect("display");
    let action = shown.action.expect("action");
    assert_eq!(action.kind, ActionType::SetReaderDisplay);
    assert_eq!(
        action.set_reader_display.expect("cart")["cart"]["total"],
        1000
    );

    let pi = c
        .create_payment_intent(
            &creds,
            &CreatePaymentIntent {
                amount: 1000,
                currency: "usd".into(),
                payment_method_types: vec!["card_present".into()],
                ..Default::default()
            },
            &idem(),
        )
        .await
        .expect("intent");
    c.process_payment_intent(
        &creds,
        &reader,
        &ProcessPaymentIntent {
            payment_intent: pi.id.clone(),
            process_config: Some(ProcessConfig {
                tipping: Some(Tipping {
                    amount_eligible: Some(1000),
                }),
                ..Default::default()
            }),
        },
        &idem(),
    )
    .await
    .expect("process");
    c.present_payment_method(
        &creds,
        &reader,
        &PresentPaymentMethod {
            amount_tip: Some(150),
            ..Default::default()
        },
        &idem(),
    )
    .await
    .expect("present");
    let paid = c
        .retrieve_payment_intent(&creds, &pi.id, &Expand::default())
        .await
        .expect("intent");
    assert_eq!(paid.amount, 1150);
    assert_eq!(paid.amount_received, 1150);
    assert_eq!(paid.tip(), Some(150));
    assert_eq!(pi.tip(), None, "no tip before the reader showed its screen");
}

#[tokio::test]
async fn collect_inputs_through_the_client() {
    let (c, creds) = client().await;
    let (_, reader) = reader(&c, &creds).await;
    let p = CollectInputs {
        inputs: vec![
            InputParams {
                kind: InputType::Email,
                custom_text: CustomTextParams {
                    title: "Email for the receipt".into(),
                    skip_button: Some("No thanks".into()),
                    ..Default::default()
                },
                required: Some(false),
                selection: None,
                toggles: Some(vec![ToggleParams {
                    title: Some("News".into()),
                    default_value: Some("disabled".into()),
                    ..Default::default()
                }]),
            },
            InputParams {
                kind: InputType::Selection,
                custom_text: CustomTextParams {
                    title: "Cup".into(),
                    ..Default::default()
                },
                required: Some(true),
                selection: Some(SelectionParams {
                    choices: vec![
                        ChoiceParams {
                            id: "small".into(),
                            text: "Small".into(),
                            style: Some("primary".into()),
                        },
                        ChoiceParams {
                            id: "large".into(),
                            text: "Large".into(),
                            style: None,
                        },
                    ],
                }),
                toggles: None,
            },
        ],
        metadata: Some(BTreeMap::from([("order".into(), "7".into())])),
    };
    let started = c
        .collect_inputs(&creds, &reader, &p, &idem())
        .await
        .expect("collect");
    let action = started.action.expect("action");
    assert_eq!(action.kind, ActionType::CollectInputs);
    assert_eq!(action.status, ActionStatus::InProgress);
    let done = c
        .succeed_input_collection(&creds, &reader, &SucceedInputCollection::default(), &idem())
        .await
        .expect("answered");
    let action = done.action.expect("action");
    assert_eq!(action.status, ActionStatus::Succeeded);
    let inputs = action.collect_inputs.expect("inputs").inputs;
    assert!(inputs[0].answer().is_some_and(|a| a.contains('@')));
    assert_eq!(inputs[1].answer(), Some("small"));
    assert_eq!(
        inputs[0]
            .toggles
            .as_ref()
            .and_then(|t| t[0].value.as_deref()),
        Some("disabled")
    );

    c.collect_inputs(&creds, &reader, &p, &idem())
        .await
        .expect("collect again");
    let skipped = c
        .succeed_input_collection(
            &creds,
            &reader,
            &SucceedInputCollection {
                skip_non_required_inputs: Some("all".into()),
            },
            &idem(),
        )
        .await
        .expect("answered");
    let inputs = skipped
        .action
        .expect("action")
        .collect_inputs
        .expect("inputs")
        .inputs;
    assert!(inputs[0].skipped && inputs[0].answer().is_none());

    c.collect_inputs(&creds, &reader, &p, &idem())
        .await
        .expect("collect again");
    let timed_out = c
        .timeout_input_collection(&creds, &reader, &idem())
        .await
        .expect("timeout");
    let action = timed_out.action.expect("action");
    assert_eq!(action.status, ActionStatus::Failed);
    assert_eq!(
        action.failure_code.as_deref(),
        Some("terminal_reader_timeout")
    );

    c.collect_inputs(&creds, &reader, &p, &idem())
        .await
        .expect("collect again");
    let cancelled = c
        .cancel_action(&creds, &reader, &idem())
        .await
        .expect("cancel");
    assert!(cancelled.action.is_none());
}
