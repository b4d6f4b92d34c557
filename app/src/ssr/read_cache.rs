//! What nearly every request reads before its own data — its session, its user's memberships
//! and roles — and what a tenant's pages read over and over (the filters' choices), kept in
//! memory for a few seconds. Each was a statement through the database on every page.
//!
//! Nothing here is trusted longer than the change that ends it: whatever changes a session,
//! a membership, a role or a support grant publishes a session change on the live bus
//! (`super::bus`), which drops that user's entries in this instance before the bus sends it on,
//! and in every other instance when PostgreSQL's NOTIFY reaches it. Any message for a tenant
//! drops the tenant's data. [`TTL`] bounds what a lost NOTIFY could leave behind.
//!
//! A read that started before a change must not store what it read after the change dropped
//! the entry: every drop moves an epoch on, and a value read under an older epoch is not kept.

use super::identity::Identity;
use std::any::Any;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tower_sessions::session::{Id, Record};

/// How long an entry is used without being read again from the database.
pub const TTL: Duration = Duration::from_secs(5);
/// Entries of one kind held at most: past this, expired ones are swept and new ones not kept.
const MAX_ENTRIES: usize = 20_000;

/// A stored session and the user it is signed in as.
#[derive(Clone)]
pub struct CachedSession {
    pub record: Record,
    pub user_id: Option<String>,
}

/// Per-tenant data a feature keeps here (held as `Any`, so this layer imports no feature).
type TenantValue = Arc<dyn Any + Send + Sync>;

#[derive(Clone, Default)]
pub struct ReadCache(Arc<Mutex<Shelves>>);

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Shelves {
    epoch: u64,
    sessions: Shelf<Id, CachedSession>,
    identities: Shelf<String, Arc<Identity>>,
    tenant_data: Shelf<(String, &'static str), TenantValue>,
}

struct Shelf<K, V>(HashMap<K, (Instant, V)>);

impl<K, V> Default for Shelf<K, V> {
    fn default() -> Self {
        Shelf(HashMap::new())
    }
}

impl<K: Eq + Hash, V: Clone> Shelf<K, V> {
    fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.0
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, value)| value.clone())
    }

    fn put(&mut self, key: K, value: V) {
        if self.0.len() >= MAX_ENTRIES {
            self.0.retain(|_, (at, _)| at.elapsed() < TTL);
            if self.0.len() >= MAX_ENTRIES {
                return;
            }
        }
        self.0.insert(key, (Instant::now(), value));
    }
}

/// When a read began: what it read is kept only if nothing was dropped since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(u64);

impl ReadCache {
    fn shelves(&self) -> MutexGuard<'_, Shelves> {
        // A panic while holding the lock left at worst a missing entry: the data is still good.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Taken before reading from the database, and handed back with what was read.
    pub fn epoch(&self) -> Epoch {
        Epoch(self.shelves().epoch)
    }

    pub fn session(&self, id: &Id) -> Option<CachedSession> {
        self.shelves().sessions.get(id)
    }

    pub fn keep_session(&self, since: Epoch, id: Id, session: CachedSession) {
        let mut shelves = self.shelves();
        if shelves.epoch == since.0 {
            shelves.sessions.put(id, session);
        }
    }

    pub fn identity(&self, user_id: &str) -> Option<Arc<Identity>> {
        self.shelves().identities.get(user_id)
    }

    pub fn keep_identity(&self, since: Epoch, user_id: &str, identity: Arc<Identity>) {
        let mut shelves = self.shelves();
        if shelves.epoch == since.0 {
            shelves.identities.put(user_id.to_string(), identity);
        }
    }

    /// The tenant's `kind` of data, if held and of type `T`.
    pub fn tenant_data<T: Any + Send + Sync>(
        &self,
        tenant_id: &str,
        kind: &'static str,
    ) -> Option<Arc<T>> {
        let value = self
            .shelves()
            .tenant_data
            .get(&(tenant_id.to_string(), kind))?;
        value.downcast::<T>().ok()
    }

    pub fn keep_tenant_data<T: Any + Send + Sync>(
        &self,
        since: Epoch,
        tenant_id: &str,
        kind: &'static str,
        value: Arc<T>,
    ) {
        let mut shelves = self.shelves();
        if shelves.epoch == since.0 {
            shelves
                .tenant_data
                .put((tenant_id.to_string(), kind), value);
        }
    }

    /// The session was written or deleted.
    pub fn forget_session(&self, id: &Id) {
        let mut shelves = self.shelves();
        shelves.epoch += 1;
        shelves.sessions.0.remove(id);
    }

    /// What `user_id`'s sessions grant may have changed: their sessions and memberships.
    pub fn forget_user(&self, user_id: &str) {
        let mut shelves = self.shelves();
        shelves.epoch += 1;
        shelves.identities.0.remove(user_id);
        shelves
            .sessions
            .0
            .retain(|_, (_, session)| session.user_id.as_deref() != Some(user_id));
    }

    /// Something in the tenant changed: its data, and with `members` also what its members'
    /// identities say about it (the organisation's name).
    pub fn forget_tenant(&self, tenant_id: &str, members: bool) {
        let mut shelves = self.shelves();
        shelves.epoch += 1;
        shelves
            .tenant_data
            .0
            .retain(|(tenant, _), _| tenant != tenant_id);
        if members {
            shelves
                .identities
                .0
                .retain(|_, (_, identity)| identity.tenants.iter().all(|t| t.id != tenant_id));
        }
    }

    /// Changes may have been missed (the bus lost its connection or fell behind).
    pub fn forget_all(&self) {
        let mut shelves = self.shelves();
        shelves.epoch += 1;
        shelves.sessions.0.clear();
        shelves.identities.0.clear();
        shelves.tenant_data.0.clear();
    }
}
