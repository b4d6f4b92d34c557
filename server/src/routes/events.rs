//! `GET /events`: the Server-Sent Events stream of the caller's current tenant; with `?all=1`,
//! of every tenant the caller belongs to (the All stores page).
//!
//! A stream delivers only while its session still grants it (see [`super::stream_watch`]). When
//! it no longer does, the stream sends a `session` event saying why and ends; on a new role it
//! re-scopes and says so. The page then asks who it is now and reloads if that is not what it
//! shows, so header, data and stream stay on one organisation.

use super::stream_watch::{Standing, StreamWatch, Ticket};
use app::model::Role;
use app::ssr::bus::Envelope;
use app::ssr::caller::resolve;
use app::ssr::{AppState, ClientMeta};
use app::topic::{LiveMessage, Topic};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;

#[derive(Debug, serde::Deserialize)]
pub struct StreamQuery {
    all: Option<String>,
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
    Sse::new(tenant_stream(receiver, ticket, scope))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
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

fn session_event(reason: &str) -> Event {
    Event::default()
        .event("session")
        .data(format!(r#"{{"reason":"{reason}"}}"#))
}

struct Open {
    receiver: tokio::sync::broadcast::Receiver<Envelope>,
    ticket: Ticket,
    scope: Scope,
    ended: bool,
}

/// The scope's messages; a lagging browser is told to refresh everything instead of missing
/// changes silently.
fn tenant_stream(
    receiver: tokio::sync::broadcast::Receiver<Envelope>,
    ticket: Ticket,
    scope: Scope,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let hello = Event::default().event("ready").data("{}");
    let first = stream::once(async move { Ok::<Event, Infallible>(hello) });
    let open = Open {
        receiver,
        ticket,
        scope,
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
                        let mut message = envelope.message;
                        // Operators see only their granted locations: their stream says what kind
                        // of thing changed (so pages refetch through the scoped server functions)
                        // but not which one.
                        if role == Role::Operator {
                            message.id = None;
                        }
                        let data = serde_json::to_string(&message).unwrap_or_default();
                        Event::default().data(data)
                    }
                    Err(RecvError::Lagged(_)) => {
                        let resync = LiveMessage {
                            topic: Topic::Resync,
                            id: None,
                        };
                        Event::default().data(serde_json::to_string(&resync).unwrap_or_default())
                    }
                    Err(RecvError::Closed) => return None,
                },
            };
            return Some((Ok(event), open));
        }
    });
    futures::StreamExt::chain(first, rest)
}
