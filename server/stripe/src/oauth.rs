//! Connect OAuth (`connect.stripe.com/oauth/…`): the consent URL a platform sends an account
//! holder to, and the code exchange and deauthorization it calls afterwards. Another host and
//! another error shape (`{"error", "error_description"}`) than `/v1`, so its own small module.

use crate::client::{SecretKey, StripeClient};
use crate::error::{ApiError, StripeError};
use serde::Deserialize;

/// The answer to a code exchange. Only `stripe_user_id` is kept: calls then use the platform
/// key with `Stripe-Account`, so the access token (a key for the account) is dropped unused.
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthToken {
    pub stripe_user_id: String,
    pub scope: Option<String>,
    #[serde(default)]
    pub livemode: bool,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    error_description: Option<String>,
}

/// The consent page URL for `client_id`, asking for read-write access.
pub fn authorize_url(
    connect_base: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("scope", "read_write")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .finish();
    format!(
        "{}/oauth/authorize?{query}",
        connect_base.trim_end_matches('/')
    )
}

impl StripeClient {
    async fn oauth_post<T: serde::de::DeserializeOwned>(
        &self,
        connect_base: &str,
        path: &str,
        platform: &SecretKey,
        form: &[(&str, &str)],
    ) -> Result<T, StripeError> {
        let url = format!("{}{path}", connect_base.trim_end_matches('/'));
        let response = self
            .http()
            .post(&url)
            .bearer_auth(platform.expose())
            .form(form)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    StripeError::Timeout(30)
                } else {
                    StripeError::Transport(e.to_string())
                }
            })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| StripeError::Transport(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| StripeError::Decode(e.to_string()));
        }
        let body: Option<OAuthErrorBody> = serde_json::from_slice(&bytes).ok();
        Err(StripeError::Api(Box::new(ApiError {
            kind: "oauth_error".into(),
            code: body.as_ref().map(|b| b.error.clone()),
            message: body
                .and_then(|b| b.error_description)
                .or_else(|| Some(format!("HTTP {status} without an OAuth error body"))),
            status: status.as_u16(),
            ..Default::default()
        })))
    }

    /// Exchanges an authorization code for the connected account's id.
    pub async fn oauth_token(
        &self,
        connect_base: &str,
        platform: &SecretKey,
        code: &str,
    ) -> Result<OAuthToken, StripeError> {
        self.oauth_post(
            connect_base,
            "/oauth/token",
            platform,
            &[("grant_type", "authorization_code"), ("code", code)],
        )
        .await
    }

    /// Ends the platform's access to `account` (an account that came through OAuth).
    pub async fn oauth_deauthorize(
        &self,
        connect_base: &str,
        platform: &SecretKey,
        client_id: &str,
        account: &str,
    ) -> Result<(), StripeError> {
        #[derive(Deserialize)]
        struct Answer {}
        self.oauth_post::<Answer>(
            connect_base,
            "/oauth/deauthorize",
            platform,
            &[("client_id", client_id), ("stripe_user_id", account)],
        )
        .await
        .map(|_| ())
    }
}
