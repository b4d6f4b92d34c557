//! The live bus: changes published by any request or background task reach the SSE streams of
//! the tenant's browsers. On SQLite (one process) it is an in-process broadcast; on PostgreSQL
//! every publish goes through NOTIFY and each instance rebroadcasts what it hears, so browsers
//! connected to any instance see changes made on any other.
//!
//! Each instance's [`ReadCache`] drops what a message says has changed before the message goes
//! on: in the publishing instance as it publishes, in the others as NOTIFY brings it.

use super::ids::now_ms;
use super::read_cache::ReadCache;
use crate::topic::{LiveMessage, Topic};
use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::broadcast;

const CHANNEL: &str = "fleet_live";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

/// A message addressed to one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub tenant_id: String,
    pub message: LiveMessage,
    /// The message as a live stream sends it, whole and without its id, made by the first
    /// stream that sends it: one message reaches thousands of streams, and each would
    /// otherwise serialise it again.
    #[serde(skip)]
    frames: OnceLock<StreamFrames>,
}

/// A message as one Server-Sent Events frame (`data: {json}`), in its two forms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StreamFrames {
    whole: Bytes,
    without_id: Bytes,
}

/// What every receiver of the bus gets: one message shared by all of them, so a fan-out to
/// thousands of streams copies a pointer, not the message.
pub type Delivery = Arc<Envelope>;

impl Envelope {
    /// The user whose sessions changed, when this is such a message. It has no tenant, so no
    /// stream ever forwards it to a browser.
    pub fn session_change(&self) -> Option<&str> {
        if self.tenant_id.is_empty() && self.message.topic == Topic::Session {
            self.message.id.as_deref()
        } else {
            None
        }
    }

    pub fn new(tenant_id: &str, topic: Topic, id: Option<&str>) -> Envelope {
        Envelope {
            tenant_id: tenant_id.to_string(),
            message: LiveMessage {
                topic,
                id: id.map(str::to_string),
            },
            frames: OnceLock::new(),
        }
    }

    /// The message as a Server-Sent Events frame; `with_id: false` leaves out which object
    /// changed (for streams that may not know it).
    pub fn stream_frame(&self, with_id: bool) -> Bytes {
        let frames = self.frames.get_or_init(|| StreamFrames {
            whole: stream_frame(&self.message),
            without_id: stream_frame(&LiveMessage {
                topic: self.message.topic,
                id: None,
            }),
        });
        if with_id {
            frames.whole.clone()
        } else {
            frames.without_id.clone()
        }
    }

    /// Drops from `cache` what this message says may have changed.
    fn invalidate(&self, cache: &ReadCache) {
        if let Some(user_id) = self.session_change() {
            cache.forget_user(user_id);
        } else if !self.tenant_id.is_empty() {
            cache.forget_tenant(&self.tenant_id, self.message.topic == Topic::Members);
        }
    }
}

/// `message` as one Server-Sent Events frame. Its JSON holds no newline, so it is one `data`
/// line.
pub fn stream_frame(message: &LiveMessage) -> Bytes {
    let json = serde_json::to_string(message).unwrap_or_default();
    Bytes::from(format!("data: {json}\n\n"))
}

#[derive(Clone, Debug)]
pub struct Bus {
    fan_out: FanOut,
    /// Set on PostgreSQL: publish through NOTIFY instead of locally.
    notify: Option<AnyPool>,
    cache: ReadCache,
}

/// Where a message goes on this instance: the channel of every message (the stream watcher,
/// the All stores streams) and its tenant's own channel, so the streams and long polls of one
/// organisation wake only for that organisation's messages instead of each filtering all.
#[derive(Clone, Debug)]
struct FanOut {
    all: broadcast::Sender<Delivery>,
    tenants: Arc<Mutex<TenantChannels>>,
}

#[derive(Debug, Default)]
struct TenantChannels {
    by_tenant: HashMap<String, broadcast::Sender<Delivery>>,
    /// The map's size after the last sweep of channels nobody listens to any more.
    swept_at: usize,
    /// When each tenant's last message went out on this instance (Unix ms), for the last
    /// [`REMEMBERED_MS`] at least: a stream opened after its page was rendered asks whether it
    /// missed anything meanwhile.
    last_sent: HashMap<String, i64>,
    /// `last_sent`'s size after its last sweep.
    last_swept_at: usize,
}

/// Messages the channel of every message holds for a slow receiver before it lags.
const ALL_CAPACITY: usize = 1024;
/// The same for one tenant's channel: its messages only, and a lagging stream is told to
/// refresh everything, so a short queue loses nothing a page would show.
const TENANT_CAPACITY: usize = 64;
/// How long this instance remembers that a tenant had a message. A stream whose page is older
/// than that is told to refresh everything, as nobody can say what it missed.
pub const REMEMBERED_MS: i64 = 120_000;
/// How far apart two instances' clocks may be: a page rendered by one and streamed by another
/// counts a message from that long before it as possibly missed.
const CLOCK_SLACK_MS: i64 = 2_000;

impl FanOut {
    fn new() -> FanOut {
        FanOut {
            all: broadcast::channel(ALL_CAPACITY).0,
            tenants: Arc::default(),
        }
    }

    fn tenants(&self) -> MutexGuard<'_, TenantChannels> {
        // Every change to the map is one step, so a panic elsewhere cannot leave it half-made.
        self.tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn send(&self, envelope: Envelope) {
        let envelope = Arc::new(envelope);
        if !envelope.tenant_id.is_empty() {
            let mut tenants = self.tenants();
            tenants.sent(&envelope.tenant_id, now_ms());
            if let Some(channel) = tenants.by_tenant.get(&envelope.tenant_id) {
                if channel.send(envelope.clone()).is_err() {
                    // Its last receiver is gone.
                    tenants.by_tenant.remove(&envelope.tenant_id);
                }
            }
        }
        let _ = self.all.send(envelope);
    }

    /// Whether a message of any of `tenants` went out at or after `since` (Unix ms, by the
    /// clock of whichever instance rendered the page), or may have without this instance
    /// knowing.
    fn sent_since<'a>(&self, mut tenants: impl Iterator<Item = &'a str>, since: i64) -> bool {
        let now = now_ms();
        if since <= now - REMEMBERED_MS {
            return true;
        }
        let channels = self.tenants();
        tenants.any(|tenant| {
            channels
                .last_sent
                .get(tenant)
                .is_some_and(|&at| at >= since - CLOCK_SLACK_MS)
        })
    }

    fn subscribe_tenant(&self, tenant_id: &str) -> broadcast::Receiver<Delivery> {
        let mut tenants = self.tenants();
        // Channels of tenants whose streams all closed are swept whenever the map has doubled,
        // which costs a constant share of the subscriptions.
        if tenants.by_tenant.len() >= 2 * tenants.swept_at.max(64) {
            tenants
                .by_tenant
                .retain(|_, channel| channel.receiver_count() > 0);
            tenants.swept_at = tenants.by_tenant.len();
        }
        tenants
            .by_tenant
            .entry(tenant_id.to_string())
            .or_insert_with(|| broadcast::channel(TENANT_CAPACITY).0)
            .subscribe()
    }
}

impl TenantChannels {
    fn sent(&mut self, tenant_id: &str, at: i64) {
        match self.last_sent.get_mut(tenant_id) {
            Some(last) => *last = at,
            None => {
                // Forgotten when long past, whenever the map has doubled: a constant share of
                // the messages pays for it.
                if self.last_sent.len() >= 2 * self.last_swept_at.max(64) {
                    self.last_sent.retain(|_, last| *last > at - REMEMBERED_MS);
                    self.last_swept_at = self.last_sent.len();
                }
                self.last_sent.insert(tenant_id.to_string(), at);
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("could not publish a live update: {0}")]
    Publish(#[from] sqlx::Error),
    #[error("could not listen for live updates: {0}")]
    Listen(sqlx::Error),
}

impl Bus {
    /// An in-process bus (SQLite, tests).
    pub fn local() -> Bus {
        Bus {
            fan_out: FanOut::new(),
            notify: None,
            cache: ReadCache::default(),
        }
    }

    /// A bus across every instance on one PostgreSQL database: starts the listener task.
    pub async fn postgres(database_url: &str, pool: AnyPool) -> Result<Bus, BusError> {
        let fan_out = FanOut::new();
        let mut listener = sqlx::postgres::PgListener::connect(database_url)
            .await
            .map_err(BusError::Listen)?;
        listener.listen(CHANNEL).await.map_err(BusError::Listen)?;
        let sender = fan_out.clone();
        let cache = ReadCache::default();
        let listened = cache.clone();
        tokio::spawn(async move {
            loop {
                // `try_recv` says when the connection was lost (`None`, once reconnected):
                // whatever was published meanwhile never arrives, so nothing cached before is
                // trusted.
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        if let Ok(envelope) =
                            serde_json::from_str::<Envelope>(notification.payload())
                        {
                            envelope.invalidate(&listened);
                            sender.send(envelope);
                        }
                    }
                    Ok(None) => listened.forget_all(),
                    Err(err) => {
                        listened.forget_all();
                        tracing::warn!(error = %err, "live bus listener error; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Bus {
            fan_out,
            notify: Some(pool),
            cache,
        })
    }

    /// Publishes to the tenant's browsers. A failure is logged, not returned: the change it
    /// announces is already committed, and pages also refresh on their own.
    pub async fn publish(&self, tenant_id: &str, topic: Topic, id: Option<&str>) {
        self.publish_all(vec![Envelope::new(tenant_id, topic, id)])
            .await;
    }

    /// Publishes several messages at once; on PostgreSQL in one statement, so a batch of
    /// webhook events costs one NOTIFY transaction, not one for each change it announces.
    pub async fn publish_all(&self, envelopes: Vec<Envelope>) {
        // Dropped here as well as where NOTIFY arrives, so this instance's next request reads
        // the change even before PostgreSQL hands the message back.
        for envelope in &envelopes {
            envelope.invalidate(&self.cache);
        }
        match &self.notify {
            None => {
                for envelope in envelopes {
                    self.fan_out.send(envelope);
                }
            }
            Some(pool) => {
                let payloads: Vec<String> = envelopes
                    .iter()
                    .filter_map(|envelope| {
                        let payload = serde_json::to_string(envelope).ok()?;
                        if payload.len() > MAX_PAYLOAD {
                            tracing::warn!(
                                topic = envelope.message.topic.as_str(),
                                "live message too large for NOTIFY; dropped"
                            );
                            return None;
                        }
                        Some(payload)
                    })
                    .collect();
                if payloads.is_empty() {
                    return;
                }
                let Ok(payloads) = serde_json::to_string(&payloads) else {
                    return;
                };
                // One statement whatever the number of messages (a JSON array of them), and
                // wrapped so it returns a type every driver decodes (pg_notify returns void).
                if let Err(err) = sqlx::query(
                    "SELECT COUNT(*) FROM (SELECT pg_notify($1, value)
                     FROM json_array_elements_text(CAST($2 AS json))) AS sent",
                )
                .bind(CHANNEL)
                .bind(payloads)
                .execute(pool)
                .await
                {
                    tracing::warn!(error = %err, "live bus publish failed");
                }
            }
        }
    }

    /// Tells every instance that what `user_id`'s sessions grant may have changed, so their open
    /// streams are checked now rather than at the next poll. Call it after the change is stored.
    pub async fn publish_session_change(&self, user_id: &str) {
        self.publish("", Topic::Session, Some(user_id)).await;
    }

    /// This instance's cache of what requests read over and over, kept true by this bus.
    pub fn cache(&self) -> &ReadCache {
        &self.cache
    }

    /// Every message, of every tenant (and the sessions' changes).
    pub fn subscribe(&self) -> broadcast::Receiver<Delivery> {
        self.fan_out.all.subscribe()
    }

    /// Whether any of `tenants` had a message at or after `since` (Unix ms), so a stream
    /// opened for a page rendered then may have missed it. Ask after subscribing: a message
    /// sent after the answer reaches the new receiver.
    pub fn sent_since<'a>(&self, tenants: impl Iterator<Item = &'a str>, since: i64) -> bool {
        self.fan_out.sent_since(tenants, since)
    }

    /// The messages of one tenant only.
    pub fn subscribe_tenant(&self, tenant_id: &str) -> broadcast::Receiver<Delivery> {
        self.fan_out.subscribe_tenant(tenant_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::broadcast::error::TryRecvError;

    #[tokio::test]
    async fn a_tenants_subscribers_get_its_messages_only_and_every_message_reaches_all() {
        let bus = Bus::local();
        let mut north = bus.subscribe_tenant("ten_north");
        let mut south = bus.subscribe_tenant("ten_south");
        let mut all = bus.subscribe();
        bus.publish("ten_north", Topic::Readers, Some("tmr_1"))
            .await;
        bus.publish_session_change("usr_1").await;
        let got = north.try_recv().expect("north's message");
        assert_eq!(got.tenant_id, "ten_north");
        assert!(matches!(north.try_recv(), Err(TryRecvError::Empty)));
        assert!(matches!(south.try_recv(), Err(TryRecvError::Empty)));
        assert_eq!(all.try_recv().expect("first").tenant_id, "ten_north");
        assert_eq!(
            all.try_recv().expect("second").session_change(),
            Some("usr_1")
        );
    }

    #[tokio::test]
    async fn messages_published_together_reach_each_tenants_own_channel() {
        let bus = Bus::local();
        let mut north = bus.subscribe_tenant("ten_north");
        let mut south = bus.subscribe_tenant("ten_south");
        bus.publish_all(vec![
            Envelope::new("ten_north", Topic::Payments, Some("pi_1")),
            Envelope::new("ten_south", Topic::Readers, None),
            Envelope::new("ten_north", Topic::Readers, None),
        ])
        .await;
        let topics = |rx: &mut broadcast::Receiver<Delivery>| {
            std::iter::from_fn(|| rx.try_recv().ok())
                .map(|e| e.message.topic)
                .collect::<Vec<_>>()
        };
        assert_eq!(topics(&mut north), [Topic::Payments, Topic::Readers]);
        assert_eq!(topics(&mut south), [Topic::Readers]);
    }

    #[tokio::test]
    async fn a_stream_learns_whether_its_tenants_had_a_message_since_its_page() {
        let bus = Bus::local();
        let before = now_ms();
        bus.publish("ten_north", Topic::Readers, None).await;
        assert!(bus.sent_since(["ten_north"].into_iter(), before));
        assert!(bus.sent_since(["ten_south", "ten_north"].into_iter(), before));
        assert!(!bus.sent_since(["ten_south"].into_iter(), before));
        // Later than the message, beyond the clocks' slack.
        assert!(!bus.sent_since(["ten_north"].into_iter(), now_ms() + 5_000));
        // Too long ago for this instance to know.
        assert!(bus.sent_since(["ten_south"].into_iter(), before - REMEMBERED_MS));
    }

    #[tokio::test]
    async fn a_tenant_nobody_listens_to_loses_its_channel() {
        let bus = Bus::local();
        drop(bus.subscribe_tenant("ten_gone"));
        bus.publish("ten_gone", Topic::Readers, None).await;
        assert!(bus.fan_out.tenants().by_tenant.is_empty());
        // Many closed tenants are swept as new ones subscribe.
        for n in 0..200 {
            drop(bus.subscribe_tenant(&format!("ten_{n}")));
        }
        let _kept = bus.subscribe_tenant("ten_kept");
        assert!(bus.fan_out.tenants().by_tenant.len() < 200);
    }
}
