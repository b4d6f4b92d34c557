use super::api::{load_location, DeleteLocation, SetLocationGrant, UpdateLocation};
use super::locations_page::{FormError, LocationFields};
use super::types::LocationDetail;
use super::widgets::{Counts, StatusBadge};
use crate::components::done::succeeded;
use crate::components::feedback::{ActionError, EmptyState, ErrorView, Loading};
use crate::components::list::plural;
use crate::time_fmt::ago;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateLocation>,
    delete: ServerAction<DeleteLocation>,
    grant: ServerAction<SetLocationGrant>,
    configuration: ServerAction<crate::configurations::api::SetLocationConfiguration>,
}

#[component]
pub fn LocationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let actions = Actions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
        grant: ServerAction::new(),
        configuration: ServerAction::new(),
    };
    // Counts successful saves only; a refused edit keeps the previous count (and the form).
    let data = Resource::new(id, load_location);
    view! {
        <Title text="Location"/>
        <p class="breadcrumb"><a href="/locations">"← Locations"</a></p>
        <ActionError value=actions.grant.value()/>
        <crate::live::LiveRegion id="location" topics=&[Topic::Locations, Topic::Readers]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(detail) => view! { <Detail detail actions/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn Detail(detail: LocationDetail, actions: Actions) -> impl IntoView {
    let l = detail.location.clone();
    let now = detail.now;
    let reader_count = l.counts.total();
    let (lid, lname, laddress) = (l.id.clone(), l.display_name.clone(), l.address.clone());
    view! {
        <Title text=l.display_name.clone()/>
        <div class="page-header row-between">
            <div>
                <h1>{l.display_name.clone()}</h1>
                <p class="muted">{l.address.one_line()}</p>
            </div>
            <Counts counts=l.counts/>
        </div>
        <section class="panel" aria-labelledby="location-readers">
            <div class="row-between">
                <h2 id="location-readers">"Readers"</h2>
                <a class="button small" href=format!("/readers?location={}", l.id)>"Open in the readers list"</a>
            </div>
            {if detail.readers.is_empty() {
                view! { <EmptyState title="No readers here yet" text="Register a reader at this location on the Readers page."/> }.into_any()
            } else {
                view! {
                    <ul class="plain-list reader-list">
                        {detail.readers.into_iter().map(|r| {
                            let seen = if r.online { "online now".to_string() } else {
                                r.last_seen_at.map(|t| format!("last seen {}", ago(t, now))).unwrap_or_default()
                            };
                            view! {
                                <li class="row-between">
                                    <span><a href=format!("/readers/{}", r.id)>{if r.label.is_empty() { r.id.clone() } else { r.label.clone() }}</a>
                                        " " <span class="muted small">{r.device_name().to_string()}</span></span>
                                    <span><span class="muted small">{seen}" "</span><StatusBadge reader=r.clone()/></span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <crate::configurations::LocationConfigurationPanel location_id=lid.clone() set=actions.configuration/>
        {detail.can_manage.then(|| {
            let error = Signal::derive(move || actions.update.value().get().and_then(Result::err));
            let saved = succeeded(actions.update);
            let delete_error = move || actions.delete.value().get().and_then(Result::err).map(|e| e.to_string());
            let operators = detail.operators.clone();
            let location_id = lid.clone();
            let (edit_id, delete_id) = (lid.clone(), lid.clone());
            let initial = Some((lname.clone(), laddress.clone()));
            view! {
                <section class="panel" aria-labelledby="edit-location">
                    <h2 id="edit-location">"Edit"</h2>
                    <Show when=move || saved.get()><div class="flash flash-ok" role="status">"Saved in Stripe."</div></Show>
                    <FormError error/>
                    <ActionForm action=actions.update attr:novalidate=true>
                        <input type="hidden" name="id" value=edit_id/>
                        <LocationFields error initial/>
                        <div class="button-row"><button type="submit" class="button primary">"Save changes"</button></div>
                    </ActionForm>
                </section>
                <section class="panel" aria-labelledby="operators">
                    <h2 id="operators">"Operators with access"</h2>
                    <p class="help">"Operators see and use only the locations they are given. Admins, owners and auditors see every location."</p>
                    {if operators.is_empty() {
                        view! { <p class="muted">"This organisation has no operators. Invite one in Settings → Members."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="plain-list">
                                {operators.into_iter().map(|o| {
                                    let lid = location_id.clone();
                                    view! {
                                        <li class="row-between">
                                            <span>{o.email.clone()}{o.granted.then(|| view! { " " <span class="badge status-online">"Has access"</span> })}</span>
                                            <ActionForm action=actions.grant attr:class="inline-form">
                                                <input type="hidden" name="location_id" value=lid/>
                                                <input type="hidden" name="user_id" value=o.user_id.clone()/>
                                                <input type="hidden" name="granted" value=(!o.granted).to_string()/>
                                                <button type="submit" class="button small">{if o.granted { "Remove access" } else { "Give access" }}</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
                <section class="panel danger-zone" aria-labelledby="delete-location">
                    <h2 id="delete-location">"Delete this location"</h2>
                    <p>{if reader_count > 0 {
                        format!("It has {}. Deleting the location in Stripe removes them too: they stop taking payments and must be registered again.", plural(reader_count, "reader", "readers"))
                    } else {
                        "It has no readers. Deleting it removes it from Stripe.".to_string()
                    }}</p>
                    <div class="flash flash-error" role="alert" hidden=move || delete_error().is_none()>{delete_error}</div>
                    <ActionForm action=actions.delete attr:class="stack">
                        <input type="hidden" name="id" value=delete_id/>
                        {(reader_count > 0).then(|| view! {
                            <label class="checkbox"><input type="checkbox" name="confirm" value="yes"/>
                                {format!(" Yes, delete it and its {}", plural(reader_count, "reader", "readers"))}</label>
                        })}
                        <div><button type="submit" class="button danger">"Delete location"</button></div>
                    </ActionForm>
                </section>
            }
        })}
    }
}
