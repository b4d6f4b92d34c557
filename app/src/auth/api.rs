use crate::error::AppError;
use crate::model::Me;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::ssr::auth_service,
    crate::ssr::{caller, AppState},
};

/// Where to go after signing in: a path on this site, or `/`.
///
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or
/// `/\evil.example` would leave the site; anything but printable ASCII (which the `Location`
/// header could not carry either) is refused rather than cleaned up.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The signed-in user and their current tenant, or `None` when signed out.
#[server(prefix = "/sf", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    match caller::signed_in_user().await {
        Ok(c) => {
            let (user_id, email) = c.member().map(|(u, e)| (u.to_string(), e.to_string()))?;
            Ok(Some(Me {
                user_id,
                email,
                tenant: crate::model::TenantChoice {
                    support_until: c
                        .tenants
                        .iter()
                        .find(|t| t.id == c.tenant_id)
                        .and_then(|t| t.support_until),
                    id: c.tenant_id,
                    name: c.tenant_name,
                    role: c.role,
                },
                tenants: c.tenants,
            }))
        }
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

#[server(prefix = "/sf", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    organisation: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = AppState::current()?;
    let session = caller::session().await?;
    let meta = caller::client_meta().await;
    auth_service::sign_up(
        &state,
        &session,
        &meta,
        auth_service::SignUp {
            email,
            password,
            organisation: organisation.unwrap_or_default(),
        },
    )
    .await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/sf", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    crate::validate::email_length(&email)?;
    let state = AppState::current()?;
    let session = caller::session().await?;
    let meta = caller::client_meta().await;
    auth_service::sign_in(&state, &session, &meta, &email, password).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Works for every signed-in user, including one who no longer belongs to any organisation.
#[server(prefix = "/sf", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    match caller::signed_in_user().await {
        Ok(c) => auth_service::sign_out(&c).await?,
        Err(AppError::Unauthenticated) => {}
        Err(e) => return Err(e),
    }
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/sf", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    let c = caller::signed_in().await?;
    if new_password != confirm_password {
        return Err(AppError::invalid(
            "confirm_password",
            "The two new passwords are not the same.",
        ));
    }
    auth_service::change_password(&c, current_password, new_password).await
}

#[server(prefix = "/sf", endpoint = "switch_tenant")]
pub async fn switch_tenant(tenant_id: String) -> Result<(), AppError> {
    let c = caller::signed_in().await?;
    auth_service::switch_tenant(&c, &tenant_id).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Creates another organisation, owned by the caller, and switches to it.
#[server(prefix = "/sf", endpoint = "create_tenant")]
pub async fn create_tenant(name: String) -> Result<(), AppError> {
    let c = caller::signed_in_user().await?;
    super::ssr::tenants_service::create(&c, &name).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Renames the current organisation (owners only).
#[server(prefix = "/sf", endpoint = "rename_tenant")]
pub async fn rename_tenant(name: String) -> Result<(), AppError> {
    let c = crate::ssr::require(crate::model::Permission::ManageTenant).await?;
    super::ssr::tenants_service::rename(&c, &name).await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for ok in [
            "/",
            "/readers",
            "/readers?status=online&page=2",
            "/payments/pi_1#top",
        ] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        let hostile = [
            "",
            "readers",
            "https://evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\0",
            "/\u{7f}",
            "/ /evil.example",
            " /evil.example",
            "/readers\\..\\evil",
            "/\u{a0}/evil.example",
            "/\u{3000}/evil.example",
            "/\u{2028}",
            "/caf\u{e9}",
            "\t//evil.example",
            "javascript:alert(1)",
        ];
        for bad in hostile {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
