//! Where a process's start-up goes: the CPU time of each resource built before (and while) the
//! first documents are cleaned, in the order `sluice clean` builds them. Shared resources are
//! timed on their own first (the word language model), then each stage's construction (which
//! includes any table it is the first to use), then a first simplified and a first traditional
//! document. One run prints one line per resource; `scripts/startup.sh` takes medians over
//! processes.
//!
//! ```sh
//! cargo run --release -p sluice-eval --bin startup
//! ```

use sluice::internals::{build, model};
use sluice::{Pipeline, RuleSet, StageName};

use sluice_eval::cpu_time::thread_cpu_ns;

fn main() -> anyhow::Result<()> {
    let start = cpu_ms();
    let mut last = start;
    let mut lap = |what: &str| {
        let now = cpu_ms();
        println!("{what:24} {:8.1} ms", now - last);
        last = now;
    };
    let rules = RuleSet::defaults()?;
    lap("rules");
    model();
    lap("language model");
    for name in StageName::ALL {
        build(name, &rules)?;
        lap(&format!("stage {}", name.as_str()));
    }
    // What `clean` builds: the stages again, without the shared tables built above.
    let pipeline = Pipeline::from_rules(&rules)?;
    lap("pipeline (stages again)");
    pipeline.clean("正文。\n".as_bytes())?;
    lap("first document");
    pipeline.clean("正體中文的頁面。\n".as_bytes())?;
    lap("first traditional doc");
    println!("{:24} {:8.1} ms", "total (stages twice)", cpu_ms() - start);
    Ok(())
}

fn cpu_ms() -> f64 {
    thread_cpu_ns().unwrap_or(0.0) / 1e6
}
