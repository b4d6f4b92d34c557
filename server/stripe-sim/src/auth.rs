//! API keys and the account a request acts on: `Authorization: Bearer sk_test_…` or HTTP
//! Basic with the key as user name, then an optional `Stripe-Account` header naming one of the
//! key's connected accounts.

use crate::errors::{SimError, SimResult};
use crate::store::Store;
use axum::http::HeaderMap;
use base64::Engine;

const NO_KEY: &str = "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

/// Who is calling and on which account.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account acted on: `Stripe-Account` if given, else the key's own.
    pub account: String,
}

pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `sk_test_********abcd`: Stripe never echoes a key whole, even a wrong one.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let prefix_len = key
        .match_indices('_')
        .map(|(i, _)| i + 1)
        .take(2)
        .last()
        .filter(|&n| n <= 8)
        .unwrap_or(0);
    let tail_len = 4.min(chars.len().saturating_sub(prefix_len));
    let stars = chars.len().saturating_sub(prefix_len + tail_len);
    let prefix: String = chars[..prefix_len].iter().collect();
    let tail: String = chars[chars.len() - tail_len..].iter().collect();
    format!("{prefix}{}{tail}", "*".repeat(stars))
}

/// The key of the request, accepted only when it is a well-formed test-mode secret or
/// restricted key (`sk_test_`/`rk_test_` and at least 8 more characters).
pub fn api_key(headers: &HeaderMap) -> SimResult<String> {
    let Some(auth) = header(headers, "authorization") else {
        return Err(SimError::auth(NO_KEY));
    };
    let (scheme, rest) = auth.trim().split_once(' ').unwrap_or((auth.trim(), ""));
    let key = if scheme.eq_ignore_ascii_case("bearer") {
        rest.trim().to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        decoded.split(':').next().unwrap_or_default().to_string()
    } else {
        return Err(SimError::auth(NO_KEY));
    };
    secret_key(key)
}

/// `key` if it is a well-formed test-mode secret or restricted key.
pub fn secret_key(key: String) -> SimResult<String> {
    if key.is_empty() {
        return Err(SimError::auth(NO_KEY));
    }
    if key.starts_with("pk_") {
        return Err(SimError::auth(
            "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
        )
        .with("code", serde_json::json!("secret_key_required")));
    }
    let rest = key
        .strip_prefix("sk_test_")
        .or_else(|| key.strip_prefix("rk_test_"));
    match rest {
        Some(rest)
            if rest.len() >= 8 && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(key)
        }
        // Live keys get the unknown-key answer: no live mode exists here.
        _ => Err(SimError::auth(format!(
            "Invalid API Key provided: {}",
            mask(&key)
        ))),
    }
}

/// Resolves the key's account (created on first use) and the `Stripe-Account` it acts on.
pub fn caller(store: &mut Store, headers: &HeaderMap, now: i64) -> SimResult<Caller> {
    let key = api_key(headers)?;
    let platform = store.account_for_key(&key, now);
    let account = match header(headers, "stripe-account").map(str::trim) {
        None | Some("") => platform.clone(),
        Some(target) if target == platform => platform.clone(),
        Some(target) => match store.accounts.get(target) {
            Some(a) if a.parent.as_deref() == Some(platform.as_str()) => target.to_string(),
            _ => {
                return Err(SimError::account_invalid(format!(
                    "The provided key '{}' does not have access to account '{target}' (or that account does not exist). Application access may have been revoked.",
                    mask(&key)
                )))
            }
        },
    };
    Ok(Caller { account })
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn keys_are_masked_but_recognisable() {
        assert_eq!(mask("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(mask("sk_live_x"), "sk_live_x");
        assert_eq!(mask("garbage-key"), "*******-key");
    }
}
