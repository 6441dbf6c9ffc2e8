//! Writes `data/pinyin/readings.bin`, the readings table that the pinyin stage and the scored spam
//! rule share (each character's readings, and its first syllable without tone), as the library
//! reads it back, from the default rules' `pinyin/readings.txt`. Run it after changing that table
//! or how it is read; the library's tests fail while the image is stale, and a process whose table
//! differs from the image's source parses its table instead.
//!
//! ```sh
//! cargo run --release -p sluice-eval --bin derive_pinyin_image
//! ```

use sluice::RuleSet;
use sluice::internals::derive_pinyin_image;

const IMAGE: &str = "data/pinyin/readings.bin";

fn main() -> anyhow::Result<()> {
    sluice_eval::write_image(IMAGE, &derive_pinyin_image(&RuleSet::defaults()?)?)
}
