//! `GET /transactions.csv?…`: the filtered transactions as CSV, streamed page by page so an
//! export of any size holds one page in memory. Same filters and scope as the Transactions page.
//! What every export shares (who may start one, the slot it holds, its audit entry, the streamed
//! file) lives here too.

use app::error::{AppError, AppResult};
use app::model::Permission;
use app::payments::ssr::payments_service;
use app::payments::types::{format_amount, PaymentView, TransactionQuery, TransactionsView};
use app::ssr::audit::{record, Entry};
use app::ssr::caller::resolve;
use app::ssr::{AppState, Caller, ClientMeta};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::borrow::Cow;
use std::future::Future;
use tower_sessions::Session;

const HEADER: [&str; 15] = [
    "created_utc",
    "payment_intent",
    "status",
    "amount",
    "captured",
    "refunded",
    "currency",
    "amount_text",
    "card_brand",
    "card_last4",
    "read_method",
    "reader",
    "location",
    "description",
    "failure",
];

fn row(p: &PaymentView) -> [String; 15] {
    [
        app::time_fmt::datetime_seconds(p.created_at),
        p.id.clone(),
        p.status.clone(),
        p.amount.to_string(),
        p.amount_received.to_string(),
        p.amount_refunded.to_string(),
        p.currency.clone(),
        format_amount(p.amount, &p.currency),
        p.card_brand.clone().unwrap_or_default(),
        p.card_last4.clone().unwrap_or_default(),
        p.read_method.clone().unwrap_or_default(),
        p.reader_label
            .clone()
            .or(p.reader_id.clone())
            .unwrap_or_default(),
        p.location_name.clone().unwrap_or_default(),
        p.description.clone().unwrap_or_default(),
        p.failure_message.clone().unwrap_or_default(),
    ]
}

fn page(view: TransactionsView) -> CsvPage<[String; 15]> {
    CsvPage {
        rows: view.payments.iter().map(row).collect(),
        next: view.next,
    }
}

/// CSV of `rows`, after `header` when given (the first chunk of a streamed export). Every
/// export goes through here, so every cell of a row is [`neutralised`] (headers are ours).
pub fn csv_bytes<R: AsRef<[String]>>(
    header: Option<&[&str]>,
    rows: &[R],
) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if let Some(header) = header {
        writer.write_record(header)?;
    }
    for r in rows {
        let cells: Vec<Cow<'_, str>> = r.as_ref().iter().map(|cell| neutralised(cell)).collect();
        writer.write_record(cells.iter().map(|cell| cell.as_bytes()))?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// A cell as a spreadsheet may open it safely. Excel, LibreOffice and Google Sheets run a cell
/// that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a formula,
/// and the text here comes from outsiders: a User-Agent, a reader label, a location's name. Such
/// a cell gets a leading `'` (OWASP's advice for CSV injection), which spreadsheets show as
/// text. Numbers are left alone, so a negative amount stays a number: rather than keeping a list
/// of numeric columns that could drift, every cell is checked and a plain decimal number such as
/// `-1250` or `-12.50` is the only kind of cell starting with `-` that passes unchanged.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    let first_visible = cell.trim_start_matches([' ', '\u{a0}']).chars().next();
    let formula_like = matches!(cell.chars().next(), Some('\t' | '\r' | '\n'))
        || matches!(first_visible, Some('=' | '+' | '-' | '@'));
    if formula_like && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-?digits[.digits]`: a number a spreadsheet reads as a number and nothing else.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A refused export: the error's status and its words as plain text.
pub fn refuse(status: u16, message: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        message,
    )
        .into_response()
}

/// One more export for this user, or a 429 saying why: exports hold a database cursor and a
/// connection while they stream, so each user may run only a few at once.
pub fn hold_export(caller: &Caller) -> Result<app::ssr::limits::Held, ExportsBusy> {
    let cap = caller.state.settings.limits.exports_per_user;
    caller
        .state
        .in_flight
        .exports
        .try_hold(caller.principal.id(), cap)
        .ok_or(ExportsBusy(cap))
}

/// The user already streams as many exports as they may.
pub struct ExportsBusy(usize);

impl IntoResponse for ExportsBusy {
    fn into_response(self) -> Response {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "5")],
            format!(
                "You already have {} exports downloading. Wait for one to finish, then try again.",
                self.0
            ),
        )
            .into_response()
    }
}

/// The body of a streamed export, holding `held` until the last byte is sent or the download
/// is abandoned.
pub fn export_body(
    head: Vec<u8>,
    rest: impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static,
    held: app::ssr::limits::Held,
) -> Body {
    // Fused: a compressing layer may ask once more after the end, which `unfold` forbids.
    let body = futures::StreamExt::fuse(futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<Vec<u8>, std::io::Error>(head) }),
        rest,
    ));
    Body::from_stream(futures::StreamExt::map(body, move |chunk| {
        let _held = &held;
        chunk
    }))
}

/// One page of an export's rows, and the cursor of the page after it.
pub struct CsvPage<R> {
    pub rows: Vec<R>,
    pub next: Option<String>,
}

/// A CSV download named `filename`: `header` and the `first` page, then each later page as
/// `next_page` reads it (from `state` and the cursor the page before gave) while the browser
/// takes the file. The first page is read before this is called so that a bad filter is a clear
/// error rather than a broken file; a later error can only end the file early, and is logged.
fn csv_download<S, R, F, Fut>(
    filename: &'static str,
    header: &[&str],
    first: CsvPage<R>,
    state: S,
    next_page: F,
    held: app::ssr::limits::Held,
) -> Response
where
    S: Send + 'static,
    R: AsRef<[String]> + Send + 'static,
    F: FnMut(S, String) -> Fut + Send + 'static,
    Fut: Future<Output = (S, AppResult<CsvPage<R>>)> + Send + 'static,
{
    let head = match csv_bytes(Some(header), &first.rows) {
        Ok(bytes) => bytes,
        Err(err) => return refuse(500, format!("could not write CSV: {err}")),
    };
    let rest = futures::stream::unfold(
        (state, first.next, next_page),
        move |(state, next, mut next_page)| async move {
            let (state, page) = next_page(state, next?).await;
            match page {
                Ok(page) => {
                    let bytes = csv_bytes(None, &page.rows).map_err(std::io::Error::other);
                    Some((bytes, (state, page.next, next_page)))
                }
                Err(err) => {
                    tracing::warn!(error = %err, export = filename, "CSV export stopped");
                    None
                }
            }
        },
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        export_body(head, rest, held),
    )
        .into_response()
}

/// What an export writes in the audit log when it starts: its action and, for a filtered
/// export, what it was filtered by.
pub struct ExportRecord {
    pub action: &'static str,
    pub detail: Option<String>,
}

/// An export allowed to start: who asked, the slot they hold and its first page.
pub struct StartedExport<R> {
    caller: Caller,
    held: app::ssr::limits::Held,
    first: CsvPage<R>,
}

impl<R: AsRef<[String]> + Send + 'static> StartedExport<R> {
    /// The export as a CSV download named `filename`: its first page, then each later page as
    /// `next_page` reads it from the caller, `query` and the cursor the page before gave.
    pub fn download<Q, F, Fut>(
        self,
        filename: &'static str,
        header: &[&str],
        query: Q,
        next_page: F,
    ) -> Response
    where
        Q: Send + 'static,
        F: FnMut((Caller, Q), String) -> Fut + Send + 'static,
        Fut: Future<Output = ((Caller, Q), AppResult<CsvPage<R>>)> + Send + 'static,
    {
        csv_download(
            filename,
            header,
            self.first,
            (self.caller, query),
            next_page,
            self.held,
        )
    }
}

/// What every CSV export does before its first byte: the caller from the session, refused
/// without `permission`; one of the caller's export slots; the first page (`first_page`), read
/// now so that a bad filter is a clear error rather than a broken file; then the audit entry
/// `audit`, written after that page so the export's own entry is not in an audit export.
/// `Err` is the answer refusing the export.
pub async fn start_export<R>(
    state: AppState,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    permission: Permission,
    audit: ExportRecord,
    first_page: impl AsyncFnOnce(&Caller) -> AppResult<CsvPage<R>>,
) -> Result<StartedExport<R>, Response> {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let caller = match resolve(state, session, meta).await {
        Ok(c) if !c.tenant_id.is_empty() && c.can(permission) => c,
        Ok(_) => return Err(refuse(403, AppError::forbidden().to_string())),
        Err(err) => return Err(refuse(err.status(), err.to_string())),
    };
    let held = hold_export(&caller).map_err(IntoResponse::into_response)?;
    let first = first_page(&caller)
        .await
        .map_err(|err| refuse(err.status(), err.to_string()))?;
    audit_export(&caller, audit)
        .await
        .map_err(|err| refuse(err.status(), err.to_string()))?;
    Ok(StartedExport {
        caller,
        held,
        first,
    })
}

async fn audit_export(caller: &Caller, export: ExportRecord) -> AppResult<()> {
    let mut entry = Entry::by(caller, export.action);
    if let Some(detail) = export.detail {
        entry = entry.detail(detail);
    }
    let mut tx = caller.db().begin_write().await?;
    record(&mut tx, &caller.meta, entry).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn transactions_csv(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    Query(query): Query<TransactionQuery>,
) -> Response {
    let record = ExportRecord {
        action: "payment.exported",
        detail: None,
    };
    let started = start_export(
        state,
        session,
        meta,
        Permission::View,
        record,
        async |caller| payments_service::list(caller, &query).await.map(page),
    )
    .await;
    match started {
        Ok(export) => export.download(
            "transactions.csv",
            &HEADER,
            query,
            |(caller, mut query), cursor| async move {
                query.before = Some(cursor);
                let next = payments_service::list(&caller, &query).await.map(page);
                ((caller, query), next)
            },
        ),
        Err(refused) => refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_numbers_are_not() {
        let cases = [
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            (" =1+1", "' =1+1"),
            ("-", "'-"),
            ("-1e5", "'-1e5"),
            ("-inf", "'-inf"),
            ("-1250", "-1250"),
            ("-12.50", "-12.50"),
            ("1250", "1250"),
            ("Till 1", "Till 1"),
            ("a=b", "a=b"),
            ("", ""),
        ];
        for (cell, want) in cases {
            assert_eq!(neutralised(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn every_cell_of_an_export_goes_through_the_encoder() {
        let rows = vec![vec!["-7".to_string(), "=1+1".to_string()]];
        let bytes = csv_bytes(Some(&["amount", "label"]), &rows).expect("csv");
        assert_eq!(String::from_utf8_lossy(&bytes), "amount,label\n-7,'=1+1\n");
    }
}
