//! The configuration in force, remembered for a minute per Stripe account and configuration.
//! Reader and location pages are rendered far more often than configurations change, and
//! reading Stripe on every render spent the account's read budget: at a few dozen reader pages
//! a second Stripe answered 429, and the reader sync shares that budget. Changes made through
//! this server forget the account's entries at once ([`Forget`]); changes made elsewhere (the
//! Stripe Dashboard, another instance) show within [`FRESH_FOR`] and one read: an entry past
//! it is still shown, up to [`KEPT_FOR`], while one page reads it again in the background, so
//! pages do not all wait for Stripe once a minute.

use crate::configurations::types::ConfigurationView;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// How long an entry past [`FRESH_FOR`] may still be shown while it is read again; older, a
/// page waits for Stripe.
pub const KEPT_FOR: Duration = Duration::from_secs(600);
/// Past this many entries the cache starts again empty: a bound, not an eviction policy, since
/// an instance serves far fewer accounts' configurations than this.
const MAX_ENTRIES: usize = 10_000;

/// A connection and a configuration id (`None`: the account default).
type Key = (String, Option<String>);

fn entries() -> MutexGuard<'static, HashMap<Key, (Instant, ConfigurationView)>> {
    static ENTRIES: OnceLock<Mutex<HashMap<Key, (Instant, ConfigurationView)>>> = OnceLock::new();
    ENTRIES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the cache holds for a configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum Cached {
    /// Read within [`FRESH_FOR`].
    Fresh(ConfigurationView),
    /// Read within [`KEPT_FOR`]: show it, and read it again.
    Stale(ConfigurationView),
    Missing,
}

impl Cached {
    fn of(age: Duration, view: &ConfigurationView) -> Cached {
        if age < FRESH_FOR {
            Cached::Fresh(view.clone())
        } else if age < KEPT_FOR {
            Cached::Stale(view.clone())
        } else {
            Cached::Missing
        }
    }
}

/// The configuration `id` (or the default) of `connection`, as remembered.
pub fn get(connection: &str, id: Option<&str>) -> Cached {
    let key = (connection.to_string(), id.map(str::to_string));
    let mut entries = entries();
    let found = match entries.get(&key) {
        Some((at, view)) => Cached::of(at.elapsed(), view),
        None => return Cached::Missing,
    };
    if matches!(found, Cached::Missing) {
        entries.remove(&key);
    }
    found
}

pub fn put(connection: &str, id: Option<&str>, view: &ConfigurationView) {
    let mut entries = entries();
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
    entries.insert(
        (connection.to_string(), id.map(str::to_string)),
        (Instant::now(), view.clone()),
    );
}

/// The lock to hold while reading `connection`'s configurations from Stripe when [`get`] had
/// nothing: the pages that missed together then wait for one read instead of each making its
/// own (64 at once were enough to meet Stripe's rate limit).
pub fn filling(connection: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if locks.len() >= MAX_ENTRIES {
        // Only locks nobody holds or waits for go.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
    }
    locks.entry(connection.to_string()).or_default().clone()
}

/// Forgets `connection`'s entries when dropped: held by every change to an account's
/// configurations or overrides, so whatever the change's outcome, the next page reads Stripe.
pub struct Forget<'a>(pub &'a str);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        entries().retain(|(connection, _), _| connection != self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(id: &str) -> ConfigurationView {
        ConfigurationView {
            id: id.into(),
            name: Some(id.into()),
            is_account_default: false,
            tipping: Vec::new(),
            splash: Vec::new(),
            reboot_window: None,
        }
    }

    #[test]
    fn a_change_forgets_its_own_account_only() {
        put("conn_cache_a", None, &named("tmc_default_a"));
        put("conn_cache_a", Some("tmc_1"), &named("tmc_1"));
        put("conn_cache_b", None, &named("tmc_default_b"));
        assert_eq!(
            get("conn_cache_a", Some("tmc_1")),
            Cached::Fresh(named("tmc_1"))
        );
        assert_eq!(get("conn_cache_a", Some("tmc_2")), Cached::Missing);
        drop(Forget("conn_cache_a"));
        assert_eq!(get("conn_cache_a", None), Cached::Missing);
        assert_eq!(get("conn_cache_a", Some("tmc_1")), Cached::Missing);
        assert_eq!(
            get("conn_cache_b", None),
            Cached::Fresh(named("tmc_default_b"))
        );
    }

    #[test]
    fn an_entry_ages_from_fresh_to_shown_while_read_again_to_gone() {
        let v = named("tmc_age");
        let second = Duration::from_secs(1);
        assert_eq!(Cached::of(Duration::ZERO, &v), Cached::Fresh(v.clone()));
        assert_eq!(Cached::of(FRESH_FOR - second, &v), Cached::Fresh(v.clone()));
        assert_eq!(Cached::of(FRESH_FOR, &v), Cached::Stale(v.clone()));
        assert_eq!(Cached::of(KEPT_FOR - second, &v), Cached::Stale(v.clone()));
        assert_eq!(Cached::of(KEPT_FOR, &v), Cached::Missing);
    }
}
