//! Where Stripe sends a member back during Connect: the OAuth callback and the return and
//! refresh URLs of hosted onboarding. Each is a browser navigation from Stripe's pages, so each
//! resolves the member from the session like a page, acts, and lands on Settings → Stripe with
//! a notice of what happened. The notice stays in the session; the URL carries only its random
//! id (`?notice=…`), so no link can put words on the page.

use app::connections::ssr::connected_accounts::{self, OAuthAnswer};
use app::connections::types::{ConnectNotice, KeptNotice};
use app::model::Permission;
use app::ssr::caller::resolve;
use app::ssr::{AppState, Caller, ClientMeta};
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;
use tower_sessions::Session;

const SETTINGS: &str = "/settings/stripe";

/// The member, or the answer to give instead: sign-in first (coming back here after), or the
/// settings page with why they may not.
async fn member(
    state: AppState,
    session: &Session,
    meta: Option<Extension<ClientMeta>>,
    uri: &Uri,
) -> Result<Caller, Response> {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    match resolve(state, session.clone(), meta).await {
        Ok(caller) if caller.can(Permission::ManageFleet) => Ok(caller),
        Ok(_) => Err(settle(
            session,
            ConnectNotice::failed("Only owners and admins connect Stripe accounts."),
        )
        .await),
        Err(app::error::AppError::Unauthenticated) => {
            let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or(SETTINGS);
            let next: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
            Err(Redirect::to(&format!("/login?next={next}")).into_response())
        }
        Err(err) => Err(settle(session, ConnectNotice::failed(err.to_string())).await),
    }
}

/// Leaves `notice` for the settings page and goes there.
async fn settle(session: &Session, notice: ConnectNotice) -> Response {
    let id = app::ssr::ids::new_id("ntc");
    let kept = KeptNotice {
        id: id.clone(),
        notice,
    };
    if let Err(err) = session
        .insert(app::connections::ssr::connections_service::NOTICE_KEY, kept)
        .await
    {
        tracing::warn!(error = %err, "could not keep the Connect notice");
        return Redirect::to(SETTINGS).into_response();
    }
    Redirect::to(&format!("{SETTINGS}?notice={id}")).into_response()
}

#[derive(Deserialize)]
pub struct Callback {
    #[serde(default)]
    state: String,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /connect/oauth/callback`: Stripe's answer to the consent page.
pub async fn oauth_callback(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    uri: Uri,
    Query(q): Query<Callback>,
) -> Response {
    let caller = match member(state, &session, meta, &uri).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let answer = OAuthAnswer {
        state: q.state,
        code: q.code,
        error: q.error,
        error_description: q.error_description,
    };
    let notice = match connected_accounts::finish_oauth(&caller, answer).await {
        Ok(_) => ConnectNotice::done("Connected. Stripe confirmed the account is yours."),
        Err(err) => ConnectNotice::failed(err.to_string()),
    };
    settle(&session, notice).await
}

/// `GET /connect/onboarding/{connection}/return`: back from hosted onboarding, finished or not.
pub async fn onboarding_return(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    uri: Uri,
    Path(connection): Path<String>,
) -> Response {
    let caller = match member(state, &session, meta, &uri).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let notice = match connected_accounts::finish_onboarding(&caller, &connection).await {
        Ok(true) => ConnectNotice::done("Onboarding finished: the account can take payments."),
        Ok(false) => ConnectNotice::failed(
            "Stripe still needs some details. Continue onboarding when you have them.",
        ),
        Err(err) => ConnectNotice::failed(err.to_string()),
    };
    settle(&session, notice).await
}

/// `GET /connect/onboarding/{connection}/refresh`: the link expired or was used; a new one.
pub async fn onboarding_refresh(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    uri: Uri,
    Path(connection): Path<String>,
) -> Response {
    let caller = match member(state, &session, meta, &uri).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    match connected_accounts::continue_onboarding(&caller, &connection).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(err) => settle(&session, ConnectNotice::failed(err.to_string())).await,
    }
}
