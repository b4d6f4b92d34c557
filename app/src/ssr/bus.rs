//! The live bus: changes published by any request or background task reach the SSE streams of
//! the tenant's browsers. On SQLite (one process) it is an in-process broadcast; on PostgreSQL
//! every publish goes through NOTIFY and each instance rebroadcasts what it hears, so browsers
//! connected to any instance see changes made on any other.
//!
//! Each instance's [`ReadCache`] drops what a message says has changed before the message goes
//! on: in the publishing instance as it publishes, in the others as NOTIFY brings it.

use super::read_cache::ReadCache;
use crate::topic::{LiveMessage, Topic};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use tokio::sync::broadcast;

const CHANNEL: &str = "fleet_live";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

/// A message addressed to one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub tenant_id: String,
    pub message: LiveMessage,
}

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

#[derive(Clone, Debug)]
pub struct Bus {
    local: broadcast::Sender<Envelope>,
    /// Set on PostgreSQL: publish through NOTIFY instead of locally.
    notify: Option<AnyPool>,
    cache: ReadCache,
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
        let (local, _) = broadcast::channel(1024);
        Bus {
            local,
            notify: None,
            cache: ReadCache::default(),
        }
    }

    /// A bus across every instance on one PostgreSQL database: starts the listener task.
    pub async fn postgres(database_url: &str, pool: AnyPool) -> Result<Bus, BusError> {
        let (local, _) = broadcast::channel(1024);
        let mut listener = sqlx::postgres::PgListener::connect(database_url)
            .await
            .map_err(BusError::Listen)?;
        listener.listen(CHANNEL).await.map_err(BusError::Listen)?;
        let sender = local.clone();
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
                            let _ = sender.send(envelope);
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
            local,
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
                    let _ = self.local.send(envelope);
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

    pub fn subscribe(&self) -> broadcast::Receiver<Envelope> {
        self.local.subscribe()
    }
}
