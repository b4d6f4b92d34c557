//! What every list page shares: the query in its URL, links that change one part of it,
//! sortable column headers, the filters form, the count line, the table and the pager.
//!
//! A list keeps all its state in the URL, so each piece here renders plain links and forms
//! that work before the page hydrates.

use super::feedback::EmptyState;
use super::url::urlencode;
use leptos::prelude::*;
use leptos_router::hooks::{use_query, use_query_map};
use leptos_router::params::{Params, ParamsMap};
use std::fmt::Display;

/// `plural(1, "reader", "readers")` is "1 reader"; any other count takes the plural.
pub fn plural<N>(count: N, one: &str, many: &str) -> String
where
    N: Display + PartialEq + From<u8>,
{
    let noun = if count == N::from(1) { one } else { many };
    format!("{count} {noun}")
}

/// A list page's URL: its path and its query parameters, always in the same order.
///
/// Parameters without a value, or with an empty one, are left out of the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryString {
    path: &'static str,
    params: Vec<(&'static str, Option<String>)>,
}

impl QueryString {
    pub fn new(path: &'static str) -> Self {
        Self {
            path,
            params: Vec::new(),
        }
    }

    /// Sets `key`, keeping its place if it is already there.
    pub fn with(mut self, key: &'static str, value: Option<impl ToString>) -> Self {
        let value = value.map(|v| v.to_string());
        match self.params.iter_mut().find(|(k, _)| *k == key) {
            Some(param) => param.1 = value,
            None => self.params.push((key, value)),
        }
        self
    }

    /// Leaves `key` out of the link.
    pub fn without(self, key: &'static str) -> Self {
        self.with(key, None::<String>)
    }

    /// Whether any parameter has a value.
    pub fn is_empty(&self) -> bool {
        self.set().next().is_none()
    }

    pub fn href(&self) -> String {
        let parts: Vec<String> = self
            .set()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        if parts.is_empty() {
            self.path.to_string()
        } else {
            format!("{}?{}", self.path, parts.join("&"))
        }
    }

    fn set(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.params
            .iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (*k, v)))
    }
}

/// Reads the page's URL query as `T`, reactively.
///
/// A malformed value (say `page=abc`) is ignored rather than failing the whole query, so a
/// hand-edited link still shows the list with its other filters.
pub fn use_list_query<T>() -> impl Fn() -> T + Copy + Send + Sync + 'static
where
    T: Params + Default + Clone + PartialEq + Send + Sync + 'static,
{
    let parsed = use_query::<T>();
    let raw = use_query_map();
    move || {
        parsed
            .get()
            .unwrap_or_else(|_| raw.with(|map| parse_lenient(map)))
    }
}

/// `T` from `map`, leaving out each parameter that does not parse on its own.
pub fn parse_lenient<T: Params + Default>(map: &ParamsMap) -> T {
    if let Ok(query) = T::from_map(map) {
        return query;
    }
    let keys: Vec<String> = map.latest_values().map(|(k, _)| k.to_string()).collect();
    let mut kept = map.clone();
    for key in &keys {
        let mut alone = map.clone();
        for other in keys.iter().filter(|other| *other != key) {
            alone.remove(other);
        }
        if T::from_map(&alone).is_err() {
            kept.remove(key);
        }
    }
    T::from_map(&kept).unwrap_or_default()
}

/// How a list is sorted, and the links of its column headers.
///
/// The header of the current column links to the other direction; any other header sorts
/// by its column, ascending, from the first page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sorting {
    url: QueryString,
    by: String,
    ascending: bool,
}

impl Sorting {
    /// `sort` and `dir` as in the URL; `default` is the column sorted by when `sort` is absent.
    pub fn new(url: QueryString, sort: Option<&str>, dir: Option<&str>, default: &str) -> Self {
        Self {
            url,
            by: sort.unwrap_or(default).to_string(),
            ascending: dir != Some("desc"),
        }
    }

    fn current(&self, key: &str) -> bool {
        self.by == key
    }

    pub fn href(&self, key: &'static str) -> String {
        let dir = if self.current(key) && self.ascending {
            "desc"
        } else {
            "asc"
        };
        self.url
            .clone()
            .with("sort", Some(key))
            .with("dir", Some(dir))
            .without("page")
            .href()
    }

    /// The `aria-sort` of a column header.
    pub fn aria_sort(&self, key: &str) -> Option<&'static str> {
        self.current(key).then_some(if self.ascending {
            "ascending"
        } else {
            "descending"
        })
    }

    fn arrow(&self, key: &str) -> &'static str {
        match (self.current(key), self.ascending) {
            (true, true) => " ↑",
            (true, false) => " ↓",
            _ => "",
        }
    }

    /// The `<th>` of a sortable column.
    pub fn header(&self, key: &'static str, label: &'static str) -> impl IntoView {
        let href = self.href(key);
        let aria = self.aria_sort(key);
        let arrow = self.arrow(key);
        view! { <th scope="col" aria-sort=aria><a href=href>{label}{arrow}</a></th> }
    }
}

/// The filters of a list: a GET form to the list's own path, with Apply and Clear, and an
/// Export CSV link when the list can be downloaded.
#[component]
pub fn FiltersForm(
    action: &'static str,
    /// The filtered list as CSV, e.g. `/transactions.csv?status=succeeded`.
    #[prop(optional, into)]
    csv: Option<String>,
    children: Children,
) -> impl IntoView {
    let download = format!("{}.csv", action.trim_start_matches('/'));
    view! {
        <form class="filters" method="get" action=action role="search">
            {children()}
            <div class="field end">
                <button type="submit" class="button">"Apply"</button>
                <a class="button subtle" href=action>"Clear"</a>
                {csv.map(|href| view! {
                    <a class="button subtle" href=href rel="external" download=download>"Export CSV"</a>
                })}
            </div>
        </form>
    }
}

/// "3 readers match these filters", announced when the list changes.
#[component]
pub fn ResultCount(#[prop(into)] text: String, filtered: bool) -> impl IntoView {
    view! {
        <p class="muted small" aria-live="polite">{text}{filtered.then_some(" match these filters")}</p>
    }
}

/// The panel shown instead of an empty list: a hint to change the filters, or what fills it.
#[component]
pub fn EmptyList(
    filtered: bool,
    /// Title when filters leave nothing, e.g. "No readers match".
    no_match: &'static str,
    /// Title and text when there is nothing at all.
    title: &'static str,
    text: &'static str,
) -> impl IntoView {
    view! {
        <section class="panel">
            {if filtered {
                view! { <EmptyState title=no_match text="Change or clear the filters to see more."/> }.into_any()
            } else {
                view! { <EmptyState title text/> }.into_any()
            }}
        </section>
    }
}

/// A list's table; `caption` names it for screen readers, `head` is its header cells.
#[component]
pub fn ListTable(
    class: &'static str,
    caption: &'static str,
    head: AnyView,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class=class>
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>{head}</tr></thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// One link of a [`Pager`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagerLink {
    pub href: String,
    pub text: &'static str,
    pub rel: Option<&'static str>,
}

/// Links to the neighbouring pages of a list, and where this page is, when known.
#[component]
pub fn Pager(
    #[prop(optional_no_strip)] back: Option<PagerLink>,
    #[prop(optional, into)] position: Option<String>,
    #[prop(optional_no_strip)] forward: Option<PagerLink>,
) -> impl IntoView {
    let link = |l: PagerLink| view! { <a class="button" href=l.href rel=l.rel>{l.text}</a> };
    view! {
        <nav class="pager" aria-label="Pages">
            {back.map(link)}
            {position.map(|p| view! { <span class="muted">{p}</span> })}
            {forward.map(link)}
        </nav>
    }
}

/// The pager of a list read by page number (`page`, from 1): the neighbouring pages of `list`
/// (the list with its filters) and "Page n of m". Nothing at all when there is only one page.
#[component]
pub fn NumberedPager(list: QueryString, page: i64, pages: i64) -> impl IntoView {
    (pages > 1).then(|| {
        let to = |page: i64| list.clone().with("page", Some(page)).href();
        let back = (page > 1).then(|| PagerLink {
            href: to(page - 1),
            text: "← Previous",
            rel: Some("prev"),
        });
        let forward = (page < pages).then(|| PagerLink {
            href: to(page + 1),
            text: "Next →",
            rel: Some("next"),
        });
        let position = format!("Page {page} of {pages}");
        view! { <Pager back forward position/> }
    })
}

/// The pager of a list read newest first by cursor (`before`): "Newest" goes back to the same
/// filters and shows on any older page; the next link continues after this page's last row
/// (`next`, when there are more). Nothing at all when there is only one page.
#[component]
pub fn CursorPager(
    /// The list with its filters, without `before`.
    newest: QueryString,
    /// Whether this page is an older one (the URL carried `before`).
    older_page: bool,
    next: Option<String>,
    #[prop(default = "Older →")] older: &'static str,
) -> impl IntoView {
    let back = older_page.then(|| PagerLink {
        href: newest.href(),
        text: "Newest",
        rel: None,
    });
    let forward = next.map(|cursor| PagerLink {
        href: newest.with("before", Some(cursor)).href(),
        text: older,
        rel: None,
    });
    (back.is_some() || forward.is_some()).then(|| view! { <Pager back forward/> })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_takes_the_singular_only_for_one() {
        assert_eq!(plural(0, "reader", "readers"), "0 readers");
        assert_eq!(plural(1, "reader", "readers"), "1 reader");
        assert_eq!(plural(2_i64, "reader", "readers"), "2 readers");
        assert_eq!(plural(1_usize, "day", "days"), "1 day");
        assert_eq!(plural(-1_i64, "day", "days"), "-1 days");
    }

    #[test]
    fn query_string_leaves_out_empty_parameters() {
        let url = QueryString::new("/readers")
            .with("location", None::<String>)
            .with("q", Some("front desk & co"))
            .with("status", Some(""))
            .with("page", Some(2));
        assert_eq!(url.href(), "/readers?q=front%20desk%20%26%20co&page=2");
        assert!(!url.is_empty());
        let bare = QueryString::new("/readers").with("q", Some(""));
        assert!(bare.is_empty());
        assert_eq!(bare.href(), "/readers");
    }

    #[test]
    fn query_string_keeps_the_order_when_a_value_changes() {
        let url = QueryString::new("/stores")
            .with("q", Some("lyon"))
            .with("sort", None::<String>)
            .with("dir", None::<String>);
        let sorted = url
            .clone()
            .with("dir", Some("desc"))
            .with("sort", Some("city"));
        assert_eq!(sorted.href(), "/stores?q=lyon&sort=city&dir=desc");
        assert_eq!(sorted.without("q").href(), "/stores?sort=city&dir=desc");
        assert_eq!(
            url.with("before", Some("1:pi_1")).href(),
            "/stores?q=lyon&before=1%3Api%5F1"
        );
    }

    #[test]
    fn sort_headers_toggle_the_current_column_and_reset_the_page() {
        let url = QueryString::new("/readers")
            .with("sort", None::<String>)
            .with("dir", None::<String>)
            .with("page", Some(3));
        let sorting = Sorting::new(url.clone(), None, None, "label");
        assert_eq!(sorting.href("label"), "/readers?sort=label&dir=desc");
        assert_eq!(sorting.href("status"), "/readers?sort=status&dir=asc");
        assert_eq!(sorting.aria_sort("label"), Some("ascending"));
        assert_eq!(sorting.aria_sort("status"), None);
        assert_eq!(sorting.arrow("label"), " ↑");
        let desc = Sorting::new(url, Some("status"), Some("desc"), "label");
        assert_eq!(desc.href("status"), "/readers?sort=status&dir=asc");
        assert_eq!(desc.aria_sort("status"), Some("descending"));
        assert_eq!(desc.arrow("status"), " ↓");
        assert_eq!(desc.arrow("label"), "");
    }

    #[derive(Debug, Default, PartialEq, leptos::Params)]
    struct Sample {
        q: Option<String>,
        page: Option<i64>,
    }

    fn map(pairs: &[(&'static str, &str)]) -> ParamsMap {
        let mut map = ParamsMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.to_string());
        }
        map
    }

    #[test]
    fn a_malformed_parameter_is_dropped_alone() {
        let ok: Sample = parse_lenient(&map(&[("q", "pos"), ("page", "2")]));
        assert_eq!(ok.q.as_deref(), Some("pos"));
        assert_eq!(ok.page, Some(2));
        let bad: Sample = parse_lenient(&map(&[("q", "pos"), ("page", "abc")]));
        assert_eq!(bad.q.as_deref(), Some("pos"));
        assert_eq!(bad.page, None);
    }
}
