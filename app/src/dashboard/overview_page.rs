use super::api::fleet_overview;
use super::types::OverviewView;
use crate::components::feedback::{ActionError, EmptyState, ErrorView, Loading};
use crate::fleet::widgets::Counts;
use crate::fleet::FleetInventory;
use crate::payments::api::StartTestCharge;
use crate::time_fmt::ago;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let charge = ServerAction::<StartTestCharge>::new();
    // A started charge continues on its reader's page (`start_test_charge` sends it there).
    let data = Resource::new(|| (), |_| fleet_overview());
    view! {
        <Title text="Overview"/>
        <ActionError value=charge.value()/>
        <crate::live::LiveRegion id="overview" topics=&[Topic::Readers, Topic::Locations]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Body view charge/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn Body(view: OverviewView, charge: ServerAction<StartTestCharge>) -> impl IntoView {
    let now = view.now;
    let (can_charge, op) = (view.can_charge, view.op.clone());
    let t = view.totals;
    let empty = t.total() == 0 && view.locations.is_empty();
    view! {
        <div class="page-header row-between">
            <div>
                <h1>"Overview"</h1>
                <p class="muted">{view.tenant_name.clone()}</p>
            </div>
            <p class="muted small">{view.last_sync.map(|s| format!("Synced with Stripe {}", ago(s, now)))}</p>
        </div>
        {if empty {
            view! {
                <section class="panel">
                    <EmptyState title="No readers yet"
                        text=if view.can_manage {
                            "Get started in three steps: connect Stripe (or use the built-in simulator), add a location, then register a reader."
                        } else {
                            "There are no readers in the locations you can see yet."
                        }>
                        {view.can_manage.then(|| view! {
                            <ol class="steps">
                                <li><a href="/settings/stripe">"Connect Stripe"</a>" — the simulator needs no Stripe account."</li>
                                <li><a href="/locations">"Add a location"</a>" — where your readers are."</li>
                                <li><a href="/readers">"Register a reader"</a>" — try the code "<code>"simulated-wpe"</code>"."</li>
                            </ol>
                        })}
                    </EmptyState>
                </section>
            }.into_any()
        } else {
            view! {
                <div class="stats" role="list" aria-label="Readers in total">
                    <div class="stat" role="listitem"><span class="stat-value">{t.total()}</span><span class="stat-label">"Readers"</span></div>
                    <div class="stat stat-online" role="listitem"><span class="stat-value">{t.online}</span><span class="stat-label">"Online"</span></div>
                    <div class="stat stat-offline" role="listitem"><span class="stat-value">{t.offline}</span><span class="stat-label">"Offline"</span></div>
                    <div class="stat stat-busy" role="listitem"><span class="stat-value">{t.busy}</span><span class="stat-label">"Busy"</span></div>
                    <div class="stat stat-alert" role="listitem"><span class="stat-value">{t.alerts}</span><span class="stat-label">{format!("Offline > {} min", view.alert_minutes)}</span></div>
                    <div class="stat stat-alert" role="listitem"><span class="stat-value">{t.stuck}</span><span class="stat-label">{format!("Actions stuck > {} min", view.stuck_minutes)}</span></div>
                </div>
                {view.volume_currency.clone().map(|currency| view! { <VolumeChart days=view.volume.clone() currency/> })}
                <FleetInventory/>
                <div class="location-grid">
                    {view.locations.into_iter().map(|l| view! {
                        <section class="panel location-card" aria-label=l.display_name.clone()>
                            <div class="row-between">
                                <h2><a href=format!("/locations/{}", l.id)>{l.display_name.clone()}</a></h2>
                                <span class="muted small">{l.city.clone()}</span>
                            </div>
                            <Counts counts=l.counts/>
                            <p class="muted small">{match l.last_payment.clone() {
                                Some(p) => view! { "Last transaction: " <a href=format!("/transactions/{}", p.id)>{p.amount_text()}</a> {format!(" · {} · {}", p.status_label(), ago(p.created_at, now))} }.into_any(),
                                None => "Last transaction: none yet".into_any(),
                            }}</p>
                            {(can_charge && !l.online_readers.is_empty()).then(|| {
                                let op = op.clone();
                                let field = format!("charge-reader-{}", l.id);
                                let amount = format!("charge-amount-{}", l.id);
                                view! {
                                    <ActionForm action=charge attr:class="quick-charge">
                                        <input type="hidden" name="op" value=op/>
                                        <input type="hidden" name="currency" value="usd"/>
                                        <label class="visually-hidden" for=field.clone()>"Reader"</label>
                                        <select id=field name="reader_id">
                                            {l.online_readers.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                                        </select>
                                        <label class="visually-hidden" for=amount.clone()>"Amount (USD)"</label>
                                        <input id=amount name="amount" type="text" inputmode="decimal" placeholder="USD" required/>
                                        <button type="submit" class="button small">"Test charge"</button>
                                    </ActionForm>
                                }
                            })}
                            {(!l.alerts.is_empty()).then(|| view! {
                                <ul class="plain-list alerts" aria-label="Alerts">
                                    {l.alerts.iter().map(|r| view! {
                                        <li class="alert-item" role="alert">
                                            <a href=format!("/readers/{}", r.id)>{if r.label.is_empty() { r.id.clone() } else { r.label.clone() }}</a>
                                            {r.alert_since.is_some().then(|| format!(" offline since {}", r.last_seen_at.map(|s| ago(s, now)).unwrap_or_else(|| ago(r.status_since, now))))}
                                            {r.stuck_since.map(|since| format!(" action stuck (alert raised {})", ago(since, now)))}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                        </section>
                    }).collect_view()}
                    {(view.unassigned.total() > 0).then(|| view! {
                        <section class="panel location-card" aria-label="Without a location">
                            <h2>"Without a location"</h2>
                            <Counts counts=view.unassigned/>
                        </section>
                    })}
                </div>
            }.into_any()
        }}
    }
}

/// Net volume per day as a bar chart, drawn on the server (no script needed).
#[component]
fn VolumeChart(days: Vec<(i64, i64)>, currency: String) -> impl IntoView {
    use crate::payments::types::format_amount;
    let max = days.iter().map(|(_, a)| *a).max().unwrap_or(0).max(1);
    let (width, height, gap) = (700.0_f64, 140.0_f64, 6.0_f64);
    let bar = (width - gap * (days.len() as f64 - 1.0)) / days.len().max(1) as f64;
    let total: i64 = days.iter().map(|(_, a)| *a).sum();
    let label = |ms: i64| {
        crate::time_fmt::datetime(ms)
            .chars()
            .skip(5)
            .take(5)
            .collect::<String>()
    };
    let summary = format!(
        "Net volume over the last 14 days: {}",
        format_amount(total, &currency)
    );
    view! {
        <section class="panel" aria-labelledby="volume-heading">
            <div class="row-between">
                <h2 id="volume-heading">"Volume, last 14 days"</h2>
                <span class="muted small">{format_amount(total, &currency)}</span>
            </div>
            <svg class="volume-chart" viewBox=format!("0 0 {width} {}", height + 22.0) role="img" aria-label=summary>
                {days.iter().enumerate().map(|(i, (day, amount))| {
                    let h = (*amount as f64 / max as f64) * height;
                    let x = i as f64 * (bar + gap);
                    view! {
                        <g>
                            <title>{format!("{}: {}", label(*day), format_amount(*amount, &currency))}</title>
                            <rect x=format!("{x:.1}") y=format!("{:.1}", height - h) width=format!("{bar:.1}") height=format!("{:.1}", h.max(1.0)) rx="3"/>
                            <text x=format!("{:.1}", x + bar / 2.0) y=format!("{}", height + 16.0) text-anchor="middle">{label(*day)}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
        </section>
    }
}
