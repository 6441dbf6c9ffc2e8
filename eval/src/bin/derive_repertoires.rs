//! Writes `data/charset/repertoires.bin`: which characters of the Basic Multilingual Plane plain
//! GB2312 and plain Big5 hold, and which are in GB2312 or Big5 level 1, as encoding_rs's encoders
//! say. Run it after updating encoding_rs; the library's tests fail while the image is stale.
//!
//! ```sh
//! cargo run --release -p sluice-eval --bin derive_repertoires
//! ```

use sluice::internals::derive_repertoires;

const IMAGE: &str = "data/charset/repertoires.bin";

fn main() -> anyhow::Result<()> {
    sluice_eval::write_image(IMAGE, &derive_repertoires())
}
