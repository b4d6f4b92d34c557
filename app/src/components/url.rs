//! Links that carry filters in their query string, and leaving for a freshly loaded page.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// A value made safe for a URL query string.
pub fn urlencode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

/// Loads `path` as a new page. For actions that change the session's organisation: a client-side
/// navigation would keep the old header, role and live stream around the new organisation's data.
pub fn load_afresh(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window().location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
