use super::api::all_stores;
use super::types::{StoreRow, StoresQuery, StoresView};
use crate::components::feedback::{ErrorView, Loading};
use crate::components::list::{
    plural, use_list_query, EmptyList, FiltersForm, ListTable, NumberedPager, QueryString,
    ResultCount, Sorting,
};
use crate::payments::types::format_amount;
use crate::time_fmt::ago;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

/// The stores list at `q`; links change one parameter of it.
fn url(q: &StoresQuery) -> QueryString {
    QueryString::new("/stores")
        .with("tenant", q.tenant.as_ref())
        .with("connection", q.connection.as_ref())
        .with("q", q.q.as_ref())
        .with("status", q.status.as_ref())
        .with("sort", q.sort.as_ref())
        .with("dir", q.dir.as_ref())
        .with("page", q.page.filter(|p| *p > 1))
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
    let query = use_list_query::<StoresQuery>();
    // The header's stream follows every organisation of the user on this page (`frame.rs`).
    let data = Resource::new(query, all_stores);
    view! {
        <Title text="All stores"/>
        <div class="page-header">
            <h1>"All stores"</h1>
            <p class="muted">"Every store of every organisation you belong to, updated live. Open one to work in its organisation."</p>
        </div>
        <crate::live::LiveRegion id="stores" topics=&[Topic::Readers, Topic::Payments, Topic::Locations]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let q = query();
                    match data.await {
                        Ok(view) => view! { <StoresBody view q/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn StoresBody(view: StoresView, q: StoresQuery) -> impl IntoView {
    let now = view.now;
    let t = view.totals.clone();
    let filtered = [&q.tenant, &q.connection, &q.q, &q.status]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()));
    let sorting = Sorting::new(url(&q), q.sort.as_deref(), q.dir.as_deref(), "name");
    let selected = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
    let shown = view.matching;
    let pager = view! { <NumberedPager list=url(&q) page=view.page pages=view.pages/> };
    view! {
        <div class="stats" role="list" aria-label="All stores in total">
            <div class="stat" role="listitem"><span class="stat-value">{t.stores}</span><span class="stat-label">"Stores"</span></div>
            <div class="stat stat-online" role="listitem"><span class="stat-value">{t.online}</span><span class="stat-label">"Readers online"</span></div>
            <div class="stat stat-offline" role="listitem"><span class="stat-value">{t.offline}</span><span class="stat-label">"Offline"</span></div>
            <div class="stat stat-busy" role="listitem"><span class="stat-value">{t.busy}</span><span class="stat-label">"Busy"</span></div>
            <div class="stat" role="listitem"><span class="stat-value">{t.alerts}</span><span class="stat-label">"Alerts"</span></div>
            <div class="stat" role="listitem"><span class="stat-value">{money(&t.today_volume)}</span><span class="stat-label">{format!("Today (UTC), {}", plural(t.today_count, "payment", "payments"))}</span></div>
        </div>
        <FiltersForm action="/stores">
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
        </FiltersForm>
        <ResultCount text=plural(shown, "store", "stores") filtered/>
        {if view.stores.is_empty() {
            view! {
                <EmptyList filtered no_match="No stores match"
                    title="No stores yet" text="Stores are the locations of your organisations. Add one under Locations."/>
            }.into_any()
        } else {
            let head = view! {
                {sorting.header("name", "Store")}
                {sorting.header("organisation", "Organisation")}
                {sorting.header("city", "Place")}
                {sorting.header("online", "Online")}
                {sorting.header("offline", "Offline")}
                <th scope="col">"Busy"</th>
                {sorting.header("alerts", "Alerts")}
                {sorting.header("volume", "Today")}
                {sorting.header("last", "Last payment")}
                <th scope="col"><span class="visually-hidden">"Open"</span></th>
            }.into_any();
            view! {
                <ListTable class="stores" caption="All stores" head>
                    {view.stores.into_iter().map(|s| view! { <StoreLine s now/> }).collect_view()}
                </ListTable>
                {pager}
            }.into_any()
        }}
    }
}

#[component]
fn StoreLine(s: StoreRow, now: i64) -> impl IntoView {
    let attention = s.offline > 0 || s.alerts > 0 || s.stuck > 0;
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
                {(s.stuck > 0).then(|| view! { <div class="muted small" data-col="stuck">{s.stuck}" stuck"</div> })}
            </td>
            <td>{money(&s.today_volume)} {(s.today_count > 0).then(|| view! { <div class="muted small">{plural(s.today_count, "payment", "payments")}</div> })}</td>
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
