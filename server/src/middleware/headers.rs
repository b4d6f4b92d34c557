//! Security headers on every answer: a Content-Security-Policy (pages may run only this site's
//! scripts, the inline hydration script by its per-response nonce, and the wasm; nothing may
//! frame them), HSTS behind https, and `Cache-Control: no-store` on everything that is not a
//! static asset, so a shared or back-button cache never keeps a signed-in page, a server
//! function's answer or an export. Static assets with a content hash in their name are kept a
//! year (`immutable`); other static files are revalidated.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;
use std::collections::HashSet;
use std::sync::Arc;

/// The session cookie's name: with `Secure` cookies the `__Host-` prefix makes browsers refuse
/// it unless it is Secure, host-only and for `/`, so a sibling subdomain cannot plant one.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-fleet_session"
    } else {
        "fleet_session"
    }
}

/// The policy of a rendered page; `nonce` is the one Leptos put on its inline scripts.
/// `connect_origin`, when connected accounts are on, is where Stripe's consent and onboarding
/// pages live: a form there (sent before hydration) ends in a redirect to it, which
/// `form-action` must allow.
pub fn page_policy(nonce: &str, connect_origin: Option<&str>) -> String {
    let form_action = match connect_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".into(),
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )
}

/// Where Connect's pages live, when this server connects accounts (see `Settings`).
fn connect_origin() -> Option<String> {
    use_context::<app::ssr::AppState>()?
        .settings
        .connect_origin
        .clone()
}

/// Everything that is not a page (JSON, CSV, events) runs nothing and is framed by nobody.
const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Sets the page's policy with its nonce, from inside Leptos' rendering (the additional
/// context of every page and of the error pages).
pub fn provide_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = page_policy(&nonce.to_string(), connect_origin().as_deref());
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[derive(Debug, Clone)]
pub struct HeaderPolicy {
    /// The public URL is https: browsers are told to use nothing else.
    pub hsts: bool,
    /// URL paths whose name carries their content's hash (see `crate::assets`): cached for a
    /// year without asking again.
    pub immutable: HashSet<String>,
}

/// Static assets Leptos serves (hashed or versioned by the build), which may be cached.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/favicon.ico"
}

pub async fn security_headers(
    State(policy): State<Arc<HeaderPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let asset = is_asset(path);
    let immutable = policy.immutable.contains(path);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NOT_A_PAGE),
        );
    }
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else if asset {
        // An unhashed asset (the favicon, a development build) may change under the same
        // name: kept, but checked (Last-Modified) before each use.
        "no-cache"
    } else {
        "no-store"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_runs_only_our_scripts_and_cannot_be_framed() {
        let policy = page_policy("abc123", None);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("form-action 'self';"), "{policy}");
        let policy = page_policy("abc123", Some("https://connect.stripe.com"));
        assert!(
            policy.contains("form-action 'self' https://connect.stripe.com;"),
            "{policy}"
        );
    }

    #[test]
    fn only_static_assets_may_be_cached() {
        assert!(is_asset("/pkg/terminal-fleet.wasm"));
        assert!(!is_asset("/readers"));
        assert!(!is_asset("/api/get_me"));
        assert!(!is_asset("/audit.csv"));
    }
}
