//! Writes `data/lm/word_model.bin`, the word model's tables as the library reads them in place,
//! from the jieba dictionary and the character bigram counts (`data/lm/*.txt.gz`). Run it after
//! changing either; the library's tests fail while the image is stale.
//!
//! ```sh
//! cargo run --release -p sluice-eval --bin derive_lm_image
//! ```

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use sluice::internals::lm_image;

const IMAGE: &str = "data/lm/word_model.bin";

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let gunzip = |file: &str| -> anyhow::Result<String> {
        let bytes = std::fs::read(root.join(file)).with_context(|| format!("reading {file}"))?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .with_context(|| format!("decompressing {file}"))?;
        Ok(text)
    };
    let image = lm_image::derive_image(
        &gunzip(lm_image::DICTIONARY_FILE)?,
        &gunzip(lm_image::CHAR_BIGRAMS_FILE)?,
    )?;
    sluice_eval::write_image(IMAGE, &image)
}
