//! Splash screens of reader configurations: the upload (a multipart form that works before
//! hydration, answered by going back to Settings → Reader configurations with the outcome in
//! `?splash=`) and the preview (the image fetched from Stripe with the organisation's key,
//! which the browser does not have). Both resolve the member from the session like a page.

use app::configurations::ssr::splash::{self, SplashUpload};
use app::configurations::types::{SplashOutcome, MAX_SPLASH_BYTES};
use app::error::AppError;
use app::ssr::caller::resolve;
use app::ssr::{AppState, ClientMeta};
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use tower_sessions::Session;

const PAGE: &str = "/settings/configurations";

/// What the form's text fields and a little framing may add to the image.
const FORM_SLACK: usize = 64 * 1024;

fn back(outcome: SplashOutcome, configuration: &str) -> Response {
    let anchor = if configuration.starts_with("tmc_")
        && configuration
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        format!("#{configuration}")
    } else {
        String::new()
    };
    Redirect::to(&format!("{PAGE}?splash={}{anchor}", outcome.as_str())).into_response()
}

/// The form as sent: its fields and the file's bytes (empty when no file was chosen).
#[derive(Default)]
struct Form {
    connection_id: String,
    id: String,
    device_type: String,
    file: Vec<u8>,
}

enum Unreadable {
    TooLarge,
    Malformed,
}

async fn read_form(headers: &HeaderMap, body: Body) -> Result<Form, Unreadable> {
    let limit = MAX_SPLASH_BYTES + FORM_SLACK;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Unreadable::TooLarge);
    }
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| Unreadable::TooLarge)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| Unreadable::Malformed)?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(bytes) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut form = Form::default();
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|_| Unreadable::Malformed)?
    {
        let name = part.name().unwrap_or_default().to_string();
        let value = part.bytes().await.map_err(|_| Unreadable::Malformed)?;
        let text = || String::from_utf8_lossy(&value).chars().take(200).collect();
        match name.as_str() {
            "connection_id" => form.connection_id = text(),
            "id" => form.id = text(),
            "device_type" => form.device_type = text(),
            "file" => form.file = value.to_vec(),
            _ => {}
        }
    }
    Ok(form)
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
        Ok(_) => return back(SplashOutcome::Forbidden, ""),
        Err(AppError::Unauthenticated) => {
            return Redirect::to("/login?next=%2Fsettings%2Fconfigurations").into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "splash upload: caller not resolved");
            return back(SplashOutcome::Failed, "");
        }
    };
    let form = match read_form(&headers, body).await {
        Ok(form) => form,
        Err(Unreadable::TooLarge) => return back(SplashOutcome::TooLarge, ""),
        Err(Unreadable::Malformed) => return back(SplashOutcome::Missing, ""),
    };
    let outcome = splash::upload(
        &caller,
        &SplashUpload {
            connection_id: &form.connection_id,
            configuration_id: &form.id,
            device_type: &form.device_type,
            bytes: &form.file,
        },
    )
    .await
    .err()
    .unwrap_or(SplashOutcome::Saved);
    back(outcome, &form.id)
}

pub async fn preview(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    Path((connection, file)): Path<(String, String)>,
) -> Response {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let caller = match resolve(state, session, meta).await {
        Ok(caller) if !caller.tenant_id.is_empty() => caller,
        Ok(_) => return refuse(AppError::forbidden()),
        Err(err) => return refuse(err),
    };
    match splash::image(&caller, &connection, &file).await {
        Ok((content_type, bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type),
                // The image is the organisation's: kept by this browser only, briefly.
                (header::CACHE_CONTROL, "private, max-age=300"),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
            ],
            bytes,
        )
            .into_response(),
        Err(err) => refuse(err),
    }
}

fn refuse(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, err.to_string()).into_response()
}
