//! Payments: test charges on a reader, the simulated card, capture, cancel and refund — each
//! idempotent through the page's operation id — and the transactions list and detail.

use super::deferred::Deferred;
use super::payment_doubts;
use super::payment_rows::{self, Context};
use crate::error::{quote, AppError, AppResult};
use crate::fleet::ssr::reader_rows::{self, Mirror};
use crate::fleet::ssr::reader_views;
use crate::model::Permission;
use crate::payments::charge_rules;
use crate::payments::outcome::{needs_check, Facts};
use crate::payments::types::{
    format_amount, parse_amount, CurrencyTotal, PaymentDetail, PaymentView, TimelineItem,
    TransactionQuery, TransactionsView, TRANSACTIONS_PER_PAGE,
};
use crate::ssr::audit::{record, Entry};
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::cursor::Cursor;
use crate::ssr::fleet_scope::{escape_like, LocationScope};
use crate::ssr::ids::{new_token, now_ms};
use crate::ssr::stripe_access::{self, from_stripe, step_key, Access, Asked};
use crate::topic::Topic;
use fleet_stripe::params::{
    CancelPaymentIntent, CapturePaymentIntent, CardPresentParams, CreatePaymentIntent,
    CreateRefund, PresentPaymentMethod, ProcessPaymentIntent,
};
use fleet_stripe::{PaymentIntent, Reader};

/// A new operation id for a page's buttons.
pub fn new_operation() -> String {
    new_token().replace(['-', '_'], "")
}

fn check_operation(op: &str) -> AppResult<()> {
    if charge_rules::operation_is_valid(op) {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "the form is missing its operation id; reload the page".into(),
        ))
    }
}

/// Idempotency key of one step of one of our operations.

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    connection_id: String,
    reader_id: Option<String>,
    reader_label: Option<String>,
    location_id: Option<String>,
    location_name: Option<String>,
    amount: i64,
    currency: String,
    description: Option<String>,
    capture_method: String,
    status: String,
    amount_capturable: i64,
    amount_received: i64,
    amount_refunded: i64,
    card_brand: Option<String>,
    card_last4: Option<String>,
    read_method: Option<String>,
    failure_code: Option<String>,
    failure_message: Option<String>,
    started_by: Option<String>,
    created_at: i64,
    gave_up: Option<String>,
    reader_doubt_at: Option<i64>,
}

impl Row {
    fn view(self) -> PaymentView {
        PaymentView {
            id: self.id,
            reader_id: self.reader_id,
            reader_label: self.reader_label,
            location_id: self.location_id,
            location_name: self.location_name,
            amount: self.amount,
            currency: self.currency,
            description: self.description,
            capture_method: self.capture_method,
            status: self.status,
            amount_capturable: self.amount_capturable,
            amount_received: self.amount_received,
            amount_refunded: self.amount_refunded,
            card_brand: self.card_brand,
            card_last4: self.card_last4,
            read_method: self.read_method,
            failure_code: self.failure_code,
            failure_message: self.failure_message,
            started_by: self.started_by,
            created_at: self.created_at,
            gave_up: self.gave_up,
            reader_doubt: self.reader_doubt_at.is_some(),
        }
    }
}

const SELECT: &str = "SELECT p.id, p.connection_id, p.reader_id, r.label AS reader_label,
    p.location_id, l.display_name AS location_name, p.amount, p.currency, p.description,
    p.capture_method, p.status, p.amount_capturable, p.amount_received, p.amount_refunded,
    p.card_brand, p.card_last4, p.read_method, p.failure_code, p.failure_message,
    COALESCE(u.email, 'API key ' || k.name) AS started_by, p.created_at, p.gave_up,
    p.reader_doubt_at
    FROM payments p
    LEFT JOIN readers r ON r.connection_id = p.connection_id AND r.id = p.reader_id
    LEFT JOIN locations l ON l.connection_id = p.connection_id AND l.id = p.location_id
    LEFT JOIN users u ON u.id = p.started_by
    LEFT JOIN api_keys k ON k.id = p.started_by";

/// One payment the caller may see, with the connection it belongs to.
async fn find(caller: &Caller, id: &str) -> AppResult<(PaymentView, String)> {
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "p.tenant_id", "p.location_id");
    let id_param = binds.add(id);
    let row: Option<Row> = binds
        .query_as(&format!("{SELECT} WHERE {scope} AND p.id = {id_param}"))
        .fetch_optional(&caller.db().pool)
        .await?;
    let row = row.ok_or_else(|| AppError::not_found("payment"))?;
    let connection = row.connection_id.clone();
    Ok((row.view(), connection))
}

/// Whether the organisation lets operators capture and refund.
pub async fn operators_may_refund(caller: &Caller) -> AppResult<bool> {
    let allowed: Option<i64> =
        sqlx::query_scalar("SELECT operators_may_refund FROM tenants WHERE id = $1")
            .bind(&caller.tenant_id)
            .fetch_optional(&caller.db().pool)
            .await?;
    Ok(allowed.unwrap_or(0) != 0)
}

/// Capturing and refunding move money: an owner's or admin's call, an operator's only when the
/// organisation says so, and an API key's when its scope allows (checked by the API).
pub async fn may_move_money(caller: &Caller) -> AppResult<bool> {
    if caller.principal.api_key().is_some() || caller.can(Permission::ManageFleet) {
        return Ok(true);
    }
    if !caller.can(Permission::Charge) {
        return Ok(false);
    }
    operators_may_refund(caller).await
}

async fn require_money_mover(caller: &Caller) -> AppResult<()> {
    if may_move_money(caller).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Capturing and refunding are for owners and admins in this organisation; an admin can let operators do it in Settings → Stripe.".into(),
        ))
    }
}

/// One payment the caller may see.
pub async fn get(caller: &Caller, id: &str) -> AppResult<PaymentView> {
    find(caller, id).await.map(|(payment, _)| payment)
}

/// One payment the caller may see, with a doubt about a reader failure settled with Stripe
/// first, so its outcome is final only when Stripe agrees. When Stripe cannot be asked, the
/// payment stays pending and the next look asks again.
pub async fn get_settled(caller: &Caller, id: &str) -> AppResult<PaymentView> {
    let (payment, connection) = find(caller, id).await?;
    if !needs_check(&Facts::from(&payment)) {
        return Ok(payment);
    }
    let settled = async {
        let access = stripe_access::load(&caller.state, &caller.tenant_id, &connection).await?;
        payment_doubts::settle(&caller.state, &access, id, payment.reader_id.as_deref()).await
    }
    .await;
    match settled {
        Ok(_) => get(caller, id).await,
        Err(err) => {
            tracing::warn!(payment = %id, error = %err, "could not settle a doubt with Stripe yet");
            Ok(payment)
        }
    }
}

/// Stores Stripe's PaymentIntent and reader answers of one of our operations, with a timeline
/// line and an audit entry, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn store(
    caller: &Caller,
    access: &Access,
    pi: &PaymentIntent,
    reader: Option<&Reader>,
    context: &Context<'_>,
    action: &str,
    what: &str,
    detail: String,
) -> AppResult<()> {
    let mut tx = caller.db().begin_write().await?;
    // Reader before payment, the order the webhook receiver locks them in too, so the two never
    // wait on each other (PostgreSQL would abort one as a deadlock).
    if let Some(reader) = reader {
        reader_rows::apply_view(
            &mut tx,
            &caller.tenant_id,
            &access.connection_id,
            reader,
            now_ms(),
        )
        .await?;
    }
    let mut deferred = Deferred::new();
    payment_rows::apply_intent(
        &mut tx,
        &mut deferred,
        &caller.tenant_id,
        &access.connection_id,
        pi,
        context,
    )
    .await?;
    if let Some(reader) = reader {
        // The payment's row may be new: what the reader said about it is recorded now.
        reader_rows::note_payments(&mut tx, &access.connection_id, &Mirror::from_stripe(reader))
            .await?;
    }
    deferred.timeline(&caller.tenant_id, &pi.id, "us", what, Some(&detail));
    deferred.flush(&mut tx).await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, action)
            .target("payment", &pi.id)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    let bus = &caller.state.bus;
    bus.publish(&caller.tenant_id, Topic::Payments, Some(&pi.id))
        .await;
    if let Some(reader) = reader {
        bus.publish(&caller.tenant_id, Topic::Readers, Some(&reader.id))
            .await;
    }
    Ok(())
}

/// The account's currency for a connection (asked of Stripe once, then kept).
pub async fn default_currency(caller: &Caller, connection_id: &str) -> AppResult<String> {
    let stored: Option<Option<String>> = sqlx::query_scalar(
        "SELECT default_currency FROM stripe_connections WHERE id = $1 AND tenant_id = $2",
    )
    .bind(connection_id)
    .bind(&caller.tenant_id)
    .fetch_optional(&caller.db().pool)
    .await?;
    if let Some(Some(currency)) = stored {
        return Ok(currency);
    }
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let account = match access.kind {
        crate::model::ConnectionKind::Connect => {
            access
                .client
                .retrieve_account(&access.creds, &access.account_id)
                .await
        }
        _ => access.client.retrieve_own_account(&access.creds).await,
    };
    let currency = account
        .ok()
        .and_then(|a| a.default_currency)
        .unwrap_or_else(|| "usd".into())
        .to_ascii_lowercase();
    sqlx::query("UPDATE stripe_connections SET default_currency = $1 WHERE id = $2")
        .bind(&currency)
        .bind(connection_id)
        .execute(&caller.db().pool)
        .await?;
    Ok(currency)
}

/// A charge to start on a reader, with the amount already in the currency's minor unit.
#[derive(Debug, Clone)]
pub struct Charge<'a> {
    pub reader_id: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub description: &'a str,
    /// `automatic` (or empty) or `manual`.
    pub capture: &'a str,
    /// Our operation id: the same id never makes a second PaymentIntent.
    pub op: &'a str,
}

/// Starts a test charge from a form: `amount` as people write it, in `currency`.
#[allow(clippy::too_many_arguments)]
pub async fn test_charge(
    caller: &Caller,
    reader_id: &str,
    amount: &str,
    currency: &str,
    description: &str,
    capture: &str,
    op: &str,
) -> AppResult<String> {
    check_operation(op)?;
    let currency = check_currency(currency)?;
    let minor = parse_amount(amount, &currency).map_err(|m| AppError::invalid("amount", m))?;
    start_charge(
        caller,
        &Charge {
            reader_id,
            amount: minor,
            currency: &currency,
            description,
            capture,
            op,
        },
    )
    .await
}

fn check_currency(currency: &str) -> AppResult<String> {
    charge_rules::currency(currency).map_err(AppError::from)
}

/// Starts a charge: a `card_present` PaymentIntent handed to the reader.
pub async fn start_charge(caller: &Caller, charge: &Charge<'_>) -> AppResult<String> {
    let op = charge.op;
    check_operation(op)?;
    let currency = check_currency(charge.currency)?;
    let minor = charge_rules::amount(charge.amount)?;
    let reader = reader_views::find(caller, charge.reader_id).await?;
    let description = charge_rules::description(charge.description)?;
    let capture = charge_rules::capture(charge.capture)?;
    let access =
        stripe_access::load(&caller.state, &caller.tenant_id, &reader.connection_id).await?;
    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert("terminal_fleet_operation".to_string(), op.to_string());
    metadata.insert("terminal_fleet_reader".to_string(), reader.id.clone());
    let pi = access
        .client
        .create_payment_intent(
            &access.creds,
            &CreatePaymentIntent {
                amount: minor,
                currency: currency.clone(),
                payment_method_types: vec!["card_present".into()],
                capture_method: Some(capture.into()),
                description: (!description.is_empty()).then(|| description.to_string()),
                metadata: Some(metadata),
                expand: Vec::new(),
            },
            &step_key(op, "create"),
        )
        .await
        .map_err(|e| match e.api().and_then(|a| a.param.as_deref()) {
            Some("amount") => from_stripe(e, Asked::Field("amount")),
            Some("currency") => from_stripe(e, Asked::Field("currency")),
            _ => from_stripe(e, Asked::Action),
        })?;
    let context = Context {
        reader_id: Some(&reader.id),
        location_id: reader.location_id.as_deref(),
        started_by: Some(caller.principal.id()),
        operation_id: Some(op),
        as_of: None,
    };
    let sent = access
        .client
        .process_payment_intent(
            &access.creds,
            &reader.id,
            &ProcessPaymentIntent {
                payment_intent: pi.id.clone(),
                process_config: None,
            },
            &step_key(op, "process"),
        )
        .await;
    let detail = format!(
        "{} on {}",
        format_amount(minor, &currency),
        if reader.label.is_empty() {
            &reader.id
        } else {
            &reader.label
        }
    );
    match sent {
        Ok(updated) => {
            store(
                caller,
                &access,
                &pi,
                Some(&updated),
                &context,
                "payment.test_charge_started",
                "Test charge sent to the reader",
                detail,
            )
            .await?;
            Ok(pi.id)
        }
        Err(err) => {
            // The reader never got it: cancel the PaymentIntent so nothing is left waiting.
            let reason = err.user_message();
            let canceled = access
                .client
                .cancel_payment_intent(
                    &access.creds,
                    &pi.id,
                    &CancelPaymentIntent {
                        cancellation_reason: Some("abandoned".into()),
                    },
                    &step_key(op, "cancel-unsent"),
                )
                .await
                .unwrap_or(pi);
            store(
                caller,
                &access,
                &canceled,
                None,
                &context,
                "payment.test_charge_failed",
                "The reader refused the payment",
                format!("{detail}: {reason}"),
            )
            .await?;
            Err(from_stripe(err, Asked::Action))
        }
    }
}

/// Stripe's test cards, by what they do (simulated readers only).
pub const TEST_CARDS: &[(&str, &str)] = &[
    ("4242424242424242", "Visa — approved"),
    ("5555555555554444", "Mastercard — approved"),
    ("4000000000000002", "Declined (generic)"),
    ("4000000000009995", "Declined: insufficient funds"),
    ("4000000000000069", "Declined: expired card"),
    ("4000000000000119", "Declined: processing error"),
    ("4000000000009987", "Declined: lost card"),
];

/// Presents a test card on a simulated reader, completing what it waits for.
pub async fn present_card(
    caller: &Caller,
    reader_id: &str,
    card: &str,
    tip: &str,
    op: &str,
) -> AppResult<()> {
    check_operation(op)?;
    let reader = reader_views::find(caller, reader_id).await?;
    let access =
        stripe_access::load(&caller.state, &caller.tenant_id, &reader.connection_id).await?;
    if access.kind != crate::model::ConnectionKind::Simulator {
        return Err(AppError::Conflict(
            "Test cards can only be presented on simulated readers; use a physical test card on a real reader.".into(),
        ));
    }
    if !TEST_CARDS.iter().any(|(number, _)| *number == card) {
        return Err(AppError::invalid("card", "Choose one of the test cards."));
    }
    let waiting = reader
        .action
        .as_ref()
        .and_then(|a| a.payment.clone())
        .filter(|_| reader.busy());
    let tip = match tip.trim() {
        "" => None,
        text => {
            let currency = match &waiting {
                Some(pi) => sqlx::query_scalar::<_, String>(
                    "SELECT currency FROM payments WHERE tenant_id = $1 AND id = $2",
                )
                .bind(&caller.tenant_id)
                .bind(pi)
                .fetch_optional(&caller.db().pool)
                .await?
                .unwrap_or_else(|| "usd".into()),
                None => "usd".into(),
            };
            Some(parse_amount(text, &currency).map_err(|m| AppError::invalid("tip", m))?)
        }
    };
    let updated = access
        .client
        .present_payment_method(
            &access.creds,
            &reader.id,
            &PresentPaymentMethod {
                kind: Some("card_present".into()),
                card_present: Some(CardPresentParams {
                    number: Some(card.to_string()),
                }),
                amount_tip: tip,
            },
            &step_key(op, "present"),
        )
        .await
        .map_err(|e| {
            if e.api().and_then(|a| a.param.as_deref()) == Some("amount_tip") {
                tracing::info!(error = %e, "Stripe refused a tip");
                AppError::invalid(
                    "tip",
                    "This reader shows no tipping screen for the payment's currency, so no tip can be added. Give its location a configuration with tipping for that currency (Settings → Reader configurations), or leave the tip empty.",
                )
            } else {
                from_stripe(e, Asked::Action)
            }
        })?;
    // Stripe's answer about the payment itself comes by webhook; ask now too, so the page does
    // not depend on webhooks being set up.
    if let Some(pi_id) = waiting {
        if let Ok(pi) = access
            .client
            .retrieve_payment_intent(&access.creds, &pi_id, &Default::default())
            .await
        {
            let context = Context {
                reader_id: Some(&reader.id),
                location_id: reader.location_id.as_deref(),
                ..Context::default()
            };
            let label = TEST_CARDS
                .iter()
                .find(|(n, _)| *n == card)
                .map(|(_, l)| *l)
                .unwrap_or("test card");
            store(
                caller,
                &access,
                &pi,
                Some(&updated),
                &context,
                "payment.card_presented",
                "Test card presented",
                label.to_string(),
            )
            .await?;
            refresh_charge(caller, &access, &pi).await;
            return Ok(());
        }
    }
    let mut tx = caller.db().begin_write().await?;
    let fresh = Mirror::from_stripe(&updated);
    let old = reader_rows::load(&mut tx, &access.connection_id, &updated.id).await?;
    reader_rows::apply(
        &mut tx,
        &caller.tenant_id,
        &access.connection_id,
        old.as_ref(),
        &fresh,
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Readers, Some(&updated.id))
        .await;
    Ok(())
}

/// Card details and refunds live on the charge. Best effort: the payment itself is already
/// stored, and the next webhook or look brings the charge, so a failure is logged, not answered.
async fn refresh_charge(caller: &Caller, access: &Access, pi: &PaymentIntent) {
    let Some(charge_id) = pi.latest_charge.as_ref().map(|c| c.id().to_string()) else {
        return;
    };
    if let Err(err) = store_charge(caller, access, &charge_id).await {
        tracing::warn!(payment = %pi.id, charge = %charge_id, error = %err, "could not refresh a payment's charge");
    }
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Payments, Some(&pi.id))
        .await;
}

async fn store_charge(
    caller: &Caller,
    access: &Access,
    charge_id: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let charge = access
        .client
        .retrieve_charge(&access.creds, charge_id)
        .await?;
    let mut tx = caller.db().begin_write().await?;
    let mut deferred = Deferred::new();
    payment_rows::apply_charge(&mut tx, &mut deferred, &access.connection_id, &charge).await?;
    deferred.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn payment_access(caller: &Caller, id: &str) -> AppResult<(PaymentView, Access)> {
    let (payment, connection) = find(caller, id).await?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, &connection).await?;
    Ok((payment, access))
}

pub async fn capture(caller: &Caller, id: &str, op: &str) -> AppResult<()> {
    check_operation(op)?;
    require_money_mover(caller).await?;
    let (payment, access) = payment_access(caller, id).await?;
    let pi = access
        .client
        .capture_payment_intent(
            &access.creds,
            id,
            &CapturePaymentIntent::default(),
            &step_key(op, "capture"),
        )
        .await
        .map_err(|e| from_stripe(e, Asked::Action))?;
    store(
        caller,
        &access,
        &pi,
        None,
        &Context::default(),
        "payment.captured",
        "Captured",
        format_amount(pi.amount_received, &payment.currency),
    )
    .await?;
    refresh_charge(caller, &access, &pi).await;
    Ok(())
}

pub async fn cancel(caller: &Caller, id: &str, op: &str) -> AppResult<()> {
    check_operation(op)?;
    let (payment, access) = payment_access(caller, id).await?;
    let pi = access
        .client
        .cancel_payment_intent(
            &access.creds,
            id,
            &CancelPaymentIntent {
                cancellation_reason: Some("requested_by_customer".into()),
            },
            &step_key(op, "cancel"),
        )
        .await
        .map_err(|e| from_stripe(e, Asked::Action))?;
    store(
        caller,
        &access,
        &pi,
        None,
        &Context::default(),
        "payment.canceled",
        "Canceled",
        payment.amount_text(),
    )
    .await
}

/// Refunds all of a payment (`amount` empty) or part of it, from a form.
pub async fn refund(caller: &Caller, id: &str, amount: &str, op: &str) -> AppResult<()> {
    check_operation(op)?;
    require_money_mover(caller).await?;
    let minor = match amount.trim() {
        "" => None,
        text => {
            let (payment, _) = find(caller, id).await?;
            Some(
                parse_amount(text, &payment.currency)
                    .map_err(|m| AppError::invalid("amount", m))?,
            )
        }
    };
    refund_minor(caller, id, minor, op).await
}

/// Refunds `amount` (minor units) of a payment, or all that is left when `None`.
pub async fn refund_minor(
    caller: &Caller,
    id: &str,
    amount: Option<i64>,
    op: &str,
) -> AppResult<()> {
    check_operation(op)?;
    require_money_mover(caller).await?;
    let (payment, access) = payment_access(caller, id).await?;
    let refundable = payment.refundable();
    if refundable == 0 {
        return Err(AppError::Conflict(
            "Only a succeeded payment with something left to refund can be refunded.".into(),
        ));
    }
    let minor = amount.unwrap_or(refundable);
    if minor < 1 {
        return Err(AppError::invalid(
            "amount",
            "The refund must be at least 1 (in the currency's smallest unit).",
        ));
    }
    if minor > refundable {
        return Err(AppError::invalid(
            "amount",
            format!(
                "At most {} is left to refund.",
                format_amount(refundable, &payment.currency)
            ),
        ));
    }
    access
        .client
        .create_refund(
            &access.creds,
            &CreateRefund {
                payment_intent: Some(id.to_string()),
                amount: Some(minor),
                ..CreateRefund::default()
            },
            &step_key(op, "refund"),
        )
        .await
        .map_err(|e| from_stripe(e, Asked::Action))?;
    let pi = access
        .client
        .retrieve_payment_intent(&access.creds, id, &Default::default())
        .await
        .map_err(|e| from_stripe(e, Asked::Action))?;
    store(
        caller,
        &access,
        &pi,
        None,
        &Context::default(),
        "payment.refunded",
        "Refunded",
        format_amount(minor, &payment.currency),
    )
    .await?;
    refresh_charge(caller, &access, &pi).await;
    Ok(())
}

/// The newest payments on one reader.
pub async fn for_reader(caller: &Caller, reader_id: &str) -> AppResult<Vec<PaymentView>> {
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "p.tenant_id", "p.location_id");
    let reader_id_param = binds.add(reader_id);
    let rows: Vec<Row> = binds
        .query_as(&format!(
            "{SELECT} WHERE {scope} AND p.reader_id = {reader_id_param}
         ORDER BY p.created_at DESC, p.id DESC LIMIT 10"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    Ok(rows.into_iter().map(Row::view).collect())
}

/// The newest payment of each location the caller sees.
pub async fn last_per_location(
    caller: &Caller,
) -> AppResult<std::collections::HashMap<String, PaymentView>> {
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "f.tenant_id", "f.location_id");
    // Each store's newest payment is kept beside it (store_figures), so this reads one payment
    // per store instead of looking for the newest among all of them.
    let rows: Vec<Row> = binds
        .query_as(&format!(
            "{SELECT}
    JOIN store_figures f ON f.tenant_id = p.tenant_id AND f.last_payment_id = p.id
    WHERE {scope} AND f.location_id <> '' AND p.location_id = f.location_id"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let location = r.location_id.clone()?;
            Some((location, r.view()))
        })
        .collect())
}

fn day_start(date: &str, field: &str) -> AppResult<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &format)
        .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
        .map_err(|_| AppError::invalid(field, "Use a date like 2026-11-24."))
}

/// A filter's value, when one was given.
fn some(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A status filter as SQL: on the payment rows (`p`) and on the rollup (`r`), which keeps the
/// facts these conditions test, so both select the same payments.
struct StatusCondition {
    rows: &'static str,
    rollup: &'static str,
}

fn status_condition(status: &str) -> AppResult<StatusCondition> {
    let (rows, rollup) = match status {
        "succeeded" => (
            "p.status = 'succeeded' AND p.amount_refunded = 0",
            "r.status = 'succeeded' AND r.refunded = 0",
        ),
        "refunded" => ("p.amount_refunded > 0", "r.refunded = 1"),
        "requires_capture" => ("p.status = 'requires_capture'", "r.status = 'requires_capture'"),
        "canceled" => ("p.status = 'canceled'", "r.status = 'canceled'"),
        "declined" => (
            "p.status = 'requires_payment_method' AND p.failure_code IS NOT NULL",
            "r.status = 'requires_payment_method' AND r.failed = 1",
        ),
        "waiting" => (
            "p.status IN ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing') AND p.failure_code IS NULL AND p.gave_up IS NULL",
            "r.status IN ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing') AND r.failed = 0 AND r.gave_up = 0",
        ),
        other => {
            return Err(AppError::invalid(
                "status",
                format!("“{}” is not a payment status.", quote(other)),
            ))
        }
    };
    Ok(StatusCondition { rows, rollup })
}

/// A transactions filter as SQL conditions on `p`, tenant and scope first, its values added to
/// `binds`.
fn filter<'c>(
    caller: &'c Caller,
    query: &TransactionQuery,
    binds: &mut Binds<'c>,
) -> AppResult<String> {
    let mut conditions =
        vec![LocationScope::for_caller(caller).clause(binds, "p.tenant_id", "p.location_id")];
    if let Some(status) = some(&query.status) {
        conditions.push(status_condition(&status)?.rows.into());
    }
    if let Some(location) = some(&query.location) {
        conditions.push(format!("p.location_id = {}", binds.add(location)));
    }
    if let Some(reader) = some(&query.reader) {
        conditions.push(format!("p.reader_id = {}", binds.add(reader)));
    }
    if let Some(currency) = some(&query.currency) {
        conditions.push(format!(
            "p.currency = {}",
            binds.add(currency.to_ascii_lowercase())
        ));
    }
    if let Some(card) = some(&query.card) {
        // Four digits are the last four (indexed); anything else is a brand.
        if card.len() == 4 && card.chars().all(|c| c.is_ascii_digit()) {
            conditions.push(format!("p.card_last4 = {}", binds.add(card)));
        } else {
            conditions.push(format!(
                "LOWER(p.card_brand) = {}",
                binds.add(card.to_ascii_lowercase())
            ));
        }
    }
    if let Some(q) = some(&query.q) {
        if q.len() > 100 {
            return Err(AppError::invalid("q", "Search for at most 100 characters."));
        }
        conditions.push(format!(
            "p.id LIKE {} ESCAPE '\\'",
            binds.add(format!("{}%", escape_like(&q)))
        ));
    }
    let currency_for_amounts = some(&query.currency).unwrap_or_else(|| "usd".into());
    if let Some(from) = some(&query.from) {
        let start = day_start(&from, "from")?;
        conditions.push(format!("p.created_at >= {}", binds.add(start)));
    }
    if let Some(to) = some(&query.to) {
        let end = day_start(&to, "to")? + 86_400_000;
        conditions.push(format!("p.created_at < {}", binds.add(end)));
    }
    if let Some(min) = some(&query.min) {
        let min =
            parse_amount(&min, &currency_for_amounts).map_err(|m| AppError::invalid("min", m))?;
        conditions.push(format!("p.amount >= {}", binds.add(min)));
    }
    if let Some(max) = some(&query.max) {
        let max =
            parse_amount(&max, &currency_for_amounts).map_err(|m| AppError::invalid("max", m))?;
        conditions.push(format!("p.amount <= {}", binds.add(max)));
    }
    Ok(conditions.join(" AND "))
}

pub async fn list(caller: &Caller, query: &TransactionQuery) -> AppResult<TransactionsView> {
    let mut binds = Binds::new();
    let filter = filter(caller, query, &mut binds)?;
    let cursor = Cursor::parse(query.before.as_deref())?;
    let page_filter = match &cursor {
        Some(cursor) => format!(
            "{filter} AND {}",
            cursor.older_than(&mut binds, "p.created_at", ["p.id"])
        ),
        None => filter,
    };

    let sql = format!(
        "{SELECT} WHERE {page_filter} ORDER BY p.created_at DESC, p.id DESC LIMIT {}",
        TRANSACTIONS_PER_PAGE + 1
    );
    let mut payments: Vec<PaymentView> = binds
        .query_as::<Row>(&sql)
        .fetch_all(&caller.db().pool)
        .await?
        .into_iter()
        .map(Row::view)
        .collect();
    let next = if payments.len() as i64 > TRANSACTIONS_PER_PAGE {
        payments.truncate(TRANSACTIONS_PER_PAGE as usize);
        payments
            .last()
            .map(|p| Cursor::new(p.created_at, [p.id.clone()]).encode())
    } else {
        None
    };

    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
    let locations: Vec<(String, String)> = binds
        .query_as(&format!(
            "SELECT l.id, l.display_name FROM locations l WHERE {scope}
         ORDER BY l.display_name, l.id"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    Ok(TransactionsView {
        payments,
        next,
        locations,
        now: now_ms(),
    })
}

/// The same filter on the rollup (`r`, whole UTC days), when it only names what the rollup
/// keeps: status, store, reader, currency and dates. `None` for the others (amounts, card, id).
fn rollup_filter<'c>(
    caller: &'c Caller,
    query: &TransactionQuery,
    binds: &mut Binds<'c>,
) -> AppResult<Option<String>> {
    if [&query.min, &query.max, &query.card, &query.q]
        .into_iter()
        .any(|v| some(v).is_some())
    {
        return Ok(None);
    }
    let mut conditions =
        vec![LocationScope::for_caller(caller).clause(binds, "r.tenant_id", "r.location_id")];
    if let Some(status) = some(&query.status) {
        conditions.push(status_condition(&status)?.rollup.into());
    }
    if let Some(location) = some(&query.location) {
        conditions.push(format!("r.location_id = {}", binds.add(location)));
    }
    if let Some(reader) = some(&query.reader) {
        conditions.push(format!("r.reader_id = {}", binds.add(reader)));
    }
    if let Some(currency) = some(&query.currency) {
        conditions.push(format!(
            "r.currency = {}",
            binds.add(currency.to_ascii_lowercase())
        ));
    }
    // The rollup's days are UTC days, as these dates are: a day is in the range whole or not
    // at all.
    if let Some(from) = some(&query.from) {
        conditions.push(format!("r.day >= {}", binds.add(day_start(&from, "from")?)));
    }
    if let Some(to) = some(&query.to) {
        let end = day_start(&to, "to")? + 86_400_000;
        conditions.push(format!("r.day < {}", binds.add(end)));
    }
    Ok(Some(conditions.join(" AND ")))
}

/// Totals per currency for a filter. Filters the rollup keeps are summed from it (a few rows
/// per store, reader and day, kept with every payment write); the others are a pass over every
/// matching row, so the page asks for them apart from the (indexed, keyset) page of rows and
/// shows them when ready.
pub async fn totals(caller: &Caller, query: &TransactionQuery) -> AppResult<Vec<CurrencyTotal>> {
    let mut binds = Binds::new();
    // Checked first, so a bad value is refused with the same message either way.
    let filter = filter(caller, query, &mut binds)?;
    let mut rollup_binds = Binds::new();
    let totals_sql = match rollup_filter(caller, query, &mut rollup_binds)? {
        Some(rollup) => {
            binds = rollup_binds;
            format!(
                "SELECT r.currency, CAST(SUM(r.count) AS BIGINT),
                    CAST(SUM(r.received) AS BIGINT), CAST(SUM(r.refunded_amount) AS BIGINT)
                 FROM payment_rollup r WHERE {rollup}
                 GROUP BY r.currency HAVING SUM(r.count) > 0 ORDER BY r.currency"
            )
        }
        None => format!(
            "SELECT p.currency, COUNT(*), CAST(COALESCE(SUM(p.amount_received), 0) AS BIGINT),
                CAST(COALESCE(SUM(p.amount_refunded), 0) AS BIGINT)
             FROM payments p WHERE {filter} GROUP BY p.currency ORDER BY p.currency"
        ),
    };
    let totals = binds.query_as::<(String, i64, i64, i64)>(&totals_sql);
    let totals: Vec<CurrencyTotal> = totals
        .fetch_all(&caller.db().pool)
        .await?
        .into_iter()
        .map(|(currency, count, received, refunded)| CurrencyTotal {
            currency,
            count,
            received,
            refunded,
        })
        .collect();
    Ok(totals)
}

pub async fn detail(caller: &Caller, id: &str) -> AppResult<PaymentDetail> {
    let (payment, _) = find(caller, id).await?;
    let mut timeline: Vec<TimelineItem> =
        sqlx::query_as::<_, (i64, String, String, Option<String>)>(
            "SELECT at, source, what, detail FROM payment_timeline
         WHERE tenant_id = $1 AND payment_id = $2 ORDER BY at, id",
        )
        .bind(&caller.tenant_id)
        .bind(id)
        .fetch_all(&caller.db().pool)
        .await?
        .into_iter()
        .map(|(at, source, what, detail)| TimelineItem {
            at,
            source,
            what,
            detail,
        })
        .collect();
    let events: Vec<(i64, String)> = sqlx::query_as(
        "SELECT received_at, type FROM webhook_events
         WHERE tenant_id = $1 AND payload LIKE $2 ORDER BY received_at LIMIT 100",
    )
    .bind(&caller.tenant_id)
    .bind(format!("%\"{id}\"%"))
    .fetch_all(&caller.db().pool)
    .await?;
    timeline.extend(events.into_iter().map(|(at, kind)| TimelineItem {
        at,
        source: "stripe".into(),
        what: format!("Event {kind}"),
        detail: None,
    }));
    let audit: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT at, action, actor_email, detail FROM audit_log
         WHERE tenant_id = $1 AND target_type = 'payment' AND target_id = $2 ORDER BY at",
    )
    .bind(&caller.tenant_id)
    .bind(id)
    .fetch_all(&caller.db().pool)
    .await?;
    timeline.extend(
        audit
            .into_iter()
            .map(|(at, action, actor, detail)| TimelineItem {
                at,
                source: "audit".into(),
                what: format!(
                    "{action} by {}",
                    actor.unwrap_or_else(|| "the system".into())
                ),
                detail,
            }),
    );
    timeline.sort_by_key(|t| t.at);
    Ok(PaymentDetail {
        payment,
        timeline,
        can_charge: caller.can(Permission::Charge),
        can_refund: may_move_money(caller).await?,
        op: new_operation(),
        now: now_ms(),
    })
}
