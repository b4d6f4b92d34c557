//! Per-account rate limits with Stripe's test-mode figures (25 reads + 25 writes per second),
//! as a one-second sliding window: a burst over the figure gets 429 `rate_limit`.

use crate::config::RateLimit;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

pub struct Limiter {
    limits: Option<RateLimit>,
    windows: Mutex<HashMap<(String, bool), VecDeque<Instant>>>,
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
        let Some(limits) = self.limits else {
            return true;
        };
        let limit = if write {
            limits.writes_per_second
        } else {
            limits.reads_per_second
        } as usize;
        let mut windows = self.windows.lock();
        let window = windows.entry((account.to_string(), write)).or_default();
        let now = Instant::now();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            window.pop_front();
        }
        if window.len() >= limit {
            return false;
        }
        window.push_back(now);
        true
    }

    pub fn clear(&self) {
        self.windows.lock().clear();
    }
}
