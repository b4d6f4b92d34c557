//! Times shown in pages. Rendered the same on the server and in the browser (UTC), so hydration
//! never disagrees with the server's HTML.

use crate::components::list::plural;
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

/// "just now", "2 min ago", "3 h ago", "4 days ago": `then` seen from `now` (both Unix ms, the
/// server's clock, so the browser renders the same words while hydrating).
pub fn ago(then: i64, now: i64) -> String {
    let seconds = (now - then).max(0) / 1000;
    match seconds {
        0..=9 => "just now".to_string(),
        10..=59 => format!("{seconds} s ago"),
        60..=3599 => format!("{} min ago", seconds / 60),
        3600..=86_399 => format!("{} h ago", seconds / 3600),
        _ => {
            let days = seconds / 86_400;
            format!("{} ago", plural(days, "day", "days"))
        }
    }
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

    #[test]
    fn relative_times() {
        assert_eq!(super::ago(1_000, 5_000), "just now");
        assert_eq!(super::ago(0, 125_000), "2 min ago");
        assert_eq!(super::ago(0, 86_400_000), "1 day ago");
        assert_eq!(super::ago(10_000, 0), "just now");
    }
}
