//! Bulk work as a person does it: a CSV sent through the bulk registration form, a job's page
//! waited on until every row has its outcome, a bulk action chosen on the Readers list.

use super::wait::until;
use super::{Browser, TestServer};
use app::fleet::bulk_types::BulkJobView;
use reqwest::StatusCode;
use std::time::Duration;

/// Sends the bulk registration form with `csv` pasted (or as the chosen file when `as_file`);
/// returns where the server sent the browser.
pub async fn send_csv(b: &Browser, csv: &str, as_file: bool) -> String {
    let form = if as_file {
        reqwest::multipart::Form::new().text("csv", "").part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("readers.csv")
                .mime_str("text/csv")
                .expect("mime"),
        )
    } else {
        reqwest::multipart::Form::new().text("csv", csv.to_string())
    };
    let r = b
        .http
        .post(format!("{}/readers/register-many/upload", b.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "upload answered {}",
        r.status()
    );
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string()
}

/// Sends `csv` and returns the job it started.
pub async fn start_registration(b: &Browser, csv: &str) -> String {
    let to = send_csv(b, csv, false).await;
    to.strip_prefix("/readers/jobs/")
        .unwrap_or_else(|| panic!("no job started: sent to {to}"))
        .to_string()
}

pub async fn job(b: &Browser, id: &str) -> BulkJobView {
    b.ok("bulk_job", &[("id", id)]).await
}

/// The job once every row has its outcome.
pub async fn finished(b: &Browser, id: &str, seconds: u64) -> BulkJobView {
    until(
        &format!("bulk job {id} finished"),
        seconds,
        Duration::from_millis(200),
        || async { Some(job(b, id).await).filter(|j| j.status == "done") },
    )
    .await
}

/// Each row's status, in row order.
pub fn statuses(job: &BulkJobView) -> Vec<&str> {
    job.rows.iter().map(|r| r.status.as_str()).collect()
}

/// Starts a bulk action as the confirm step posts it; returns the job's id.
pub async fn start_action(b: &Browser, form: &[(&str, &str)]) -> String {
    b.ok("start_bulk_action", form).await
}

/// A one-time registration code for a "physical" reader on `connection`'s account.
pub async fn physical_code(s: &TestServer, connection: &str) -> String {
    let account = super::stripe::account_of_connection(s, connection).await;
    let answer = super::stripe::sim(
        s,
        "/_sim/registration_codes",
        serde_json::json!({ "account": account }),
    )
    .await;
    answer["registration_code"]
        .as_str()
        .expect("registration code")
        .to_string()
}
