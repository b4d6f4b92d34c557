//! `terminal-fleet bench …`: the project's own benchmarks. Figures go to docs/benchmarks.md.

pub mod audit;
pub mod common;
pub mod hashing;
pub mod payments;
pub mod readers_page;
pub mod sse;
pub mod stats;
pub mod stores;
pub mod stripe_sim;
pub mod sync;
