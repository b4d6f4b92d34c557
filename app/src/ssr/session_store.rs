//! tower-sessions' store over our own pool, so sessions live in SQLite or PostgreSQL beside the
//! rest of the data. It also records the session's user id in a column, which is what lets a
//! password change revoke every other session of that user in one statement.

use super::db::Db;
use super::read_cache::{CachedSession, ReadCache};
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

/// The session key holding the signed-in user's id.
pub const USER_KEY: &str = "uid";
/// The session key holding the tenant the user is working in.
pub const TENANT_KEY: &str = "tid";

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
    /// Sessions read recently (see `super::read_cache` for what keeps them true).
    cache: Option<ReadCache>,
}

impl DbSessionStore {
    /// A store that reads every session from the database.
    pub fn new(db: Db) -> Self {
        DbSessionStore { db, cache: None }
    }

    /// A store that serves a session read a moment ago from `cache`: the one requests go through.
    pub fn cached(db: Db, cache: ReadCache) -> Self {
        DbSessionStore {
            db,
            cache: Some(cache),
        }
    }

    fn forget(&self, id: &Id) {
        if let Some(cache) = &self.cache {
            cache.forget_session(id);
        }
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

/// The record's data as JSON, and its user id for the indexed column.
fn encode(record: &Record) -> session_store::Result<(String, Option<String>)> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok((data, user_of(record)))
}

fn user_of(record: &Record) -> Option<String> {
    record
        .data
        .get(USER_KEY)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

fn expiry_ms(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts a new session, drawing a fresh id in the (astronomically unlikely) case that the
    /// random one is taken, so a new session can never overwrite another user's.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let (data, user_id) = encode(record)?;
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, user_id, data, expiry_date) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&user_id)
            .bind(&data)
            .bind(expiry_ms(record))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates a session that still exists, and only that: a request that loaded the session
    /// before sign-out or a password change deleted it must not bring it back when it ends.
    /// New sessions go through [`SessionStore::create`].
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (data, user_id) = encode(record)?;
        sqlx::query("UPDATE sessions SET user_id = $2, data = $3, expiry_date = $4 WHERE id = $1")
            .bind(record.id.to_string())
            .bind(user_id)
            .bind(data)
            .bind(expiry_ms(record))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        self.forget(&record.id);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let since = match &self.cache {
            Some(cache) => match cache.session(id) {
                Some(cached) if cached.record.expiry_date > time::OffsetDateTime::now_utc() => {
                    return Ok(Some(cached.record));
                }
                _ => Some(cache.epoch()),
            },
            None => None,
        };
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expiry_date FROM sessions WHERE id = $1 AND expiry_date > $2",
        )
        .bind(id.to_string())
        .bind(super::ids::now_ms())
        .fetch_optional(&self.db.pool)
        .await
        .map_err(backend)?;
        let Some((data, expiry)) = row else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(expiry) * 1_000_000)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let record = Record {
            id: *id,
            data,
            expiry_date,
        };
        if let (Some(cache), Some(since)) = (&self.cache, since) {
            cache.keep_session(
                since,
                *id,
                CachedSession {
                    record: record.clone(),
                    user_id: user_of(&record),
                },
            );
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        self.forget(id);
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expiry_date <= $1")
            .bind(super::ids::now_ms())
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
