use super::api::{list_locations, list_readers, RegisterReader};
use super::types::{device_name, ReaderQuery, ReadersView};
use super::widgets::StatusBadge;
use crate::components::feedback::{EmptyState, ErrorView, Loading};
use crate::components::url::urlencode;
use crate::live::Topic;
use crate::time_fmt::ago;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn query_string(q: &ReaderQuery, overrides: &[(&str, Option<String>)]) -> String {
    let mut pairs: Vec<(&str, Option<String>)> = vec![
        ("location", q.location.clone()),
        ("status", q.status.clone()),
        ("device_type", q.device_type.clone()),
        ("q", q.q.clone()),
        ("sort", q.sort.clone()),
        ("dir", q.dir.clone()),
        ("page", q.page.map(|p| p.to_string())),
    ];
    for (key, value) in overrides {
        if let Some(pair) = pairs.iter_mut().find(|(k, _)| k == key) {
            pair.1 = value.clone();
        }
    }
    let parts: Vec<String> = pairs
        .into_iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", urlencode(&v)))
        })
        .collect();
    if parts.is_empty() {
        "/readers".to_string()
    } else {
        format!("/readers?{}", parts.join("&"))
    }
}

#[component]
pub fn ReadersPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = move || {
        let q = query_map.read();
        ReaderQuery {
            location: q.get("location"),
            status: q.get("status"),
            device_type: q.get("device_type"),
            q: q.get("q"),
            sort: q.get("sort"),
            dir: q.get("dir"),
            page: q.get("page").and_then(|p| p.parse().ok()),
        }
    };
    let register = ServerAction::<RegisterReader>::new();
    let live = use_context::<crate::live::Live>();
    let readers_topic = live.map(|l| l.topic(Topic::Readers));
    let locations_topic = live.map(|l| l.topic(Topic::Locations));
    let data = Resource::new(
        move || {
            (
                query(),
                readers_topic.map(|t| t.get()),
                locations_topic.map(|t| t.get()),
                register.version().get(),
            )
        },
        |(q, ..)| list_readers(q),
    );
    view! {
        <Title text="Readers"/>
        <div class="page-header">
            <h1>"Readers"</h1>
            <p class="muted">"Every reader's status, updated live as Stripe reports it."</p>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let q = query();
                match data.await {
                    Ok(view) => view! { <ReadersBody view q/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
        <RegisterForm register/>
    }
}

#[component]
fn ReadersBody(view: ReadersView, q: ReaderQuery) -> impl IntoView {
    let now = view.now;
    let filtered =
        q.location.is_some() || q.status.is_some() || q.device_type.is_some() || q.q.is_some();
    let sort_link = {
        let q = q.clone();
        move |key: &'static str, label: &'static str| {
            let current = q.sort.as_deref().unwrap_or("label") == key;
            let asc = q.dir.as_deref() != Some("desc");
            let dir = if current && asc { "desc" } else { "asc" };
            let href = query_string(
                &q,
                &[
                    ("sort", Some(key.to_string())),
                    ("dir", Some(dir.to_string())),
                    ("page", None),
                ],
            );
            let aria = current.then_some(if asc { "ascending" } else { "descending" });
            let arrow = if current {
                if asc {
                    " ↑"
                } else {
                    " ↓"
                }
            } else {
                ""
            };
            view! { <th scope="col" aria-sort=aria><a href=href>{label}{arrow}</a></th> }
        }
    };
    let selected = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
    view! {
        <form class="filters" method="get" action="/readers" role="search">
            <div class="field">
                <label for="filter-q">"Search"</label>
                <input id="filter-q" name="q" type="search" placeholder="Label, serial or id" value=q.q.clone().unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="filter-location">"Location"</label>
                <select id="filter-location" name="location">
                    <option value="">"All locations"</option>
                    {view.locations.iter().map(|(id, name)| view! {
                        <option value=id.clone() selected=selected(&q.location, id)>{name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" name="status">
                    <option value="">"Any status"</option>
                    {[("online", "Online"), ("offline", "Offline"), ("busy", "Busy"), ("alert", "Offline alert")].into_iter().map(|(v, l)| view! {
                        <option value=v selected=selected(&q.status, v)>{l}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-device">"Device"</label>
                <select id="filter-device" name="device_type">
                    <option value="">"Any device"</option>
                    {view.device_types.iter().map(|d| view! {
                        <option value=d.clone() selected=selected(&q.device_type, d)>{device_name(d).to_string()}</option>
                    }).collect_view()}
                </select>
            </div>
            <input type="hidden" name="sort" value=q.sort.clone().unwrap_or_default()/>
            <input type="hidden" name="dir" value=q.dir.clone().unwrap_or_default()/>
            <div class="field end">
                <button type="submit" class="button">"Apply"</button>
                <a class="button subtle" href="/readers">"Clear"</a>
            </div>
        </form>
        <p class="muted small" aria-live="polite">{format!("{} reader{}", view.total, if view.total == 1 { "" } else { "s" })}
            {filtered.then_some(" match these filters")}</p>
        {if view.readers.is_empty() {
            view! {
                <section class="panel">
                    {if filtered {
                        view! { <EmptyState title="No readers match" text="Change or clear the filters to see more."/> }.into_any()
                    } else {
                        view! { <EmptyState title="No readers yet" text="Register a reader below with the code shown on its screen."/> }.into_any()
                    }}
                </section>
            }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="readers">
                        <caption class="visually-hidden">"Readers"</caption>
                        <thead><tr>
                            {sort_link("status", "Status")}
                            {sort_link("label", "Label")}
                            {sort_link("location", "Location")}
                            {sort_link("device", "Device")}
                            <th scope="col">"Serial"</th>
                            <th scope="col">"Software"</th>
                            <th scope="col">"IP"</th>
                            {sort_link("last_seen", "Last seen")}
                            <th scope="col">"Action"</th>
                        </tr></thead>
                        <tbody>
                            {view.readers.into_iter().map(|r| {
                                let seen = if r.online { "Online now".to_string() } else {
                                    r.last_seen_at.map(|t| ago(t, now)).unwrap_or_else(|| "—".into())
                                };
                                let label = if r.label.is_empty() { r.id.clone() } else { r.label.clone() };
                                view! {
                                    <tr data-reader=r.id.clone()>
                                        <td><StatusBadge reader=r.clone()/></td>
                                        <td><a href=format!("/readers/{}", r.id)>{label}</a></td>
                                        <td>{r.location_name.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td>{r.device_name().to_string()}</td>
                                        <td><code>{r.serial_number.clone()}</code></td>
                                        <td class="small">{r.sw_version.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td class="small"><code>{r.ip_address.clone().unwrap_or_else(|| "—".into())}</code></td>
                                        <td class="nowrap">{seen}</td>
                                        <td class="small">{r.action.as_ref().map(|a| a.label()).unwrap_or_else(|| "—".into())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {(view.pages > 1).then(|| {
                    let prev = (view.page > 1).then(|| query_string(&q, &[("page", Some((view.page - 1).to_string()))]));
                    let next = (view.page < view.pages).then(|| query_string(&q, &[("page", Some((view.page + 1).to_string()))]));
                    view! {
                        <nav class="pager" aria-label="Pages">
                            {prev.map(|href| view! { <a class="button" href=href rel="prev">"← Previous"</a> })}
                            <span class="muted">{format!("Page {} of {}", view.page, view.pages)}</span>
                            {next.map(|href| view! { <a class="button" href=href rel="next">"Next →"</a> })}
                        </nav>
                    }
                })}
            }.into_any()
        }}
    }
}

#[component]
fn RegisterForm(register: ServerAction<RegisterReader>) -> impl IntoView {
    let live = use_context::<crate::live::Live>().map(|l| l.topic(Topic::Locations));
    let locations = Resource::new(move || live.map(|t| t.get()), |_| list_locations());
    let error_for = move |field: &'static str| {
        move || {
            register
                .value()
                .get()
                .and_then(Result::err)
                .and_then(|e| e.field_message(field))
        }
    };
    let general_error = move || {
        register
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| {
                ["registration_code", "label", "location"]
                    .iter()
                    .all(|f| e.field_message(f).is_none())
            })
            .map(|e| e.to_string())
    };
    let registered = move || matches!(register.value().get(), Some(Ok(_)));
    let form = NodeRef::<leptos::html::Form>::new();
    // A registered reader empties the form for the next one.
    Effect::new(move |_| {
        if matches!(register.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(data) = locations.await else { return ().into_any() };
                if !data.can_manage {
                    return ().into_any();
                }
                let simulated = data.locations.iter().any(|l| l.simulated);
                if data.locations.is_empty() {
                    return view! {
                        <section class="panel">
                            <EmptyState title="Add a location first" text="A reader is registered at a location.">
                                <a class="button primary" href="/locations">"Add a location"</a>
                            </EmptyState>
                        </section>
                    }.into_any();
                }
                view! {
                    <section class="panel" aria-labelledby="register-reader">
                        <h2 id="register-reader">"Register a reader"</h2>
                        <p class="help">"On a BBPOS WisePOS E or Stripe Reader S700: open Settings (swipe from the left edge), enter the admin PIN, choose “Generate pairing code” and type the three words shown."
                            {simulated.then(|| view! { " On a simulated connection use " <code>"simulated-wpe"</code> " or " <code>"simulated-s700"</code> "." })}</p>
                        <Show when=registered><div class="flash flash-ok" role="status">"Reader registered."</div></Show>
                        <div class="flash flash-error" role="alert" hidden=move || general_error().is_none()>{general_error}</div>
                        <ActionForm action=register node_ref=form attr:class="grid-form">
                            <div class="field">
                                <label for="reg-code">"Registration code"</label>
                                <input id="reg-code" name="registration_code" type="text" required autocomplete="off"
                                    list=simulated.then_some("simulated-codes")
                                    aria-invalid=move || error_for("registration_code")().is_some().to_string() aria-describedby="reg-code-error"/>
                                {simulated.then(|| view! {
                                    <datalist id="simulated-codes"><option value="simulated-wpe"/><option value="simulated-s700"/></datalist>
                                })}
                                <span class="field-error" id="reg-code-error" role="alert">{error_for("registration_code")}</span>
                            </div>
                            <div class="field">
                                <label for="reg-label">"Label" <span class="muted">" (optional)"</span></label>
                                <input id="reg-label" name="label" type="text" placeholder="e.g. Front counter"
                                    aria-invalid=move || error_for("label")().is_some().to_string() aria-describedby="reg-label-error"/>
                                <span class="field-error" id="reg-label-error" role="alert">{error_for("label")}</span>
                            </div>
                            <div class="field">
                                <label for="reg-location">"Location"</label>
                                <select id="reg-location" name="location" aria-describedby="reg-location-error">
                                    {data.locations.iter().map(|l| view! {
                                        <option value=l.id.clone()>{l.display_name.clone()}{l.simulated.then_some(" (simulated)")}</option>
                                    }).collect_view()}
                                </select>
                                <span class="field-error" id="reg-location-error" role="alert">{error_for("location")}</span>
                            </div>
                            <div class="field end">
                                <button type="submit" class="button primary">"Register reader"</button>
                            </div>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}
