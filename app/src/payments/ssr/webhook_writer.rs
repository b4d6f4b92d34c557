//! Group commit for Stripe's webhooks. Requests verify and parse their event in parallel, then
//! hand it to the one writer of this instance through a bounded queue. The writer takes every
//! event waiting (up to [`MAX_BATCH`]) and, in one write transaction, stores them, applies the
//! new ones and marks them processed; only after that commit does each sender hear its answer,
//! so nothing is acknowledged that is not durable, and a batch costs one commit, not one per
//! event.
//!
//! Correctness does not rest on this writer being the only one: on PostgreSQL every instance
//! runs its own, the primary key decides which insert of an event is the new one (the other
//! waits for it and finds a duplicate), and payment rows only move forward.

use super::deferred::Deferred;
use super::payment_rows;
use super::payment_rows::NewIntent;
use super::webhook_apply::{apply, Applied, Change, Notice};
use super::webhook_service::{Received, WebhookError};
use crate::ssr::binds::Binds;
use crate::ssr::bus::Envelope;
use crate::ssr::ids::now_ms;
use crate::ssr::state::AppState;
use crate::topic::Topic;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Events stored in one transaction at most.
pub const MAX_BATCH: usize = 256;

/// One verified event on its way to the database.
#[derive(Debug)]
pub struct Incoming {
    pub tenant_id: String,
    pub connection_id: String,
    pub event_id: String,
    pub kind: String,
    /// The event's `created` (seconds).
    pub created: i64,
    pub payload: String,
    pub change: Change,
}

type Answer = oneshot::Sender<Result<Received, WebhookError>>;

#[derive(Debug)]
struct Job {
    incoming: Incoming,
    answer: Answer,
}

/// The sending side, shared by every request of the instance.
#[derive(Clone, Debug)]
pub struct WebhookIngest {
    sender: mpsc::Sender<Job>,
    stats: Arc<Stats>,
}

/// The receiving side, for the writer task.
#[derive(Debug)]
pub struct Inbox {
    receiver: mpsc::Receiver<Job>,
    stats: Arc<Stats>,
}

#[derive(Debug, Default)]
struct Stats {
    batches: AtomicU64,
    events: AtomicU64,
    largest: AtomicU64,
    isolated: AtomicU64,
}

/// What the writer has done so far (tests and benchmarks read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// Transactions committed (or tried).
    pub batches: u64,
    /// Deliveries answered through them.
    pub events: u64,
    /// The most deliveries one transaction held.
    pub largest: u64,
    /// Batches applied again event by event because one of their events failed.
    pub isolated: u64,
}

impl WebhookIngest {
    /// A queue of `capacity` events and the writer's end of it.
    pub fn channel(capacity: usize) -> (WebhookIngest, Inbox) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(Stats::default());
        (
            WebhookIngest {
                sender,
                stats: stats.clone(),
            },
            Inbox { receiver, stats },
        )
    }

    /// A queue no writer reads: every event is turned away (operator commands, which serve
    /// no requests).
    pub fn stopped() -> WebhookIngest {
        Self::channel(1).0
    }

    /// Queues `incoming` and waits for the commit that holds it.
    pub async fn submit(&self, incoming: Incoming) -> Result<Received, WebhookError> {
        let (answer, answered) = oneshot::channel();
        self.sender
            .try_send(Job { incoming, answer })
            .map_err(|_| WebhookError::Busy)?;
        answered.await.map_err(|_| WebhookError::NotStored)?
    }

    /// Events queued and not yet taken by the writer.
    pub fn waiting(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    pub fn figures(&self) -> Figures {
        let s = &self.stats;
        Figures {
            batches: s.batches.load(Ordering::Relaxed),
            events: s.events.load(Ordering::Relaxed),
            largest: s.largest.load(Ordering::Relaxed),
            isolated: s.isolated.load(Ordering::Relaxed),
        }
    }
}

/// The writer: runs until every sender is gone.
pub async fn run(state: AppState, mut inbox: Inbox) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while inbox.receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let stats = &inbox.stats;
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.events.fetch_add(jobs.len() as u64, Ordering::Relaxed);
        stats
            .largest
            .fetch_max(jobs.len() as u64, Ordering::Relaxed);
        let batch = Batch::of(std::mem::take(&mut jobs));
        let notices = batch.commit(&state, stats).await;
        if !notices.is_empty() {
            // Off the writer's path: on PostgreSQL each is a NOTIFY, and the next batch is
            // waiting.
            let bus = state.bus.clone();
            tokio::spawn(async move {
                bus.publish_all(
                    notices
                        .into_iter()
                        .map(|n| Envelope::new(&n.tenant_id, n.topic, Some(&n.id)))
                        .collect(),
                )
                .await;
            });
        }
    }
}

/// A batch's distinct events, each with everyone waiting for it: Stripe may deliver one event
/// twice at once, and both deliveries must be answered by the one row.
struct Batch {
    events: Vec<Incoming>,
    waiting: Vec<Vec<Answer>>,
}

/// What became of one distinct event in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Stored,
    Duplicate,
    /// Its insert failed; the rest of the batch went on without it.
    Refused,
}

impl Batch {
    fn of(jobs: Vec<Job>) -> Batch {
        let mut index: HashMap<(String, String), usize> = HashMap::new();
        let mut batch = Batch {
            events: Vec::new(),
            waiting: Vec::new(),
        };
        for job in jobs {
            let key = (
                job.incoming.connection_id.clone(),
                job.incoming.event_id.clone(),
            );
            match index.get(&key) {
                Some(&at) => batch.waiting[at].push(job.answer),
                None => {
                    index.insert(key, batch.events.len());
                    batch.events.push(job.incoming);
                    batch.waiting.push(vec![job.answer]);
                }
            }
        }
        batch
    }

    /// Stores and applies the batch, answers its senders, and returns what to announce.
    async fn commit(self, state: &AppState, stats: &Stats) -> Vec<Notice> {
        let result = match write(state, &self.events, false).await {
            Ok(done) => Ok(done),
            Err(err) => {
                // One event failing (or a deadlock with another instance) must not cost the
                // others: again, each event behind its own savepoint.
                tracing::warn!(error = %err, events = self.events.len(), "webhook batch failed; applying its events one by one");
                stats.isolated.fetch_add(1, Ordering::Relaxed);
                write(state, &self.events, true).await
            }
        };
        match result {
            Ok((verdicts, notices)) => {
                for (verdict, answers) in verdicts.into_iter().zip(self.waiting) {
                    for (n, answer) in answers.into_iter().enumerate() {
                        let reply = match verdict {
                            Verdict::Stored if n == 0 => Ok(Received::Stored),
                            Verdict::Stored | Verdict::Duplicate => Ok(Received::Duplicate),
                            Verdict::Refused => Err(WebhookError::NotStored),
                        };
                        // A sender that hung up retries; its event is stored either way.
                        let _ = answer.send(reply);
                    }
                }
                notices
            }
            Err(err) => {
                tracing::error!(error = %err, events = self.events.len(), "webhook batch not stored");
                for answer in self.waiting.into_iter().flatten() {
                    let _ = answer.send(Err(WebhookError::NotStored));
                }
                Vec::new()
            }
        }
    }
}

/// One transaction: stores `events`, applies the new ones, marks them. `isolated` puts each
/// event behind a savepoint, so one that fails to store or apply leaves the others in place
/// (an event stored but not applied is left to the queue worker, as before).
async fn write(
    state: &AppState,
    events: &[Incoming],
    isolated: bool,
) -> Result<(Vec<Verdict>, Vec<Notice>), sqlx::Error> {
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let mut verdicts = vec![Verdict::Duplicate; events.len()];
    // Inserted in key order: two instances inserting overlapping batches take the keys' locks
    // in the same order.
    let mut by_key: Vec<usize> = (0..events.len()).collect();
    by_key.sort_by(|&a, &b| {
        (&events[a].connection_id, &events[a].event_id)
            .cmp(&(&events[b].connection_id, &events[b].event_id))
    });
    if isolated {
        for &i in &by_key {
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
            match insert(&mut savepoint, &events[i..=i], now, false).await {
                Ok(new) => {
                    savepoint.commit().await?;
                    if !new.is_empty() {
                        verdicts[i] = Verdict::Stored;
                    }
                }
                Err(err) => {
                    tracing::warn!(event = %events[i].event_id, error = %err, "webhook event not stored");
                    savepoint.rollback().await?;
                    verdicts[i] = Verdict::Refused;
                }
            }
        }
    } else {
        // Marked processed as they are stored: in this transaction every new event is
        // applied or it fails as a whole (and is done again event by event).
        let new = insert(&mut tx, events, now, true).await?;
        for (i, e) in events.iter().enumerate() {
            if new.contains(&(e.connection_id.as_str(), e.event_id.as_str())) {
                verdicts[i] = Verdict::Stored;
            }
        }
    }
    let mut in_order: Vec<usize> = (0..events.len())
        .filter(|&i| verdicts[i] == Verdict::Stored)
        .collect();
    in_order.sort_by(|&a, &b| {
        events[a]
            .change
            .lock_order()
            .cmp(&events[b].change.lock_order())
    });
    let mut done: HashMap<&'static str, Vec<usize>> = HashMap::new();
    let mut notices = Vec::new();
    let mut deferred = Deferred::new();
    let mut read_ahead = !isolated;
    let mut bulk_done: HashSet<usize> = HashSet::new();
    for (at, &i) in in_order.iter().enumerate() {
        let e = &events[i];
        if read_ahead && e.change.lock_order().0 == 1 {
            // The readers are applied (they lock first): now the payments.
            read_ahead = false;
            let (inserted, announced) =
                payments_ahead(&mut tx, &mut deferred, events, &in_order[at..]).await?;
            bulk_done = inserted;
            notices.extend(announced);
        }
        if bulk_done.contains(&i) {
            continue;
        }
        let applied = if isolated {
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
            // The event's own deferred writes, inside its savepoint: undone with it.
            let mut own = Deferred::new();
            let result = match apply(
                &mut savepoint,
                &mut own,
                &e.tenant_id,
                &e.connection_id,
                e.created,
                &e.change,
            )
            .await
            {
                Ok(applied) => own.flush(&mut savepoint).await.map(|()| applied),
                Err(err) => Err(err),
            };
            match result {
                Ok(applied) => {
                    savepoint.commit().await?;
                    applied
                }
                Err(err) => {
                    tracing::warn!(event = %e.event_id, error = %err, "webhook event stored but not applied yet");
                    savepoint.rollback().await?;
                    mark_failed(&mut tx, e, &err.to_string()).await?;
                    continue;
                }
            }
        } else {
            apply(
                &mut tx,
                &mut deferred,
                &e.tenant_id,
                &e.connection_id,
                e.created,
                &e.change,
            )
            .await?
        };
        debug_assert_eq!(applied.outcome(), e.change.outcome());
        if isolated {
            // A batch marked its events as it stored them.
            done.entry(applied.outcome()).or_default().push(i);
        }
        if let Applied::Applied(Some(notice)) = applied {
            notices.push(notice);
        }
    }
    deferred.flush(&mut tx).await?;
    if isolated {
        for (outcome, list) in done {
            mark_done(&mut tx, events, &list, outcome, now).await?;
        }
    }
    tx.commit().await?;
    notices.sort_by(|a, b| (&a.tenant_id, &a.id).cmp(&(&b.tenant_id, &b.id)));
    notices.dedup();
    Ok((verdicts, notices))
}

/// Before a batch's payment events are applied one by one (`rest`, the stored events from the
/// first of them on, in lock order): reads every row they touch in one statement, and inserts
/// in one more the payments new to us (the common case: most events announce a payment we have
/// not seen). Answers the events that insert applied, and what they announce; any later event
/// of the same payment in the batch is applied over the row as usual.
async fn payments_ahead(
    conn: &mut sqlx::AnyConnection,
    deferred: &mut Deferred,
    events: &[Incoming],
    rest: &[usize],
) -> Result<(HashSet<usize>, Vec<Notice>), sqlx::Error> {
    let keys: Vec<(&str, &str)> = rest
        .iter()
        .map(|&j| &events[j])
        .filter(|e| e.change.lock_order().0 == 1)
        .map(payment_key)
        .collect();
    payment_rows::read_ahead(conn, deferred, &keys).await?;
    let mut seen = HashSet::new();
    let fresh: Vec<(usize, NewIntent<'_>)> = rest
        .iter()
        .filter_map(|&j| {
            let e = &events[j];
            let (connection_id, id) = payment_key(e);
            let first = seen.insert((connection_id, id));
            match &e.change {
                Change::Intent(pi)
                    if first && payment_rows::read_ahead_absent(deferred, connection_id, id) =>
                {
                    Some((
                        j,
                        NewIntent {
                            tenant_id: &e.tenant_id,
                            connection_id,
                            pi,
                            as_of: e.created,
                        },
                    ))
                }
                _ => None,
            }
        })
        .collect();
    let (at, intents): (Vec<usize>, Vec<NewIntent<'_>>) = fresh.into_iter().unzip();
    let inserted = payment_rows::insert_new(conn, deferred, &intents).await?;
    let mut done = HashSet::new();
    let mut notices = Vec::new();
    for ((j, new), intent) in at.into_iter().zip(inserted).zip(&intents) {
        if new {
            done.insert(j);
            notices.push(Notice {
                tenant_id: intent.tenant_id.to_string(),
                topic: Topic::Payments,
                id: intent.pi.id.clone(),
            });
        }
    }
    Ok((done, notices))
}

/// The payment an event of a payment changes (connection, PaymentIntent).
fn payment_key(e: &Incoming) -> (&str, &str) {
    (e.connection_id.as_str(), e.change.lock_order().1)
}

/// Stores `events` in one statement, `processed` with the outcome applying them will have;
/// returns the keys that were new.
async fn insert<'e>(
    conn: &mut sqlx::AnyConnection,
    events: &'e [Incoming],
    now: i64,
    processed: bool,
) -> Result<HashSet<(&'e str, &'e str)>, sqlx::Error> {
    let mut binds = Binds::new();
    let rows: Vec<String> = events
        .iter()
        .map(|e| {
            let (outcome, at, attempts) = if processed {
                (Some(e.change.outcome()), binds.add(now), "1")
            } else {
                (None, "NULL".to_string(), "0")
            };
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {at}, {attempts})",
                binds.add(e.connection_id.as_str()),
                binds.add(e.event_id.as_str()),
                binds.add(e.tenant_id.as_str()),
                binds.add(e.kind.as_str()),
                binds.add(e.payload.as_str()),
                binds.add(now),
                binds.add(outcome),
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO webhook_events (connection_id, id, tenant_id, type, payload, received_at,
           outcome, processed_at, attempts)
         VALUES {} ON CONFLICT (connection_id, id) DO NOTHING RETURNING connection_id, id",
        rows.join(", ")
    );
    let inserted: Vec<(String, String)> = binds.query_as(&sql).fetch_all(&mut *conn).await?;
    let inserted: HashSet<(String, String)> = inserted.into_iter().collect();
    Ok(events
        .iter()
        .filter(|e| inserted.contains(&(e.connection_id.clone(), e.event_id.clone())))
        .map(|e| (e.connection_id.as_str(), e.event_id.as_str()))
        .collect())
}

/// Marks the events at `list` processed with one outcome, in one statement.
async fn mark_done(
    conn: &mut sqlx::AnyConnection,
    events: &[Incoming],
    list: &[usize],
    outcome: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut binds = Binds::new();
    let outcome = binds.add(outcome);
    let at = binds.add(now);
    let keys: Vec<String> = list
        .iter()
        .map(|&i| {
            format!(
                "({}, {})",
                binds.add(events[i].connection_id.as_str()),
                binds.add(events[i].event_id.as_str())
            )
        })
        .collect();
    let sql = format!(
        "UPDATE webhook_events SET outcome = {outcome}, attempts = attempts + 1,
         processed_at = {at} WHERE (connection_id, id) IN (VALUES {})",
        keys.join(", ")
    );
    binds.query(&sql).execute(&mut *conn).await?;
    Ok(())
}

/// Records why an event was not applied; it stays queued for the queue worker.
async fn mark_failed(
    conn: &mut sqlx::AnyConnection,
    event: &Incoming,
    why: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_events SET outcome = $1, attempts = attempts + 1, processed_at = NULL
         WHERE connection_id = $2 AND id = $3",
    )
    .bind(format!("failed: {why}"))
    .bind(&event.connection_id)
    .bind(&event.event_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
