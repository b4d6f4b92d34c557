//! What a person sees at Stripe rather than what a program calls: the hosted onboarding an
//! Account Link opens, and Connect OAuth (`connect.stripe.com/oauth/…`: the consent page, the
//! code exchange and deauthorization). Served beside `/v1` on the simulator's address.
//!
//! Signing in to Stripe on the consent page is stood in for by the account's secret key: in
//! the simulator a key is an account, so knowing it is what controlling the account means.

use crate::ctx::Ctx;
use crate::routes::accounts::{account_json, client_id, complete_onboarding};
use crate::store::OAuthCode;
use crate::Simulator;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use html_escape::encode_double_quoted_attribute as attr;
use html_escape::encode_text as text;
use serde::Deserialize;
use serde_json::{json, Value};

/// How long an authorization code may wait for its exchange, in seconds.
const CODE_LIFETIME: i64 = 300;

pub fn router() -> Router<Simulator> {
    Router::new()
        .route(
            "/setup/s/{account}/{token}",
            get(onboarding_page).post(onboarding_submit),
        )
        .route("/oauth/authorize", get(consent_page).post(consent_submit))
        .route("/oauth/token", post(token))
        .route("/oauth/deauthorize", post(deauthorize))
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Stripe (simulated)</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}}\
         label{{display:block;margin:.8rem 0 .2rem}}input[type=text],input[type=password]{{width:100%;padding:.5rem;font:inherit}}\
         button{{margin-top:1rem;padding:.55rem 1rem;font:inherit;background:#533afd;color:#fff;border:0;border-radius:6px;cursor:pointer}}\
         button.secondary{{background:#fff;color:#1a1f36;border:1px solid #8792a2}}.muted{{color:#4f566b}}section{{border-top:1px solid #e3e8ee;margin-top:1.5rem}}</style>\
         </head><body><p class=\"muted\">Stripe · simulated test mode</p>{body}</body></html>",
        text(title)
    );
    (status, Html(html)).into_response()
}

fn error_page(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "Something went wrong",
        &format!(
            "<h1>Something went wrong</h1><p role=\"alert\">{}</p>",
            text(message)
        ),
    )
}

/// Redirect with `params` appended to `base`'s query.
fn redirect_with(base: &str, params: &[(&str, &str)]) -> Response {
    match url::Url::parse(base) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            Redirect::to(url.as_str()).into_response()
        }
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            "The redirect address is not a URL.",
        ),
    }
}

/// Where a link that can no longer be used sends its holder.
fn link_spent(refresh_url: Option<String>) -> Response {
    match refresh_url {
        Some(url) => Redirect::to(&url).into_response(),
        None => error_page(
            StatusCode::GONE,
            "This onboarding link has expired or was already used. Ask the platform for a new one.",
        ),
    }
}

async fn onboarding_page(
    State(sim): State<Simulator>,
    Path((account, token)): Path<(String, String)>,
) -> Response {
    let now = sim.clock().now();
    let mut store = sim.store();
    let Some(link) = store
        .account_links
        .get_mut(&token)
        .filter(|l| l.account == account)
    else {
        return error_page(
            StatusCode::NOT_FOUND,
            "This onboarding link does not exist.",
        );
    };
    if link.visited || link.completed || now > link.expires_at {
        return link_spent(link.refresh_url.clone());
    }
    link.visited = true;
    let Some(acct) = store.accounts.get(&account) else {
        return error_page(StatusCode::NOT_FOUND, "This account no longer exists.");
    };
    let name = acct.json["business_profile"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let platform = acct.parent.clone().unwrap_or_default();
    let body = format!(
        "<h1>Set up your Stripe account</h1>\
         <p>Platform <code>{}</code> uses Stripe to take payments for account <code>{}</code>. \
         Tell us about your business to start accepting payments.</p>\
         <form method=\"post\">\
         <label for=\"business_name\">Business name</label>\
         <input id=\"business_name\" type=\"text\" name=\"business_name\" value=\"{}\" required>\
         <label><input type=\"checkbox\" name=\"tos\" value=\"accepted\" required> \
         I agree to the Stripe Connected Account Agreement</label>\
         <button type=\"submit\">Agree and submit</button></form>",
        text(&platform),
        text(&account),
        attr(&name)
    );
    page(StatusCode::OK, "Set up your Stripe account", &body)
}

#[derive(Deserialize)]
struct OnboardingForm {
    #[serde(default)]
    business_name: String,
    #[serde(default)]
    tos: String,
}

async fn onboarding_submit(
    State(sim): State<Simulator>,
    Path((account, token)): Path<(String, String)>,
    Form(form): Form<OnboardingForm>,
) -> Response {
    if form.tos != "accepted" {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Accept the Stripe Connected Account Agreement to continue.",
        );
    }
    let now = sim.clock().now();
    let (return_url, emitted) = {
        let mut store = sim.store();
        let Some(link) = store
            .account_links
            .get_mut(&token)
            .filter(|l| l.account == account)
        else {
            return error_page(
                StatusCode::NOT_FOUND,
                "This onboarding link does not exist.",
            );
        };
        // The form may be sent from the page the visit opened, but only once and in time.
        if link.completed || now > link.expires_at + crate::routes::account_links::LIFETIME {
            return link_spent(link.refresh_url.clone());
        }
        link.completed = true;
        let return_url = link.return_url.clone();
        let Some(acct) = store.accounts.get_mut(&account) else {
            return error_page(StatusCode::NOT_FOUND, "This account no longer exists.");
        };
        let previous = complete_onboarding(&mut acct.json, Some(&form.business_name));
        let object = acct.json.clone();
        let mut ctx = Ctx::new(&sim, &mut store, account.clone());
        ctx.emit("account.updated", &object, Some(previous));
        (return_url, std::mem::take(&mut ctx.emitted))
    };
    sim.inner.webhooks.enqueue(emitted);
    match return_url {
        Some(url) => Redirect::to(&url).into_response(),
        None => page(
            StatusCode::OK,
            "All set",
            "<h1>All set</h1><p>Your account can take payments. You can close this page.</p>",
        ),
    }
}

#[derive(Deserialize, Clone, Default)]
struct Consent {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// What a valid consent request names: the platform, its scope and where to send the answer.
struct ConsentFor {
    platform: String,
    scope: String,
    redirect_uri: String,
}

fn check_consent(sim: &Simulator, c: &Consent) -> Result<ConsentFor, String> {
    if c.response_type != "code" {
        return Err("Invalid response_type: the only supported response_type is 'code'.".into());
    }
    let Some(platform) = sim.store().platform_of_client(&c.client_id) else {
        return Err(format!("No such application: '{}'.", c.client_id));
    };
    let scope = c.scope.clone().unwrap_or_else(|| "read_only".into());
    if !matches!(scope.as_str(), "read_only" | "read_write") {
        return Err("Invalid scope: must be read_only or read_write.".into());
    }
    // The simulator keeps no list of registered redirect URIs, so one must be given.
    let redirect_uri = match c.redirect_uri.as_deref().map(url::Url::parse) {
        Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => u.to_string(),
        _ => {
            return Err(
                "Invalid redirect_uri: give the http(s) address to send the answer to.".into(),
            )
        }
    };
    Ok(ConsentFor {
        platform,
        scope,
        redirect_uri,
    })
}

fn hidden(c: &Consent) -> String {
    let field = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            attr(value)
        )
    };
    [
        field("response_type", &c.response_type),
        field("client_id", &c.client_id),
        field("scope", c.scope.as_deref().unwrap_or("read_only")),
        field(
            "redirect_uri",
            c.redirect_uri.as_deref().unwrap_or_default(),
        ),
        field("state", c.state.as_deref().unwrap_or_default()),
    ]
    .concat()
}

async fn consent_page(State(sim): State<Simulator>, Query(c): Query<Consent>) -> Response {
    let consent = match check_consent(&sim, &c) {
        Ok(v) => v,
        Err(why) => return error_page(StatusCode::BAD_REQUEST, &why),
    };
    let fields = hidden(&c);
    let body = format!(
        "<h1>Connect your Stripe account</h1>\
         <p>Platform <code>{platform}</code> asks for <strong>{scope}</strong> access to your Stripe account.</p>\
         <section><h2>Use an existing account</h2>\
         <p class=\"muted\">Sign in: in the simulator, the account's secret key stands for its owner's password.</p>\
         <form method=\"post\">{fields}<input type=\"hidden\" name=\"choice\" value=\"existing\">\
         <label for=\"key\">Secret key of the account (sk_test_…)</label>\
         <input id=\"key\" type=\"password\" name=\"key\" autocomplete=\"off\" required>\
         <button type=\"submit\">Connect my account</button></form></section>\
         <section><h2>Skip this form</h2><p class=\"muted\">Test mode only: connect a new, ready account.</p>\
         <form method=\"post\">{fields}<input type=\"hidden\" name=\"choice\" value=\"new\">\
         <button type=\"submit\" class=\"secondary\">Skip this form</button></form></section>\
         <section><form method=\"post\">{fields}<input type=\"hidden\" name=\"choice\" value=\"deny\">\
         <button type=\"submit\" class=\"secondary\">Deny access</button></form></section>",
        platform = text(&consent.platform),
        scope = text(&consent.scope),
    );
    page(StatusCode::OK, "Connect your Stripe account", &body)
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(flatten)]
    consent: Consent,
    #[serde(default)]
    choice: String,
    #[serde(default)]
    key: String,
}

async fn consent_submit(State(sim): State<Simulator>, Form(form): Form<ConsentForm>) -> Response {
    let consent = match check_consent(&sim, &form.consent) {
        Ok(v) => v,
        Err(why) => return error_page(StatusCode::BAD_REQUEST, &why),
    };
    let state = form.consent.state.clone().unwrap_or_default();
    let with_state = |mut params: Vec<(&'static str, String)>| {
        if !state.is_empty() {
            params.push(("state", state.clone()));
        }
        params
    };
    let now = sim.clock().now();
    let account = match form.choice.as_str() {
        "deny" => {
            let params = with_state(vec![
                ("error", "access_denied".into()),
                ("error_description", "The user denied your request".into()),
            ]);
            let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            return redirect_with(&consent.redirect_uri, &refs);
        }
        "existing" => {
            let key = match crate::auth::secret_key(form.key.trim().to_string()) {
                Ok(k) => k,
                Err(_) => {
                    return error_page(
                        StatusCode::UNAUTHORIZED,
                        "That is not the secret key of a Stripe test account (sk_test_…).",
                    )
                }
            };
            let mut store = sim.store();
            let account = store.account_for_key(&key, now);
            let parent = store.accounts.get(&account).and_then(|a| a.parent.clone());
            if account == consent.platform {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "You cannot connect the platform's own account to itself.",
                );
            }
            if parent.is_some_and(|p| p != consent.platform) {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "This account is connected to another platform (the simulator connects an account to one platform at a time).",
                );
            }
            account
        }
        "new" => {
            let id = sim.ids().new_id("acct");
            let mut json = account_json(&id, None, None, now, true);
            json["type"] = json!("standard");
            sim.store().accounts.insert(
                id.clone(),
                crate::store::Account {
                    json,
                    ..Default::default()
                },
            );
            id
        }
        _ => return error_page(StatusCode::BAD_REQUEST, "Choose how to connect."),
    };
    let code = sim.ids().new_id("ac");
    sim.store().oauth_codes.insert(
        code.clone(),
        OAuthCode {
            platform: consent.platform,
            account,
            scope: consent.scope.clone(),
            created: now,
            used: false,
        },
    );
    let params = with_state(vec![("scope", consent.scope), ("code", code)]);
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    redirect_with(&consent.redirect_uri, &refs)
}

/// OAuth's error answer: `{"error": …, "error_description": …}`.
fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description.into() })),
    )
        .into_response()
}

/// The platform's key: `client_secret` in the form, else the Authorization header.
fn platform_key(headers: &HeaderMap, form: &Value) -> Result<String, String> {
    let key = match form["client_secret"].as_str() {
        Some(k) => crate::auth::secret_key(k.to_string()),
        None => crate::auth::api_key(headers),
    };
    key.map_err(|e| e.message.clone())
}

fn form_value(body: &str) -> Value {
    Value::Object(
        url::form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect(),
    )
}

async fn token(State(sim): State<Simulator>, headers: HeaderMap, body: String) -> Response {
    let form = form_value(&body);
    let key = match platform_key(&headers, &form) {
        Ok(k) => k,
        Err(why) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why),
    };
    match form["grant_type"].as_str() {
        Some("authorization_code") => {}
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("Unsupported grant type: {other}"),
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "No grant type specified",
            )
        }
    }
    let Some(code) = form["code"].as_str().filter(|c| !c.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "No authorization code provided",
        );
    };
    let now = sim.clock().now();
    let (answer, emitted) = {
        let mut store = sim.store();
        let platform = store.account_for_key(&key, now);
        let Some(grant) = store.oauth_codes.get_mut(code) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                format!("Authorization code does not exist: {code}"),
            );
        };
        if grant.platform != platform {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                format!("Authorization code provided does not belong to you: {code}"),
            );
        }
        if grant.used {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                format!("This authorization code has already been used: {code}"),
            );
        }
        if now > grant.created + CODE_LIFETIME {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                format!("Authorization code expired: {code}"),
            );
        }
        grant.used = true;
        let (account, scope) = (grant.account.clone(), grant.scope.clone());
        let access_token = format!("sk_test_{}", sim.ids().alphanumeric(40));
        let Some(acct) = store.accounts.get_mut(&account) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The account of this authorization code no longer exists.",
            );
        };
        if acct.parent.as_ref().is_some_and(|p| *p != platform) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "This account has since been connected to another platform.",
            );
        }
        acct.parent = Some(platform.clone());
        acct.oauth_keys.push(access_token.clone());
        store.keys.insert(access_token.clone(), account.clone());
        let application =
            json!({ "id": client_id(&platform), "object": "application", "name": null });
        let mut ctx = Ctx::new(&sim, &mut store, account.clone());
        ctx.emit("account.application.authorized", &application, None);
        let answer = json!({
            "access_token": access_token,
            "livemode": false,
            "refresh_token": sim.ids().new_id("rt"),
            "token_type": "bearer",
            "stripe_publishable_key": format!("pk_test_{}", sim.ids().alphanumeric(40)),
            "stripe_user_id": account,
            "scope": scope,
        });
        (answer, std::mem::take(&mut ctx.emitted))
    };
    sim.inner.webhooks.enqueue(emitted);
    ([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response()
}

async fn deauthorize(State(sim): State<Simulator>, headers: HeaderMap, body: String) -> Response {
    let form = form_value(&body);
    let key = match platform_key(&headers, &form) {
        Ok(k) => k,
        Err(why) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why),
    };
    let now = sim.clock().now();
    let (Some(client), Some(account)) =
        (form["client_id"].as_str(), form["stripe_user_id"].as_str())
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Give client_id and stripe_user_id.",
        );
    };
    let emitted = {
        let mut store = sim.store();
        let platform = store.account_for_key(&key, now);
        if client_id(&platform) != client {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                format!("No such application: '{client}'"),
            );
        }
        let connected = store
            .accounts
            .get(account)
            .is_some_and(|a| a.parent.as_deref() == Some(platform.as_str()));
        if !connected {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                format!("This application is not connected to stripe account {account}, or that account does not exist."),
            );
        }
        let application = json!({ "id": client, "object": "application", "name": null });
        let mut ctx = Ctx::new(&sim, &mut store, account.to_string());
        // Emitted while still connected, so it reaches the platform's Connect endpoints.
        ctx.emit("account.application.deauthorized", &application, None);
        let emitted = std::mem::take(&mut ctx.emitted);
        let minted = match store.accounts.get_mut(account) {
            Some(acct) => {
                acct.parent = None;
                std::mem::take(&mut acct.oauth_keys)
            }
            None => Vec::new(),
        };
        for k in minted {
            store.keys.remove(&k);
        }
        emitted
    };
    sim.inner.webhooks.enqueue(emitted);
    Json(json!({ "stripe_user_id": account })).into_response()
}
