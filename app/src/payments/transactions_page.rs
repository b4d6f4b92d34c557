use super::api::{list_transactions, transaction_totals};
use super::types::{format_amount, CurrencyTotal, TransactionQuery, TransactionsView, CURRENCIES};
use crate::components::feedback::{ErrorView, Loading};
use crate::components::list::{
    plural, use_list_query, CursorPager, EmptyList, FiltersForm, ListTable, QueryString,
};
use crate::time_fmt::datetime;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;

/// The transactions matching the filters of `q` at `path` (the list, or its CSV), from the
/// newest; add `before` for an older page.
fn url(path: &'static str, q: &TransactionQuery) -> QueryString {
    QueryString::new(path)
        .with("status", q.status.as_ref())
        .with("location", q.location.as_ref())
        .with("reader", q.reader.as_ref())
        .with("from", q.from.as_ref())
        .with("to", q.to.as_ref())
        .with("min", q.min.as_ref())
        .with("max", q.max.as_ref())
        .with("currency", q.currency.as_ref())
        .with("card", q.card.as_ref())
        .with("q", q.q.as_ref())
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_list_query::<TransactionQuery>();
    let data = Resource::new(query, list_transactions);
    // Totals read every matching row: they arrive on their own, after the page of rows.
    let totals = Resource::new(
        move || {
            let mut q = query();
            q.before = None;
            q
        },
        transaction_totals,
    );
    view! {
        <Title text="Transactions"/>
        <div class="page-header">
            <h1>"Transactions"</h1>
            <p class="muted">"In-person payments on your readers, updated live as Stripe reports them."</p>
        </div>
        <crate::live::LiveRegion id="transactions" topics=&[Topic::Payments]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let q = query();
                    match data.await {
                        Ok(view) => view! { <Body view q totals/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn Body(
    view: TransactionsView,
    q: TransactionQuery,
    totals: Resource<Result<Vec<CurrencyTotal>, crate::error::AppError>>,
) -> impl IntoView {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let selected = |v: &Option<String>, option: &str| v.as_deref() == Some(option);
    let newest = url("/transactions", &q);
    let filtered = !newest.is_empty();
    let csv = url("/transactions.csv", &q).href();
    view! {
        <FiltersForm action="/transactions" csv>
            <div class="field">
                <label for="tx-q">"PaymentIntent id"</label>
                <input id="tx-q" name="q" type="search" placeholder="pi_…" value=value(&q.q)/>
            </div>
            <div class="field">
                <label for="tx-status">"Status"</label>
                <select id="tx-status" name="status">
                    <option value="">"Any status"</option>
                    {[("succeeded", "Succeeded"), ("requires_capture", "Authorised"), ("refunded", "Refunded"),
                      ("declined", "Declined"), ("waiting", "Waiting for card"), ("canceled", "Canceled")]
                        .into_iter().map(|(v, l)| view! { <option value=v selected=selected(&q.status, v)>{l}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="tx-location">"Location"</label>
                <select id="tx-location" name="location">
                    <option value="">"All locations"</option>
                    {view.locations.iter().map(|(id, name)| view! {
                        <option value=id.clone() selected=selected(&q.location, id)>{name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="tx-from">"From"</label>
                <input id="tx-from" name="from" type="date" value=value(&q.from)/>
            </div>
            <div class="field">
                <label for="tx-to">"To"</label>
                <input id="tx-to" name="to" type="date" value=value(&q.to)/>
            </div>
            <div class="field">
                <label for="tx-min">"Amount from"</label>
                <input id="tx-min" name="min" type="text" inputmode="decimal" value=value(&q.min)/>
            </div>
            <div class="field">
                <label for="tx-max">"Amount to"</label>
                <input id="tx-max" name="max" type="text" inputmode="decimal" value=value(&q.max)/>
            </div>
            <div class="field">
                <label for="tx-currency">"Currency"</label>
                <select id="tx-currency" name="currency">
                    <option value="">"Any"</option>
                    {CURRENCIES.iter().map(|c| view! { <option value=*c selected=selected(&q.currency, c)>{c.to_uppercase()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="tx-card">"Card brand or last 4"</label>
                <input id="tx-card" name="card" type="text" value=value(&q.card)/>
            </div>
            <input type="hidden" name="reader" value=value(&q.reader)/>
        </FiltersForm>
        <Transition fallback=|| view! { <div class="stats"><div class="stat"><span class="stat-label">"Adding up…"</span></div></div> }>
            {move || Suspend::new(async move {
                match totals.await {
                    Ok(totals) => view! { <Totals totals/> }.into_any(),
                    Err(error) => view! { <p class="muted">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {if view.payments.is_empty() {
            view! {
                <EmptyList filtered no_match="No transactions match"
                    title="No transactions yet" text="Payments taken on your readers appear here as soon as Stripe reports them. Start a test charge from a reader's page."/>
            }.into_any()
        } else {
            let head = view! {
                <th scope="col">"Time"</th>
                <th scope="col">"Amount"</th>
                <th scope="col">"Status"</th>
                <th scope="col">"Card"</th>
                <th scope="col">"Reader"</th>
                <th scope="col">"Location"</th>
                <th scope="col">"Description"</th>
            }.into_any();
            view! {
                <ListTable class="transactions" caption="Transactions" head>
                            {view.payments.into_iter().map(|p| view! {
                                <tr data-payment=p.id.clone()>
                                    <td class="nowrap">{datetime(p.created_at)}</td>
                                    <td class="nowrap"><a href=format!("/transactions/{}", p.id)>{p.amount_text()}</a></td>
                                    <td><span class=p.status_class()>{p.status_label()}</span></td>
                                    <td class="nowrap">{p.card_text().unwrap_or_else(|| "—".into())}</td>
                                    <td>{p.reader_label.clone().or(p.reader_id.clone()).unwrap_or_else(|| "—".into())}</td>
                                    <td>{p.location_name.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td class="small">{p.description.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                </ListTable>
                <CursorPager newest older_page=q.before.is_some() next=view.next.clone()/>
            }.into_any()
        }}
    }
}

#[component]
fn Totals(totals: Vec<CurrencyTotal>) -> impl IntoView {
    view! {
        <div class="stats" aria-label="Totals for these filters">
            {if totals.is_empty() {
                view! { <div class="stat"><span class="stat-value">"0"</span><span class="stat-label">"payments"</span></div> }.into_any()
            } else {
                totals.iter().map(|t| view! {
                    <div class="stat">
                        <span class="stat-value">{format_amount(t.received - t.refunded, &t.currency)}</span>
                        <span class="stat-label">{format!("{}, net of {} refunded", plural(t.count, "payment", "payments"), format_amount(t.refunded, &t.currency))}</span>
                    </div>
                }).collect_view().into_any()
            }}
        </div>
    }
}
