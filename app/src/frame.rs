//! The signed-in frame around every page of the app: header with tenant switcher, live
//! indicator and user menu, navigation, and the page. The app's shell, so it may use any
//! feature (auth for the user, live for the stream); no feature uses it.

use crate::auth::{current_user, CreateTenant};
use crate::components::current_user::{AskCurrentUser, CurrentUser};
use crate::components::feedback::{ActionError, ErrorView};
use crate::model::{Me, Permission};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

/// The page (the `Outlet`) sits outside the `Suspense` that waits for the user. A `Suspense`
/// runs its children again once what it waits for has arrived, so a page created inside it
/// would be created twice while the server renders it, and load its data twice.
#[component]
pub fn Frame() -> impl IntoView {
    let location = use_location();
    let me = Resource::new(|| (), |_| current_user());
    provide_context(CurrentUser(me));
    view! {
        <Suspense fallback=|| view! { <header class="topbar" aria-busy="true"></header> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.tenants.is_empty() => view! { <NoOrganisation/> }.into_any(),
                    Ok(Some(me)) => view! { <Topbar me/> }.into_any(),
                    Ok(None) => {
                        let here = location.pathname.get_untracked();
                        let next = if here == "/" { String::new() } else { format!("?next={here}") };
                        view! { <Redirect path=format!("/login{next}")/> }.into_any()
                    }
                    Err(error) => view! { <div class="page"><ErrorView error/></div> }.into_any(),
                }
            })}
        </Suspense>
        <div class="frame">
            <nav class="sidebar" aria-label="Main">
                <A href="/" exact=true>"Overview"</A>
                <A href="/stores">"All stores"</A>
                <A href="/locations">"Locations"</A>
                <A href="/readers">"Readers"</A>
                <A href="/transactions">"Transactions"</A>
                <Suspense>
                    {move || Suspend::new(async move {
                        let can_audit = matches!(me.await, Ok(Some(me)) if me.can(Permission::ViewAudit));
                        can_audit.then(|| view! {
                            <A href="/webhook-events">"Events"</A>
                            <A href="/audit">"Audit"</A>
                        })
                    })}
                </Suspense>
                <A href="/settings">"Settings"</A>
            </nav>
            <main id="main" class="page">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn Topbar(me: Me) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"▣"</span>
                "Terminal Fleet"
            </a>
            <TenantSwitcher me=me.clone()/>
            {live_indicator(&me)}
            <UserMenu email=me.email.clone()/>
        </header>
    }
}

/// The header's live indicator: the island that opens the page's stream.
fn live_indicator(me: &Me) -> impl IntoView {
    // All stores follows every organisation of the user, each other page the current one.
    let url = if use_location().pathname.get_untracked() == "/stores" {
        "/events?all=1"
    } else {
        "/events"
    };
    #[cfg(feature = "ssr")]
    let since = Some(crate::live::rendered_at());
    #[cfg(not(feature = "ssr"))]
    let since = None;
    view! {
        <LiveStream url=url.to_string() since tenant=me.tenant.id.clone() role=me.tenant.role/>
    }
}

/// Opens the page's live stream and shows its state; regions of the page marked
/// [`crate::live::LiveRegion`] follow it.
#[island]
fn LiveStream(
    url: String,
    since: Option<i64>,
    tenant: String,
    role: crate::model::Role,
) -> impl IntoView {
    crate::live::provide_live_island(
        url,
        since,
        Some((tenant, role)),
        AskCurrentUser(|| Box::pin(current_user())),
    );
    view! { <crate::live::LiveIndicator/> }
}

/// A plain form: switching tenant reloads the whole page, so every view shows the new tenant.
/// An island, to submit when an organisation is chosen.
#[island]
fn TenantSwitcher(me: Me) -> impl IntoView {
    let current = me.tenant.id.clone();
    let role = me.tenant.role.label();
    if me.tenants.len() < 2 {
        return view! {
            <div class="tenant-current">
                <span class="tenant-name">{me.tenant.name.clone()}</span>
                <span class="badge">{role}</span>
            </div>
        }
        .into_any();
    }
    view! {
        <form class="tenant-switcher" method="post" action="/sf/switch_tenant">
            <label for="tenant-select" class="visually-hidden">"Organisation"</label>
            <select
                id="tenant-select"
                name="tenant_id"
                // A Leptos handler, not an inline `onchange`: the page's Content-Security-Policy
                // runs no inline script. Before hydration the Switch button submits.
                on:change=|ev| {
                    use leptos::wasm_bindgen::JsCast;
                    let form = ev
                        .target()
                        .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlSelectElement>().ok())
                        .and_then(|select| select.form());
                    if let Some(form) = form {
                        let _ = form.request_submit();
                    }
                }
            >
                {me
                    .tenants
                    .iter()
                    .map(|t| {
                        let selected = t.id == current;
                        let role = if t.support_until.is_some() {
                            "support, read-only"
                        } else {
                            t.role.label()
                        };
                        view! {
                            <option value=t.id.clone() selected=selected>
                                {format!("{} ({role})", t.name)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <button type="submit" class="button small">"Switch"</button>
        </form>
    }
    .into_any()
}

#[component]
fn UserMenu(email: String) -> impl IntoView {
    view! {
        <details class="user-menu">
            // The name starts with the visible email (WCAG 2.5.3, label in name) and says what
            // the control opens; on narrow screens, where the email is hidden, only the latter.
            <summary>
                <span class="avatar" aria-hidden="true">
                    {email.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('?').to_string()}
                </span>
                <span class="user-email">{email.clone()}</span>
                <span class="visually-hidden">" — account menu"</span>
            </summary>
            <div class="menu">
                <a href="/settings">"Account settings"</a>
                <a href="/settings/members">"Members"</a>
                <form method="post" action="/sf/sign_out">
                    <button type="submit" class="link-button">"Sign out"</button>
                </form>
            </div>
        </details>
    }
}

/// A signed-in user who belongs to no organisation (the last one removed them): they can start
/// their own or wait for an invite. The stylesheet hides the frame that follows it.
#[component]
fn NoOrganisation() -> impl IntoView {
    let create = ServerAction::<CreateTenant>::new();
    view! {
        <main class="auth-page no-organisation">
            <div class="auth-card">
                <h1>"No organisation"</h1>
                <p>"You do not belong to any organisation any more. Open an invite link from an owner, or start your own."</p>
                <ActionError value=create.value()/>
                <ActionForm action=create attr:class="stack">
                    <label for="new-org-name">"Organisation name"</label>
                    <input id="new-org-name" type="text" name="name" required/>
                    <button type="submit" class="button primary">"Create organisation"</button>
                </ActionForm>
                <form method="post" action="/sf/sign_out">
                    <button type="submit" class="button subtle">"Sign out"</button>
                </form>
            </div>
        </main>
    }
}
