//! Shared helpers of sluice's evaluation binaries (`src/bin/`, one per measurement) and criterion
//! benchmarks (`benches/`): they measure sluice against the corpora in `../shared`, beside the
//! repository, and are not part of the library or its tests.

pub mod cpu_time;
pub mod extract_sets;
pub mod html_pages;
pub mod script_mode;
pub mod spam_split;

/// The sluice repository (this crate's parent directory): data paths in measurements are relative
/// to it, and the shared corpora are at `REPO/../shared`.
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
