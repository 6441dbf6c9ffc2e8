//! Run the `spam` stage over the clean side of the development cases `REPS` times (default 200) and
//! print the bytes processed. `scripts/spam_cpu_throughput.sh` runs it under `perf stat` to turn that
//! into MB per CPU-second, which stays meaningful when the machine is shared (criterion's wall-clock
//! figure in `benches/spam.rs` does not).

use std::path::PathBuf;

use sluice::internals::Spam;
use sluice::internals::Stage;
use sluice::{Document, RuleSet};

fn main() -> anyhow::Result<()> {
    let path = PathBuf::from(sluice_eval::REPO).join("../shared/data/spam/cases-dev.jsonl");
    let docs: Vec<String> = std::fs::read_to_string(path)?
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["format"] == "text")
        .filter_map(|v| v["clean"].as_str().map(str::to_string))
        .collect();
    let reps: usize = std::env::var("REPS").map_or(Ok(200), |r| r.parse())?;
    let stage = Spam::from_rules(&RuleSet::defaults()?)?;
    sluice::internals::model();
    let mut bytes = 0usize;
    for _ in 0..reps {
        for text in &docs {
            let mut doc = Document::from_text(text.as_str());
            stage.run(&mut doc);
            bytes += std::hint::black_box(doc.text().len());
        }
    }
    println!("{bytes}");
    Ok(())
}
