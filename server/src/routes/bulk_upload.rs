//! `POST /readers/register-many/upload`: the bulk registration form, a multipart form so that a
//! chosen CSV file is sent before the page hydrates. Starts a job and goes to its page, or goes
//! back to the form with why nothing started in `?error=`.

use super::multipart::{fields, Unreadable};
use app::error::AppError;
use app::fleet::bulk_types::{BulkRefusal, MAX_BULK_CSV_BYTES};
use app::fleet::ssr::bulk_jobs;
use app::ssr::caller::resolve;
use app::ssr::{AppState, ClientMeta};
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use tower_sessions::Session;

const PAGE: &str = "/readers/register-many";

/// The textarea and the file may both be full, plus the form's framing.
const BODY_LIMIT: usize = 2 * MAX_BULK_CSV_BYTES + 16 * 1024;

fn back(refusal: BulkRefusal) -> Response {
    Redirect::to(&format!("{PAGE}?error={}", refusal.as_str())).into_response()
}

/// The CSV the form carries: the chosen file when there is one, else the pasted text.
async fn read_csv(headers: &HeaderMap, body: Body) -> Result<String, BulkRefusal> {
    let form = fields(headers, body, BODY_LIMIT)
        .await
        .map_err(|unreadable| match unreadable {
            Unreadable::TooLarge => BulkRefusal::TooBig,
            Unreadable::Malformed => BulkRefusal::Unreadable,
        })?;
    let field = |wanted: &str| {
        form.iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.to_vec())
            .unwrap_or_default()
    };
    let file = field("file");
    let chosen = if file.iter().any(|b| !b.is_ascii_whitespace()) {
        file
    } else {
        field("csv")
    };
    if chosen.len() > MAX_BULK_CSV_BYTES {
        return Err(BulkRefusal::TooBig);
    }
    String::from_utf8(chosen).map_err(|_| BulkRefusal::Unreadable)
}

pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let caller = match resolve(state, session, meta).await {
        Ok(caller) if !caller.tenant_id.is_empty() => caller,
        Ok(_) => return back(BulkRefusal::Forbidden),
        Err(AppError::Unauthenticated) => {
            return Redirect::to("/login?next=%2Freaders%2Fregister-many").into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "bulk registration: caller not resolved");
            return back(BulkRefusal::Failed);
        }
    };
    let text = match read_csv(&headers, body).await {
        Ok(text) => text,
        Err(refusal) => return back(refusal),
    };
    match bulk_jobs::start_registration(&caller, &text).await {
        Ok(job) => Redirect::to(&format!("/readers/jobs/{job}")).into_response(),
        Err(refusal) => back(refusal),
    }
}
