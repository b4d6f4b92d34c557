//! Splash screens of reader configurations: the upload (a multipart form that works before
//! hydration, answered by going back to Settings → Reader configurations with the outcome in
//! `?splash=`) and the preview (the image fetched from Stripe with the organisation's key,
//! which the browser does not have). Both resolve the member from the session like a page.

use super::multipart::{fields, Unreadable};
use app::configurations::ssr::splash::{self, SplashUpload};
use app::configurations::types::{SplashOutcome, MAX_SPLASH_BYTES};
use app::error::AppError;
use app::ssr::caller::resolve;
use app::ssr::{AppState, ClientMeta};
use axum::body::Body;
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

async fn read_form(headers: &HeaderMap, body: Body) -> Result<Form, Unreadable> {
    let mut form = Form::default();
    for (name, value) in fields(headers, body, MAX_SPLASH_BYTES + FORM_SLACK).await? {
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
