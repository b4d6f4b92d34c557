//! What a webhook event changes, and applying it. The change is read from the event alone, so
//! the request that received it works it out in parallel with the others; applying it takes a
//! connection inside the caller's transaction, so a whole batch of events is applied, and
//! stored, in one commit.

use super::deferred::Deferred;
use super::payment_figures::{self, PaymentFacts, FACTS};
use super::payment_rows;
use crate::fleet::ssr::reader_rows::{self, Mirror};
use crate::topic::Topic;
use fleet_stripe::{Charge, Event, PaymentIntent, Reader};
use sqlx::AnyConnection;

/// The change an event asks of our rows.
#[derive(Debug, Clone)]
pub enum Change {
    Intent(Box<PaymentIntent>),
    Charge(Box<Charge>),
    Reader(Box<Reader>),
    /// An event the dashboard does not act on, or whose object it cannot read.
    Nothing,
}

/// What a change announces on the live bus once its transaction has committed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notice {
    pub tenant_id: String,
    pub topic: Topic,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Ignored,
    Applied(Option<Notice>),
}

impl Applied {
    /// The outcome recorded on the event's row.
    pub fn outcome(&self) -> &'static str {
        match self {
            Applied::Ignored => "ignored",
            Applied::Applied(_) => "applied",
        }
    }
}

impl Change {
    pub fn of(event: &Event) -> Change {
        if event.kind.starts_with("payment_intent.") {
            let Ok(pi) = event.object::<PaymentIntent>() else {
                tracing::warn!(event = %event.id, "payment event without a readable PaymentIntent");
                return Change::Nothing;
            };
            // Only in-person payments belong on the dashboard.
            let in_person = pi
                .payment_method_types
                .iter()
                .any(|t| t == "card_present" || t == "interac_present");
            return if in_person {
                Change::Intent(Box::new(pi))
            } else {
                Change::Nothing
            };
        }
        if event.kind.starts_with("charge.") && event.object_type() == Some("charge") {
            return match event.object::<Charge>() {
                Ok(charge) => Change::Charge(Box::new(charge)),
                Err(_) => Change::Nothing,
            };
        }
        if event.kind.starts_with("terminal.reader.") {
            return match event.object::<Reader>() {
                Ok(reader) => Change::Reader(Box::new(reader)),
                Err(_) => {
                    tracing::warn!(event = %event.id, "reader event without a readable reader");
                    Change::Nothing
                }
            };
        }
        Change::Nothing
    }

    /// The outcome applying it records: anything but [`Change::Nothing`] is applied.
    pub fn outcome(&self) -> &'static str {
        match self {
            Change::Nothing => Applied::Ignored.outcome(),
            _ => Applied::Applied(None).outcome(),
        }
    }

    /// Where the change stands when a batch is applied: reader rows before payment rows (the
    /// order every writer locks them in, see `reader_rows::apply`), each by id, so writers of
    /// several instances on PostgreSQL queue behind one another instead of deadlocking.
    pub fn lock_order(&self) -> (u8, &str) {
        match self {
            Change::Reader(reader) => (0, &reader.id),
            Change::Intent(pi) => (1, &pi.id),
            Change::Charge(charge) => (1, charge.payment_intent.as_deref().unwrap_or("")),
            Change::Nothing => (2, ""),
        }
    }
}

/// Applies `change`, which an event `created` at that time (seconds) asked for, on `conn`.
pub async fn apply(
    conn: &mut AnyConnection,
    deferred: &mut Deferred,
    tenant_id: &str,
    connection_id: &str,
    created: i64,
    change: &Change,
) -> Result<Applied, sqlx::Error> {
    let notice = |topic, id: &str| {
        Some(Notice {
            tenant_id: tenant_id.to_string(),
            topic,
            id: id.to_string(),
        })
    };
    match change {
        Change::Nothing => Ok(Applied::Ignored),
        Change::Intent(pi) => {
            let applied = payment_rows::apply_intent(
                conn,
                deferred,
                tenant_id,
                connection_id,
                pi,
                &payment_rows::Context {
                    as_of: Some(created),
                    ..payment_rows::Context::default()
                },
            )
            .await?;
            Ok(Applied::Applied(
                applied
                    .changed
                    .then(|| notice(Topic::Payments, &pi.id))
                    .flatten(),
            ))
        }
        Change::Charge(charge) => {
            let changed = payment_rows::apply_charge(conn, deferred, connection_id, charge).await?;
            Ok(Applied::Applied(match (changed, &charge.payment_intent) {
                (true, Some(pi)) => notice(Topic::Payments, pi),
                _ => None,
            }))
        }
        Change::Reader(reader) => {
            let fresh = Mirror::from_stripe(reader);
            reader_rows::apply_view(
                conn,
                tenant_id,
                connection_id,
                reader,
                created.saturating_mul(1000),
            )
            .await?;
            // A payment handed to this reader (by us or by point-of-sale software) is this
            // reader's and its location's.
            if let Some(pi) = reader
                .action
                .as_ref()
                .and_then(|a| a.process_payment_intent.as_ref())
                .map(|p| p.payment_intent.id().to_string())
            {
                // Inside the event's savepoint: an event redone alone after its batch failed
                // moves the figures once, as the rows themselves.
                let watch = payment_figures::watch_payment(conn, connection_id, &pi).await?;
                let row: Option<PaymentFacts> = sqlx::query_as(&format!(
                    "UPDATE payments SET reader_id = COALESCE(reader_id, $3),
                     location_id = COALESCE(location_id, $4)
                     WHERE connection_id = $1 AND id = $2 RETURNING {FACTS}"
                ))
                .bind(connection_id)
                .bind(&pi)
                .bind(&reader.id)
                .bind(fresh.location_id.as_deref())
                .fetch_optional(&mut *conn)
                .await?;
                watch.settle_as(row, &mut deferred.figures);
            }
            Ok(Applied::Applied(notice(Topic::Readers, &reader.id)))
        }
    }
}
