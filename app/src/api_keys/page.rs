use super::api::{list_api_keys, revealed_api_key, CreateApiKey, RevokeApiKey};
use super::types::{ApiKeyCreated, ApiKeyView, ApiKeysView, ApiScope};
use crate::components::feedback::{field_error, ActionError, EmptyState, ErrorView, Loading};
use crate::components::revealed;
use crate::time_fmt::datetime;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    // Made here, once per page: the body below may render more than once, and the token can
    // be spent only once.
    let kept = revealed::kept(revealed_api_key);
    let data = Resource::new(|| (), |_| list_api_keys());
    view! {
        <Title text="API keys"/>
        <crate::connections::SettingsTabs current="/settings/api-keys"/>
        <ActionError value=revoke.value()/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <ApiKeysBody view create revoke kept/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ApiKeysBody(
    view: ApiKeysView,
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    kept: Resource<Option<ApiKeyCreated>>,
) -> impl IntoView {
    let can_manage = view.can_manage;
    let base = view.base_url.clone();
    let empty = view.keys.is_empty();
    view! {
        {can_manage.then(|| view! { <CreateKey create kept base=base.clone()/> })}
        <section class="panel">
            <h2>"Keys"</h2>
            {empty.then(|| view! {
                <EmptyState title="No API keys yet"
                    text="A till or script calls the Terminal Fleet API with a key. Create one above; it is shown once."/>
            })}
            {(!empty).then(|| view! {
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Scope"</th>
                                <th scope="col">"Key"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Last used"</th>
                                {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                            </tr>
                        </thead>
                        <tbody>
                            {view.keys.into_iter().map(|k| view! { <KeyRow k can_manage revoke/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <p class="muted">
                "The API is documented at " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a>
                " (OpenAPI 3.1). Send the key as " <code>"Authorization: Bearer …"</code> "."
            </p>
        </section>
    }
}

#[component]
fn KeyRow(k: ApiKeyView, can_manage: bool, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let revoked = k.revoked_at.is_some();
    view! {
        <tr class=revoked.then_some("muted-row")>
            <td>
                <strong>{k.name.clone()}</strong>
                {k.created_by.clone().map(|by| view! { <div class="muted small">{format!("by {by}")}</div> })}
            </td>
            <td><span class="badge">{k.scope.label()}</span></td>
            <td><code>{format!("{}…", k.prefix)}</code></td>
            <td>{datetime(k.created_at)}</td>
            <td>{match (k.revoked_at, k.last_used_at) {
                (Some(at), _) => format!("Revoked {}", datetime(at)),
                (None, Some(at)) => datetime(at),
                (None, None) => "Never".to_string(),
            }}</td>
            {can_manage.then(|| view! {
                <td class="actions">
                    {(!revoked).then(|| view! {
                        <ActionForm action=revoke attr:class="inline-form">
                            <input type="hidden" name="id" value=k.id.clone()/>
                            <button type="submit" class="button small danger"
                                aria-label=format!("Revoke {}", k.name)>"Revoke"</button>
                        </ActionForm>
                    })}
                </td>
            })}
        </tr>
    }
}

/// A key made by a form sent before hydration, shown once (see `components::revealed`).
#[component]
fn Revealed(kept: Resource<Option<ApiKeyCreated>>, base: String) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let base = base.clone();
                Suspend::new(async move { kept.await.map(|created| key_flash(created, &base)) })
            }}
        </Suspense>
    }
}

fn key_flash(created: ApiKeyCreated, base: &str) -> impl IntoView {
    let example = format!(
        "curl {base}/readers -H \"Authorization: Bearer {}\"",
        created.secret
    );
    view! {
        <div class="flash flash-ok" role="status">
            <p>{format!("Key “{}” created ({}). Copy it now: it will not be shown again.", created.name, created.scope.label())}</p>
            <label for="new-key-secret">"Secret key"</label>
            <input id="new-key-secret" class="copy-field" type="text" readonly value=created.secret.clone()/>
            <label for="new-key-example">"Try it"</label>
            <input id="new-key-example" class="copy-field" type="text" readonly value=example/>
        </div>
    }
}

#[component]
fn CreateKey(
    create: ServerAction<CreateApiKey>,
    kept: Resource<Option<ApiKeyCreated>>,
    base: String,
) -> impl IntoView {
    let name_error = field_error(create.value(), "name");
    let scope_error = field_error(create.value(), "scope");
    view! {
        <section class="panel">
            <h2>"Create an API key"</h2>
            <p class="muted">
                "For point-of-sale software: a till starts a payment on a reader and learns its outcome through "
                <code>{base.clone()}</code> "."
            </p>
            {
                let base = base.clone();
                move || create.value().get().and_then(|r| r.ok()).map(|created| key_flash(created, &base))
            }
            <Revealed kept base=base.clone()/>
            <ActionForm action=create attr:class="grid-form">
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" type="text" name="name" required maxlength="80"
                        placeholder="Till 3, Main Street"
                        aria-invalid=move || name_error().is_some().to_string()
                        aria-describedby="key-name-error"/>
                    <span id="key-name-error" class="field-error" role="alert">{name_error}</span>
                </div>
                <div class="field">
                    <label for="key-scope">"Scope"</label>
                    <select id="key-scope" name="scope" aria-describedby="key-scope-error">
                        {ApiScope::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=s == ApiScope::Pos>{format!("{} — {}", s.label(), s.describe())}</option>
                        }).collect_view()}
                    </select>
                    <span id="key-scope-error" class="field-error" role="alert">{scope_error}</span>
                </div>
                <div class="field end">
                    <button type="submit" class="button primary">"Create key"</button>
                </div>
            </ActionForm>
        </section>
    }
}
