//! Tells the page a plain form returns to that the form's action succeeded, and the app's own
//! background form post where its form leads. Leptos answers a
//! form posted to a server function without the app's JavaScript with a redirect back to the
//! page, which drops the function's value: errors travel in the redirect's URL, success in
//! nothing. Here a successful one leaves a short-lived cookie naming the function, which the
//! page it returns to shows ("Saved.") and which that page's load removes.

use app::components::done::{COOKIE, FORM_HEADER, LOCATION_HEADER, SF_PREFIX};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Long enough for a slow link to follow the redirect; a flash never outlives its page.
const MAX_AGE_SECONDS: u32 = 60;

/// Whether the cookie is sent over https only (as the session's is).
#[derive(Clone, Copy)]
pub struct FlashCookie {
    pub secure: bool,
}

pub async fn flash_done(State(cookie): State<FlashCookie>, req: Request, next: Next) -> Response {
    let accepts_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let has_flash = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|c| c.trim_start().starts_with(COOKIE)));
    let form_post = (req.method() == Method::POST && accepts_html)
        .then(|| req.uri().path().strip_prefix(SF_PREFIX).map(str::to_owned))
        .flatten();
    let page_load = req.method() == Method::GET && accepts_html && has_flash;
    let background = form_post.is_some() && req.headers().contains_key(FORM_HEADER);
    let mut response = next.run(req).await;
    let set = match form_post {
        Some(endpoint) if succeeded(&response) && is_name(&endpoint) => {
            Some(format!("{COOKIE}={endpoint}; Max-Age={MAX_AGE_SECONDS}"))
        }
        // The page it was for has read it.
        _ if page_load => Some(format!("{COOKIE}=; Max-Age=0")),
        _ => None,
    };
    if let Some(set) = set {
        let secure = if cookie.secure { "; Secure" } else { "" };
        let value = format!("{set}; Path=/; HttpOnly; SameSite=Lax{secure}");
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    if background && response.status().is_redirection() {
        hand_back_location(&mut response);
    }
    response
}

/// The app's background post (islands) is told where the form leads instead of being sent
/// there: 200 with the place in a header of its own.
fn hand_back_location(response: &mut Response) {
    if let Some(location) = response.headers_mut().remove(header::LOCATION) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(LOCATION_HEADER), location);
        *response.status_mut() = StatusCode::OK;
    }
}

/// A redirect back without the error Leptos puts in the URL of a failed call.
fn succeeded(response: &Response) -> bool {
    response.status().is_redirection()
        && response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| !l.contains("__err="))
}

/// A server function's name: letters, digits and underscores, nothing a cookie would choke on.
fn is_name(endpoint: &str) -> bool {
    !endpoint.is_empty()
        && endpoint.len() <= 64
        && endpoint
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
