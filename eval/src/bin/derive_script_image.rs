//! Writes `data/script/tables.bin`, the script stage's conversion tables (character classes, the
//! traditional→simplified converter, the phrase neighbours and the traditional converters) as the
//! library reads them back, from the default rules' OpenCC tables. Run it after changing those
//! tables or how they are derived; the library's tests fail while the image is stale, and a
//! process whose tables differ from the image's sources builds them from the tables instead.
//!
//! ```sh
//! cargo run --release -p sluice-eval --bin derive_script_image
//! ```

use sluice::RuleSet;
use sluice::internals::derive_script_image;

const IMAGE: &str = "data/script/tables.bin";

fn main() -> anyhow::Result<()> {
    sluice_eval::write_image(IMAGE, &derive_script_image(&RuleSet::defaults()?)?)
}
