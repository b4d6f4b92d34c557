use super::api::all_stores;
use super::types::{StoreRow, StoresQuery, StoresView};
use crate::components::feedback::{EmptyState, ErrorView, Loading};
use crate::components::url::urlencode;
use crate::live::Topic;
use crate::payments::types::format_amount;
use crate::time_fmt::ago;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn query_string(q: &StoresQuery, overrides: &[(&str, Option<String>)]) -> String {
    let mut pairs: Vec<(&str, Option<String>)> = vec![
        ("tenant", q.tenant.clone()),
        ("connection", q.connection.clone()),
        ("q", q.q.clone()),
        ("status", q.status.clone()),
        ("sort", q.sort.clone()),
        ("dir", q.dir.clone()),
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
        "/stores".to_string()
    } else {
        format!("/stores?{}", parts.join("&"))
    }
}

fn money(volume: &[(String, i64)]) -> String {
    if volume.is_empty() {
        return "—".into();
    }
    volume
        .iter()
        .map(|(currency, amount)| format_amount(*amount, currency))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Every store of every organisation the user belongs to, live.
#[component]
pub fn StoresPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = move || {
        let q = query_map.read();
        StoresQuery {
            tenant: q.get("tenant"),
            connection: q.get("connection"),
            q: q.get("q"),
            status: q.get("status"),
            sort: q.get("sort"),
            dir: q.get("dir"),
        }
    };
    // This page listens to every organisation of the user, not only the current one.
    let live = crate::live::provide_live_at("/events?all=1");
    let readers = live.topic(Topic::Readers);
    let payments = live.topic(Topic::Payments);
    let locations = live.topic(Topic::Locations);
    let resync = live.topic(Topic::Resync);
    let data = Resource::new(
        move || {
            (
                query(),
                readers.get(),
                payments.get(),
                locations.get(),
                resync.get(),
            )
        },
        |(q, ..)| all_stores(q),
    );
    view! {
        <Title text="All stores"/>
        <div class="page-header">
            <h1>"All stores"</h1>
            <p class="muted">"Every store of every organisation you belong to, updated live. Open one to work in its organisation."</p>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let q = query();
                match data.await {
                    Ok(view) => view! { <StoresBody view q/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StoresBody(view: StoresView, q: StoresQuery) -> impl IntoView {
    let now = view.now;
    let t = view.totals.clone();
    let filtered = [&q.tenant, &q.connection, &q.q, &q.status]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()));
    let sort_link = {
        let q = q.clone();
        move |key: &'static str, label: &'static str| {
            let current = q.sort.as_deref().unwrap_or("name") == key;
            let asc = q.dir.as_deref() != Some("desc");
            let dir = if current && asc { "desc" } else { "asc" };
            let href = query_string(
                &q,
                &[
                    ("sort", Some(key.to_string())),
                    ("dir", Some(dir.to_string())),
                ],
            );
            let aria = current.then_some(if asc { "ascending" } else { "descending" });
            let arrow = match (current, asc) {
                (true, true) => " ↑",
                (true, false) => " ↓",
                _ => "",
            };
            view! { <th scope="col" aria-sort=aria><a href=href>{label}{arrow}</a></th> }
        }
    };
    let selected = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
    let shown = view.stores.len();
    view! {
        <div class="stats" role="list" aria-label="All stores in total">
            <div class="stat" role="listitem"><span class="stat-value">{t.stores}</span><span class="stat-label">"Stores"</span></div>
            <div class="stat stat-online" role="listitem"><span class="stat-value">{t.online}</span><span class="stat-label">"Readers online"</span></div>
            <div class="stat stat-offline" role="listitem"><span class="stat-value">{t.offline}</span><span class="stat-label">"Offline"</span></div>
            <div class="stat stat-busy" role="listitem"><span class="stat-value">{t.busy}</span><span class="stat-label">"Busy"</span></div>
            <div class="stat" role="listitem"><span class="stat-value">{t.alerts}</span><span class="stat-label">"Alerts"</span></div>
            <div class="stat" role="listitem"><span class="stat-value">{money(&t.today_volume)}</span><span class="stat-label">{format!("Today (UTC), {} payment{}", t.today_count, if t.today_count == 1 { "" } else { "s" })}</span></div>
        </div>
        <form class="filters" method="get" action="/stores" role="search">
            <div class="field">
                <label for="stores-q">"Store, city or region"</label>
                <input id="stores-q" name="q" type="search" placeholder="e.g. Lyon or Bavaria" value=q.q.clone().unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="stores-tenant">"Organisation"</label>
                <select id="stores-tenant" name="tenant">
                    <option value="">"All organisations"</option>
                    {view.tenants.iter().map(|(id, name)| view! {
                        <option value=id.clone() selected=selected(&q.tenant, id)>{name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="stores-connection">"Stripe account"</label>
                <select id="stores-connection" name="connection">
                    <option value="">"All accounts"</option>
                    {view.connections.iter().map(|(id, name, tenant)| view! {
                        <option value=id.clone() selected=selected(&q.connection, id)>{format!("{name} ({tenant})")}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="stores-status">"Show"</label>
                <select id="stores-status" name="status">
                    <option value="">"Every store"</option>
                    {[("attention", "Needing attention"), ("alerts", "With alerts"), ("busy", "Taking a payment")].into_iter().map(|(v, l)| view! {
                        <option value=v selected=selected(&q.status, v)>{l}</option>
                    }).collect_view()}
                </select>
            </div>
            <input type="hidden" name="sort" value=q.sort.clone().unwrap_or_default()/>
            <input type="hidden" name="dir" value=q.dir.clone().unwrap_or_default()/>
            <div class="field end">
                <button type="submit" class="button">"Apply"</button>
                <a class="button subtle" href="/stores">"Clear"</a>
            </div>
        </form>
        <p class="muted small" aria-live="polite">
            {format!("{shown} store{}", if shown == 1 { "" } else { "s" })}
            {filtered.then_some(" match these filters")}
        </p>
        {if view.stores.is_empty() {
            view! {
                <section class="panel">
                    {if filtered {
                        view! { <EmptyState title="No stores match" text="Change or clear the filters to see more."/> }.into_any()
                    } else {
                        view! { <EmptyState title="No stores yet" text="Stores are the locations of your organisations. Add one under Locations."/> }.into_any()
                    }}
                </section>
            }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="stores">
                        <caption class="visually-hidden">"All stores"</caption>
                        <thead><tr>
                            {sort_link("name", "Store")}
                            {sort_link("organisation", "Organisation")}
                            {sort_link("city", "Place")}
                            {sort_link("online", "Online")}
                            {sort_link("offline", "Offline")}
                            <th scope="col">"Busy"</th>
                            {sort_link("alerts", "Alerts")}
                            {sort_link("volume", "Today")}
                            {sort_link("last", "Last payment")}
                            <th scope="col"><span class="visually-hidden">"Open"</span></th>
                        </tr></thead>
                        <tbody>
                            {view.stores.into_iter().map(|s| view! { <StoreLine s now/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn StoreLine(s: StoreRow, now: i64) -> impl IntoView {
    let attention = s.offline > 0 || s.alerts > 0;
    let place = s.place();
    let store_id = s.location_id.clone();
    let row_id = s.location_id.clone();
    let tenant_id = s.tenant_id.clone();
    let label = format!("Open {} in {}", s.name, s.tenant_name);
    let last = s.last_payment.clone().map(|p| {
        format!(
            "{} {} · {}",
            format_amount(p.amount, &p.currency),
            p.status.replace('_', " "),
            ago(p.at, now)
        )
    });
    view! {
        <tr data-store=row_id class=attention.then_some("attention")>
            <td><strong>{s.name.clone()}</strong></td>
            <td>{s.tenant_name.clone()} <div class="muted small">{s.connection_name.clone()}</div></td>
            <td>{place}</td>
            <td class="num" data-col="online">{s.online}</td>
            <td class="num" data-col="offline">
                {if s.offline > 0 { view! { <span class="badge status-offline">{s.offline}</span> }.into_any() } else { view! { "0" }.into_any() }}
            </td>
            <td class="num" data-col="busy">{s.busy}</td>
            <td class="num" data-col="alerts">
                {if s.alerts > 0 { view! { <span class="badge alert">{s.alerts}</span> }.into_any() } else { view! { "0" }.into_any() }}
            </td>
            <td>{money(&s.today_volume)} {(s.today_count > 0).then(|| view! { <div class="muted small">{format!("{} payment{}", s.today_count, if s.today_count == 1 { "" } else { "s" })}</div> })}</td>
            <td>{last.unwrap_or_else(|| "—".into())}</td>
            <td class="actions">
                // A plain form, like the header's switcher: opening a store of another
                // organisation loads the whole page, so header, role and live stream follow.
                <form method="post" action="/sf/open_store" class="inline-form">
                    <input type="hidden" name="tenant_id" value=tenant_id/>
                    <input type="hidden" name="location_id" value=store_id/>
                    <button type="submit" class="button small" aria-label=label>"Open"</button>
                </form>
            </td>
        </tr>
    }
}
