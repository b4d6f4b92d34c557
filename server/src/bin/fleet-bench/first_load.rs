//! What a person waits for on a slow link: a server with a signed-in user and 1,000 readers,
//! measured from a real Chromium by `end2end/bench/first-load.mjs` (bytes over the wire and the
//! time until each page has hydrated, at several network profiles, first and repeat visit).
//!
//! Run it on a release build of the whole site (`cargo leptos build --release --precompress`),
//! from the repository root, so the pages load the wasm, JS and CSS a deployment serves.

use super::common::{setup, signed_in_user, start, BenchError};
use super::readers_page::seed_readers;
use std::process::Stdio;

pub async fn run(
    database_url: &str,
    data_dir: &std::path::Path,
    readers: usize,
) -> Result<(), BenchError> {
    let running = start(database_url, data_dir, false).await?;
    let (cookie, tenant) = signed_in_user(&running, "first-load@example.com").await?;
    seed_readers(&running, &tenant, readers).await?;
    let options = server::router::leptos_options(running.addr).map_err(setup)?;
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    if !pkg.exists() {
        return Err(setup(format!(
            "no built site at {}: run `cargo leptos build --release --precompress` first",
            pkg.display()
        )));
    }
    println!("First load ({readers} readers on /readers), Chromium, served by this build:");
    let status = tokio::process::Command::new("node")
        .arg("bench/first-load.mjs")
        .current_dir("end2end")
        .env("FIRST_LOAD_BASE", format!("http://{}", running.addr))
        .env("FIRST_LOAD_COOKIE", cookie)
        .stdin(Stdio::null())
        .status()
        .await
        .map_err(|e| {
            setup(format!(
                "could not run node (is end2end/node_modules installed?): {e}"
            ))
        })?;
    running.kill();
    if status.success() {
        Ok(())
    } else {
        Err(setup(format!("the browser script failed: {status}")))
    }
}
