//! Writes `data/pinyin/readings.bin`, the readings table that the pinyin stage and the scored spam
//! rule share (each character's readings, and its first syllable without tone), as the library
//! reads it back, from the default rules' `pinyin/readings.txt`. Run it after changing that table
//! or how it is read; the library's tests fail while the image is stale, and a process whose table
//! differs from the image's source parses its table instead.
//!
//! ```sh
//! cargo run --release -p sluice-eval --bin derive_pinyin_image
//! ```

use std::path::Path;

use anyhow::Context;
use sluice::RuleSet;
use sluice::internals::derive_pinyin_image;

const IMAGE: &str = "data/pinyin/readings.bin";

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let image = derive_pinyin_image(&RuleSet::defaults()?)?;
    std::fs::write(root.join(IMAGE), &image).with_context(|| format!("writing {IMAGE}"))?;
    println!("{IMAGE}: {} bytes", image.len());
    Ok(())
}
