//! Stripe-shaped ids (`tml_…`, `tmr_…`, `pi_…`) and the simulator's clock.

use rand::distributions::Alphanumeric;
use rand::Rng;

pub fn new_id(prefix: &str) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("{prefix}_{tail}")
}

pub fn random_digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Unix seconds now, plus the offset the control API may have advanced the clock by.
pub fn now(offset_secs: i64) -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i64::try_from(secs).unwrap_or(i64::MAX) + offset_secs
}
