//! Building links that carry filters in their query string.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// A value made safe for a URL query string.
pub fn urlencode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}
