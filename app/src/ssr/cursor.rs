//! The cursor of a keyset page: the sort key of the last row shown (a time and one or more ids),
//! handed to the browser as an opaque string and read back for the next page. A cursor that does
//! not read back (damaged, or from before a change of format in a tab left open) is a 400 with a
//! sentence, never a 500.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::binds::Binds;
use crate::error::{AppError, AppResult};

/// The key of the last row of a page, newest first: `at`, then `ids` breaking ties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor<const N: usize> {
    pub at: i64,
    pub ids: [String; N],
}

impl<const N: usize> Cursor<N> {
    pub fn new(at: i64, ids: [String; N]) -> Self {
        Cursor { at, ids }
    }

    /// The string for a link or a `before=` parameter.
    pub fn encode(&self) -> String {
        let key = (self.at, &self.ids[..]);
        // Serialising an integer and strings cannot fail.
        let json = serde_json::to_vec(&key).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads back what [`Cursor::encode`] wrote.
    pub fn decode(raw: &str) -> AppResult<Self> {
        URL_SAFE_NO_PAD
            .decode(raw.trim())
            .ok()
            .and_then(|json| serde_json::from_slice::<(i64, Vec<String>)>(&json).ok())
            .and_then(|(at, ids)| Some(Cursor::new(at, ids.try_into().ok()?)))
            .ok_or_else(malformed)
    }

    /// `before=` as sent, if any: empty means the first page.
    pub fn parse(before: Option<&str>) -> AppResult<Option<Self>> {
        before
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
            .map(Self::decode)
            .transpose()
    }

    /// The condition for rows after this one in a newest-first order on `at_column`, then
    /// `id_columns` (a row comparison, answered from the matching index on both databases).
    pub fn older_than(
        &self,
        binds: &mut Binds<'_>,
        at_column: &str,
        id_columns: [&str; N],
    ) -> String {
        let mut values = vec![binds.add(self.at)];
        values.extend(self.ids.iter().map(|id| binds.add(id.clone())));
        format!(
            "({at_column}, {}) < ({})",
            id_columns.join(", "),
            values.join(", ")
        )
    }
}

fn malformed() -> AppError {
    AppError::BadRequest(
        "This page link is out of date or damaged; go back to the first page and page on from there."
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let cursor = Cursor::new(
            1_764_480_000_000,
            ["conn:1".to_string(), "evt_1".to_string()],
        );
        assert_eq!(Cursor::<2>::decode(&cursor.encode()).unwrap(), cursor);
        let one = Cursor::new(-5, [String::from("pi_ä/?&=")]);
        let text = one.encode();
        assert!(text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(Cursor::<1>::parse(Some(&text)).unwrap(), Some(one));
    }

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        assert_eq!(Cursor::<1>::parse(None).unwrap(), None);
        assert_eq!(Cursor::<1>::parse(Some("  ")).unwrap(), None);
    }

    #[test]
    fn garbage_is_a_bad_request() {
        let wrong_count = Cursor::new(1, [String::from("a"), String::from("b")]).encode();
        for raw in [
            "1764480000000:pi_123",
            "not base64!",
            "e30",
            &URL_SAFE_NO_PAD.encode("[\"x\", [\"a\"]]"),
            &wrong_count,
        ] {
            let err = Cursor::<1>::decode(raw).unwrap_err();
            assert!(matches!(err, AppError::BadRequest(_)), "{raw}: {err:?}");
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn the_condition_binds_its_own_values() {
        let cursor = Cursor::new(7, [String::from("c"), String::from("e")]);
        let mut binds = Binds::new();
        binds.add("tenant");
        assert_eq!(
            cursor.older_than(&mut binds, "e.received_at", ["e.connection_id", "e.id"]),
            "(e.received_at, e.connection_id, e.id) < ($2, $3, $4)"
        );
    }
}
