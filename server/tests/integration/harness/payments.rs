//! Test charges as the reader page makes them, and charges made at Stripe directly.

use super::Browser;
use app::payments::types::PaymentDetail;

/// Starts a test charge of `amount` (as people type it) in USD on `reader`, with the page's
/// operation id `op`; returns the PaymentIntent's id.
pub async fn charge(b: &Browser, reader: &str, amount: &str, capture: &str, op: &str) -> String {
    b.ok(
        "start_test_charge",
        &[
            ("reader_id", reader),
            ("amount", amount),
            ("currency", "usd"),
            ("description", "Coffee"),
            ("capture", capture),
            ("op", op),
        ],
    )
    .await
}

/// Presents the simulated `card` on `reader`, as the reader page's button does.
pub async fn present(b: &Browser, reader: &str, card: &str, op: &str) {
    let () = b
        .ok(
            "present_test_card",
            &[("reader_id", reader), ("card", card), ("op", op)],
        )
        .await;
}

/// The payment's page.
pub async fn payment_detail(b: &Browser, id: &str) -> PaymentDetail {
    b.ok("payment_detail", &[("id", id)]).await
}

/// Charges `amount` (minor units) on `reader` at Stripe directly, as point-of-sale software
/// or the dashboard would: create a `card_present` PaymentIntent, hand it to the reader and
/// present the simulated card. `op` keeps the Idempotency-Keys of one test apart.
pub async fn charge_at_stripe(
    access: &app::ssr::stripe_access::Access,
    reader: &str,
    amount: i64,
    op: &str,
) -> fleet_stripe::PaymentIntent {
    let key = |step: &str| fleet_stripe::IdempotencyKey::new(format!("{op}-{step}"));
    let intent = access
        .client
        .create_payment_intent(
            &access.creds,
            &fleet_stripe::params::CreatePaymentIntent {
                amount,
                currency: "usd".into(),
                payment_method_types: vec!["card_present".into()],
                ..Default::default()
            },
            &key("pi"),
        )
        .await
        .expect("intent");
    access
        .client
        .process_payment_intent(
            &access.creds,
            reader,
            &fleet_stripe::params::ProcessPaymentIntent {
                payment_intent: intent.id.clone(),
                process_config: None,
            },
            &key("process"),
        )
        .await
        .expect("process");
    access
        .client
        .present_payment_method(
            &access.creds,
            reader,
            &fleet_stripe::params::PresentPaymentMethod::default(),
            &key("present"),
        )
        .await
        .expect("present");
    intent
}
