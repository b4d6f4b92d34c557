//! When and how long to wait before retrying a Stripe call: only where a retry is safe
//! (connection errors, timeouts, 409 in-use keys, 429, 5xx; `Stripe-Should-Retry` decides when
//! present), with exponential back-off and jitter (half to all of the cap), a bounded number of times.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

/// What the last attempt ended with, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Status {
        code: u16,
        should_retry: Option<bool>,
    },
    ConnectionFailed,
    TimedOut,
}

pub fn is_retryable(outcome: Outcome) -> bool {
    match outcome {
        Outcome::ConnectionFailed | Outcome::TimedOut => true,
        Outcome::Status {
            should_retry: Some(decided),
            ..
        } => decided,
        Outcome::Status { code, .. } => code == 409 || code == 429 || code >= 500,
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): a random time up to the exponential cap.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        let millis = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::Rng::gen_range(
            &mut rand::thread_rng(),
            millis / 2..=millis,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_only_what_is_safe() {
        let s = |code, should_retry| Outcome::Status { code, should_retry };
        assert!(is_retryable(s(500, None)));
        assert!(is_retryable(s(429, None)));
        assert!(is_retryable(s(409, None)));
        assert!(!is_retryable(s(400, None)));
        assert!(!is_retryable(s(402, None)));
        assert!(!is_retryable(s(404, None)));
        assert!(!is_retryable(s(500, Some(false))));
        assert!(is_retryable(s(400, Some(true))));
        assert!(is_retryable(Outcome::ConnectionFailed));
        assert!(is_retryable(Outcome::TimedOut));
    }

    #[test]
    fn delays_grow_and_are_capped() {
        let p = RetryPolicy::default();
        for retry in 1..10 {
            let d = p.delay(retry);
            assert!(d <= p.max_delay, "{d:?}");
            assert!(d >= Duration::from_millis(250));
        }
        assert!(p.delay(1) <= Duration::from_millis(500));
    }
}
