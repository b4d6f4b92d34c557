//! `GET /events`: the Server-Sent Events stream of the caller's current tenant; with `?all=1`,
//! of every tenant the caller belongs to (the All stores page).
//!
//! A stream delivers only while its session still grants it (see [`super::stream_watch`]). When
//! it no longer does, the stream sends a `session` event saying why and ends; on a new role it
//! re-scopes and says so. The page then asks who it is now and reloads if that is not what it
//! shows, so header, data and stream stay on one organisation.

use super::stream_watch::{Standing, StreamWatch, Ticket};
use app::model::Role;
use app::ssr::bus::{stream_frame, Delivery};
use app::ssr::caller::resolve;
use app::ssr::{AppState, ClientMeta};
use app::topic::{LiveMessage, Topic};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tower_sessions::Session;

/// How often a quiet stream sends a comment, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, serde::Deserialize)]
pub struct StreamQuery {
    all: Option<String>,
    /// When the page that opens the stream was rendered (Unix ms): a message of its tenants
    /// since then may be missing from it, and the stream then starts by saying so.
    since: Option<i64>,
}

pub async fn events(
    State(state): State<AppState>,
    Extension(watch): Extension<Arc<StreamWatch>>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    Query(query): Query<StreamQuery>,
) -> Response {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let caller = match resolve(state.clone(), session.clone(), meta).await {
        Ok(c) if !c.tenant_id.is_empty() => c,
        Ok(_) => return StatusCode::FORBIDDEN.into_response(),
        Err(err) => {
            return (
                StatusCode::from_u16(err.status()).unwrap_or(StatusCode::UNAUTHORIZED),
                err.to_string(),
            )
                .into_response()
        }
    };
    let Some(session_id) = session.id() else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let scope = if query.all.is_some() {
        Scope::All(
            caller
                .tenants
                .iter()
                .map(|t| (t.id.clone(), t.role))
                .collect(),
        )
    } else {
        Scope::Current {
            tenant_id: caller.tenant_id.clone(),
            role: caller.role,
        }
    };
    let ticket = match watch.open(
        session_id,
        caller.principal.id(),
        Standing::of_caller(&caller),
    ) {
        Ok(ticket) => ticket,
        Err(too_many) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "10")],
                format!(
                    "You already have {} live connections open, the most one person may have. \
                     Close a tab or two of Terminal Fleet and this page will reconnect.",
                    too_many.max
                ),
            )
                .into_response();
        }
    };
    // A stream of one organisation hears that organisation's messages only; the All stores
    // stream hears every message and keeps those of its tenants.
    let receiver = match &scope {
        Scope::Current { tenant_id, .. } => state.bus.subscribe_tenant(tenant_id),
        Scope::All(_) => state.bus.subscribe(),
    };
    // Asked after subscribing, so a message is either in the answer or in the receiver.
    let missed = query
        .since
        .is_some_and(|since| state.bus.sent_since(scope.tenants(), since));
    // The frames are written as they are (each message is rendered once for every stream it
    // reaches; see `Envelope::stream_frame`), not through axum's `Sse`, which builds each event
    // again and re-arms its keep-alive timer on every one.
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(tenant_stream(receiver, ticket, scope, missed)),
    )
        .into_response()
}

/// What a stream delivers.
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    /// The session's current tenant, seen with this role.
    Current { tenant_id: String, role: Role },
    /// Every tenant of the user, each with the role there.
    All(HashMap<String, Role>),
}

impl Scope {
    fn tenants(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            Scope::Current { tenant_id, .. } => Box::new(std::iter::once(tenant_id.as_str())),
            Scope::All(tenants) => Box::new(tenants.keys().map(String::as_str)),
        }
    }

    /// The role the message's tenant is seen with, if this stream delivers it at all.
    fn role_in(&self, tenant_id: &str) -> Option<Role> {
        match self {
            Scope::Current {
                tenant_id: current,
                role,
            } => (current == tenant_id).then_some(*role),
            Scope::All(tenants) => tenants.get(tenant_id).copied(),
        }
    }

    /// What the stream does now that its session stands as `standing`.
    fn follow(&mut self, standing: &Standing) -> Verdict {
        let (current, tenants) = match standing {
            Standing::SignedIn { current, tenants } => (current, tenants),
            Standing::SignedOut => return Verdict::End(Some("signed_out")),
            Standing::Unknown => return Verdict::End(None),
        };
        match self {
            Scope::Current { tenant_id, role } => {
                let Some((_, now)) = tenants.iter().find(|(id, _)| id == tenant_id) else {
                    return Verdict::End(Some("access_ended"));
                };
                if current.as_deref() != Some(tenant_id.as_str()) {
                    return Verdict::End(Some("tenant_changed"));
                }
                if now != role {
                    *role = *now;
                    return Verdict::Rescoped("role_changed");
                }
                Verdict::Same
            }
            Scope::All(seen) => {
                let now: HashMap<String, Role> = tenants.iter().cloned().collect();
                if now == *seen {
                    return Verdict::Same;
                }
                *seen = now;
                Verdict::Rescoped("tenants_changed")
            }
        }
    }
}

enum Verdict {
    Same,
    /// Delivering on under the new scope; the page is told why.
    Rescoped(&'static str),
    /// Stop; with a reason the page is told, or quietly.
    End(Option<&'static str>),
}

fn session_event(reason: &str) -> Bytes {
    Bytes::from(format!(
        "event: session\ndata: {{\"reason\":\"{reason}\"}}\n\n"
    ))
}

struct Open {
    receiver: tokio::sync::broadcast::Receiver<Delivery>,
    ticket: Ticket,
    scope: Scope,
    /// Ticks every [`KEEP_ALIVE`] whatever is sent between: cheaper than re-arming a timer on
    /// every message, and a comment now and then on a busy stream costs nothing.
    keep_alive: Interval,
    ended: bool,
}

fn resync_frame() -> Bytes {
    stream_frame(&LiveMessage {
        topic: Topic::Resync,
        id: None,
    })
}

/// The scope's messages; a browser that lagged behind, or whose page may have missed a
/// message before its stream opened (`missed`), is told to refresh everything instead of
/// missing changes silently.
fn tenant_stream(
    receiver: tokio::sync::broadcast::Receiver<Delivery>,
    ticket: Ticket,
    scope: Scope,
    missed: bool,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let hello = Bytes::from_static(b"event: ready\ndata: {}\n\n");
    let first = stream::iter(
        std::iter::once(hello)
            .chain(missed.then(resync_frame))
            .map(Ok::<Bytes, Infallible>),
    );
    let mut keep_alive = tokio::time::interval_at(Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    keep_alive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let open = Open {
        receiver,
        ticket,
        scope,
        keep_alive,
        ended: false,
    };
    let rest = stream::unfold(open, move |mut open| async move {
        if open.ended {
            return None;
        }
        loop {
            // The session is looked at first, so nothing is delivered once it no longer grants it.
            let event = tokio::select! {
                biased;
                changed = open.ticket.standing.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                    let standing = open.ticket.standing.borrow_and_update().clone();
                    match open.scope.follow(&standing) {
                        Verdict::Same => continue,
                        Verdict::Rescoped(reason) => session_event(reason),
                        Verdict::End(None) => return None,
                        Verdict::End(Some(reason)) => {
                            open.ended = true;
                            session_event(reason)
                        }
                    }
                }
                received = open.receiver.recv() => match received {
                    Ok(envelope) => {
                        let Some(role) = open.scope.role_in(&envelope.tenant_id) else {
                            continue;
                        };
                        // Operators see only their granted locations: their stream says what kind
                        // of thing changed (so pages refetch through the scoped server functions)
                        // but not which one.
                        envelope.stream_frame(role != Role::Operator)
                    }
                    Err(RecvError::Lagged(_)) => resync_frame(),
                    Err(RecvError::Closed) => return None,
                },
                _ = open.keep_alive.tick() => Bytes::from_static(b":\n\n"),
            };
            return Some((Ok(event), open));
        }
    });
    futures::StreamExt::chain(first, rest)
}
