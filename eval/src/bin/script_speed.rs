//! Per-core speed of the `script` stage on whole documents, robust to a busy machine: each file is
//! cleaned many times on one thread and the fastest and median runs are reported (the fastest run
//! is the one the scheduler did not interrupt). `benches/script.rs` is the criterion benchmark.
//!
//! Usage: cargo run --release --example script_speed -- [--mode MODE] FILE...

use std::time::{Duration, Instant};

use sluice::Document;
use sluice::internals::Script;
use sluice::internals::Stage;

const RUNS: usize = 200;

use sluice_eval::script_mode;

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let rules = script_mode::rules_with_mode(&mut args)?;
    let script = Script::from_rules(&rules)?;
    sluice::internals::model();
    for path in args {
        let text = std::fs::read_to_string(&path)?;
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let mut doc = Document::from_text(text.as_str());
                let start = Instant::now();
                script.run(&mut doc);
                let elapsed = start.elapsed();
                std::hint::black_box(doc);
                elapsed
            })
            .collect();
        times.sort();
        let mb_per_s = |d: Duration| text.len() as f64 / 1e6 / d.as_secs_f64();
        println!(
            "{path}: {} bytes, fastest {:.0} MB/s, median {:.0} MB/s",
            text.len(),
            mb_per_s(times[0]),
            mb_per_s(times[RUNS / 2])
        );
    }
    Ok(())
}
