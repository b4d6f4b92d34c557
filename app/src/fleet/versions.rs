//! Software versions as readers report them (`2.29.1.0`), compared by number.

use std::cmp::Ordering;

/// A version's numbers in order, `2.29.1.0` → [2, 29, 1, 0]: versions compare by number, so
/// 2.10 is newer than 2.9. Letters between numbers only separate them.
pub fn version_numbers(version: &str) -> Vec<u64> {
    version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<u64>().unwrap_or(u64::MAX))
        .collect()
}

/// Orders versions newest first; equal numbers fall back to the text, so the order is total.
pub fn newer_first(a: &str, b: &str) -> Ordering {
    let (x, y) = (version_numbers(a), version_numbers(b));
    let len = x.len().max(y.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| at(&y, i).cmp(&at(&x, i)))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or_else(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number_not_by_text() {
        assert_eq!(newer_first("2.10.0", "2.9.5"), Ordering::Less);
        assert_eq!(newer_first("2.9.5", "2.10.0"), Ordering::Greater);
        assert_ne!(newer_first("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(newer_first("2.29.1.0", "2.29.1.0"), Ordering::Equal);
        assert_eq!(version_numbers("v3.4-beta2"), vec![3, 4, 2]);
    }
}
