use sluice::stages::{self, StageName};
fn main() {
    let rules = sluice::RuleSet::defaults().unwrap();
    let stage = stages::build(StageName::Mojibake, &rules).unwrap().unwrap();
    for t in std::env::args().skip(1) {
        let mut doc = sluice::Document::from_text(t);
        stage.run(&mut doc);
        println!("{}", doc.text);
        for e in &doc.report.edits {
            println!(
                "  {} {:?} -> {:?} ({})",
                e.rule, e.before, e.after, e.reason
            );
        }
        for f in &doc.report.flags {
            println!("  flag {} {:?}", f.rule, f.message);
        }
    }
}
