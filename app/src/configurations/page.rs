//! Settings → Reader configurations: each Stripe account's configurations, their tipping,
//! splash screens (with a preview served by our server) and reboot window; managers create,
//! edit, delete, copy one into the account default, and upload splash screens.

use super::api::{
    list_configurations, CopyConfigurationToDefault, CreateConfiguration, DeleteConfiguration,
    RemoveSplashscreen, UpdateConfiguration,
};
use super::types::{
    AccountConfigurations, ConfigurationEntry, ConfigurationView, SplashOutcome, DEVICE_TYPES,
    TIPPING_SLOTS,
};
use crate::components::feedback::{ActionError, EmptyState, ErrorView, Loading};
use crate::error::AppError;
use crate::money::{format_amount, CURRENCIES};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Where the upload form posts (an axum route: multipart works before hydration).
pub const SPLASH_UPLOAD_PATH: &str = "/configurations/splash";

/// Where a splash screen's preview is served, scoped to the caller's organisation.
pub fn splash_url(connection_id: &str, file_id: &str) -> String {
    format!("/configurations/{connection_id}/splash/{file_id}")
}

/// What the page says after a form of it succeeded: every change lands on this page again.
fn notice() -> Option<&'static str> {
    use crate::components::done::just_done;
    [
        (
            just_done::<CreateConfiguration>(),
            "Configuration created in Stripe.",
        ),
        (
            just_done::<UpdateConfiguration>(),
            "Configuration saved in Stripe.",
        ),
        (just_done::<DeleteConfiguration>(), "Configuration deleted."),
        (
            just_done::<CopyConfigurationToDefault>(),
            "Settings copied into the account default.",
        ),
        (just_done::<RemoveSplashscreen>(), "Splash screen removed."),
    ]
    .into_iter()
    .find_map(|(done, notice)| done.then_some(notice))
}

#[component]
pub fn ConfigurationsPage() -> impl IntoView {
    let query = use_query_map();
    let splash = move || {
        query
            .read()
            .get("splash")
            .and_then(|w| SplashOutcome::parse(&w))
    };
    let data = Resource::new(|| (), |_| list_configurations());
    view! {
        <Title text="Reader configurations"/>
        <crate::components::settings_tabs::SettingsTabs current="/settings/configurations"/>
        {move || splash().map(|o| {
            let class = if o.ok() { "flash flash-ok" } else { "flash flash-error" };
            let role = if o.ok() { "status" } else { "alert" };
            view! { <div class=class role=role>{o.sentence()}</div> }
        })}
        {notice().map(|n| view! { <div class="flash flash-ok" role="status">{n}</div> })}
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => {
                        let can_manage = view.can_manage;
                        let several = view.accounts.len() > 1;
                        view! {
                            <p class="help">
                                "What readers show and when they update: tipping per currency, a splash screen per device type, the reboot window. "
                                "Each Stripe account has a default that readers use unless their location picks another configuration (on the location's page)."
                            </p>
                            {view.accounts.is_empty().then(|| view! {
                                <EmptyState title="No Stripe account connected" text="Connect Stripe (the simulator needs no account) in Settings → Stripe."/>
                            })}
                            {view.accounts.into_iter().map(|account| view! {
                                <Account account can_manage several/>
                            }).collect_view()}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Account(account: AccountConfigurations, can_manage: bool, several: bool) -> impl IntoView {
    let connection_id = account.connection_id.clone();
    let heading = format!(
        "{}{}",
        account.connection_name,
        if account.simulated {
            " (simulated)"
        } else {
            ""
        }
    );
    view! {
        {several.then(|| view! { <h2 class="section-title">{heading.clone()}</h2> })}
        {account.error.clone().map(|e| view! {
            <div class="flash flash-error" role="alert">{format!("Stripe could not be read for {}: {e}", account.connection_name)}</div>
        })}
        {account.configurations.into_iter().map(|entry| view! {
            <Configuration entry connection_id=connection_id.clone() can_manage/>
        }).collect_view()}
        {(can_manage && account.error.is_none()).then(|| view! {
            <CreateConfigurationForm connection_id=connection_id.clone()/>
        })}
    }
}

#[component]
fn Configuration(
    entry: ConfigurationEntry,
    connection_id: String,
    can_manage: bool,
) -> impl IntoView {
    let c = entry.configuration;
    let heading_id = format!("cfg-{}", c.id);
    let title = c.title();
    view! {
        <section class="panel configuration" aria-labelledby=heading_id.clone() id=c.id.clone()>
            <div class="row-between">
                <h2 id=heading_id.clone()>{title.clone()}</h2>
                {c.is_account_default.then(|| view! { <span class="badge">"Account default"</span> })}
            </div>
            <Summary c=c.clone() connection_id=connection_id.clone()/>
            {if c.is_account_default {
                view! { <p class="muted small">"Used by every reader whose location picks no other configuration."</p> }.into_any()
            } else if entry.locations.is_empty() {
                view! { <p class="muted small">"No location uses it yet: pick it on a location's page."</p> }.into_any()
            } else {
                view! {
                    <p class="small">"Used at "
                        {entry.locations.iter().enumerate().map(|(i, l)| view! {
                            {(i > 0).then_some(", ")}
                            <a href=format!("/locations/{}", l.id)>{l.display_name.clone()}</a>
                        }).collect_view()}
                    </p>
                }.into_any()
            }}
            {can_manage.then(|| view! { <Manage c=c.clone() connection_id=connection_id.clone()/> })}
        </section>
    }
}

#[component]
fn Summary(c: ConfigurationView, connection_id: String) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>"Tipping"</dt>
            <dd>{if c.tipping.is_empty() {
                view! { <span class="muted">"No tipping screen"</span> }.into_any()
            } else {
                view! { <ul class="plain-list">{c.tipping.iter().map(|t| view! { <li>{t.summary()}</li> }).collect_view()}</ul> }.into_any()
            }}</dd>
            <dt>"Reboot window"</dt>
            <dd>{match c.reboot_window {
                Some((start, end)) => format!("{start:02}:00 – {end:02}:00, the reader's local time"),
                None => "Stripe's default".to_string(),
            }}</dd>
            <dt>"Splash screens"</dt>
            <dd>{if c.splash.is_empty() {
                view! { <span class="muted">"Stripe's default screen"</span> }.into_any()
            } else {
                view! {
                    <ul class="splash-list">
                        {c.splash.iter().map(|s| {
                            let label = DEVICE_TYPES.iter().find(|(d, _)| *d == s.device_type).map(|(_, l)| *l).unwrap_or("Reader");
                            view! {
                                <li>
                                    <img src=splash_url(&connection_id, &s.file_id) alt=format!("Splash screen for the {label}") loading="lazy" width="90"/>
                                    <span class="small">{label}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}</dd>
        </dl>
    }
}

/// The tipping rows, name and reboot window of a create or edit form; `key` keeps ids unique.
#[component]
fn Fields(
    key: String,
    initial: Option<ConfigurationView>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let is_default = initial.as_ref().is_some_and(|c| c.is_account_default);
    let name = initial
        .as_ref()
        .and_then(|c| c.name.clone())
        .unwrap_or_default();
    let tipping = initial
        .as_ref()
        .map(|c| c.tipping.clone())
        .unwrap_or_default();
    let reboot = initial.as_ref().and_then(|c| c.reboot_window);
    let message = move |field: String| {
        move || match error.get() {
            Some(e) => e.field_message(&field),
            None => None,
        }
    };
    let id = |what: &str| format!("{key}-{what}");
    let hours = |selected: Option<i64>| {
        (0..24)
            .map(|h| view! { <option value=h.to_string() selected=selected == Some(h)>{format!("{h:02}:00")}</option> })
            .collect_view()
    };
    view! {
        <div class="field">
            <label for=id("name")>"Name"{is_default.then(|| view! { <span class="muted">" (optional)"</span> })}</label>
            <input id=id("name") type="text" name="form[name]" maxlength="100" value=name
                required=!is_default placeholder="Cafés with tips"
                aria-describedby=id("name-error")/>
            <span id=id("name-error") class="field-error" role="alert">{message("name".into())}</span>
        </div>
        <fieldset class="tipping">
            <legend>"Tipping"</legend>
            <p class="help">"Readers show a tipping screen for a payment in a currency listed here. Suggest up to three percentages (0–100) and up to three fixed amounts; below the smart-tip threshold readers suggest the fixed amounts, above it the percentages. Leave a row empty to skip it."</p>
            {(0..TIPPING_SLOTS).map(|slot| {
                let n = slot + 1;
                let row = tipping.get(slot).cloned();
                let currency = row.as_ref().map(|t| t.currency.clone()).unwrap_or_default();
                let percentages = row.as_ref().map(|t| t.percentages.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")).unwrap_or_default();
                let fixed = row.as_ref().map(|t| t.fixed_amounts.iter().map(|a| amount_text(*a, &t.currency)).collect::<Vec<_>>().join(", ")).unwrap_or_default();
                let threshold = row.as_ref().and_then(|t| t.smart_tip_threshold.map(|a| amount_text(a, &t.currency))).unwrap_or_default();
                let field = |what: &str| format!("{what}_{n}");
                view! {
                    <div class="grid-form tipping-row">
                        <div class="field">
                            <label for=id(&field("currency"))>{format!("Currency {n}")}</label>
                            <select id=id(&field("currency")) name=format!("form[currency_{n}]") aria-describedby=id(&field("currency-error"))>
                                <option value="" selected=currency.is_empty()>"—"</option>
                                {CURRENCIES.iter().map(|c| view! { <option value=*c selected=*c == currency.as_str()>{c.to_uppercase()}</option> }).collect_view()}
                            </select>
                            <span id=id(&field("currency-error")) class="field-error" role="alert">{message(field("currency"))}</span>
                        </div>
                        <div class="field">
                            <label for=id(&field("percentages"))>"Percentages"</label>
                            <input id=id(&field("percentages")) type="text" name=format!("form[percentages_{n}]") value=percentages placeholder="15, 18, 20" aria-describedby=id(&field("percentages-error"))/>
                            <span id=id(&field("percentages-error")) class="field-error" role="alert">{message(field("percentages"))}</span>
                        </div>
                        <div class="field">
                            <label for=id(&field("fixed"))>"Fixed amounts"</label>
                            <input id=id(&field("fixed")) type="text" inputmode="decimal" name=format!("form[fixed_amounts_{n}]") value=fixed placeholder="1.00, 2.00, 3.00" aria-describedby=id(&field("fixed-error"))/>
                            <span id=id(&field("fixed-error")) class="field-error" role="alert">{message(field("fixed_amounts"))}</span>
                        </div>
                        <div class="field">
                            <label for=id(&field("threshold"))>"Smart-tip threshold"</label>
                            <input id=id(&field("threshold")) type="text" inputmode="decimal" name=format!("form[threshold_{n}]") value=threshold placeholder="10.00" aria-describedby=id(&field("threshold-error"))/>
                            <span id=id(&field("threshold-error")) class="field-error" role="alert">{message(field("threshold"))}</span>
                        </div>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <fieldset class="grid-form">
            <legend>"Reboot window (the reader's local time; empty: Stripe's default)"</legend>
            <div class="field">
                <label for=id("reboot-start")>"From"</label>
                <select id=id("reboot-start") name="form[reboot_start]" aria-describedby=id("reboot-start-error")>
                    <option value="" selected=reboot.is_none()>"—"</option>
                    {hours(reboot.map(|r| r.0))}
                </select>
                <span id=id("reboot-start-error") class="field-error" role="alert">{message("reboot_start".into())}</span>
            </div>
            <div class="field">
                <label for=id("reboot-end")>"Until"</label>
                <select id=id("reboot-end") name="form[reboot_end]" aria-describedby=id("reboot-end-error")>
                    <option value="" selected=reboot.is_none()>"—"</option>
                    {hours(reboot.map(|r| r.1))}
                </select>
                <span id=id("reboot-end-error") class="field-error" role="alert">{message("reboot_end".into())}</span>
            </div>
        </fieldset>
    }
}

/// An amount as the form takes it back ("2.50", not "2.50 USD").
fn amount_text(minor: i64, currency: &str) -> String {
    format_amount(minor, currency)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The form's own error line: the fields say what is wrong with each.
fn form_error(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = match &e {
                AppError::Fields(_) => "Please correct the fields marked below.".to_string(),
                other => other.to_string(),
            };
            view! { <div class="flash flash-error" role="alert">{text}</div> }
        })
    }
}

#[component]
fn CreateConfigurationForm(connection_id: String) -> impl IntoView {
    let create = ServerAction::<CreateConfiguration>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let key = format!("new-{connection_id}");
    let title_id = format!("{key}-title");
    view! {
        <section class="panel" aria-labelledby=title_id.clone()>
            <h2 id=title_id.clone()>"New configuration"</h2>
            {form_error(error)}
            <ActionForm action=create attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="connection_id" value=connection_id.clone()/>
                <Fields key=key.clone() initial=None error/>
                <div class="button-row"><button type="submit" class="button primary">"Create configuration"</button></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn Manage(c: ConfigurationView, connection_id: String) -> impl IntoView {
    let update = ServerAction::<UpdateConfiguration>::new();
    let delete = ServerAction::<DeleteConfiguration>::new();
    let copy = ServerAction::<CopyConfigurationToDefault>::new();
    let remove = ServerAction::<RemoveSplashscreen>::new();
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let key = c.id.clone();
    let title = c.title();
    let id = c.id.clone();
    let hidden = StoredValue::new((connection_id.clone(), id.clone()));
    let hidden = move || {
        let (connection_id, id) = hidden.get_value();
        view! {
            <input type="hidden" name="connection_id" value=connection_id/>
            <input type="hidden" name="id" value=id/>
        }
    };
    let title = StoredValue::new(title);
    let splash = c.splash.clone();
    let is_default = c.is_account_default;
    let upload_device = format!("{key}-splash-device");
    let upload_file = format!("{key}-splash-file");
    view! {
        <details class="manage">
            <summary>{format!("Edit {}", title.get_value())}</summary>
            {form_error(error)}
            <ActionForm action=update attr:class="stack" attr:novalidate=true>
                {hidden()}
                <Fields key=key.clone() initial=Some(c.clone()) error/>
                <div class="button-row"><button type="submit" class="button primary">"Save changes"</button></div>
            </ActionForm>
        </details>
        <details class="manage">
            <summary>{format!("Splash screens of {}", title.get_value())}</summary>
            <p class="help">"A PNG, JPEG or GIF of at most 2 MB, shown on the reader's idle screen: 720×1280 for the WisePOS E, 1080×1920 for the S700 and S710. The WisePad 3 takes PNG only."</p>
            <form method="post" action=SPLASH_UPLOAD_PATH enctype="multipart/form-data" class="grid-form">
                {hidden()}
                <div class="field">
                    <label for=upload_device.clone()>"Device type"</label>
                    <select id=upload_device name="device_type">
                        {DEVICE_TYPES.iter().map(|(d, l)| view! { <option value=*d>{*l}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=upload_file.clone()>"Image"</label>
                    <input id=upload_file type="file" name="file" accept="image/png,image/jpeg,image/gif" required/>
                </div>
                <div class="field end"><button type="submit" class="button">"Upload splash screen"</button></div>
            </form>
            <ActionError value=remove.value()/>
            {splash.into_iter().map(|s| {
                let label = DEVICE_TYPES.iter().find(|(d, _)| *d == s.device_type).map(|(_, l)| *l).unwrap_or("Reader");
                view! {
                    <ActionForm action=remove attr:class="inline-form">
                        {hidden()}
                        <input type="hidden" name="device_type" value=s.device_type.clone()/>
                        <button type="submit" class="button small" aria-label=format!("Remove the {label} splash screen of {}", title.get_value())>{format!("Remove the {label} splash screen")}</button>
                    </ActionForm>
                }
            }).collect_view()}
        </details>
        <ActionError value=copy.value()/>
        <ActionError value=delete.value()/>
        {(!is_default).then(|| view! {
            <div class="button-row">
                <ActionForm action=copy attr:class="inline-form">
                    {hidden()}
                    <button type="submit" class="button small" aria-label=format!("Make {} the account default", title.get_value())>"Make it the account default"</button>
                </ActionForm>
                <ActionForm action=delete attr:class="inline-form">
                    {hidden()}
                    <button type="submit" class="button small danger" aria-label=format!("Delete {}", title.get_value())>"Delete"</button>
                </ActionForm>
            </div>
            <p class="help">"“Make it the account default” copies its settings into the Stripe account's default configuration (Stripe lets no one choose another configuration as the default), so every reader without a location override uses them."</p>
        })}
    }
}
