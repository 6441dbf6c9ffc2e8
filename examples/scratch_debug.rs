use sluice::stages::{self, StageName};
fn main() {
    let rules = sluice::RuleSet::defaults().unwrap();
    let stage = stages::build(StageName::Mojibake, &rules).unwrap().unwrap();
    for path in std::env::args().skip(1) {
        let t = std::fs::read_to_string(&path).unwrap();
        let mut doc = sluice::Document::from_text(t);
        let started = std::time::Instant::now();
        stage.run(&mut doc);
        println!("{path} {:?}", started.elapsed());
        for e in &doc.report.edits { println!("  {} {:?} -> {:?} ({})", e.rule, e.before, e.after, e.reason); }
        for f in &doc.report.flags { println!("  flag {:?} {:?}", f.position, f.message); }
    }
}
