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

/// Write a derived image at `path` in the repository (`data/…`), as the derivation binaries
/// (`derive_*`) do, and say its size.
pub fn write_image(path: &str, image: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let file = std::path::Path::new(REPO).join(path);
    std::fs::write(file, image).with_context(|| format!("writing {path}"))?;
    println!("{path}: {} bytes", image.len());
    Ok(())
}
