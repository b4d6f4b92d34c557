//! Bulk jobs as callers start and read them: a CSV of readers to register, or a selection of
//! readers to relabel, delete or stop. Every row is checked here, against what the caller may
//! see, before anything reaches Stripe; a row refused here is stored with its reason and never
//! acted on. `bulk_runner` then works through the rows in the background.

use super::bulk_csv::{self, code_key};
use super::bulk_runner;
use super::reader_views::{Row, SELECT};
use super::readers_service::filter_clause;
use crate::error::{quote, AppError, AppResult};
use crate::fleet::bulk_types::{
    BulkJobSummary, BulkJobView, BulkJobsView, BulkKind, BulkPreview, BulkProgress, BulkRefusal,
    BulkRowView, BulkSelection, BulkTarget, MAX_BULK_ROWS,
};
use crate::fleet::relabel_pattern::{Pattern, Values};
use crate::fleet::types::{device_name, ReaderQuery, ReaderView};
use crate::model::{Permission, Role};
use crate::ssr::audit::{record, Entry};
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::LocationScope;
use crate::ssr::ids::{new_id, now_ms};
use crate::topic::Topic;
use std::collections::HashMap;

/// A row about to be stored.
struct NewRow {
    subject: String,
    registration_code: Option<String>,
    code_key: Option<String>,
    label: Option<String>,
    location_id: Option<String>,
    location_name: Option<String>,
    connection_id: Option<String>,
    reader_id: Option<String>,
    refused: Option<String>,
}

/// A location the caller may register readers at.
struct Place {
    id: String,
    name: String,
    connection_id: String,
}

async fn places(caller: &Caller) -> AppResult<Vec<Place>> {
    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
    let rows: Vec<(String, String, String)> = binds
        .query_as(&format!(
            "SELECT l.id, l.display_name, l.connection_id FROM locations l WHERE {scope}
             ORDER BY l.display_name, l.id"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, connection_id)| Place {
            id,
            name,
            connection_id,
        })
        .collect())
}

/// The location a row names, by id or by exact name, among the caller's.
fn place_for<'p>(places: &'p [Place], named: &str) -> Result<&'p Place, String> {
    if let Some(place) = places.iter().find(|p| p.id == named) {
        return Ok(place);
    }
    let mut by_name = places.iter().filter(|p| p.name == named);
    match (by_name.next(), by_name.next()) {
        (Some(place), None) => Ok(place),
        (Some(_), Some(_)) => Err(format!(
            "Several of your locations are named “{}”: give the location's id (tml_…) instead.",
            quote(named)
        )),
        (None, _) => Err(format!(
            "No location of yours is called “{}” (names must match exactly, or give its id).",
            quote(named)
        )),
    }
}

/// Starts registering the readers of a CSV; returns the job's id, or why nothing started.
pub async fn start_registration(caller: &Caller, text: &str) -> Result<String, BulkRefusal> {
    if !caller.can(Permission::ManageFleet) {
        return Err(BulkRefusal::Forbidden);
    }
    let rows = bulk_csv::parse(text)?;
    let places = places(caller).await.map_err(refusal)?;
    let mut seen: HashMap<String, i64> = HashMap::new();
    let new_rows = rows
        .into_iter()
        .map(|row| {
            let mut new = NewRow {
                subject: row.code.clone(),
                registration_code: Some(row.code.clone()),
                code_key: None,
                label: Some(row.label.clone()),
                location_id: None,
                location_name: Some(row.location.clone()),
                connection_id: None,
                reader_id: None,
                refused: row.problem.clone(),
            };
            if new.refused.is_some() {
                return new;
            }
            match place_for(&places, &row.location) {
                Ok(place) => {
                    let key = code_key(&row.code, &row.label, &place.id);
                    if let Some(first) = seen.get(&key) {
                        new.refused = Some(format!(
                            "The same registration as row {first} of this file."
                        ));
                    } else {
                        seen.insert(key.clone(), row.row_no);
                    }
                    new.code_key = Some(key);
                    new.location_id = Some(place.id.clone());
                    new.location_name = Some(place.name.clone());
                    new.connection_id = Some(place.connection_id.clone());
                }
                Err(why) => new.refused = Some(why),
            }
            new
        })
        .collect();
    create_job(caller, BulkKind::Register, None, new_rows)
        .await
        .map_err(refusal)
}

fn refusal(err: AppError) -> BulkRefusal {
    match err {
        AppError::Forbidden(_) => BulkRefusal::Forbidden,
        AppError::Conflict(_) => BulkRefusal::Busy,
        other => {
            tracing::warn!(error = %other, "bulk registration not started");
            BulkRefusal::Failed
        }
    }
}

/// The readers a selection reaches (within the caller's scope), in the order a pattern numbers
/// them, and the ids asked for that are not among them.
async fn selected(
    caller: &Caller,
    selection: &BulkSelection,
) -> AppResult<(Vec<ReaderView>, Vec<String>)> {
    let all = selection
        .all
        .as_deref()
        .is_some_and(|v| v == "1" || v == "on" || v == "true");
    let order = "ORDER BY COALESCE(l.display_name, ''), LOWER(r.label), r.id";
    if all {
        let query = ReaderQuery {
            location: selection.location.clone(),
            status: selection.status.clone(),
            device_type: selection.device_type.clone(),
            q: selection.q.clone(),
            ..Default::default()
        };
        let mut binds = Binds::new();
        let filter = filter_clause(caller, &query, &mut binds)?;
        let rows: Vec<Row> = binds
            .query_as(&format!(
                "{SELECT} WHERE {filter} {order} LIMIT {}",
                MAX_BULK_ROWS + 1
            ))
            .fetch_all(&caller.db().pool)
            .await?;
        if rows.len() > MAX_BULK_ROWS {
            return Err(AppError::invalid(
                "all",
                format!("More than {MAX_BULK_ROWS} readers match this filter; act on at most {MAX_BULK_ROWS} at once: narrow the filter."),
            ));
        }
        return Ok((rows.into_iter().map(ReaderView::from).collect(), Vec::new()));
    }
    let mut ids: Vec<String> = Vec::new();
    for id in selection
        .ids
        .as_deref()
        .unwrap_or("")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_string());
        }
        if ids.len() > MAX_BULK_ROWS {
            return Err(AppError::invalid(
                "ids",
                format!("Act on at most {MAX_BULK_ROWS} readers at once."),
            ));
        }
    }
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "Tick at least one reader first."));
    }
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let placeholders: Vec<String> = ids.iter().map(|id| binds.add(id.as_str())).collect();
    let rows: Vec<Row> = binds
        .query_as(&format!(
            "{SELECT} WHERE {scope} AND r.id IN ({}) {order}",
            placeholders.join(", ")
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let readers: Vec<ReaderView> = rows.into_iter().map(ReaderView::from).collect();
    let unknown = ids
        .into_iter()
        .filter(|id| !readers.iter().any(|r| &r.id == id))
        .collect();
    Ok((readers, unknown))
}

/// What a bulk action would do to each reader it reaches, or why it cannot start at all.
pub async fn preview(caller: &Caller, selection: &BulkSelection) -> AppResult<BulkPreview> {
    let action = selection.action.as_deref().unwrap_or("");
    let kind = match BulkKind::parse(action) {
        Some(kind) if kind != BulkKind::Register => kind,
        _ => {
            return Err(AppError::invalid(
                "action",
                "Choose relabel, delete or cancel action.",
            ))
        }
    };
    let allowed = match kind {
        BulkKind::CancelAction => caller.can(Permission::Charge),
        _ => caller.can(Permission::ManageFleet),
    };
    if !allowed {
        return Err(AppError::forbidden());
    }
    let pattern = match kind {
        BulkKind::Relabel => Some(
            Pattern::parse(selection.pattern.as_deref().unwrap_or(""))
                .map_err(|why| AppError::invalid("pattern", why))?,
        ),
        _ => None,
    };
    let (readers, unknown) = selected(caller, selection).await?;
    if readers.is_empty() {
        return Err(AppError::NotFound(
            "None of these readers is among those you may change.".into(),
        ));
    }
    let mut per_location: HashMap<Option<String>, usize> = HashMap::new();
    let mut targets: Vec<BulkTarget> = readers
        .iter()
        .enumerate()
        .map(|(index, r)| {
            let n = per_location.entry(r.location_id.clone()).or_insert(0);
            *n += 1;
            let (new_label, refused) = match &pattern {
                Some(pattern) => match pattern.label(&Values {
                    location: r.location_name.as_deref().unwrap_or(""),
                    n: *n,
                    i: index + 1,
                    label: &r.label,
                    serial: &r.serial_number,
                    device: device_name(&r.device_type),
                }) {
                    Ok(label) => (Some(label), None),
                    Err(why) => (None, Some(why)),
                },
                None => (None, None),
            };
            BulkTarget {
                reader_id: r.id.clone(),
                label: r.label.clone(),
                location: r.location_name.clone(),
                new_label,
                refused,
            }
        })
        .collect();
    targets.extend(unknown.into_iter().map(|id| BulkTarget {
        reader_id: id,
        label: String::new(),
        location: None,
        new_label: None,
        refused: Some("No reader with this id among those you may change.".into()),
    }));
    Ok(BulkPreview {
        kind,
        targets,
        pattern: selection
            .pattern
            .clone()
            .filter(|_| kind == BulkKind::Relabel),
    })
}

/// Starts a confirmed bulk action; returns the job's id.
pub async fn start_action(caller: &Caller, selection: &BulkSelection) -> AppResult<String> {
    let preview = preview(caller, selection).await?;
    let connections: HashMap<String, String> = {
        let mut binds = Binds::new();
        let tenant = binds.add(caller.tenant_id.as_str());
        let rows: Vec<(String, String)> = binds
            .query_as(&format!(
                "SELECT id, connection_id FROM readers WHERE tenant_id = {tenant}"
            ))
            .fetch_all(&caller.db().pool)
            .await?;
        rows.into_iter().collect()
    };
    let rows = preview
        .targets
        .into_iter()
        .map(|t| NewRow {
            subject: if t.label.is_empty() {
                t.reader_id.clone()
            } else {
                t.label.clone()
            },
            registration_code: None,
            code_key: None,
            label: t.new_label,
            location_id: None,
            location_name: t.location,
            connection_id: connections.get(&t.reader_id).cloned(),
            reader_id: Some(t.reader_id),
            refused: t.refused,
        })
        .collect();
    create_job(caller, preview.kind, preview.pattern, rows).await
}

/// A running job of the tenant, whoever started it.
async fn running_job(caller: &Caller) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM reader_bulk_jobs WHERE tenant_id = $1 AND status = 'running'",
    )
    .bind(&caller.tenant_id)
    .fetch_optional(&caller.db().pool)
    .await?)
}

fn busy(job: &str) -> AppError {
    AppError::Conflict(format!(
        "Another bulk job of this organisation is still running (/readers/jobs/{job}); start this one when it has finished."
    ))
}

async fn create_job(
    caller: &Caller,
    kind: BulkKind,
    pattern: Option<String>,
    rows: Vec<NewRow>,
) -> AppResult<String> {
    if let Some(job) = running_job(caller).await? {
        return Err(busy(&job));
    }
    let id = new_id("bj");
    let now = now_ms();
    let refused = rows.iter().filter(|r| r.refused.is_some()).count();
    let total = rows.len();
    let mut tx = caller.db().begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO reader_bulk_jobs (id, tenant_id, kind, status, pattern, actor_user_id,
         actor_email, actor_ip, actor_agent, total, created_at)
         VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(&caller.tenant_id)
    .bind(kind.as_str())
    .bind(&pattern)
    .bind(caller.person())
    .bind(caller.principal.name())
    .bind(&caller.meta.ip)
    .bind(&caller.meta.user_agent)
    .bind(i64::try_from(total).unwrap_or(i64::MAX))
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(err) = inserted {
        // The unique index on running jobs: another request of this organisation won the race.
        if err
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation())
        {
            drop(tx);
            let job = running_job(caller).await?.unwrap_or_default();
            return Err(busy(&job));
        }
        return Err(err.into());
    }
    for (index, row) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO reader_bulk_rows (job_id, row_no, tenant_id, registration_code, code_key,
             label, location_id, location_name, connection_id, reader_id, status, message,
             updated_at, subject)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&id)
        .bind(i64::try_from(index).unwrap_or(i64::MAX) + 1)
        .bind(&caller.tenant_id)
        .bind(&row.registration_code)
        .bind(&row.code_key)
        .bind(&row.label)
        .bind(&row.location_id)
        .bind(&row.location_name)
        .bind(&row.connection_id)
        .bind(&row.reader_id)
        .bind(if row.refused.is_some() {
            "refused"
        } else {
            "pending"
        })
        .bind(&row.refused)
        .bind(now)
        .bind(&row.subject)
        .execute(&mut *tx)
        .await?;
    }
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "reader.bulk_started")
            .target("bulk_job", &id)
            .detail(format!(
                "{}: {total} rows, {refused} refused before starting",
                kind.title()
            )),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Readers, Some(&id))
        .await;
    bulk_runner::spawn(caller.state.clone(), id.clone());
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    status: String,
    pattern: Option<String>,
    actor_email: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
    total: i64,
}

/// Operators see the jobs they started (a job may name readers beyond their locations);
/// other roles see every job of the organisation.
fn visible(caller: &Caller, binds: &mut Binds<'_>) -> String {
    let tenant = binds.add(caller.tenant_id.clone());
    if caller.role == Role::Operator {
        let user = binds.add(caller.principal.id().to_string());
        format!("j.tenant_id = {tenant} AND j.actor_user_id = {user}")
    } else {
        format!("j.tenant_id = {tenant}")
    }
}

async fn progress(caller: &Caller, job: &str, total: i64) -> AppResult<BulkProgress> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM reader_bulk_rows WHERE job_id = $1 GROUP BY status",
    )
    .bind(job)
    .fetch_all(&caller.db().pool)
    .await?;
    let of = |s: &str| {
        counts
            .iter()
            .find(|(status, _)| status == s)
            .map_or(0, |(_, n)| *n)
    };
    Ok(BulkProgress {
        total,
        pending: of("pending"),
        done: of("done"),
        already: of("already"),
        refused: of("refused"),
        failed: of("failed"),
    })
}

fn kind_of(text: &str) -> AppResult<BulkKind> {
    BulkKind::parse(text).ok_or_else(|| AppError::internal(format!("unknown bulk kind {text}")))
}

#[derive(sqlx::FromRow)]
struct RowOfJob {
    row_no: i64,
    subject: String,
    label: Option<String>,
    location_name: Option<String>,
    reader_id: Option<String>,
    status: String,
    message: Option<String>,
}

/// One job and its rows.
pub async fn job(caller: &Caller, id: &str) -> AppResult<BulkJobView> {
    let mut binds = Binds::new();
    let visible = visible(caller, &mut binds);
    let id_param = binds.add(id);
    let job: JobRow = binds
        .query_as(&format!(
            "SELECT j.id, j.kind, j.status, j.pattern, j.actor_email, j.created_at, j.finished_at,
             j.total FROM reader_bulk_jobs j WHERE {visible} AND j.id = {id_param}"
        ))
        .fetch_optional(&caller.db().pool)
        .await?
        .ok_or_else(|| AppError::not_found("bulk job"))?;
    let rows: Vec<RowOfJob> = sqlx::query_as(
        "SELECT row_no, subject, label, location_name, reader_id, status, message
             FROM reader_bulk_rows WHERE job_id = $1 ORDER BY row_no",
    )
    .bind(&job.id)
    .fetch_all(&caller.db().pool)
    .await?;
    let progress = progress(caller, &job.id, job.total).await?;
    Ok(BulkJobView {
        kind: kind_of(&job.kind)?,
        id: job.id,
        status: job.status,
        pattern: job.pattern,
        actor: job.actor_email,
        created_at: job.created_at,
        finished_at: job.finished_at,
        progress,
        rows: rows
            .into_iter()
            .map(|r| BulkRowView {
                row_no: r.row_no,
                subject: r.subject,
                label: r.label.filter(|l| !l.is_empty()),
                location: r.location_name,
                reader_id: r.reader_id,
                status: r.status,
                message: r.message,
            })
            .collect(),
        now: now_ms(),
    })
}

/// The caller's latest jobs, and what the registration page offers.
pub async fn jobs(caller: &Caller) -> AppResult<BulkJobsView> {
    let mut binds = Binds::new();
    let visible = visible(caller, &mut binds);
    let rows: Vec<JobRow> = binds
        .query_as(&format!(
            "SELECT j.id, j.kind, j.status, j.pattern, j.actor_email, j.created_at, j.finished_at,
             j.total FROM reader_bulk_jobs j WHERE {visible}
             ORDER BY j.created_at DESC, j.id DESC LIMIT 10"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        jobs.push(BulkJobSummary {
            progress: progress(caller, &row.id, row.total).await?,
            kind: kind_of(&row.kind)?,
            id: row.id,
            status: row.status,
            created_at: row.created_at,
        });
    }
    let can_manage = caller.can(Permission::ManageFleet);
    let (locations, simulated) = if can_manage {
        let mut binds = Binds::new();
        let scope = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
        let rows: Vec<(String, String, String)> = binds
            .query_as(&format!(
                "SELECT l.id, l.display_name, c.kind FROM locations l
                 JOIN stripe_connections c ON c.id = l.connection_id
                 WHERE {scope} ORDER BY l.display_name, l.id LIMIT 50"
            ))
            .fetch_all(&caller.db().pool)
            .await?;
        let simulated = rows.iter().any(|(_, _, kind)| kind == "simulator");
        (
            rows.into_iter().map(|(id, name, _)| (id, name)).collect(),
            simulated,
        )
    } else {
        (Vec::new(), false)
    };
    Ok(BulkJobsView {
        jobs,
        can_manage,
        locations,
        simulated,
    })
}
