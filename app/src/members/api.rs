use super::types::{InviteCreated, InviteInfo, MembersView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::Permission;
#[cfg(feature = "ssr")]
use {
    super::ssr::members_service,
    crate::ssr::{caller, require, reveal, AppState},
};

/// What an invite link made by a plain form post waits as (see `crate::ssr::reveal`).
#[cfg(feature = "ssr")]
const REVEAL_KIND: &str = "invite";

#[server(prefix = "/sf", endpoint = "list_members")]
pub async fn list_members() -> Result<MembersView, AppError> {
    let c = require(Permission::View).await?;
    members_service::list(&c).await
}

#[server(prefix = "/sf", endpoint = "invite_member")]
pub async fn invite_member(email: String, role: String) -> Result<InviteCreated, AppError> {
    let c = require(Permission::ManageMembers).await?;
    let made = members_service::invite(&c, &email, &role).await?;
    reveal::hand_over(&c, REVEAL_KIND, "/settings/members", &made).await?;
    Ok(made)
}

/// An invite link made by a form sent as plain HTML, handed to the page it redirected to (see
/// `crate::ssr::reveal`); nothing once taken.
#[server(prefix = "/sf", endpoint = "revealed_invite")]
pub async fn revealed_invite(token: String) -> Result<Option<InviteCreated>, AppError> {
    let c = require(Permission::ManageMembers).await?;
    reveal::take(&c, REVEAL_KIND, &token).await
}

#[server(prefix = "/sf", endpoint = "revoke_invite")]
pub async fn revoke_invite(invite_id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageMembers).await?;
    members_service::revoke_invite(&c, &invite_id).await
}

#[server(prefix = "/sf", endpoint = "change_member_role")]
pub async fn change_member_role(user_id: String, role: String) -> Result<(), AppError> {
    let c = require(Permission::ManageMembers).await?;
    members_service::change_role(&c, &user_id, &role).await
}

#[server(prefix = "/sf", endpoint = "remove_member")]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    let c = require(Permission::ManageMembers).await?;
    members_service::remove(&c, &user_id).await
}

/// What an invite link offers; readable without signing in, since the token is the secret.
#[server(prefix = "/sf", endpoint = "invite_details")]
pub async fn invite_details(token: String) -> Result<InviteInfo, AppError> {
    let state = AppState::current()?;
    let signed_in_as = match caller::signed_in().await {
        Ok(c) => Some(c.member()?.1.to_string()),
        Err(AppError::Unauthenticated) => None,
        Err(AppError::Forbidden(_)) => None,
        Err(e) => return Err(e),
    };
    members_service::invite_info(&state, &token, signed_in_as).await
}

#[server(prefix = "/sf", endpoint = "accept_invite")]
pub async fn accept_invite(token: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    let session = caller::session().await?;
    let Some(user_id) = caller::current_user_id(&session).await? else {
        return Err(AppError::Unauthenticated);
    };
    let meta = caller::client_meta().await;
    members_service::accept(&state, &session, &meta, &user_id, &token).await?;
    leptos_axum::redirect("/");
    Ok(())
}
