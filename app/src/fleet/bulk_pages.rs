//! The pages of bulk work: registering many readers from a CSV, a job's rows and progress, and
//! the confirm step of a bulk action chosen on the Readers list. Each renders on the server and
//! works before hydration (the forms post; a reload shows a job's current state), and after
//! hydration a job's page follows its rows live.

use super::bulk_api::{bulk_job, list_bulk_jobs, preview_bulk_action, StartBulkAction};
use super::bulk_types::{
    BulkJobView, BulkJobsView, BulkKind, BulkPreview, BulkProgress, BulkRefusal,
    BULK_REGISTER_PATH, MAX_BULK_ROWS,
};
use super::relabel_pattern::PLACEHOLDERS;
use crate::components::feedback::{ErrorView, Loading};
use crate::components::list::plural;
use crate::time_fmt::ago;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn progress_text(p: &BulkProgress) -> String {
    format!(
        "{} of {} processed: {} done, {} already done, {} refused, {} failed",
        p.processed(),
        p.total,
        p.done,
        p.already,
        p.refused,
        p.failed
    )
}

#[component]
pub fn RegisterManyPage() -> impl IntoView {
    let query = use_query_map();
    let refusal = move || {
        query
            .read()
            .get("error")
            .and_then(|code| BulkRefusal::parse(&code))
    };
    let data = Resource::new(|| (), |_| list_bulk_jobs());
    view! {
        <Title text="Register many readers"/>
        <div class="page-header">
            <h1>"Register many readers"</h1>
            <p class="muted"><a href="/readers">"← Readers"</a></p>
        </div>
        <div class="flash flash-error" role="alert" hidden=move || refusal().is_none()>
            {move || refusal().map(|r| r.message())}
        </div>
        <crate::live::LiveRegion id="bulk-jobs" topics=&[Topic::Readers]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <RegisterManyBody view/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn RegisterManyBody(view: BulkJobsView) -> impl IntoView {
    let example_location = view
        .locations
        .first()
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| "Main St".into());
    let code = if view.simulated {
        "simulated-wpe"
    } else {
        "apple-banana-cherry"
    };
    let example = format!(
        "registration_code,label,location\n{code},Till 1,{example_location}\n{code},Till 2,{example_location}"
    );
    view! {
        {if view.can_manage {
            view! {
                <section class="panel" aria-labelledby="register-many-heading">
                    <h2 id="register-many-heading">"Readers to register"</h2>
                    <p class="help">
                        "One reader per line: " <code>"registration_code,label,location"</code>
                        ". The location is its id (" <code>"tml_…"</code> ") or its exact name; the label may be empty; a header line is optional. "
                        {format!("At most {MAX_BULK_ROWS} readers at once. ")}
                        "Each row shows its own result; a row that fails does not stop the others, and sending the same file again registers nothing twice."
                        {view.simulated.then(|| view! { " On a simulated connection the codes " <code>"simulated-wpe"</code> " and " <code>"simulated-s700"</code> " make a new reader for each row with its own label." })}
                    </p>
                    <form method="post" action=BULK_REGISTER_PATH enctype="multipart/form-data" class="stack-form">
                        <div class="field">
                            <label for="bulk-csv">"Paste CSV"</label>
                            <textarea id="bulk-csv" name="csv" rows="10" spellcheck="false" placeholder=example aria-describedby="bulk-csv-help"></textarea>
                            <span class="help" id="bulk-csv-help">"Or choose a file below; a chosen file is used instead of the text."</span>
                        </div>
                        <div class="field">
                            <label for="bulk-file">"CSV file"</label>
                            <input id="bulk-file" name="file" type="file" accept=".csv,text/csv,text/plain"/>
                        </div>
                        <div class="field end">
                            <button type="submit" class="button primary">"Register readers"</button>
                        </div>
                    </form>
                </section>
            }.into_any()
        } else {
            view! { <p class="muted">"Only owners and admins register readers."</p> }.into_any()
        }}
        <JobList view/>
    }
}

#[component]
fn JobList(view: BulkJobsView) -> impl IntoView {
    (!view.jobs.is_empty()).then(|| {
        view! {
            <section class="panel" aria-labelledby="bulk-jobs-heading">
                <h2 id="bulk-jobs-heading">"Recent bulk jobs"</h2>
                <ul class="plain-list">
                    {view.jobs.into_iter().map(|j| view! {
                        <li>
                            <a href=format!("/readers/jobs/{}", j.id)>{j.kind.title()}</a>
                            {format!(" · {} · {}", if j.status == "running" { "running" } else { "finished" }, progress_text(&j.progress))}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
pub fn BulkJobPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, bulk_job);
    view! {
        <Title text="Bulk job"/>
        <crate::live::LiveRegion id="bulk-job" topics=&[Topic::Readers]>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <JobBody view/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </crate::live::LiveRegion>
    }
}

#[component]
fn JobBody(view: BulkJobView) -> impl IntoView {
    let p = view.progress;
    let kind = view.kind;
    let running = view.status == "running";
    let state = if running {
        "Running".to_string()
    } else {
        format!(
            "Finished {}",
            view.finished_at
                .map(|t| ago(t, view.now))
                .unwrap_or_default()
        )
    };
    view! {
        <div class="page-header">
            <h1>{kind.title()}</h1>
            <p class="muted">
                <a href="/readers">"← Readers"</a>
                {format!(" · started {} by {}", ago(view.created_at, view.now), view.actor.clone().unwrap_or_default())}
                {view.pattern.clone().map(|p| view! { " · pattern " <code>{p}</code> })}
            </p>
        </div>
        <section class="panel" aria-labelledby="job-progress">
            <h2 id="job-progress">{state}</h2>
            <progress max=p.total value=p.processed() aria-labelledby="job-progress" aria-describedby="job-progress-text"></progress>
            <p id="job-progress-text" role="status" data-status=view.status.clone()>{progress_text(&p)}</p>
            {running.then(|| view! { <p class="muted small">"Rows are sent to Stripe a few a second; this page updates as they finish (reload it if scripts are off)."</p> })}
        </section>
        <div class="table-wrap">
            <table class="bulk-rows">
                <caption class="visually-hidden">"Rows and their results"</caption>
                <thead><tr>
                    <th scope="col">"Row"</th>
                    <th scope="col">{if kind == BulkKind::Register { "Registration code" } else { "Reader" }}</th>
                    <th scope="col">{if kind == BulkKind::Relabel { "New label" } else { "Label" }}</th>
                    <th scope="col">"Location"</th>
                    <th scope="col">"Result"</th>
                </tr></thead>
                <tbody>
                    {view.rows.into_iter().map(|r| {
                        let reader = r.reader_id.clone().filter(|_| r.status == "done" || r.status == "already");
                        view! {
                            <tr data-row=r.row_no data-status=r.status.clone()>
                                <td>{r.row_no}</td>
                                <td><code>{r.subject.clone()}</code></td>
                                <td>{r.label.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{r.location.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>
                                    <span class=format!("badge bulk-{}", r.status)>{r.status_text()}</span>
                                    " " {r.message.clone()}
                                    {reader.filter(|_| kind != BulkKind::Delete).map(|id| view! { " " <a href=format!("/readers/{id}")>"Open reader"</a> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn BulkConfirmPage() -> impl IntoView {
    let query = use_query_map();
    let one = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    // The list's checkboxes arrive as one `ids` parameter per reader.
    let ids = move || query.read().get_all("ids").unwrap_or_default().join(" ");
    let start = ServerAction::<StartBulkAction>::new();
    let data = Resource::new(
        move || {
            (
                one("action"),
                ids(),
                one("all"),
                [one("location"), one("status"), one("device_type"), one("q")],
                one("pattern"),
            )
        },
        |(action, ids, all, [location, status, device_type, q], pattern)| {
            preview_bulk_action(
                action,
                Some(ids),
                all,
                location,
                status,
                device_type,
                q,
                pattern,
            )
        },
    );
    view! {
        <Title text="Confirm bulk action"/>
        <div class="page-header">
            <h1>"Confirm bulk action"</h1>
            <p class="muted"><a href="/readers">"← Readers"</a></p>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(preview) => {
                        let hidden = [
                            ("action", one("action")),
                            ("ids", Some(ids())),
                            ("all", one("all")),
                            ("location", one("location")),
                            ("status", one("status")),
                            ("device_type", one("device_type")),
                            ("q", one("q")),
                            ("pattern", one("pattern")),
                        ];
                        view! { <ConfirmBody preview hidden start/> }.into_any()
                    }
                    Err(error) => view! {
                        <ErrorView error/>
                        <p><a class="button" href="/readers">"Back to readers"</a></p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ConfirmBody(
    preview: BulkPreview,
    hidden: [(&'static str, Option<String>); 8],
    start: ServerAction<StartBulkAction>,
) -> impl IntoView {
    let acting = preview
        .targets
        .iter()
        .filter(|t| t.refused.is_none())
        .count();
    let verb = match preview.kind {
        BulkKind::Relabel => "Relabel",
        BulkKind::Delete => "Delete",
        _ => "Cancel the actions of",
    };
    let button = format!("{verb} {}", plural(acting, "reader", "readers"));
    let error = move || {
        start
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <section class="panel" aria-labelledby="confirm-heading">
            <h2 id="confirm-heading">{preview.kind.title()}</h2>
            {preview.pattern.clone().map(|p| view! {
                <p>"Pattern " <code>{p}</code>
                    <span class="muted small">{format!(" (placeholders: {})", PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" "))}</span></p>
            })}
            {(preview.kind == BulkKind::Delete).then(|| view! {
                <p class="flash flash-error">"Deleted readers are removed from Stripe; registering one again needs a new code from the device."</p>
            })}
            <div class="table-wrap">
                <table class="bulk-preview">
                    <caption class="visually-hidden">"Readers this action reaches"</caption>
                    <thead><tr>
                        <th scope="col">"Reader"</th>
                        <th scope="col">"Location"</th>
                        {(preview.kind == BulkKind::Relabel).then(|| view! { <th scope="col">"New label"</th> })}
                        <th scope="col">"Will be"</th>
                    </tr></thead>
                    <tbody>
                        {preview.targets.iter().map(|t| view! {
                            <tr data-reader=t.reader_id.clone()>
                                <td>{if t.label.is_empty() { t.reader_id.clone() } else { t.label.clone() }}</td>
                                <td>{t.location.clone().unwrap_or_else(|| "—".into())}</td>
                                {(preview.kind == BulkKind::Relabel).then(|| view! { <td>{t.new_label.clone().unwrap_or_else(|| "—".into())}</td> })}
                                <td>{match &t.refused { Some(why) => format!("Left alone: {why}"), None => "Included".to_string() }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="flash flash-error" role="alert" hidden=move || error().is_none()>{error}</div>
            <ActionForm action=start attr:class="row">
                {hidden.into_iter().map(|(name, value)| view! {
                    <input type="hidden" name=name value=value.unwrap_or_default()/>
                }).collect_view()}
                <button type="submit" class="button primary" disabled={acting == 0}>{button}</button>
                <a class="button subtle" href="/readers">"Cancel"</a>
            </ActionForm>
        </section>
    }
}
