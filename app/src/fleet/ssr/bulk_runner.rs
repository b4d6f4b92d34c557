//! Works through a bulk job's rows in the background, one at a time and at a bounded pace, so
//! a job of 500 readers stays within Stripe's rate limit for the account (the sync's reads
//! share it). Each row ends with its own outcome: a refusal from Stripe fails that row only; a
//! 429, a 5xx or a network failure that outlasts the client's own retries is tried again after
//! a pause, a few times, before the row is marked failed. A lease names the instance working
//! on a job, so a job whose instance died is taken over (`resume`) and no row runs twice at once.

use super::reader_rows::{self, Mirror};
use super::readers_service::registration;
use crate::error::AppError;
use crate::ssr::audit::{record, Entry};
use crate::ssr::client_meta::ClientMeta;
use crate::ssr::ids::{new_id, now_ms, token_hash};
use crate::ssr::stripe_access::{self, step_key, Access};
use crate::ssr::AppState;
use crate::topic::Topic;
use fleet_stripe::params::UpdateReader;
use fleet_stripe::{IdempotencyKey, Reader, StripeError};
use std::time::Duration;

/// Between two calls to Stripe for one job: four writes a second, a sixth of Stripe's
/// test-mode limit, beside the sync's five reads a second.
const PACE: Duration = Duration::from_millis(250);
/// How long a lease lasts without renewal; renewed before every row.
const LEASE_MS: i64 = 30_000;
/// Attempts of one row that Stripe answered with 429, 5xx or not at all.
const MAX_ATTEMPTS: i64 = 6;

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

#[derive(sqlx::FromRow)]
struct Job {
    id: String,
    tenant_id: String,
    kind: String,
    actor_user_id: Option<String>,
    actor_email: Option<String>,
    actor_ip: Option<String>,
    actor_agent: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    row_no: i64,
    registration_code: Option<String>,
    code_key: Option<String>,
    label: Option<String>,
    location_id: Option<String>,
    location_name: Option<String>,
    connection_id: Option<String>,
    reader_id: Option<String>,
    attempts: i64,
}

/// How a row ended, or that it should be tried again.
enum Outcome {
    /// Its outcome is stored already, with the change it made.
    Recorded,
    Done {
        status: &'static str,
        reader: Option<String>,
        message: String,
    },
    Again(String),
}

fn failed(message: impl Into<String>) -> Outcome {
    Outcome::Done {
        status: "failed",
        reader: None,
        message: message.into(),
    }
}

/// Stripe's failure as a row's outcome: its pace or its trouble is worth another try, a
/// refusal is final.
fn from_stripe(err: &StripeError) -> Outcome {
    match err.status() {
        Some(429) => Outcome::Again("Stripe asked us to slow down.".into()),
        None | Some(500..) => Outcome::Again(err.user_message()),
        _ => failed(err.user_message()),
    }
}

/// Works on `job` in this instance, in the background.
pub fn spawn(state: AppState, job: String) {
    tokio::spawn(async move {
        if let Err(err) = run(&state, &job).await {
            tracing::warn!(error = %err, job = %job, "bulk job stopped; another pass resumes it");
        }
    });
}

/// Takes over running jobs whose lease has expired (their instance died or stopped); returns
/// how many were taken.
pub async fn resume(state: &AppState) -> Result<usize, sqlx::Error> {
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM reader_bulk_jobs WHERE status = 'running'
         AND (lease_until IS NULL OR lease_until < $1)",
    )
    .bind(now_ms())
    .fetch_all(&state.db.pool)
    .await?;
    let count = stale.len();
    for job in stale {
        spawn(state.clone(), job);
    }
    Ok(count)
}

/// Tells the job's page (and the readers' pages) that a row moved.
async fn announce(state: &AppState, tenant: &str, id: &str) {
    state.bus.publish(tenant, Topic::Readers, Some(id)).await;
}

/// Takes or renews the lease on `job` for `holder`; false when another holds it.
async fn lease(state: &AppState, job: &str, holder: &str) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let taken = sqlx::query(
        "UPDATE reader_bulk_jobs SET lease_holder = $2, lease_until = $3
         WHERE id = $1 AND status = 'running'
           AND (lease_holder = $2 OR lease_until IS NULL OR lease_until < $4)",
    )
    .bind(job)
    .bind(holder)
    .bind(now + LEASE_MS)
    .bind(now)
    .execute(&state.db.pool)
    .await?;
    Ok(taken.rows_affected() == 1)
}

async fn run(state: &AppState, job_id: &str) -> Result<(), RunError> {
    let holder = new_id("lease");
    if !lease(state, job_id, &holder).await? {
        return Ok(());
    }
    let job: Job = match sqlx::query_as(
        "SELECT id, tenant_id, kind, actor_user_id, actor_email, actor_ip, actor_agent
         FROM reader_bulk_jobs WHERE id = $1",
    )
    .bind(job_id)
    .fetch_optional(&state.db.pool)
    .await?
    {
        Some(job) => job,
        None => return Ok(()),
    };
    let mut last_call: Option<tokio::time::Instant> = None;
    loop {
        if !lease(state, job_id, &holder).await? {
            return Ok(());
        }
        let row: Option<JobRow> = sqlx::query_as(
            "SELECT row_no, registration_code, code_key, label, location_id, location_name,
             connection_id, reader_id, attempts FROM reader_bulk_rows
             WHERE job_id = $1 AND status = 'pending' ORDER BY row_no LIMIT 1",
        )
        .bind(job_id)
        .fetch_optional(&state.db.pool)
        .await?;
        let Some(row) = row else {
            sqlx::query(
                "UPDATE reader_bulk_jobs SET status = 'done', finished_at = $2, lease_holder = NULL
                 WHERE id = $1 AND status = 'running'",
            )
            .bind(job_id)
            .bind(now_ms())
            .execute(&state.db.pool)
            .await?;
            announce(state, &job.tenant_id, job_id).await;
            return Ok(());
        };
        if let Some(last) = last_call {
            tokio::time::sleep_until(last + PACE).await;
        }
        last_call = Some(tokio::time::Instant::now());
        match process(state, &job, &row).await? {
            Outcome::Recorded => {}
            Outcome::Again(why) if row.attempts + 1 < MAX_ATTEMPTS => {
                sqlx::query(
                    "UPDATE reader_bulk_rows SET attempts = attempts + 1, message = $3, updated_at = $4
                     WHERE job_id = $1 AND row_no = $2",
                )
                .bind(job_id)
                .bind(row.row_no)
                .bind(format!("{why} Trying again…"))
                .bind(now_ms())
                .execute(&state.db.pool)
                .await?;
                announce(state, &job.tenant_id, job_id).await;
                // 1, 2, 4, 8, 16 s: longer than the client's own back-off, which already failed.
                let pause = 1u64 << row.attempts.clamp(0, 4);
                tokio::time::sleep(Duration::from_secs(pause)).await;
            }
            Outcome::Again(why) => {
                finish_row(state, &job, &row, "failed", None, &why, None).await?;
            }
            Outcome::Done {
                status,
                reader,
                message,
            } => {
                finish_row(state, &job, &row, status, reader.as_deref(), &message, None).await?;
            }
        }
    }
}

/// Records a row's outcome, with `change` (the reader Stripe answered with, the audit entry)
/// in the same transaction.
async fn finish_row(
    state: &AppState,
    job: &Job,
    row: &JobRow,
    status: &str,
    reader: Option<&str>,
    message: &str,
    change: Option<Change<'_>>,
) -> Result<(), RunError> {
    let mut tx = state.db.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE reader_bulk_rows SET status = $3, reader_id = COALESCE($4, reader_id), message = $5,
         attempts = attempts + 1, updated_at = $6
         WHERE job_id = $1 AND row_no = $2 AND status = 'pending'",
    )
    .bind(&job.id)
    .bind(row.row_no)
    .bind(status)
    .bind(reader)
    .bind(message)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    // Already finished elsewhere (a lease taken over while this instance stalled): keep that.
    if updated.rows_affected() == 0 {
        return Ok(());
    }
    let reader_id = reader.map(str::to_string);
    if let Some(change) = change {
        change.apply(&mut tx, job, row).await?;
    }
    tx.commit().await?;
    announce(state, &job.tenant_id, &job.id).await;
    if let Some(reader) = reader_id {
        announce(state, &job.tenant_id, &reader).await;
    }
    Ok(())
}

/// What a successful row changes in our records besides its own outcome.
struct Change<'a> {
    connection_id: &'a str,
    /// Stripe's reader after the change; `None` when it was deleted.
    reader: Option<&'a Reader>,
    deleted: Option<&'a str>,
    action: &'static str,
    target: &'a str,
    detail: String,
    /// The registration code's key to remember, with the label it registered.
    code: Option<(&'a str, &'a str)>,
}

impl Change<'_> {
    async fn apply(
        self,
        tx: &mut sqlx::AnyConnection,
        job: &Job,
        row: &JobRow,
    ) -> Result<(), sqlx::Error> {
        if let Some(reader) = self.reader {
            let fresh = Mirror::from_stripe(reader);
            let old = reader_rows::load(tx, self.connection_id, &reader.id).await?;
            reader_rows::apply(
                tx,
                &job.tenant_id,
                self.connection_id,
                old.as_ref(),
                &fresh,
                now_ms(),
            )
            .await?;
        }
        if let Some(id) = self.deleted {
            reader_rows::remove(tx, self.connection_id, id).await?;
        }
        if let Some((key, label)) = self.code {
            sqlx::query(
                "INSERT INTO reader_registration_codes (tenant_id, code_key, reader_id, label,
                 registered_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&job.tenant_id)
            .bind(key)
            .bind(self.target)
            .bind(label)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        let meta = ClientMeta {
            ip: job.actor_ip.clone().unwrap_or_default(),
            user_agent: job.actor_agent.clone().unwrap_or_default(),
            path: format!("/readers/jobs/{}", job.id),
        };
        let entry = Entry {
            tenant_id: Some(job.tenant_id.as_str()),
            actor_user_id: job.actor_user_id.as_deref(),
            actor_email: job.actor_email.as_deref(),
            action: self.action,
            ..Default::default()
        }
        .target("reader", self.target)
        .detail(format!(
            "{} (bulk job {}, row {})",
            self.detail, job.id, row.row_no
        ));
        record(tx, &meta, entry).await
    }
}

async fn access(state: &AppState, job: &Job, row: &JobRow) -> Result<Access, Outcome> {
    let connection = row
        .connection_id
        .as_deref()
        .ok_or_else(|| failed("The reader's Stripe account is not known here any more."))?;
    stripe_access::load(state, &job.tenant_id, connection)
        .await
        .map_err(|err| match err {
            AppError::Internal(_) => Outcome::Again(err.to_string()),
            other => failed(other.to_string()),
        })
}

/// Does one row's work and records it; returns what became of it when it is not recorded yet.
async fn process(state: &AppState, job: &Job, row: &JobRow) -> Result<Outcome, RunError> {
    let access = match access(state, job, row).await {
        Ok(access) => access,
        Err(outcome) => return Ok(outcome),
    };
    let result = match job.kind.as_str() {
        "register" => register(state, job, row, &access).await?,
        "relabel" | "delete" | "cancel_action" => change_reader(state, job, row, &access).await?,
        other => failed(format!("Unknown bulk action {other}.")),
    };
    Ok(result)
}

/// A registration code this organisation already used, and the reader it made.
async fn remembered(
    state: &AppState,
    tenant: &str,
    key: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT reader_id, label FROM reader_registration_codes WHERE tenant_id = $1 AND code_key = $2",
    )
    .bind(tenant)
    .bind(key)
    .fetch_optional(&state.db.pool)
    .await
}

async fn register(
    state: &AppState,
    job: &Job,
    row: &JobRow,
    access: &Access,
) -> Result<Outcome, RunError> {
    let (Some(code), Some(key), Some(location)) = (
        row.registration_code.as_deref(),
        row.code_key.as_deref(),
        row.location_id.as_deref(),
    ) else {
        return Ok(failed("The row has no registration code or location."));
    };
    if let Some((reader, label)) = remembered(state, &job.tenant_id, key).await? {
        let named = if label.is_empty() {
            reader.clone()
        } else {
            format!("“{label}” ({reader})")
        };
        finish_row(
            state,
            job,
            row,
            "already",
            Some(&reader),
            &format!("Already registered as {named}."),
            None,
        )
        .await?;
        return Ok(Outcome::Recorded);
    }
    let label = row.label.clone().unwrap_or_default();
    // Derived from the registration itself, so a retry after a lost answer (this job's or a
    // later file's) gets the reader Stripe already made instead of a refusal or a second one.
    let idempotency = IdempotencyKey::new(format!(
        "fleet:bulk-register:{}:{}",
        job.tenant_id,
        token_hash(key)
    ));
    let created = access
        .client
        .create_reader(
            &access.creds,
            &registration(code, &label, location),
            &idempotency,
        )
        .await;
    let reader = match created {
        Ok(reader) => reader,
        Err(err) => return Ok(from_stripe(&err)),
    };
    let shown = reader.label.clone().unwrap_or_default();
    let detail = format!(
        "{shown} ({}) at {}",
        reader.device_type.as_str(),
        row.location_name.as_deref().unwrap_or(location)
    );
    finish_row(
        state,
        job,
        row,
        "done",
        Some(&reader.id),
        &format!("Registered as {}.", reader.id),
        Some(Change {
            connection_id: &access.connection_id,
            reader: Some(&reader),
            deleted: None,
            action: "reader.registered",
            target: &reader.id,
            detail,
            code: Some((key, &shown)),
        }),
    )
    .await?;
    Ok(Outcome::Recorded)
}

async fn change_reader(
    state: &AppState,
    job: &Job,
    row: &JobRow,
    access: &Access,
) -> Result<Outcome, RunError> {
    let Some(id) = row.reader_id.as_deref() else {
        return Ok(failed("The row names no reader."));
    };
    // The reader must still be this organisation's, on the account the job found it on.
    let current: Option<String> = sqlx::query_scalar(
        "SELECT label FROM readers WHERE tenant_id = $1 AND connection_id = $2 AND id = $3",
    )
    .bind(&job.tenant_id)
    .bind(&access.connection_id)
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(old_label) = current else {
        return Ok(failed("This reader no longer exists."));
    };
    let key = step_key(&job.id, &row.row_no.to_string());
    let (reader, deleted, action, detail, message) = match job.kind.as_str() {
        "relabel" => {
            let label = row.label.clone().unwrap_or_default();
            let updated = access
                .client
                .update_reader(
                    &access.creds,
                    id,
                    &UpdateReader {
                        label: Some(label.clone()),
                        metadata: None,
                    },
                    &key,
                )
                .await;
            match updated {
                Ok(reader) => (
                    Some(reader),
                    None,
                    "reader.relabeled",
                    format!("“{old_label}” → “{label}”"),
                    format!("Relabeled “{label}”."),
                ),
                Err(err) => return Ok(from_stripe(&err)),
            }
        }
        "delete" => {
            match access.client.delete_reader(&access.creds, id).await {
                Ok(_) => {}
                // Gone at Stripe already: our row follows.
                Err(err) if err.api().is_some_and(|a| a.status == 404) => {}
                Err(err) => return Ok(from_stripe(&err)),
            }
            (
                None,
                Some(id),
                "reader.deleted",
                old_label.clone(),
                "Deleted.".to_string(),
            )
        }
        _ => match access.client.cancel_action(&access.creds, id, &key).await {
            Ok(reader) => (
                Some(reader),
                None,
                "reader.action_canceled",
                old_label.clone(),
                "Action canceled.".to_string(),
            ),
            Err(err) => return Ok(from_stripe(&err)),
        },
    };
    finish_row(
        state,
        job,
        row,
        "done",
        Some(id),
        &message,
        Some(Change {
            connection_id: &access.connection_id,
            reader: reader.as_ref(),
            deleted,
            action,
            target: id,
            detail,
            code: None,
        }),
    )
    .await?;
    Ok(Outcome::Recorded)
}
