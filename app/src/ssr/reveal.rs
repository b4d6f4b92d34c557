//! Handing a new secret to a form sent before hydration. Leptos answers a plain form post to a
//! server function with a redirect, which drops the function's value, so a secret shown only
//! in that value (an API key, a notification endpoint's signing secret) would be lost. It waits
//! instead, sealed, behind a one-time token in the redirect's URL; the page takes it out once,
//! for the same person in the same organisation, within five minutes.

use super::ids::{new_token, now_ms, token_hash};
use super::secrets;
use super::Caller;
use crate::error::{AppError, AppResult};
use serde::{de::DeserializeOwned, Serialize};

/// How long a secret waits for its page: the redirect follows at once, so this only covers a
/// slow link.
const WAIT_MS: i64 = 5 * 60 * 1000;

use crate::components::revealed::PARAM;

/// Whether this call is a plain form post (a browser without the app's JavaScript), judged as
/// leptos_axum judges it when it decides to redirect: the request accepts HTML.
pub fn plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

fn purpose(hash: &str) -> String {
    format!("reveal:{hash}:secret")
}

/// When the call is a plain form post, keeps `value` for `page` and redirects there with its
/// token; otherwise does nothing, since the app shows the value itself.
pub async fn hand_over<T: Serialize>(
    caller: &Caller,
    kind: &str,
    page: &str,
    value: &T,
) -> AppResult<()> {
    if !plain_form_post() {
        return Ok(());
    }
    let user_id = caller.principal.user_id().ok_or_else(AppError::forbidden)?;
    let json = serde_json::to_string(value).map_err(AppError::internal)?;
    let token = new_token();
    let hash = token_hash(&token);
    let sealed = secrets::seal(&caller.state.settings.master_key, &purpose(&hash), &json);
    sqlx::query(
        "INSERT INTO secret_reveals (token_hash, tenant_id, user_id, kind, sealed, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&hash)
    .bind(&caller.tenant_id)
    .bind(user_id)
    .bind(kind)
    .bind(&sealed)
    .bind(now_ms() + WAIT_MS)
    .execute(&caller.db().pool)
    .await?;
    leptos_axum::redirect(&format!("{page}?{PARAM}={token}"));
    Ok(())
}

/// The value kept behind `token`, removed as it is read. Nothing for a token that is unknown,
/// spent, expired, of another kind, or another person's or organisation's.
pub async fn take<T: DeserializeOwned>(
    caller: &Caller,
    kind: &str,
    token: &str,
) -> AppResult<Option<T>> {
    let Some(user_id) = caller.principal.user_id() else {
        return Ok(None);
    };
    let token = token.trim();
    if token.is_empty() || token.len() > 64 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let sealed: Option<String> = sqlx::query_scalar(
        "DELETE FROM secret_reveals WHERE token_hash = $1 AND tenant_id = $2 AND user_id = $3
         AND kind = $4 AND expires_at > $5 RETURNING sealed",
    )
    .bind(&hash)
    .bind(&caller.tenant_id)
    .bind(user_id)
    .bind(kind)
    .bind(now_ms())
    .fetch_optional(&caller.db().pool)
    .await?;
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let json = secrets::open(&caller.state.settings.master_key, &purpose(&hash), &sealed)
        .map_err(AppError::internal)?;
    serde_json::from_str(&json)
        .map(Some)
        .map_err(AppError::internal)
}
