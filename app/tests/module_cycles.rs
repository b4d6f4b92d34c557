//! No import cycle between the app's modules (issue 12, "One house"): a cycle means neither side
//! can be read, changed or moved without the other, which is what the feature folders are for.
//!
//! A module is a top-level folder or file of `app/src` (`fleet`, `payments`, `live`, `model`, …),
//! except the shared server layer, where each file of `app/src/ssr/` is a module of its own
//! (`ssr::caller`, `ssr::bus`, …) because nothing there may import a feature. Every `crate::…`
//! path outside comments is an edge, in `use` lines and inline alike; inside `app/src/ssr/`,
//! `super::x` is `crate::ssr::x`. A name that `app/src/ssr/mod.rs` re-exports is followed to the
//! file it comes from. Reading text rather than compiled code keeps the test free of dependencies;
//! the cost is that a path spelled through a `pub use` elsewhere counts as the re-exporting module.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Where a module imports another: the first file and line seen, for the failure message.
type Edges = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn modules_import_each_other_one_way_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let reexports = ssr_reexports(&src);
    let mut edges = Edges::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).expect("file under src");
        let Some(from) = module_of(rel) else { continue };
        let text = fs::read_to_string(&file).expect("readable source file");
        // Comments go, lines stay, so a `use` spread over lines still reads as one.
        let code: String = text
            .lines()
            .map(|line| line.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let in_ssr = rel.components().count() == 2 && rel.starts_with("ssr");
        for (at, path, via_super) in crate_paths(&code, in_ssr) {
            let line = code[..at].matches('\n').count() + 1;
            let to = match module_of_path(&src, &reexports, &path) {
                Some(to) => to,
                // `super::x` in a file's own `mod tests` is the file itself.
                None if via_super => from.clone(),
                None => panic!(
                    "{}:{line}: cannot tell which module `crate::{path}` is in",
                    rel.display()
                ),
            };
            if to != from {
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| format!("{}:{line}", rel.display()));
            }
        }
    }
    let cycles = cycles(&edges);
    let report: Vec<String> = cycles
        .iter()
        .map(|scc| {
            let mut lines = vec![format!("cycle among {{{}}}:", scc.join(", "))];
            for from in scc {
                for (to, at) in &edges[from] {
                    if scc.contains(to) {
                        lines.push(format!("  {from} -> {to}  ({at})"));
                    }
                }
            }
            lines.join("\n")
        })
        .collect();
    assert!(
        report.is_empty(),
        "import cycles between modules:\n{}",
        report.join("\n")
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module a file belongs to; `lib.rs` declares every module, so it is none of them.
fn module_of(rel: &Path) -> Option<String> {
    let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
    let stem = |s: &str| s.trim_end_matches(".rs").to_string();
    match parts.as_slice() {
        ["lib.rs"] => None,
        ["ssr", "mod.rs"] => Some("ssr".into()),
        ["ssr", file] => Some(format!("ssr::{}", stem(file))),
        ["ssr", dir, ..] => Some(format!("ssr::{dir}")),
        [file] => Some(stem(file)),
        [dir, ..] => Some((*dir).to_string()),
        [] => None,
    }
}

fn module_of_path(src: &Path, reexports: &BTreeMap<String, String>, path: &str) -> Option<String> {
    let mut segs = path.split("::");
    let top = segs.next()?;
    if top != "ssr" {
        return Some(top.to_string());
    }
    let Some(second) = segs.next() else {
        return Some("ssr".into());
    };
    if src.join("ssr").join(format!("{second}.rs")).exists()
        || src.join("ssr").join(second).is_dir()
    {
        return Some(format!("ssr::{second}"));
    }
    reexports.get(second).map(|file| format!("ssr::{file}"))
}

/// `pub use caller::{require, Caller};` in `ssr/mod.rs` maps `require` and `Caller` to `caller`.
fn ssr_reexports(src: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(src.join("ssr/mod.rs")).expect("ssr/mod.rs");
    let mut out = BTreeMap::new();
    for stmt in text.split(';') {
        let Some(tree) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        for path in expand(tree) {
            let segs: Vec<&str> = path.split("::").collect();
            if let (Some(first), Some(last)) = (segs.first(), segs.last()) {
                let name = last.split(" as ").last().unwrap_or(last).trim();
                out.insert(name.to_string(), first.trim().to_string());
            }
        }
    }
    out
}

/// Every path after `crate::` on a line (`crate::a::{b, c::d}` gives `a::b` and `a::c::d`); in a
/// file of `app/src/ssr/`, `super::x` too, as `ssr::x`.
fn crate_paths(code: &str, in_ssr: bool) -> Vec<(usize, String, bool)> {
    let mut out = Vec::new();
    let mut prefixes = vec![("crate::", "")];
    if in_ssr {
        prefixes.push(("super::", "ssr::"));
    }
    for (prefix, replace) in prefixes {
        for (at, _) in code.match_indices(prefix) {
            // `$crate::` and `my_super::` are not paths of this crate.
            if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let tree = path_tree(&code[at + prefix.len()..]);
            if tree == "*" {
                continue;
            }
            out.extend(
                expand(&tree)
                    .into_iter()
                    .map(|p| (at, format!("{replace}{p}"), prefix == "super::")),
            );
        }
    }
    out
}

/// The path (with any braces, over lines) at the start of `s`: `a::{b, c}` of `a::{b, c}};`.
fn path_tree(s: &str) -> String {
    let mut depth = 0usize;
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                end = i;
                break;
            }
            '}' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':' || c == '*') => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    s[..end].trim_end_matches(':').to_string()
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let head = tree[..open].trim_end_matches("::");
    let inner = tree[open + 1..].trim_end().trim_end_matches('}');
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| match (head, p.as_str()) {
            (head, "self") => head.to_string(),
            ("", p) => p.to_string(),
            (head, p) => format!("{head}::{p}"),
        })
        .collect()
}

/// The strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(edges: &Edges) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flat_map(|m| m.keys()) {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    let lw = self.low[w.as_str()];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w.as_str()) {
                    let iw = self.index[w.as_str()];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    scc.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.found.push(scc);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn a_cycle_is_found_and_named() {
    let mut edges = Edges::new();
    for (from, to) in [("a", "b"), ("b", "a"), ("b", "c")] {
        edges
            .entry(from.into())
            .or_default()
            .insert(to.into(), format!("{from}.rs:1"));
    }
    assert_eq!(cycles(&edges), vec![vec!["a".to_string(), "b".to_string()]]);
}

#[test]
fn grouped_multi_line_and_inline_paths_are_read() {
    let code =
        "use crate::{live::Live,\n    fleet::{self, types::X}};\nlet _ = crate::ssr::require;";
    let paths: Vec<String> = crate_paths(code, false)
        .into_iter()
        .map(|(_, path, _)| path)
        .collect();
    assert_eq!(
        paths,
        ["live::Live", "fleet", "fleet::types::X", "ssr::require"]
    );
}
