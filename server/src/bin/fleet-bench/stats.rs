//! Latency summaries.

use std::time::Duration;

/// p50 / p99 / max of a set of timings, in milliseconds.
pub struct Summary {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub fn summarise(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let at = |q: f64| -> f64 {
        if samples.is_empty() {
            return 0.0;
        }
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[index.min(samples.len() - 1)].as_secs_f64() * 1000.0
    };
    Summary {
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: at(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let s = summarise(samples);
        assert_eq!(s.p50_ms.round(), 51.0);
        assert_eq!(s.p99_ms.round(), 99.0);
        assert_eq!(s.max_ms.round(), 100.0);
    }
}
