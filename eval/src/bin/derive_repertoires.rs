//! Writes `data/charset/repertoires.bin`: which characters of the Basic Multilingual Plane plain
//! GB2312 and plain Big5 hold, and which are in GB2312 or Big5 level 1, as encoding_rs's encoders
//! say. Run it after updating encoding_rs; the library's tests fail while the image is stale.
//!
//! ```sh
//! cargo run --release -p sluice-eval --bin derive_repertoires
//! ```

use std::path::Path;

use anyhow::Context;
use sluice::internals::derive_repertoires;

const IMAGE: &str = "data/charset/repertoires.bin";

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let image = derive_repertoires();
    std::fs::write(root.join(IMAGE), &image).with_context(|| format!("writing {IMAGE}"))?;
    println!("{IMAGE}: {} bytes", image.len());
    Ok(())
}
