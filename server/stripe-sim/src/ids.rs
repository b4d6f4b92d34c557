//! Stripe-shaped ids (`tml_…`, `tmr_…`, `pi_…`) from one generator, seedable so a test run can
//! produce the same ids every time.

use parking_lot::Mutex;
use rand::distributions::Alphanumeric;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub struct IdGen {
    rng: Mutex<StdRng>,
}

impl IdGen {
    pub fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        IdGen {
            rng: Mutex::new(rng),
        }
    }

    /// `prefix_` and 24 alphanumerics, the length of Stripe's ids.
    pub fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.alphanumeric(24))
    }

    pub fn alphanumeric(&self, n: usize) -> String {
        let mut rng = self.rng.lock();
        (0..n)
            .map(|_| char::from(rng.sample(Alphanumeric)))
            .collect()
    }

    pub fn digits(&self, n: usize) -> String {
        let mut rng = self.rng.lock();
        (0..n)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect()
    }

    pub fn below(&self, n: usize) -> usize {
        self.rng.lock().gen_range(0..n.max(1))
    }

    /// True with probability `p`.
    pub fn chance(&self, p: f64) -> bool {
        self.rng.lock().gen::<f64>() < p
    }
}
