//! Times shown in pages. Rendered the same on the server and in the browser (UTC), so hydration
//! never disagrees with the server's HTML.

use time::{macros::format_description, OffsetDateTime};

/// `2026-11-24 22:03 UTC` for Unix milliseconds.
pub fn datetime(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "—".to_string())
}

/// `2026-11-24 22:03:17 UTC` for Unix milliseconds.
pub fn datetime_seconds(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "—".to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc() {
        assert_eq!(super::datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            super::datetime_seconds(1_700_000_000_000),
            "2023-11-14 22:13:20 UTC"
        );
    }
}
