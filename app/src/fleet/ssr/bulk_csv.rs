//! Reading a bulk registration CSV: `registration_code,label,location` per line, a header line
//! optional. The whole file is refused only when it cannot be read or is too big; a row that is
//! wrong keeps its own reason and the others go on.

use crate::fleet::bulk_types::{BulkRefusal, MAX_BULK_CSV_BYTES, MAX_BULK_ROWS};

/// One data row as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1-based, among the data rows (the header is not counted).
    pub row_no: i64,
    pub code: String,
    pub label: String,
    pub location: String,
    /// Why the row cannot be registered as written.
    pub problem: Option<String>,
}

fn is_header(record: &csv::StringRecord) -> bool {
    record.get(0).is_some_and(|f| {
        let f = f.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        f == "registration_code" || f == "code" || f == "registration code"
    })
}

/// The rows of `text`, or why the file as a whole cannot be taken.
pub fn parse(text: &str) -> Result<Vec<CsvRow>, BulkRefusal> {
    if text.len() > MAX_BULK_CSV_BYTES {
        return Err(BulkRefusal::TooBig);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|_| BulkRefusal::Unreadable)?;
        if index == 0 && is_header(&record) {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_BULK_ROWS {
            return Err(BulkRefusal::TooMany);
        }
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let (code, label, location) = (field(0), field(1), field(2));
        let problem = if record.len() > 3 {
            Some(format!(
                "This row has {} columns; write registration_code,label,location.",
                record.len()
            ))
        } else {
            row_problem(&code, &label, &location)
        };
        rows.push(CsvRow {
            row_no: i64::try_from(rows.len()).unwrap_or(i64::MAX) + 1,
            code,
            label,
            location,
            problem,
        });
    }
    if rows.is_empty() {
        return Err(BulkRefusal::Empty);
    }
    Ok(rows)
}

fn row_problem(code: &str, label: &str, location: &str) -> Option<String> {
    if code.is_empty() {
        return Some("The registration code is missing.".into());
    }
    if code.chars().count() > 100 || code.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("That is not a registration code: it is a few words joined by dashes, e.g. apple-banana-cherry.".into());
    }
    if label.chars().count() > crate::fleet::relabel_pattern::MAX_LABEL_CHARS {
        return Some("Keep the label under 64 characters.".into());
    }
    if label.chars().any(char::is_control) {
        return Some("The label has a character that cannot be shown.".into());
    }
    if location.is_empty() {
        return Some("The location is missing: give its id (tml_…) or its exact name.".into());
    }
    None
}

/// What makes two rows the same registration. A real code registers one reader once, so the
/// code alone; a simulated code (`simulated-…`) makes a new reader every time, so a row of one
/// is the same registration only with the same label at the same location.
pub fn code_key(code: &str, label: &str, location_id: &str) -> String {
    let code = code.to_ascii_lowercase();
    if code.starts_with("simulated-") {
        format!("{code}\n{label}\n{location_id}")
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_optional_and_each_row_keeps_its_problem() {
        let rows = parse(
            "registration_code,label,location\nsimulated-wpe,Till 1,Main\n,No code,Main\n\"apple-pie\",\"Till, 3\",tml_1\nx,y,z,w\n",
        )
        .expect("rows");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].row_no, 1);
        assert_eq!(rows[0].problem, None);
        assert!(rows[1].problem.as_deref().unwrap_or("").contains("missing"));
        assert_eq!(rows[2].label, "Till, 3");
        assert!(rows[3].problem.is_some());
        let rows = parse("simulated-wpe,,Main").expect("no header");
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn too_many_rows_or_bytes_or_nothing_refuse_the_file() {
        let many = "a-b,,Main\n".repeat(MAX_BULK_ROWS + 1);
        assert_eq!(parse(&many), Err(BulkRefusal::TooMany));
        let big = "x".repeat(MAX_BULK_CSV_BYTES + 1);
        assert_eq!(parse(&big), Err(BulkRefusal::TooBig));
        assert_eq!(parse("\n\n"), Err(BulkRefusal::Empty));
    }

    #[test]
    fn simulated_codes_are_keyed_by_their_row() {
        assert_eq!(code_key("Apple-Pie", "A", "tml_1"), "apple-pie");
        assert_ne!(
            code_key("simulated-wpe", "A", "tml_1"),
            code_key("simulated-wpe", "B", "tml_1")
        );
    }
}
