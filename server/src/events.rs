//! `GET /events`: the Server-Sent Events stream of the caller's current tenant.

use app::ssr::caller::resolve;
use app::ssr::{AppState, ClientMeta};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;

pub async fn events(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
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
    let tenant = caller.tenant_id.clone();
    // Operators see only their granted locations: their stream says what kind of thing changed
    // (so pages refetch through the scoped server functions) but not which one.
    let redact = caller.role == app::model::Role::Operator;
    let receiver = state.bus.subscribe();
    Sse::new(tenant_stream(receiver, tenant, redact))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The tenant's messages; a lagging browser is told to refresh everything instead of missing
/// changes silently.
fn tenant_stream(
    receiver: tokio::sync::broadcast::Receiver<app::ssr::bus::Envelope>,
    tenant: String,
    redact: bool,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let hello = Event::default().event("ready").data("{}");
    let first = stream::once(async move { Ok::<Event, Infallible>(hello) });
    let rest = stream::unfold(
        (receiver, tenant),
        move |(mut receiver, tenant)| async move {
            loop {
                match receiver.recv().await {
                    Ok(envelope) if envelope.tenant_id == tenant => {
                        let mut message = envelope.message;
                        if redact {
                            message.id = None;
                        }
                        let data = serde_json::to_string(&message).unwrap_or_default();
                        return Some((Ok(Event::default().data(data)), (receiver, tenant)));
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => {
                        let data = r#"{"topic":"resync","id":null}"#;
                        return Some((Ok(Event::default().data(data)), (receiver, tenant)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    futures::StreamExt::chain(first, rest)
}
