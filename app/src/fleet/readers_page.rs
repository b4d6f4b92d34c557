use super::api::{list_readers, reader_register_options, RegisterReader};
use super::types::{device_name, ReaderQuery, ReadersView};
use super::widgets::StatusBadge;
use crate::components::done::succeeded;
use crate::components::feedback::{EmptyState, ErrorView, Loading};
use crate::components::list::{
    plural, use_list_query, EmptyList, FiltersForm, ListTable, NumberedPager, QueryString,
    ResultCount, Sorting,
};
use crate::time_fmt::ago;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

/// The readers list at `q`; links change one parameter of it.
fn url(q: &ReaderQuery) -> QueryString {
    QueryString::new("/readers")
        .with("location", q.location.as_ref())
        .with("status", q.status.as_ref())
        .with("device_type", q.device_type.as_ref())
        .with("q", q.q.as_ref())
        .with("sort", q.sort.as_ref())
        .with("dir", q.dir.as_ref())
        .with("page", q.page)
}

#[component]
pub fn ReadersPage() -> impl IntoView {
    let query = use_list_query::<ReaderQuery>();
    let register = ServerAction::<RegisterReader>::new();
    let data = Resource::new(query, list_readers);
    view! {
        <Title text="Readers"/>
        <div class="page-header row-between">
            <div>
                <h1>"Readers"</h1>
                <p class="muted">"Every reader's status, updated live as Stripe reports it."</p>
            </div>
            <a class="button" href="/readers/register-many">"Register many"</a>
        </div>
        <crate::live::LiveRegion id="readers" topics=&[Topic::Readers, Topic::Locations]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let q = query();
                    match data.await {
                        Ok(view) => view! { <ReadersBody view q/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
        <RegisterForm register/>
    }
}

#[component]
fn ReadersBody(view: ReadersView, q: ReaderQuery) -> impl IntoView {
    let now = view.now;
    let filtered =
        q.location.is_some() || q.status.is_some() || q.device_type.is_some() || q.q.is_some();
    let sorting = Sorting::new(url(&q), q.sort.as_deref(), q.dir.as_deref(), "label");
    let pager = view! { <NumberedPager list=url(&q) page=view.page pages=view.pages/> };
    let selected = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
    let export = QueryString::new("/readers/export.csv")
        .with("location", q.location.as_ref())
        .with("status", q.status.as_ref())
        .with("device_type", q.device_type.as_ref())
        .with("q", q.q.as_ref())
        .href();
    let can_act = view.can_manage || view.can_operate;
    let total = view.total;
    let bulk_q = q.clone();
    view! {
        <FiltersForm action="/readers" csv=export>
            <div class="field">
                <label for="filter-q">"Search"</label>
                <input id="filter-q" name="q" type="search" placeholder="Label, serial or id" value=q.q.clone().unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="filter-location">"Location"</label>
                <select id="filter-location" name="location">
                    <option value="">"All locations"</option>
                    {view.locations.iter().map(|l| view! {
                        <option value=l.id.clone() selected=selected(&q.location, &l.id)>{l.name.clone()}</option>
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
        </FiltersForm>
        <form method="get" action="/readers/bulk" class="bulk-form" aria-label="Bulk action on readers">
        <ResultCount text=plural(view.total, "reader", "readers") filtered/>
        {(can_act && !view.readers.is_empty()).then(|| view! {
            <BulkBar q=bulk_q total can_manage=view.can_manage/>
        })}
        {if view.readers.is_empty() {
            view! {
                <EmptyList filtered no_match="No readers match"
                    title="No readers yet" text="Register a reader below with the code shown on its screen."/>
            }.into_any()
        } else {
            let head = view! {
                {can_act.then(|| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                {sorting.header("status", "Status")}
                {sorting.header("label", "Label")}
                {sorting.header("location", "Location")}
                {sorting.header("device", "Device")}
                <th scope="col">"Serial"</th>
                <th scope="col">"Software"</th>
                <th scope="col">"IP"</th>
                {sorting.header("last_seen", "Last seen")}
                <th scope="col">"Action"</th>
            }.into_any();
            view! {
                <ListTable class="readers" caption="Readers" head>
                            {view.readers.into_iter().map(|r| {
                                let seen = if r.online { "Online now".to_string() } else {
                                    r.last_seen_at.map(|t| ago(t, now)).unwrap_or_else(|| "—".into())
                                };
                                let label = if r.label.is_empty() { r.id.clone() } else { r.label.clone() };
                                view! {
                                    <tr data-reader=r.id.clone()>
                                        {can_act.then(|| {
                                            let select = format!("Select {label}");
                                            view! { <td><input type="checkbox" name="ids" value=r.id.clone() aria-label=select/></td> }
                                        })}
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
                </ListTable>
                {pager}
            }.into_any()
        }}
        </form>
    }
}

/// The bulk actions over the list: what to do to the ticked readers (or to every reader the
/// filter matches), posted as a plain form to the confirm step, so it works before hydration.
#[component]
fn BulkBar(q: ReaderQuery, total: i64, can_manage: bool) -> impl IntoView {
    let placeholders = super::relabel_pattern::PLACEHOLDERS
        .map(|p| format!("{{{p}}}"))
        .join(" ");
    view! {
        <fieldset class="bulk-bar">
            <legend>"With the selected readers"</legend>
            {[("location", q.location.clone()), ("status", q.status.clone()), ("device_type", q.device_type.clone()), ("q", q.q.clone())]
                .into_iter()
                .filter_map(|(name, value)| value.filter(|v| !v.is_empty()).map(|v| view! { <input type="hidden" name=name value=v/> }))
                .collect_view()}
            <div class="field">
                <label for="bulk-action">"Action"</label>
                <select id="bulk-action" name="action">
                    {can_manage.then(|| view! {
                        <option value="relabel">"Relabel with a pattern"</option>
                        <option value="delete">"Delete"</option>
                    })}
                    <option value="cancel_action">"Cancel action"</option>
                </select>
            </div>
            {can_manage.then(|| view! {
                <div class="field">
                    <label for="bulk-pattern">"New label pattern"</label>
                    <input id="bulk-pattern" name="pattern" type="text" placeholder="{location} till {n}" aria-describedby="bulk-pattern-help"/>
                    <span class="help" id="bulk-pattern-help">{format!("For relabel. Placeholders: {placeholders}")}</span>
                </div>
            })}
            <div class="field checkbox">
                <input id="bulk-all" name="all" type="checkbox" value="1"/>
                <label for="bulk-all">{format!("All {} matching this filter", plural(total, "reader", "readers"))}</label>
            </div>
            <div class="field end">
                <button type="submit" class="button">"Review…"</button>
            </div>
        </fieldset>
    }
}

#[component]
fn RegisterForm(register: ServerAction<RegisterReader>) -> impl IntoView {
    let locations = Resource::new(|| (), |_| reader_register_options());
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
    let registered = succeeded(register);
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
                        <Show when=move || registered.get()><div class="flash flash-ok" role="status">"Reader registered."</div></Show>
                        <div class="flash flash-error" role="alert" hidden=move || general_error().is_none()>{general_error}</div>
                        <ActionForm action=register attr:class="grid-form">
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
                                        <option value=l.id.clone()>{l.name.clone()}{l.simulated.then_some(" (simulated)")}</option>
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
