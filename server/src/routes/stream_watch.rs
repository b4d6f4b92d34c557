//! What each open live stream's session grants, kept current while the stream is open.
//!
//! A stream is authorised when it opens, but a session can lose what it granted at any moment:
//! sign-out, a password change elsewhere, removal from the organisation, a new role, support
//! access revoked or expired, another organisation chosen in another tab. One task per instance
//! re-reads every watched session every [`POLL`] (which also covers expiry and changes made on
//! other instances should a NOTIFY be lost), and at once when the bus says a user's sessions
//! changed. Streams of one session share one check, so a hundred tabs cost one query set.
//!
//! It also counts open streams per user, since each holds a connection and a bus receiver.

use app::model::Role;
use app::ssr::caller::{current_tenant, tenants_of};
use app::ssr::session_store::{DbSessionStore, USER_KEY};
use app::ssr::AppState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tower_sessions::session::Id;
use tower_sessions::SessionStore;

/// How often every watched session is read again.
pub const POLL: Duration = Duration::from_millis(400);
/// How many sessions are checked at once.
const CONCURRENT_CHECKS: usize = 8;

/// What a session grants, as the streams see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Still signed in: the tenant its pages show, and every tenant it may see with the role there.
    SignedIn {
        current: Option<String>,
        tenants: Vec<(String, Role)>,
    },
    /// The session is gone (signed out, revoked by a password change, expired) or now belongs
    /// to someone else.
    SignedOut,
    /// It could not be read (database trouble). Streams end quietly; the browser reconnects and
    /// is authorised afresh, so this fails closed without signing anyone out.
    Unknown,
}

impl Standing {
    pub fn of_caller(caller: &app::ssr::Caller) -> Standing {
        Standing::SignedIn {
            current: (!caller.tenant_id.is_empty()).then(|| caller.tenant_id.clone()),
            tenants: caller
                .tenants
                .iter()
                .map(|t| (t.id.clone(), t.role))
                .collect(),
        }
    }
}

struct Watched {
    user_id: String,
    streams: usize,
    standing: watch::Sender<Standing>,
}

#[derive(Default)]
struct Registry {
    sessions: HashMap<Id, Watched>,
}

pub struct StreamWatch {
    state: AppState,
    max_per_user: usize,
    /// Open streams per user: the same per-principal counter as long-polls and exports.
    per_user: app::ssr::limits::InFlight,
    registry: Mutex<Registry>,
}

/// Refused: the user already has as many streams open as allowed.
#[derive(Debug)]
pub struct TooManyStreams {
    pub max: usize,
}

/// One open stream's place: its session's standing, and its share of the user's allowance,
/// given back when the stream is dropped (the browser went away or the stream ended).
pub struct Ticket {
    watch: Arc<StreamWatch>,
    session: Id,
    _held: app::ssr::limits::Held,
    pub standing: watch::Receiver<Standing>,
}

impl StreamWatch {
    /// The watcher of this instance; its task stops once the last handle is dropped.
    pub fn start(state: AppState, max_per_user: usize) -> Arc<StreamWatch> {
        let watch = Arc::new(StreamWatch {
            state,
            max_per_user,
            per_user: Default::default(),
            registry: Mutex::new(Registry::default()),
        });
        tokio::spawn(run(Arc::downgrade(&watch), watch.state.bus.subscribe()));
        watch
    }

    /// Streams open on this instance now (the metrics).
    pub fn open_streams(&self) -> usize {
        self.per_user.total()
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the counts half-written (every update is
        // a single step), so a poisoned lock is still usable.
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a stream of `session` for `user_id`, with what was just checked at its opening.
    pub fn open(
        self: &Arc<Self>,
        session: Id,
        user_id: &str,
        standing: Standing,
    ) -> Result<Ticket, TooManyStreams> {
        let held = self
            .per_user
            .try_hold(user_id, self.max_per_user)
            .ok_or(TooManyStreams {
                max: self.max_per_user,
            })?;
        let mut registry = self.registry();
        let watched = registry.sessions.entry(session).or_insert_with(|| Watched {
            user_id: user_id.to_string(),
            streams: 0,
            standing: watch::Sender::new(standing.clone()),
        });
        watched.streams += 1;
        watched.standing.send_if_modified(|current| {
            let changed = *current != standing;
            *current = standing;
            changed
        });
        let receiver = watched.standing.subscribe();
        Ok(Ticket {
            watch: Arc::clone(self),
            session,
            _held: held,
            standing: receiver,
        })
    }

    /// The sessions to check: all of them, or those of one user.
    fn watched(&self, user: Option<&str>) -> Vec<(Id, String)> {
        self.registry()
            .sessions
            .iter()
            .filter(|(_, w)| user.is_none_or(|u| w.user_id == u))
            .map(|(id, w)| (*id, w.user_id.clone()))
            .collect()
    }

    async fn check(&self, user: Option<&str>) {
        use futures::StreamExt;
        let sessions = self.watched(user);
        futures::stream::iter(sessions)
            .for_each_concurrent(CONCURRENT_CHECKS, |(id, user_id)| async move {
                let standing = standing_of(&self.state, &id, &user_id).await;
                if let Some(watched) = self.registry().sessions.get(&id) {
                    watched.standing.send_if_modified(|current| {
                        let changed = *current != standing;
                        *current = standing;
                        changed
                    });
                }
            })
            .await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut registry = self.watch.registry();
        if let Some(watched) = registry.sessions.get_mut(&self.session) {
            watched.streams = watched.streams.saturating_sub(1);
            if watched.streams == 0 {
                registry.sessions.remove(&self.session);
            }
        }
    }
}

/// Reads the session and the user's tenants the way every request resolves them.
async fn standing_of(state: &AppState, id: &Id, user_id: &str) -> Standing {
    let record = match DbSessionStore::new(state.db.clone()).load(id).await {
        Ok(Some(record)) => record,
        Ok(None) => return Standing::SignedOut,
        Err(err) => {
            tracing::warn!(error = %err, "could not re-check a live stream's session");
            return Standing::Unknown;
        }
    };
    if record.data.get(USER_KEY).and_then(|v| v.as_str()) != Some(user_id) {
        return Standing::SignedOut;
    }
    let tenants = match tenants_of(&state.db, user_id).await {
        Ok(tenants) => tenants,
        Err(err) => {
            tracing::warn!(error = %err, "could not re-check a live stream's tenants");
            return Standing::Unknown;
        }
    };
    let wanted = record
        .data
        .get(app::ssr::session_store::TENANT_KEY)
        .and_then(|v| v.as_str());
    Standing::SignedIn {
        current: current_tenant(&tenants, wanted).map(|t| t.id.clone()),
        tenants: tenants.into_iter().map(|t| (t.id, t.role)).collect(),
    }
}

async fn run(
    watch: Weak<StreamWatch>,
    mut bus: tokio::sync::broadcast::Receiver<app::ssr::bus::Delivery>,
) {
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Which sessions to check now: `Some(None)` all of them, `Some(Some(user))` one user's.
        let due: Option<Option<String>> = tokio::select! {
            _ = poll.tick() => Some(None),
            received = bus.recv() => match received {
                Ok(envelope) => envelope.session_change().map(|u| Some(u.to_string())),
                Err(RecvError::Lagged(_)) => Some(None),
                Err(RecvError::Closed) => return,
            },
        };
        let Some(user) = due else { continue };
        let Some(watch) = watch.upgrade() else { return };
        watch.check(user.as_deref()).await;
    }
}
