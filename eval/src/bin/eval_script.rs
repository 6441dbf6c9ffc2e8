//! Run the `script` stage alone over files and print one JSON record per file (or per line, with
//! `--lines`): the input, the output, the `auto` residue rate, the edits and the flags.
//! `scripts/eval_script.py` prepares the inputs and turns these records into the quality figures.
//!
//! Usage: cargo run --release --example eval_script -- [--mode MODE] [--lines] FILE...

use sluice::Document;
use sluice::internals::Script;
use sluice::internals::Stage;

use sluice_eval::script_mode;

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let rules = script_mode::rules_with_mode(&mut args)?;
    let by_line = args.iter().any(|a| a == "--lines");
    args.retain(|a| a != "--lines");
    let script = Script::from_rules(&rules)?;
    for path in args {
        let text = std::fs::read_to_string(&path)?;
        let documents: Vec<&str> = if by_line {
            text.lines().collect()
        } else {
            vec![text.as_str()]
        };
        for input in documents {
            let (residue, _) = script.auto(input);
            let mut doc = Document::from_text(input);
            script.run(&mut doc);
            let record = serde_json::json!({
                "file": path,
                "residue": residue,
                "input": input,
                "output": doc.text(),
                "edits": doc.report().edits,
                "flags": doc.report().flags,
            });
            println!("{record}");
        }
    }
    Ok(())
}
