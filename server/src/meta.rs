//! Records the client's IP and user agent for the audit log.

use app::ssr::ClientMeta;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;

/// Whether to believe `X-Forwarded-For` (only behind a proxy that sets it).
#[derive(Clone, Copy)]
pub struct TrustProxy(pub bool);

pub async fn client_meta(
    State(trust): State<TrustProxy>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let forwarded = trust
        .0
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_string())
        })
        .flatten();
    let user_agent = req
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let meta = ClientMeta {
        ip: forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
        user_agent,
        path: req.uri().path().chars().take(300).collect(),
    };
    req.extensions_mut().insert(meta);
    next.run(req).await
}
