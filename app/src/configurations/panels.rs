//! The configuration in force, as a location's page and a reader's page show it; on a
//! location's page, managers choose its override there.

use super::api::{location_configuration, SetLocationConfiguration};
use super::types::{InForce, Source};
use crate::components::done::succeeded;
use crate::components::feedback::{field_error, ErrorView, Loading};
use leptos::prelude::*;

/// Which configuration is in force, where it comes from, and what it sets.
#[component]
pub fn InForcePanel(in_force: InForce, can_manage: bool) -> impl IntoView {
    let source = in_force.source_text();
    let location_link = match &in_force.source {
        Source::Location { id, .. } => Some(format!("/locations/{id}")),
        Source::AccountDefault => None,
    };
    view! {
        <section class="panel" aria-labelledby="configuration-in-force">
            <h2 id="configuration-in-force">"Reader configuration"</h2>
            {in_force.error.clone().map(|e| view! { <div class="flash flash-error" role="alert">{e}</div> })}
            {in_force.configuration.clone().map(|c| view! {
                <dl class="facts">
                    <dt>"In force"</dt>
                    <dd><strong>{c.title()}</strong></dd>
                    <dt>"Comes from"</dt>
                    <dd>{match location_link.clone() {
                        Some(href) => view! { <a href=href>{source.clone()}</a> }.into_any(),
                        None => view! { <span>{source.clone()}</span> }.into_any(),
                    }}</dd>
                    <dt>"Tipping"</dt>
                    <dd>{if c.tipping.is_empty() {
                        "No tipping screen".to_string()
                    } else {
                        c.tipping.iter().map(|t| t.summary()).collect::<Vec<_>>().join("; ")
                    }}</dd>
                    <dt>"Reboot window"</dt>
                    <dd>{c.reboot_window.map(|(s, e)| format!("{s:02}:00 – {e:02}:00")).unwrap_or_else(|| "Stripe's default".into())}</dd>
                </dl>
            })}
            {can_manage.then(|| view! {
                <p class="small"><a href="/settings/configurations">"Reader configurations in Settings"</a></p>
            })}
        </section>
    }
}

/// A location's configuration: in force, and for managers the override to choose. The page
/// owns `set`: a live update re-renders the page's body, and an action made here would be made
/// anew and forget that it just saved.
#[component]
pub fn LocationConfigurationPanel(
    #[prop(into)] location_id: Signal<String>,
    set: ServerAction<SetLocationConfiguration>,
) -> impl IntoView {
    let data = Resource::new(move || location_id.get(), location_configuration);
    let error = field_error(set.value(), "configuration_id");
    let other_error = move || match set.value().get() {
        Some(Err(e)) if e.field_message("configuration_id").is_none() => Some(e.to_string()),
        _ => None,
    };
    let saved = succeeded(set);
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(panel) => {
                        let can_manage = panel.can_manage;
                        let current = panel.override_id.clone().unwrap_or_default();
                        view! {
                            <InForcePanel in_force=panel.in_force.clone() can_manage=false/>
                            {can_manage.then(|| view! {
                                <section class="panel" aria-labelledby="choose-configuration">
                                    <h2 id="choose-configuration">"Configuration for this location"</h2>
                                    <Show when=move || saved.get()><div class="flash flash-ok" role="status">"Saved in Stripe."</div></Show>
                                    <div class="flash flash-error" role="alert" hidden=move || other_error().is_none()>{other_error}</div>
                                    <ActionForm action=set attr:class="grid-form">
                                        <input type="hidden" name="location_id" value=panel.location_id.clone()/>
                                        <div class="field">
                                            <label for="location-configuration">"Readers here use"</label>
                                            <select id="location-configuration" name="configuration_id" aria-describedby="location-configuration-error">
                                                <option value="" selected=current.is_empty()>"Account default"</option>
                                                {panel.choices.iter().map(|(id, title)| view! {
                                                    <option value=id.clone() selected=*id == current>{title.clone()}</option>
                                                }).collect_view()}
                                            </select>
                                            <span id="location-configuration-error" class="field-error" role="alert">{error}</span>
                                        </div>
                                        <div class="field end"><button type="submit" class="button primary">"Save configuration"</button></div>
                                    </ActionForm>
                                    <p class="help"><a href="/settings/configurations">"Create or edit configurations in Settings → Reader configurations."</a></p>
                                </section>
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
