// `sqlx::migrate!` embeds the files it finds when this crate compiles, but on stable Rust it
// cannot ask to be re-run when a file is added; without this a new migration is left out of the
// build until something else changes here.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
