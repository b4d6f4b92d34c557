use super::api::list_audit;
use super::types::{AuditEntry, AuditFilter};
use crate::components::feedback::{EmptyState, ErrorView, Loading};
use crate::components::list::{use_list_query, CursorPager, QueryString};
use crate::time_fmt::datetime_seconds;
use leptos::prelude::*;
use leptos_meta::Title;

/// The entries matching the filters of `f` at `path` (the page, or its CSV: every page of it),
/// from the newest; add `before` for an older page.
fn url(path: &'static str, f: &AuditFilter) -> QueryString {
    QueryString::new(path)
        .with("actor", f.actor.as_ref())
        .with("action", f.action.as_ref())
        .with("target", f.target.as_ref())
        .with("from", f.from.as_ref())
        .with("to", f.to.as_ref())
}

/// Filters live in the URL (a GET form), so a filtered view can be bookmarked and works
/// without JavaScript.
#[component]
pub fn AuditPage() -> impl IntoView {
    let filter = use_list_query::<AuditFilter>();
    let page = Resource::new(filter, |f| {
        list_audit(f.actor, f.action, f.target, f.from, f.to, f.before)
    });
    view! {
        <Title text="Audit log"/>
        <div class="page-header">
            <h1>"Audit log"</h1>
            <p class="muted">"Every change in this organisation: who, what, when and from where."</p>
        </div>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let f = filter();
                match page.await {
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                    Ok(data) => view! {
                        <form class="filters" method="get" action="/audit">
                            <div class="field">
                                <label for="actor">"Actor email"</label>
                                <input id="actor" name="actor" type="text" value=f.actor.clone().unwrap_or_default()/>
                            </div>
                            <div class="field">
                                <label for="action">"Action"</label>
                                <select id="action" name="action">
                                    <option value="">"Any action"</option>
                                    {data.actions.iter().map(|a| {
                                        let selected = f.action.as_deref() == Some(a.as_str());
                                        view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="target">"About (id)"</label>
                                <input id="target" name="target" type="text" placeholder="pi_…, tmr_…, key_…" value=f.target.clone().unwrap_or_default()/>
                            </div>
                            <div class="field">
                                <label for="from">"From"</label>
                                <input id="from" name="from" type="date" value=f.from.clone().unwrap_or_default()/>
                            </div>
                            <div class="field">
                                <label for="to">"To"</label>
                                <input id="to" name="to" type="date" value=f.to.clone().unwrap_or_default()/>
                            </div>
                            <div class="field end">
                                <button type="submit" class="button">"Filter"</button>
                                <a class="button subtle" href="/audit">"Clear"</a>
                                <a class="button" href=url("/audit.csv", &f).href() download>"Export CSV"</a>
                            </div>
                        </form>
                        <AuditTable entries=data.entries/>
                        <CursorPager newest=url("/audit", &f) older_page=f.before.is_some() next=data.next older="Older entries →"/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! {
            <EmptyState title="No entries" text="Nothing matches these filters. Clear them to see every entry."/>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="audit">
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Detail"</th>
                        <th scope="col">"Client"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries.into_iter().map(|e| view! {
                        <tr>
                            <td class="nowrap">{datetime_seconds(e.at)}</td>
                            <td>{e.actor_email.unwrap_or_else(|| "—".into())}</td>
                            <td><code>{e.action}</code></td>
                            <td>{match (e.target_type, e.target_id) {
                                (Some(t), Some(id)) => {
                                    let href = QueryString::new("/audit").with("target", Some(&id)).href();
                                    let label = format!("Everything about {t} {id}");
                                    view! { {t} " " <a href=href title=label.clone() aria-label=label><code class="id">{id}</code></a> }.into_any()
                                }
                                _ => "—".into_any(),
                            }}</td>
                            <td>{e.detail.unwrap_or_default()}</td>
                            <td class="muted small" title=e.user_agent.clone().unwrap_or_default()>{e.ip.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
