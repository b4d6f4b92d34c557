use super::api::{current_user, ChangePassword, CreateTenant, RenameTenant, SignIn, SignUp};
use crate::components::current_user::CurrentUser;
use crate::components::done::succeeded;
use crate::components::feedback::{field_error, ActionError, Loading};
use crate::validate::MIN_PASSWORD_CHARS;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// Sends a signed-in visitor of the sign-in or sign-up page on to the app.
#[component]
fn RedirectIfSignedIn() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                matches!(me.await, Ok(Some(_))).then(|| view! { <Redirect path="/"/> })
            })}
        </Suspense>
    }
}

#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main class="auth-page">
            <div class="auth-card">
                <a class="brand auth-brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"▣"</span>
                    "Terminal Fleet"
                </a>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let signup_href = move || {
        let n = next();
        if n.is_empty() {
            "/signup".to_string()
        } else {
            format!("/signup?next={n}")
        }
    };
    view! {
        <RedirectIfSignedIn/>
        <AuthCard title="Sign in">
            <ActionError value=action.value()/>
            <ActionForm action attr:class="stack">
                <input type="hidden" name="next" value=next/>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
            <p class="muted">"New to Terminal Fleet? " <a href=signup_href>"Create an account"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let email_hint = move || query.read().get("email").unwrap_or_default();
    let email_err = field_error(action.value(), "email");
    let password_err = field_error(action.value(), "password");
    view! {
        <RedirectIfSignedIn/>
        <AuthCard title="Create your account">
            <ActionError value=action.value()/>
            <ActionForm action attr:class="stack">
                <input type="hidden" name="next" value=next/>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required
                    value=email_hint aria-invalid=move || email_err().is_some().to_string()/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="new-password" required
                    minlength=MIN_PASSWORD_CHARS.to_string() aria-describedby="password-help"
                    aria-invalid=move || password_err().is_some().to_string()/>
                <p id="password-help" class="help">
                    {format!("At least {MIN_PASSWORD_CHARS} characters, and not your email address.")}
                </p>
                <label for="organisation">"Organisation name " <span class="muted">"(optional)"</span></label>
                <input id="organisation" type="text" name="organisation" autocomplete="organization"
                    placeholder="e.g. Blue Bottle Cafés"/>
                <p class="help">"You will be its owner. You can invite your team afterwards."</p>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Create account"
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let rename = ServerAction::<RenameTenant>::new();
    let create = ServerAction::<CreateTenant>::new();
    let me = use_context::<CurrentUser>();
    let renamed = succeeded(rename);
    let done = succeeded(action);
    view! {
        <Title text="Settings"/>
        <crate::connections::SettingsTabs current="/settings"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let me = CurrentUser::get(me).await;
                view! { <AccountFacts me/> }
            })}
        </Suspense>
        <section class="panel">
            <h2>"Change password"</h2>
            <p class="muted">"Changing your password signs you out everywhere else."</p>
            <ActionError value=action.value()/>
            <Show when=move || done.get()>
                <div class="flash flash-ok" role="status">"Password changed. Other sessions were signed out."</div>
            </Show>
            <ActionForm action attr:class="stack narrow">
                <label for="current_password">"Current password"</label>
                <input id="current_password" type="password" name="current_password" autocomplete="current-password" required/>
                <label for="new_password">"New password"</label>
                <input id="new_password" type="password" name="new_password" autocomplete="new-password" required
                    minlength=MIN_PASSWORD_CHARS.to_string()/>
                <label for="confirm_password">"Repeat the new password"</label>
                <input id="confirm_password" type="password" name="confirm_password" autocomplete="new-password" required/>
                <button type="submit" class="button primary">"Change password"</button>
            </ActionForm>
        </section>
        <Suspense>
            {move || Suspend::new(async move {
                let me = CurrentUser::get(me).await;
                let is_owner = me.as_ref().is_some_and(|m| m.can(crate::model::Permission::ManageTenant));
                let org_name = me.map(|m| m.tenant.name).unwrap_or_default();
                is_owner.then(|| view! {
                    <section class="panel">
                        <h2>"Organisation"</h2>
                        <ActionError value=rename.value()/>
                        <Show when=move || renamed.get()>
                            <div class="flash flash-ok" role="status">"Renamed. Reload to see the new name in the header."</div>
                        </Show>
                        <ActionForm action=rename attr:class="stack narrow">
                            <label for="org-name">"Organisation name"</label>
                            <input id="org-name" type="text" name="name" required value=org_name/>
                            <button type="submit" class="button">"Rename"</button>
                        </ActionForm>
                    </section>
                })
            })}
        </Suspense>
        <section class="panel">
            <h2>"Another organisation"</h2>
            <p class="muted">"Run several businesses or franchises? Each organisation has its own Stripe connection, readers and members; switch between them from the header."</p>
            <ActionError value=create.value()/>
            <ActionForm action=create attr:class="stack narrow">
                <label for="new-org">"New organisation name"</label>
                <input id="new-org" type="text" name="name" required/>
                <button type="submit" class="button">"Create organisation"</button>
            </ActionForm>
        </section>
    }
}

/// The signed-in user's email, organisation and role.
#[component]
fn AccountFacts(me: Option<crate::model::Me>) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Your account"</h2>
            <dl class="facts">
                <dt>"Email"</dt>
                <dd>{me.as_ref().map(|m| m.email.clone())}</dd>
                <dt>"Organisation"</dt>
                <dd>{me.as_ref().map(|m| m.tenant.name.clone())}</dd>
                <dt>"Your role"</dt>
                <dd>{me.as_ref().map(|m| m.tenant.role.label())}</dd>
            </dl>
        </section>
    }
}
