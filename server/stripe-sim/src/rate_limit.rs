//! Per-account rate limits with Stripe's test-mode figures (25 reads + 25 writes per second),
//! as a one-second sliding window: a burst over the figure gets 429 `rate_limit`. The same
//! windows tally what each account was asked (`GET /_sim/requests`), so tests and benchmarks can
//! check a caller's pace without a proxy of their own.

use crate::config::RateLimit;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

pub struct Limiter {
    limits: Option<RateLimit>,
    windows: Mutex<HashMap<(String, bool), Window>>,
}

#[derive(Default)]
struct Window {
    /// Requests allowed within the last second.
    recent: VecDeque<Instant>,
    allowed: u64,
    refused: u64,
    /// The most requests allowed within any one second.
    peak: usize,
}

/// What one account was asked since the last reset.
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tally {
    pub reads: u64,
    pub writes: u64,
    pub refused: u64,
    pub peak_reads_per_second: usize,
    pub peak_writes_per_second: usize,
}

impl Limiter {
    pub fn new(limits: Option<RateLimit>) -> Self {
        Limiter {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request; false when it is over the account's limit (and then not counted).
    pub fn allow(&self, account: &str, write: bool) -> bool {
        let limit = self.limits.map(|limits| {
            let per_second = if write {
                limits.writes_per_second
            } else {
                limits.reads_per_second
            };
            per_second as usize
        });
        let mut windows = self.windows.lock();
        let window = windows.entry((account.to_string(), write)).or_default();
        let now = Instant::now();
        while window
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            window.recent.pop_front();
        }
        if limit.is_some_and(|limit| window.recent.len() >= limit) {
            window.refused += 1;
            return false;
        }
        window.recent.push_back(now);
        window.allowed += 1;
        window.peak = window.peak.max(window.recent.len());
        true
    }

    /// Every account's tally, by account id.
    pub fn tallies(&self) -> HashMap<String, Tally> {
        let mut out: HashMap<String, Tally> = HashMap::new();
        for ((account, write), window) in self.windows.lock().iter() {
            let tally = out.entry(account.clone()).or_default();
            tally.refused += window.refused;
            if *write {
                tally.writes = window.allowed;
                tally.peak_writes_per_second = window.peak;
            } else {
                tally.reads = window.allowed;
                tally.peak_reads_per_second = window.peak;
            }
        }
        out
    }

    /// Starts every account's tally afresh, its limits' windows kept: what a caller asked after
    /// a set-up whose own requests should not count.
    pub fn restart_tallies(&self) {
        for window in self.windows.lock().values_mut() {
            window.allowed = 0;
            window.refused = 0;
            window.peak = 0;
        }
    }

    pub fn clear(&self) {
        self.windows.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_reads_writes_refusals_and_the_busiest_second() {
        let limiter = Limiter::new(Some(RateLimit {
            reads_per_second: 3,
            writes_per_second: 25,
        }));
        let allowed: Vec<bool> = (0..5).map(|_| limiter.allow("acct_1", false)).collect();
        assert_eq!(allowed, [true, true, true, false, false]);
        assert!(limiter.allow("acct_1", true));
        assert!(limiter.allow("acct_2", false));
        let tallies = limiter.tallies();
        assert_eq!(
            tallies["acct_1"],
            Tally {
                reads: 3,
                writes: 1,
                refused: 2,
                peak_reads_per_second: 3,
                peak_writes_per_second: 1,
            }
        );
        assert_eq!(tallies["acct_2"].reads, 1);
        limiter.restart_tallies();
        assert_eq!(limiter.tallies()["acct_1"], Tally::default());
        // The limit still counts the requests of the last second.
        assert!(!limiter.allow("acct_1", false));
        assert_eq!(limiter.tallies()["acct_1"].refused, 1);
        limiter.clear();
        assert!(limiter.tallies().is_empty());
    }

    #[test]
    fn without_limits_everything_is_allowed_and_still_counted() {
        let limiter = Limiter::new(None);
        assert!((0..100).all(|_| limiter.allow("acct_1", false)));
        assert_eq!(limiter.tallies()["acct_1"].peak_reads_per_second, 100);
    }
}
