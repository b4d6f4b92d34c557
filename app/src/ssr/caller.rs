//! Who is calling: the session's user, the tenant they work in and their role there. Every server
//! function starts here, so membership and role are checked on the server on every call.

use super::audit::Entry;
use super::client_meta::ClientMeta;
use super::db::Db;
use super::identity::identity;
pub use super::identity::{tenants_of, Identity};
use super::session_store::{TENANT_KEY, USER_KEY};
use super::state::AppState;
use super::support_access;
use crate::error::{AppError, AppResult};
use crate::model::{Permission, Role, TenantChoice};
use tower_sessions::Session;

/// Who is behind a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person signed in through the browser.
    Member { user_id: String, email: String },
    /// An API key acting in its tenant: the key's id, and how the audit log names it
    /// (`API key <name>`).
    ApiKey { id: String, label: String },
}

impl Principal {
    /// The member's or the key's id: what is held per principal (exports, long polls,
    /// idempotency keys) and what location grants are looked up by (a key holds none).
    pub fn id(&self) -> &str {
        match self {
            Principal::Member { user_id, .. } => user_id,
            Principal::ApiKey { id, .. } => id,
        }
    }

    /// How the audit log names the actor: the member's email or the key's label.
    pub fn name(&self) -> &str {
        match self {
            Principal::Member { email, .. } => email,
            Principal::ApiKey { label, .. } => label,
        }
    }

    /// The user behind the call; `None` for an API key.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Principal::Member { user_id, .. } => Some(user_id),
            Principal::ApiKey { .. } => None,
        }
    }

    /// The API key's id, when a key is calling.
    pub fn api_key(&self) -> Option<&str> {
        match self {
            Principal::Member { .. } => None,
            Principal::ApiKey { id, .. } => Some(id),
        }
    }
}

/// A signed-in user in the tenant they are working in, with the permission already checked, or
/// an API key acting in its tenant. Services take this as the tenant scope, so a query cannot
/// forget which tenant it serves.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub tenant_id: String,
    pub tenant_name: String,
    pub role: Role,
    pub tenants: Vec<TenantChoice>,
    pub meta: ClientMeta,
    pub state: AppState,
    /// The browser session; `None` for an API key.
    pub session: Option<Session>,
}

impl Caller {
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }

    /// The browser session, for acting on the account itself (API keys have none).
    pub fn session(&self) -> AppResult<&Session> {
        self.session.as_ref().ok_or_else(AppError::forbidden)
    }

    /// The user behind the call, for audit entries and foreign keys; `None` for an API key.
    pub fn person(&self) -> Option<&str> {
        self.principal.user_id()
    }

    /// The signed-in member's user id and email, for what only a person does (their password,
    /// their organisations); an API key is refused.
    pub fn member(&self) -> AppResult<(&str, &str)> {
        match &self.principal {
            Principal::Member { user_id, email } => Ok((user_id, email)),
            Principal::ApiKey { .. } => Err(AppError::forbidden()),
        }
    }
}

/// Audit entries made by a caller are started here, beside the caller, so that writing the
/// audit log (`super::audit`) depends on nothing that resolves callers.
impl<'a> Entry<'a> {
    /// An action by `caller` in their current tenant (an API key is named in `actor_email`).
    pub fn by(caller: &'a Caller, action: &'a str) -> Self {
        Entry {
            tenant_id: Some(&caller.tenant_id),
            actor_user_id: caller.person(),
            actor_email: Some(caller.principal.name()),
            action,
            ..Entry::default()
        }
    }
}

pub async fn session() -> AppResult<Session> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::internal_with("session layer missing", e))
}

pub async fn client_meta() -> ClientMeta {
    leptos_axum::extract::<axum::Extension<ClientMeta>>()
        .await
        .map(|axum::Extension(meta)| meta)
        .unwrap_or_default()
}

/// A session store failure: logged, answered as our fault.
pub fn session_err(e: tower_sessions::session::Error) -> AppError {
    AppError::internal_with("session store error", e)
}

/// The signed-in user's id, if any.
pub async fn current_user_id(session: &Session) -> AppResult<Option<String>> {
    session.get::<String>(USER_KEY).await.map_err(session_err)
}

/// Resolves the caller without checking a permission: any member of the current tenant.
pub async fn signed_in() -> AppResult<Caller> {
    let caller = signed_in_user().await?;
    if caller.tenant_id.is_empty() {
        return Err(AppError::Forbidden(
            "You no longer belong to any organisation. Ask an owner for a new invite, or create an organisation in Settings.".into(),
        ));
    }
    Ok(caller)
}

/// Who is calling, worked out once per page render: the frame and the page's data each ask,
/// and a page is one request of one session, so the second asking gets the first answer.
/// Only pages carry one (`server::router` provides it); every server-function request, which
/// may change the session, resolves its caller afresh.
#[derive(Clone, Default)]
pub struct CallerMemo(std::sync::Arc<tokio::sync::OnceCell<Caller>>);

/// The signed-in user even when they belong to no tenant (then `tenant_id` is empty and the
/// role is the least privileged): only for acting on the account itself.
pub async fn signed_in_user() -> AppResult<Caller> {
    let memo = leptos::prelude::use_context::<CallerMemo>();
    let state = AppState::current()?;
    let resolve_now = || async { resolve(state, session().await?, client_meta().await).await };
    match memo {
        Some(CallerMemo(memo)) => memo.get_or_try_init(resolve_now).await.cloned(),
        None => resolve_now().await,
    }
}

/// Resolves the caller from explicit parts, for handlers outside Leptos (the SSE stream).
pub async fn resolve(state: AppState, session: Session, meta: ClientMeta) -> AppResult<Caller> {
    let Some(user_id) = current_user_id(&session).await? else {
        return Err(AppError::Unauthenticated);
    };
    let Some(Identity { email, tenants }) = cached_identity(&state, &user_id).await? else {
        // The user was deleted while signed in.
        session.flush().await.map_err(session_err)?;
        return Err(AppError::Unauthenticated);
    };
    let wanted: Option<String> = session.get(TENANT_KEY).await.map_err(session_err)?;
    // The session's tenant must still be one the user belongs to; membership can be revoked
    // at any time, so it is looked up on every call rather than trusted from the session.
    let tenant = current_tenant(&tenants, wanted.as_deref()).cloned();
    let tenant = match tenant {
        Some(tenant) => {
            // Written only when it changes: an unchanged session is not saved again, which
            // keeps reads from costing a database write.
            if wanted.as_deref() != Some(tenant.id.as_str()) {
                session
                    .insert(TENANT_KEY, tenant.id.clone())
                    .await
                    .map_err(session_err)?;
            }
            tenant
        }
        None => TenantChoice {
            id: String::new(),
            name: String::new(),
            role: Role::Auditor,
            support_until: None,
        },
    };
    if tenant.support_until.is_some() {
        support_access::audit_view(&state, &user_id, &email, &tenant.id, &meta).await;
    }
    Ok(Caller {
        principal: Principal::Member { user_id, email },
        tenant_id: tenant.id,
        tenant_name: tenant.name,
        role: tenant.role,
        tenants,
        meta,
        state,
        session: Some(session),
    })
}

/// The tenant a session works in: the one it chose while the user still belongs to it, else
/// their first. The live streams' re-checks use this too, so they follow exactly what pages show.
pub fn current_tenant<'a>(
    tenants: &'a [TenantChoice],
    wanted: Option<&str>,
) -> Option<&'a TenantChoice> {
    wanted
        .and_then(|id| tenants.iter().find(|t| t.id == id))
        .or_else(|| tenants.first())
}

/// Makes `tenant_id` the session's current tenant. It is stored now rather than when the response
/// is sent, and the user's open streams are told, so every tab of the user follows at once
/// instead of showing one organisation's data under another's header.
pub async fn enter_tenant(
    state: &AppState,
    session: &Session,
    user_id: &str,
    tenant_id: &str,
) -> AppResult<()> {
    session
        .insert(TENANT_KEY, tenant_id.to_string())
        .await
        .map_err(session_err)?;
    session.save().await.map_err(session_err)?;
    state.bus.publish_session_change(user_id).await;
    Ok(())
}

/// The caller, refused unless their role in the current tenant grants `permission`.
pub async fn require(permission: Permission) -> AppResult<Caller> {
    let caller = signed_in().await?;
    if !caller.can(permission) {
        return Err(AppError::forbidden());
    }
    Ok(caller)
}

/// [`identity`], from this instance's cache when read a moment ago. Whatever changes it
/// publishes a session change for the user (`super::bus`), which drops the cached one first;
/// a support grant that has run out since it was read is left out here.
async fn cached_identity(state: &AppState, user_id: &str) -> AppResult<Option<Identity>> {
    let cache = state.bus.cache();
    let now = super::ids::now_ms();
    if let Some(held) = cache.identity(user_id) {
        return Ok(Some(Identity {
            email: held.email.clone(),
            tenants: held
                .tenants
                .iter()
                .filter(|t| t.support_until.is_none_or(|until| until > now))
                .cloned()
                .collect(),
        }));
    }
    let since = cache.epoch();
    let found = identity(&state.db, user_id).await?;
    if let Some(found) = &found {
        cache.keep_identity(since, user_id, std::sync::Arc::new(found.clone()));
    }
    Ok(found)
}
