//! `GET /readers/export.csv?…`: the fleet as CSV with the Readers list's filters and scope
//! (operators get their locations' readers), streamed page by page in id order; the export
//! itself is audited.

use super::export::{start_export, CsvPage, ExportRecord};
use app::fleet::ssr::readers_service;
use app::fleet::types::{ReaderQuery, ReaderView};
use app::model::Permission;
use app::ssr::{AppState, ClientMeta};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;
use tower_sessions::Session;

const HEADER: [&str; 8] = [
    "id",
    "label",
    "location",
    "device",
    "serial",
    "software",
    "status",
    "last_seen_utc",
];

fn row(r: &ReaderView) -> [String; 8] {
    let status = if !r.online {
        "offline"
    } else if r.busy() {
        "busy"
    } else {
        "online"
    };
    [
        r.id.clone(),
        r.label.clone(),
        r.location_name.clone().unwrap_or_default(),
        r.device_type.clone(),
        r.serial_number.clone(),
        r.sw_version.clone().unwrap_or_default(),
        status.to_string(),
        r.last_seen_at
            .map(app::time_fmt::datetime_seconds)
            .unwrap_or_default(),
    ]
}

fn page((readers, next): (Vec<ReaderView>, Option<String>)) -> CsvPage<[String; 8]> {
    CsvPage {
        rows: readers.iter().map(row).collect(),
        next,
    }
}

pub async fn readers_csv(
    State(state): State<AppState>,
    session: Session,
    meta: Option<Extension<ClientMeta>>,
    Query(query): Query<ReaderQuery>,
) -> Response {
    // The list's sort and page do not apply: the file holds every matching reader, by id.
    let query = ReaderQuery {
        sort: None,
        dir: None,
        page: None,
        ..query
    };
    let record = ExportRecord {
        action: "reader.exported",
        detail: None,
    };
    let started = start_export(
        state,
        session,
        meta,
        Permission::View,
        record,
        async |caller| {
            readers_service::export_page(caller, &query, None)
                .await
                .map(page)
        },
    )
    .await;
    match started {
        Ok(export) => export.download(
            "readers.csv",
            &HEADER,
            query,
            |(caller, query), cursor| async move {
                let next = readers_service::export_page(&caller, &query, Some(&cursor))
                    .await
                    .map(page);
                ((caller, query), next)
            },
        ),
        Err(refused) => refused,
    }
}
