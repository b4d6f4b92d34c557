//! Password hashing: argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), run off the async
//! threads because each hash takes tens of milliseconds by design.
//!
//! Each hash holds 19 MiB for its whole run, so hashes run under a cap ([`Hashing`]): without
//! one, 200 concurrent sign-ins held 3.7 GB and starved every other request of the CPU. A caller
//! waits a short while for a turn and is then refused ([`HashError::Busy`]), which the accounts
//! service answers with 503 and `Retry-After`.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn hasher() -> Result<Argon2<'static>, argon2::Error> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot stayed taken for the whole wait.
    #[error("password hashing is at capacity")]
    Busy { retry_after_secs: u64 },
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// The cap on concurrent hashes, shared by everything that hashes or verifies a password.
#[derive(Clone, Debug)]
pub struct Hashing {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    permits: Arc<Semaphore>,
    cap: usize,
    wait: Duration,
    running: AtomicUsize,
    peak: AtomicUsize,
    evaluated: AtomicU64,
}

/// Counts a hash as running from the moment it holds a slot until its blocking work ends. It
/// travels into the blocking task with the permit: a request dropped mid-hash (the client went
/// away) must not free the slot while argon2 still holds its memory.
struct Slot {
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    fn enter(inner: Arc<Inner>, permit: OwnedSemaphorePermit) -> Slot {
        let now = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
        inner.peak.fetch_max(now, Ordering::SeqCst);
        Slot {
            inner,
            _permit: permit,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.inner.running.fetch_sub(1, Ordering::SeqCst);
        self.inner.evaluated.fetch_add(1, Ordering::SeqCst);
    }
}

impl Default for Hashing {
    fn default() -> Self {
        Hashing::new(default_concurrency(), Duration::from_secs(3))
    }
}

/// One hash per core: more only queue inside the kernel while holding their memory.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(2)
}

impl Hashing {
    /// At most `cap` hashes at once; a caller waits up to `wait` for a turn.
    pub fn new(cap: usize, wait: Duration) -> Hashing {
        let cap = cap.max(1);
        Hashing {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(cap)),
                cap,
                wait,
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                evaluated: AtomicU64::new(0),
            }),
        }
    }

    pub fn cap(&self) -> usize {
        self.inner.cap
    }

    /// The most hashes that ever ran at once (for tests and the benchmark).
    pub fn peak(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// How many hashes or verifications have finished (for tests and the benchmark).
    pub fn evaluated(&self) -> u64 {
        self.inner.evaluated.load(Ordering::SeqCst)
    }

    /// What a refused caller is told to wait, in seconds: about one full wait.
    fn retry_after_secs(&self) -> u64 {
        self.inner.wait.as_secs().max(1)
    }

    async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let busy = || HashError::Busy {
            retry_after_secs: self.retry_after_secs(),
        };
        let permit =
            tokio::time::timeout(self.inner.wait, self.inner.permits.clone().acquire_owned())
                .await
                .map_err(|_| busy())?
                .map_err(|_| busy())?;
        let slot = Slot::enter(self.inner.clone(), permit);
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(slot);
            out
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            hasher()
                .map_err(|e| HashError::Failed(e.to_string()))?
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::Failed(e.to_string()))
        })
        .await?
    }

    /// Verifies in constant time (argon2's own comparison). A missing user is verified against
    /// a fixed hash so that "no such user" takes as long as "wrong password".
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        self.run(move || {
            let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return false;
            };
            // Verify with the parameters recorded in the hash, so older hashes keep working.
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
                && stored != DUMMY_HASH
        })
        .await
    }
}

/// argon2id hash (19 MiB, t=2, p=1) of a random string nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2cXhFJJk8/AmtIuUnc4uS5Ug3mN5WkW6sJt3E0dPXAY";

/// The parameters a hash was made with, for tests and the closing note.
pub fn params_of(stored: &str) -> Option<(u32, u32, u32)> {
    let parsed = PasswordHash::new(stored).ok()?;
    let params = Params::try_from(&parsed).ok()?;
    Some((params.m_cost(), params.t_cost(), params.p_cost()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_at_owasp_parameters_and_verifies() {
        let hashing = Hashing::default();
        let stored = hashing
            .hash("correct horse battery".into())
            .await
            .expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert_eq!(params_of(&stored), Some((19 * 1024, 2, 1)));
        let verify = |p: &str, s: Option<String>| hashing.verify(p.into(), s);
        assert!(verify("correct horse battery", Some(stored.clone()))
            .await
            .expect("verify"));
        assert!(!verify("wrong horse battery", Some(stored))
            .await
            .expect("verify"));
        assert!(!verify("anything at all", None).await.expect("verify"));
        assert_eq!(hashing.evaluated(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_runs_more_than_the_cap_and_refuses_after_the_wait() {
        let hashing = Hashing::new(1, Duration::from_millis(1));
        let attempts = (0..8).map(|_| {
            let hashing = hashing.clone();
            tokio::spawn(async move { hashing.verify("x".into(), None).await })
        });
        let answers = futures::future::join_all(attempts).await;
        let busy = answers
            .iter()
            .filter(|a| matches!(a, Ok(Err(HashError::Busy { .. }))))
            .count();
        assert!(busy > 0, "no caller was refused");
        assert_eq!(hashing.peak(), 1);
        assert_eq!(hashing.evaluated() as usize, 8 - busy);
    }
}
