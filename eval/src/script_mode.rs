//! `--mode MODE` for the script measurements: the default rules with `script.mode` set, and the
//! argument removed from `args`.

use sluice::RuleSet;
use sluice::StageName;

pub fn rules_with_mode(args: &mut Vec<String>) -> anyhow::Result<RuleSet> {
    let mut rules = RuleSet::defaults()?;
    if let Some(at) = args.iter().position(|a| a == "--mode") {
        let mode = args
            .get(at + 1)
            .ok_or_else(|| anyhow::anyhow!("--mode needs a value"))?
            .clone();
        rules.override_setting(StageName::Script, "mode", toml::Value::String(mode));
        args.drain(at..at + 2);
    }
    Ok(rules)
}
