//! What bulk work on the fleet exchanges: a job (many readers registered from a CSV, or many
//! readers relabeled, deleted or stopped) with one outcome per row, its preview before it is
//! confirmed, and the fleet inventory of the Overview.

use serde::{Deserialize, Serialize};

/// The most rows one job may hold: a CSV's rows or the readers one action reaches.
pub const MAX_BULK_ROWS: usize = 500;
/// The most a pasted or uploaded CSV may weigh (500 rows of long codes, labels and names fit).
pub const MAX_BULK_CSV_BYTES: usize = 128 * 1024;
/// Where the bulk registration form posts (a multipart form, so a file upload works before the
/// page hydrates).
pub const BULK_REGISTER_PATH: &str = "/readers/register-many/upload";

/// What a bulk job does to each of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkKind {
    Register,
    Relabel,
    Delete,
    CancelAction,
}

impl BulkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkKind::Register => "register",
            BulkKind::Relabel => "relabel",
            BulkKind::Delete => "delete",
            BulkKind::CancelAction => "cancel_action",
        }
    }

    pub fn parse(text: &str) -> Option<BulkKind> {
        match text {
            "register" => Some(BulkKind::Register),
            "relabel" => Some(BulkKind::Relabel),
            "delete" => Some(BulkKind::Delete),
            "cancel_action" => Some(BulkKind::CancelAction),
            _ => None,
        }
    }

    /// "Relabel readers", for headings.
    pub fn title(self) -> &'static str {
        match self {
            BulkKind::Register => "Register readers",
            BulkKind::Relabel => "Relabel readers",
            BulkKind::Delete => "Delete readers",
            BulkKind::CancelAction => "Cancel readers' actions",
        }
    }
}

/// One row of a job and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRowView {
    /// 1-based: the CSV's line among its data rows, or the reader's place in the selection.
    pub row_no: i64,
    /// The registration code (registration) or the reader's label when the job started.
    pub subject: String,
    /// The label asked for (registration, relabel).
    pub label: Option<String>,
    pub location: Option<String>,
    pub reader_id: Option<String>,
    /// `pending`, `done`, `already`, `refused` or `failed`.
    pub status: String,
    pub message: Option<String>,
}

impl BulkRowView {
    /// The row's outcome in a few words.
    pub fn status_text(&self) -> &'static str {
        match self.status.as_str() {
            "pending" => "Waiting",
            "done" => "Done",
            "already" => "Already done",
            "refused" => "Refused",
            _ => "Failed",
        }
    }
}

/// How far a job is: rows per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkProgress {
    pub total: i64,
    pub pending: i64,
    pub done: i64,
    pub already: i64,
    pub refused: i64,
    pub failed: i64,
}

impl BulkProgress {
    pub fn processed(&self) -> i64 {
        self.total - self.pending
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkJobView {
    pub id: String,
    pub kind: BulkKind,
    /// `running` or `done`.
    pub status: String,
    pub pattern: Option<String>,
    pub actor: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub progress: BulkProgress,
    pub rows: Vec<BulkRowView>,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkJobSummary {
    pub id: String,
    pub kind: BulkKind,
    pub status: String,
    pub created_at: i64,
    pub progress: BulkProgress,
}

/// The caller's recent jobs, newest first, for the bulk registration page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkJobsView {
    pub jobs: Vec<BulkJobSummary>,
    pub can_manage: bool,
    /// Where readers may be registered: (location id, name), for the page's example.
    pub locations: Vec<(String, String)>,
    pub simulated: bool,
}

/// Which readers a bulk action reaches: the ids ticked in the list, or every reader matching
/// the list's filter (`all`), as the Readers list's form posts them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkSelection {
    pub action: Option<String>,
    /// Reader ids separated by spaces or commas.
    pub ids: Option<String>,
    /// `1`: every reader matching the filter below, not the ids.
    pub all: Option<String>,
    pub location: Option<String>,
    pub status: Option<String>,
    pub device_type: Option<String>,
    pub q: Option<String>,
    pub pattern: Option<String>,
}

/// One reader a bulk action would reach, and what it would do to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkTarget {
    pub reader_id: String,
    pub label: String,
    pub location: Option<String>,
    /// The new label (relabel).
    pub new_label: Option<String>,
    /// Why this reader will be left alone, when it will.
    pub refused: Option<String>,
}

/// What a bulk action will do, shown before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub kind: BulkKind,
    pub targets: Vec<BulkTarget>,
    pub pattern: Option<String>,
}

/// Readers of one device type running one software version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryCell {
    pub device_type: String,
    /// `None`: the reader has not reported one.
    pub sw_version: Option<String>,
    pub readers: i64,
}

/// A reader running an older version than most of its device type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutdatedReader {
    pub id: String,
    pub label: String,
    pub location: Option<String>,
    pub device_type: String,
    pub sw_version: String,
    /// The most common version of its device type.
    pub common: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryView {
    /// By device type, then version (newest first).
    pub cells: Vec<InventoryCell>,
    /// (device type, most common version, readers running it).
    pub common: Vec<(String, String, i64)>,
    pub outdated: Vec<OutdatedReader>,
    /// More outdated readers than listed.
    pub outdated_total: i64,
}

/// Why a bulk registration file was not taken at all; the form's page says it in words (its
/// code travels in `?error=`, so the page before hydration shows it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkRefusal {
    Empty,
    TooBig,
    TooMany,
    Unreadable,
    Forbidden,
    Busy,
    Failed,
}

impl BulkRefusal {
    const ALL: [BulkRefusal; 7] = [
        BulkRefusal::Empty,
        BulkRefusal::TooBig,
        BulkRefusal::TooMany,
        BulkRefusal::Unreadable,
        BulkRefusal::Forbidden,
        BulkRefusal::Busy,
        BulkRefusal::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BulkRefusal::Empty => "empty",
            BulkRefusal::TooBig => "too_big",
            BulkRefusal::TooMany => "too_many",
            BulkRefusal::Unreadable => "unreadable",
            BulkRefusal::Forbidden => "forbidden",
            BulkRefusal::Busy => "busy",
            BulkRefusal::Failed => "failed",
        }
    }

    pub fn parse(code: &str) -> Option<BulkRefusal> {
        Self::ALL.into_iter().find(|r| r.as_str() == code)
    }

    pub fn message(self) -> String {
        match self {
            BulkRefusal::Empty => "Paste or choose a CSV with one reader per line: registration_code,label,location.".into(),
            BulkRefusal::TooBig => format!("The file is too large: send at most {} KB ({MAX_BULK_ROWS} readers) at once.", MAX_BULK_CSV_BYTES / 1024),
            BulkRefusal::TooMany => format!("Send at most {MAX_BULK_ROWS} readers at once; split the file."),
            BulkRefusal::Unreadable => "A line of the CSV cannot be read (check its quotes), or the file is not text in UTF-8.".into(),
            BulkRefusal::Forbidden => "Only owners and admins register readers.".into(),
            BulkRefusal::Busy => "Another bulk job of this organisation is still running; start this one when it has finished (Recent bulk jobs, below).".into(),
            BulkRefusal::Failed => "Something went wrong on our side and nothing was started. Please try again.".into(),
        }
    }
}
