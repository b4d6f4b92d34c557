//! `GET /events`: the Server-Sent Events stream of the caller's current tenant; with `?all=1`,
//! of every tenant the caller belongs to (the All stores page).

use app::ssr::caller::resolve;
use app::ssr::{AppState, ClientMeta};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream};
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;

#[derive(Debug, serde::Deserialize)]
pub struct StreamQuery {
    all: Option<String>,
}

pub async fn events(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    Query(query): Query<StreamQuery>,
) -> Response {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let caller = match resolve(state.clone(), session, meta).await {
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
    // Operators see only their granted locations: their stream says what kind of thing changed
    // (so pages refetch through the scoped server functions) but not which one.
    let tenants: HashMap<String, bool> = if query.all.is_some() {
        caller
            .tenants
            .iter()
            .map(|t| (t.id.clone(), t.role == app::model::Role::Operator))
            .collect()
    } else {
        HashMap::from([(
            caller.tenant_id.clone(),
            caller.role == app::model::Role::Operator,
        )])
    };
    let receiver = state.bus.subscribe();
    Sse::new(tenant_stream(receiver, tenants))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The tenant's messages; a lagging browser is told to refresh everything instead of missing
/// changes silently.
fn tenant_stream(
    receiver: tokio::sync::broadcast::Receiver<app::ssr::bus::Envelope>,
    tenants: HashMap<String, bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let hello = Event::default().event("ready").data("{}");
    let first = stream::once(async move { Ok::<Event, Infallible>(hello) });
    let rest = stream::unfold(
        (receiver, tenants),
        move |(mut receiver, tenants)| async move {
            loop {
                match receiver.recv().await {
                    Ok(envelope) => {
                        let Some(redact) = tenants.get(&envelope.tenant_id) else {
                            continue;
                        };
                        let mut message = envelope.message;
                        if *redact {
                            message.id = None;
                        }
                        let data = serde_json::to_string(&message).unwrap_or_default();
                        return Some((Ok(Event::default().data(data)), (receiver, tenants)));
                    }
                    Err(RecvError::Lagged(_)) => {
                        let data = r#"{"topic":"resync","id":null}"#;
                        return Some((Ok(Event::default().data(data)), (receiver, tenants)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    futures::StreamExt::chain(first, rest)
}
