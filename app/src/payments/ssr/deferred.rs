//! The writes a transaction of payment changes leaves to its end: the figures' changes, merged
//! by key, and the timeline lines, each written in one statement. A batch of webhook events
//! costs a few statements for all of them instead of three or four for each.

use super::payment_figures::FigureDeltas;
use super::payment_rows::ReadAhead;
use crate::ssr::binds::Binds;
use crate::ssr::ids::{new_id, now_ms};
use sqlx::AnyConnection;

/// Timeline lines one statement inserts at most (7 values a line).
const LINES_PER_STATEMENT: usize = 500;

#[derive(Debug)]
struct Line {
    id: String,
    tenant_id: String,
    payment_id: String,
    at: i64,
    source: &'static str,
    what: String,
    detail: Option<String>,
}

/// What to write before the transaction commits; [`Deferred::flush`] writes it. Dropping it
/// unflushed loses the writes, so every transaction that applies payment changes ends with a
/// flush (in the same savepoint, where the changes may be undone one by one).
#[derive(Debug, Default)]
#[must_use = "flush it before the transaction commits"]
pub struct Deferred {
    pub figures: FigureDeltas,
    lines: Vec<Line>,
    /// Not a write: the payment rows a batch read before its writes, which they take instead
    /// of reading each row again (`payment_rows::read_ahead`).
    pub read_ahead: ReadAhead,
}

impl Deferred {
    pub fn new() -> Deferred {
        Deferred::default()
    }

    /// Adds a line to a payment's timeline, stamped now.
    pub fn timeline(
        &mut self,
        tenant_id: &str,
        payment_id: &str,
        source: &'static str,
        what: impl Into<String>,
        detail: Option<&str>,
    ) {
        self.lines.push(Line {
            id: new_id("ptl"),
            tenant_id: tenant_id.to_string(),
            payment_id: payment_id.to_string(),
            at: now_ms(),
            source,
            what: what.into(),
            detail: detail.map(str::to_string),
        });
    }

    /// Writes everything on `conn`, the transaction (or savepoint) that made it.
    pub async fn flush(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        if !self.figures.is_empty() {
            self.figures.flush(conn).await?;
        }
        for chunk in self.lines.chunks(LINES_PER_STATEMENT) {
            let mut binds = Binds::new();
            let rows: Vec<String> = chunk
                .iter()
                .map(|line| {
                    let values = [
                        binds.add(line.id.as_str()),
                        binds.add(line.tenant_id.as_str()),
                        binds.add(line.payment_id.as_str()),
                        binds.add(line.at),
                        binds.add(line.source),
                        binds.add(line.what.as_str()),
                        binds.add(line.detail.as_deref()),
                    ];
                    format!("({})", values.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO payment_timeline (id, tenant_id, payment_id, at, source, what, detail)
                 VALUES {}",
                rows.join(", ")
            );
            binds.query(&sql).execute(&mut *conn).await?;
        }
        Ok(())
    }
}
