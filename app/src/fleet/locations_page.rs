use super::address::{field_rules, COUNTRIES};
use super::api::{list_locations, CreateLocation};
use super::types::{AddressView, LocationsView};
use super::widgets::Counts;
use crate::components::done::succeeded;
use crate::components::feedback::{EmptyState, ErrorView, Loading};
use crate::error::AppError;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LocationsPage() -> impl IntoView {
    let create = ServerAction::<CreateLocation>::new();
    // Refetch after a successful create only: a refused one leaves the list (and the form the
    // user is correcting) as they are.
    // One load for the list (a live region) and the form beside it (not one, so what the user
    // is typing is never replaced under them).
    let data = Resource::new(|| (), |_| list_locations());
    view! {
        <Title text="Locations"/>
        <div class="page-header">
            <h1>"Locations"</h1>
            <p class="muted">"Stores and sites where your readers are. Each belongs to one Stripe connection. "
                <a href="/locations/groups">"Store groups"</a>" put them in regions or franchisees for operators."</p>
        </div>
        <crate::live::LiveRegion id="locations" topics=&[Topic::Locations, Topic::Readers]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <LocationsList view/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) if view.can_manage => view! { <AddLocation view create/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LocationsList(view: LocationsView) -> impl IntoView {
    let can_manage = view.can_manage;
    if view.locations.is_empty() {
        return view! {
            <section class="panel">
                <EmptyState title="No locations yet"
                    text=if can_manage {
                        "A location is a store or site where readers are installed. Add the first one below."
                    } else {
                        "You have not been given access to any location yet. Ask an admin of this organisation."
                    }/>
            </section>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="locations">
                <caption class="visually-hidden">"Locations"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Address"</th>
                    <th scope="col">"Readers"</th>
                    <th scope="col">"Stripe"</th>
                </tr></thead>
                <tbody>
                    {view.locations.into_iter().map(|l| view! {
                        <tr>
                            <td><a href=format!("/locations/{}", l.id)>{l.display_name.clone()}</a></td>
                            <td>{l.address.one_line()}</td>
                            <td><Counts counts=l.counts/></td>
                            <td class="muted small">{l.connection_name.clone()}
                                {l.simulated.then(|| view! { " " <span class="badge mode-sim">"Simulated"</span> })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AddLocation(view: LocationsView, create: ServerAction<CreateLocation>) -> impl IntoView {
    let connections = view.connections;
    if connections.is_empty() {
        return view! {
            <section class="panel">
                <EmptyState title="Connect Stripe first"
                    text="Locations are created in a Stripe account. Connect one (or the built-in simulator) in Settings → Stripe.">
                    <a class="button primary" href="/settings/stripe">"Connect Stripe"</a>
                </EmptyState>
            </section>
        }
        .into_any();
    }
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let created = succeeded(create);
    view! {
        <section class="panel add-location" aria-labelledby="add-location">
            <h2 id="add-location">"Add a location"</h2>
            <Show when=move || created.get()>
                <div class="flash flash-ok" role="status">"Location created in Stripe."</div>
            </Show>
            <FormError error/>
            <ActionForm action=create attr:class="location-form" attr:novalidate=true>
                {if connections.len() == 1 {
                    let c = connections[0].clone();
                    view! { <input type="hidden" name="connection_id" value=c.id/> }.into_any()
                } else {
                    view! {
                        <div class="field">
                            <label for="connection_id">"Stripe connection"</label>
                            <select id="connection_id" name="connection_id">
                                {connections.iter().map(|c| view! {
                                    <option value=c.id.clone()>{c.name.clone()}{c.simulated.then_some(" (simulated)")}</option>
                                }).collect_view()}
                            </select>
                        </div>
                    }.into_any()
                }}
                <LocationFields error initial=None/>
                <div class="button-row">
                    <button type="submit" class="button primary">"Create location"</button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// The message of a failed location form when it is not about one field.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
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

/// Name and address fields, with the labels and requirements of the chosen country and each
/// field's own error.
#[component]
pub fn LocationFields(
    error: Signal<Option<AppError>>,
    initial: Option<(String, AddressView)>,
) -> impl IntoView {
    // An island: the labels follow the country chosen in the browser. The error is the one the
    // server rendered the page with.
    view! { <AddressFields error=error.get_untracked() initial/> }
}

#[island]
fn AddressFields(error: Option<AppError>, initial: Option<(String, AddressView)>) -> impl IntoView {
    address_fields(Signal::stored(error), initial)
}

fn address_fields(
    error: Signal<Option<AppError>>,
    initial: Option<(String, AddressView)>,
) -> impl IntoView {
    let (name, address) = initial.unwrap_or_else(|| {
        (
            String::new(),
            AddressView {
                line1: String::new(),
                line2: None,
                city: None,
                state: None,
                postal_code: None,
                country: "US".into(),
            },
        )
    });
    let country = RwSignal::new(address.country.clone());
    let rules = move || field_rules(&country.get());
    let field = move |name: &'static str,
                      label: Signal<String>,
                      value: String,
                      required: Signal<bool>,
                      autocomplete: &'static str| {
        let message = move || error.get().and_then(|e| e.field_message(name));
        let error_id = format!("{name}-error");
        view! {
            <div class="field">
                <label for=name>{move || label.get()}{move || (!required.get()).then(|| view! { <span class="muted">" (optional)"</span> })}</label>
                <input id=name name=name type="text" value=value autocomplete=autocomplete
                    aria-invalid=move || message().is_some().to_string()
                    aria-describedby=error_id.clone()/>
                <span class="field-error" id=error_id role="alert">{message}</span>
            </div>
        }
    };
    let name_error = move || error.get().and_then(|e| e.field_message("display_name"));
    let country_error = move || error.get().and_then(|e| e.field_message("country"));
    view! {
        <div class="grid-form">
            <div class="field wide">
                <label for="display_name">"Name"</label>
                <input id="display_name" name="display_name" type="text" value=name required
                    placeholder="e.g. Downtown store"
                    aria-invalid=move || name_error().is_some().to_string() aria-describedby="display_name-error"/>
                <span class="field-error" id="display_name-error" role="alert">{name_error}</span>
            </div>
            <div class="field">
                <label for="country">"Country"</label>
                <select id="country" name="country" autocomplete="country"
                    on:change=move |ev| country.set(event_target_value(&ev))
                    aria-invalid=move || country_error().is_some().to_string() aria-describedby="country-error">
                    {COUNTRIES.iter().map(|(code, label)| {
                        let selected = *code == address.country;
                        view! { <option value=*code selected=selected>{*label}</option> }
                    }).collect_view()}
                </select>
                <span class="field-error" id="country-error" role="alert">{country_error}</span>
            </div>
            {field("line1", Signal::derive(|| "Address line 1".to_string()), address.line1.clone(), Signal::derive(|| true), "address-line1")}
            {field("line2", Signal::derive(|| "Address line 2".to_string()), address.line2.clone().unwrap_or_default(), Signal::derive(|| false), "address-line2")}
            {field("city", Signal::derive(|| "City".to_string()), address.city.clone().unwrap_or_default(), Signal::derive(move || rules().city_required), "address-level2")}
            {field("state", Signal::derive(move || rules().state_label.to_string()), address.state.clone().unwrap_or_default(), Signal::derive(move || rules().state_required), "address-level1")}
            {field("postal_code", Signal::derive(move || rules().postal_label.to_string()), address.postal_code.clone().unwrap_or_default(), Signal::derive(move || rules().postal_required), "postal-code")}
        </div>
    }
}
