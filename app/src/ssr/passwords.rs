//! Password hashing: argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), run off the async
//! threads because each hash takes tens of milliseconds by design.
//!
//! Each hash holds 19 MiB for its whole run, so hashes run under a cap ([`Hashing`]): without
//! one, 200 concurrent sign-ins held 3.7 GB and starved every other request of the CPU. A caller
//! waits a short while for a turn and is then refused ([`HashError::Busy`]), which the accounts
//! service answers with 503 and `Retry-After`.
//!
//! Hashes run on `cap` threads of their own, each computing on one 19 MiB buffer it keeps for
//! good. Allocating per hash (argon2's own `hash_password`) let glibc keep every freed buffer
//! resident — about 19 MiB more per hash until some hundreds of MiB, even one hash at a time
//! (RustCrypto/password-hashes#526) — so the memory would not have followed the cap.

use argon2::password_hash::{
    rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// A hashing thread's memory: grown once to our parameters' size, then reused by every hash.
type Memory = Vec<Block>;

/// Runs argon2 on `memory`. A stored hash made with more memory than ours (an older, heavier
/// setting) gets a buffer of its own for that one computation, so no thread keeps more.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: Salt<'_>,
    memory: &mut Memory,
) -> argon2::password_hash::Result<Output> {
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let blocks = params.block_count();
    let mut own;
    let memory = if blocks <= MEMORY_KIB as usize {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        &mut memory[..blocks]
    } else {
        own = vec![Block::default(); blocks];
        &mut own[..]
    };
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    Output::init_with(len, |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt, out, &mut *memory)?)
    })
}

fn hash_on(memory: &mut Memory, password: &str) -> argon2::password_hash::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = compute(
        &argon2,
        &params,
        password.as_bytes(),
        salt.as_salt(),
        memory,
    )?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Recomputes with the algorithm, version and parameters recorded in the hash, so older hashes
/// keep working, and compares in constant time (`Output`'s equality).
fn verify_on(memory: &mut Memory, password: &str, stored: &str) -> bool {
    let mut check = || -> argon2::password_hash::Result<bool> {
        let parsed = PasswordHash::new(stored)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let params = Params::try_from(&parsed)?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        Ok(compute(&argon2, &params, password.as_bytes(), salt, memory)? == expected)
    };
    check().unwrap_or(false)
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

type Job = Box<dyn FnOnce(&mut Memory) + Send + 'static>;

#[derive(Debug)]
struct Inner {
    permits: Arc<Semaphore>,
    /// Work for the hashing threads; they stop once every sender is gone.
    jobs: mpsc::Sender<Job>,
    cap: usize,
    wait: Duration,
    running: AtomicUsize,
    /// Callers waiting for a turn.
    waiting: AtomicUsize,
    peak: AtomicUsize,
    evaluated: AtomicU64,
}

/// Counts a hash as running from the moment it holds a slot until its work ends. It travels
/// into the hashing thread's job with the permit: a request dropped mid-hash (the client went
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

/// Counts a caller as waiting until it has a turn, gives up, or goes away.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One hash per core: more only queue inside the kernel while holding their memory.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(2)
}

impl Hashing {
    /// At most `cap` hashes at once, on `cap` threads started here; a caller waits up to `wait`
    /// for a turn.
    pub fn new(cap: usize, wait: Duration) -> std::io::Result<Hashing> {
        let cap = cap.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..cap {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("fleet-hash-{n}"))
                .spawn(move || work_through(&queue))?;
        }
        Ok(Hashing {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(cap)),
                jobs,
                cap,
                wait,
                running: AtomicUsize::new(0),
                waiting: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                evaluated: AtomicU64::new(0),
            }),
        })
    }

    pub fn cap(&self) -> usize {
        self.inner.cap
    }

    /// The most hashes that ever ran at once (for tests and the benchmark).
    pub fn peak(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// Hashes running now (the metrics).
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::SeqCst)
    }

    /// Callers waiting for a turn now (the metrics).
    pub fn waiting(&self) -> usize {
        self.inner.waiting.load(Ordering::SeqCst)
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
        F: FnOnce(&mut Memory) -> T + Send + 'static,
        T: Send + 'static,
    {
        let busy = || HashError::Busy {
            retry_after_secs: self.retry_after_secs(),
        };
        let permit = {
            let _waiting = Waiting::enter(&self.inner.waiting);
            tokio::time::timeout(self.inner.wait, self.inner.permits.clone().acquire_owned())
                .await
                .map_err(|_| busy())?
                .map_err(|_| busy())?
        };
        let slot = Slot::enter(self.inner.clone(), permit);
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let out = work(memory);
            drop(slot);
            let _ = answer.send(out);
        });
        let stopped = || HashError::Failed("the hashing threads have stopped".into());
        self.inner.jobs.send(job).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move |memory| {
            hash_on(memory, &password).map_err(|e| HashError::Failed(e.to_string()))
        })
        .await?
    }

    /// Verifies in constant time. A missing user is verified against a fixed hash so that "no
    /// such user" takes as long as "wrong password".
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        self.run(move |memory| match stored {
            Some(stored) => verify_on(memory, &password, &stored),
            None => {
                verify_on(memory, &password, DUMMY_HASH);
                false
            }
        })
        .await
    }
}

/// A hashing thread's loop: one job at a time until the queue closes. A panicking job is caught
/// so the thread, and with it the capacity, survives; its caller sees the answer go missing.
fn work_through(queue: &Mutex<mpsc::Receiver<Job>>) {
    let mut memory = Memory::new();
    loop {
        let job = {
            let queue = match queue.lock() {
                Ok(queue) => queue,
                Err(poisoned) => poisoned.into_inner(),
            };
            match queue.recv() {
                Ok(job) => job,
                Err(mpsc::RecvError) => return,
            }
        };
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory))).is_err() {
            tracing::error!("a password hash panicked");
        }
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
        let hashing = Hashing::new(2, Duration::from_secs(3)).expect("threads");
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

    #[tokio::test]
    async fn reads_and_writes_the_same_hashes_as_argon2_itself() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let hashing = Hashing::new(1, Duration::from_secs(3)).expect("threads");
        // Theirs, with other parameters (a lighter, older setting) and a heavier one.
        for params in [
            Params::new(8 * 1024, 3, 1, None),
            Params::new(32 * 1024, 1, 2, None),
        ] {
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.expect("params"));
            let salt = SaltString::generate(&mut OsRng);
            let theirs = argon2
                .hash_password(b"an older password", &salt)
                .expect("hash")
                .to_string();
            assert!(hashing
                .verify("an older password".into(), Some(theirs.clone()))
                .await
                .expect("verify"));
            assert!(!hashing
                .verify("another password".into(), Some(theirs))
                .await
                .expect("verify"));
        }
        // Ours, checked by argon2's own verifier.
        let ours = hashing.hash("a new password".into()).await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC string");
        assert!(Argon2::default()
            .verify_password(b"a new password", &parsed)
            .is_ok());
        assert!(!hashing
            .verify("a new password".into(), Some("not a hash".into()))
            .await
            .expect("verify"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_runs_more_than_the_cap_and_refuses_after_the_wait() {
        let hashing = Hashing::new(1, Duration::from_millis(1)).expect("threads");
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
