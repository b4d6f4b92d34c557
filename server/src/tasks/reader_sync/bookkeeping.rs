//! What the sync writes about itself, apart from what Stripe said: the leases it holds and when
//! each connection was last in step. Written per pass, these were two commits for every
//! connection every second, each waiting for the disk (a few ms on SQLite, whose single writer
//! then held up every other write) to say what changes nothing a page shows. Instead every lease
//! this instance holds is renewed, and every pass's time recorded, in one transaction every
//! [`Bookkeeping::every`]; a pass takes its connection's lease itself only when this instance
//! does not hold it already.

use app::fleet::ssr::sync::mark_synced;
use app::ssr::AppState;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug)]
pub struct Bookkeeping {
    holder: String,
    /// How long a lease lasts without renewal: a dead instance's connections are taken over
    /// after at most this.
    ttl: Duration,
    /// Until when this instance holds each connection's lease, as far as it knows.
    held: HashMap<String, Instant>,
    /// Passes whose time is not written yet (ms since the epoch, the latest per connection).
    synced: HashMap<String, i64>,
}

impl Bookkeeping {
    pub fn new(holder: String, ttl: Duration) -> Bookkeeping {
        Bookkeeping {
            holder,
            ttl,
            held: HashMap::new(),
            synced: HashMap::new(),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How often leases are renewed and times written: a third of a lease, so one slow write
    /// loses no lease.
    pub fn every(&self) -> Duration {
        self.ttl / 3
    }

    /// Whether a pass starting now may go without taking the lease: this instance holds it for
    /// at least half a lease more, longer than a pass takes.
    pub fn holds(&self, id: &str, now: Instant) -> bool {
        self.held
            .get(id)
            .is_some_and(|until| *until >= now + self.ttl / 2)
    }

    /// A pass took the lease at `at`.
    pub fn taken(&mut self, id: &str, at: Instant) {
        self.held.insert(id.to_string(), at + self.ttl);
    }

    /// Another instance holds it.
    pub fn lost(&mut self, id: &str) {
        self.held.remove(id);
    }

    /// A pass that wrote nothing ended in step with Stripe at `at_ms`.
    pub fn synced(&mut self, id: &str, at_ms: i64) {
        self.synced.insert(id.to_string(), at_ms);
    }

    /// Forgets connections that are gone.
    pub fn keep(&mut self, ids: &HashSet<&str>) {
        self.held.retain(|id, _| ids.contains(id.as_str()));
        self.synced.retain(|id, _| ids.contains(id.as_str()));
    }

    /// Takes what is due to be written: every lease this instance holds to renew, and the
    /// passes' times. [`Flush::write`] writes it (in a task of its own, so a write waiting for
    /// the database holds up no sync), and [`Bookkeeping::flushed`] takes the answer.
    pub fn flush(&mut self, now: Instant) -> Flush {
        Flush {
            holder: self.holder.clone(),
            ttl: self.ttl,
            synced: self.synced.drain().collect(),
            at: now,
        }
    }

    /// What a flush found: the leases still this instance's are held for a lease from when it
    /// began, any other is forgotten. On failure the times are kept for the next flush and the
    /// leases left to expire, or to be taken again by the next pass.
    pub fn flushed(&mut self, flush: Flush, result: Result<Vec<String>, sqlx::Error>) {
        match result {
            Ok(renewed) => {
                let renewed: HashSet<String> = renewed.into_iter().collect();
                let until = flush.at + self.ttl;
                self.held.retain(|id, _| renewed.contains(id));
                for id in renewed {
                    self.held.insert(id, until);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "reader sync could not renew its leases");
                for (id, at) in flush.synced {
                    self.synced.entry(id).or_insert(at);
                }
            }
        }
    }
}

/// One flush's work (see [`Bookkeeping::flush`]).
#[derive(Debug)]
pub struct Flush {
    holder: String,
    ttl: Duration,
    synced: Vec<(String, i64)>,
    at: Instant,
}

impl Flush {
    /// Writes the times and renews the leases in one transaction; returns the connections whose
    /// lease this instance still holds.
    pub async fn write(&self, state: &AppState) -> Result<Vec<String>, sqlx::Error> {
        let until_ms = app::ssr::ids::now_ms()
            .saturating_add(i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX));
        let mut tx = state.db.begin_write().await?;
        for (id, at) in &self.synced {
            mark_synced(&mut tx, id, *at).await?;
        }
        // Ours still, or again: a row that expired unnoticed but nobody took is renewed too.
        let renewed: Vec<String> = sqlx::query_scalar(
            "UPDATE sync_leases SET expires_at = $1 WHERE holder = $2 RETURNING connection_id",
        )
        .bind(until_ms)
        .bind(&self.holder)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(renewed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_used_while_more_than_half_of_it_is_left() {
        let t0 = Instant::now();
        let mut book = Bookkeeping::new("sync_a".into(), Duration::from_secs(3));
        assert!(!book.holds("conn_1", t0));
        book.taken("conn_1", t0);
        assert!(book.holds("conn_1", t0 + Duration::from_millis(1400)));
        assert!(!book.holds("conn_1", t0 + Duration::from_millis(1600)));
        book.lost("conn_1");
        assert!(!book.holds("conn_1", t0));
        assert_eq!(book.every(), Duration::from_secs(1));
    }

    #[test]
    fn a_flush_renews_what_is_still_ours_and_keeps_the_times_when_it_fails() {
        let t0 = Instant::now();
        let ttl = Duration::from_secs(3);
        let mut book = Bookkeeping::new("sync_a".into(), ttl);
        book.taken("conn_1", t0);
        book.taken("conn_2", t0);
        book.synced("conn_1", 5);
        let later = t0 + Duration::from_secs(2);
        let flush = book.flush(later);
        assert!(book.synced.is_empty());
        book.flushed(flush, Ok(vec!["conn_1".into()]));
        // Renewed from the flush's start; conn_2 went to another instance.
        assert!(book.holds("conn_1", later + Duration::from_millis(1400)));
        assert!(!book.holds("conn_2", later));

        book.synced("conn_1", 6);
        let flush = book.flush(later);
        book.flushed(flush, Err(sqlx::Error::PoolTimedOut));
        assert_eq!(book.synced.get("conn_1"), Some(&6));
    }

    #[test]
    fn gone_connections_are_forgotten() {
        let t0 = Instant::now();
        let mut book = Bookkeeping::new("sync_a".into(), Duration::from_secs(3));
        book.taken("conn_1", t0);
        book.taken("conn_2", t0);
        book.synced("conn_1", 5);
        book.synced("conn_2", 6);
        book.keep(&HashSet::from(["conn_2"]));
        assert!(!book.holds("conn_1", t0));
        assert!(book.holds("conn_2", t0));
        assert_eq!(book.synced.len(), 1);
    }
}
