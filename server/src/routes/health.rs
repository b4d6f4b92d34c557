//! `/healthz` (the process answers) and `/readyz` (the database answers too).

use app::ssr::Db;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub async fn readyz(State(db): State<Db>) -> impl IntoResponse {
    let backend = match db.backend {
        app::ssr::db::Backend::Sqlite => "sqlite",
        app::ssr::db::Backend::Postgres => "postgres",
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3), db.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": backend })),
        ),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "unavailable", "database": backend, "error": "database unreachable" }),
                ),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "database": backend, "error": "database timed out" }),
            ),
        ),
    }
}
