//! The site's static files as the release build names them: with `hash-files`, cargo-leptos puts
//! a content hash in the name of the JS, wasm and CSS and writes the hashes to `hash.txt` beside
//! the server binary. A hashed name never changes content, so browsers may keep it for a year
//! and never ask again; everything else is revalidated.

use leptos::config::LeptosOptions;
use std::collections::HashSet;
use std::path::PathBuf;

/// Where Leptos looks for the hash file: beside the running executable.
pub fn hash_file_path(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// The URL paths of the hashed files of this build (empty when files are not hashed).
pub fn hashed_asset_paths(options: &LeptosOptions) -> HashSet<String> {
    if !options.hash_files {
        return HashSet::new();
    }
    let Ok(hashes) = std::fs::read_to_string(hash_file_path(&options.hash_file)) else {
        tracing::warn!("file hashing is on but hash.txt is missing: assets will be revalidated");
        return HashSet::new();
    };
    parse_hashes(&hashes, &options.output_name, &options.site_pkg_dir)
}

/// `hash.txt` holds lines such as `wasm: 3f2a…`, one per kind of file.
fn parse_hashes(text: &str, output_name: &str, pkg_dir: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .filter_map(|(kind, hash)| {
            let (kind, hash) = (kind.trim(), hash.trim());
            matches!(kind, "js" | "wasm" | "css")
                .then(|| format!("/{pkg_dir}/{output_name}.{hash}.{kind}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_hashes;

    #[test]
    fn the_hash_file_names_each_hashed_file() {
        let paths = parse_hashes(
            "js: 11aa\nwasm: 22bb\ncss: 33cc\n\n",
            "terminal-fleet",
            "pkg",
        );
        assert!(paths.contains("/pkg/terminal-fleet.11aa.js"));
        assert!(paths.contains("/pkg/terminal-fleet.22bb.wasm"));
        assert!(paths.contains("/pkg/terminal-fleet.33cc.css"));
        assert_eq!(paths.len(), 3);
        assert!(parse_hashes("garbage", "terminal-fleet", "pkg").is_empty());
    }
}
