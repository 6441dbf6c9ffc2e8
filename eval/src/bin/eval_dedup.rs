//! Corpus-level near-duplicate detection on the synthetic corpus of `scripts/gen_dedup_corpus.py`:
//! pair recall, false links, recall per transform, and the streaming (first-seen) mode.
//!
//!     python3 scripts/gen_dedup_corpus.py
//!     cargo run --release --example eval_dedup [CORPUS.jsonl] [bands=N] [rows=N] [jaccard=X]
//!
//! Settings come from `[settings.dedup]`; `key=value` arguments override them for exploration.
//! Times are the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`, wall time where there is none), so
//! that a loaded machine does not distort the per-core rate.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde::Deserialize;
use sluice::RuleSet;
use sluice::internals::{CorpusDedup, Signature, shingle_chars, shingles};

use sluice_eval::cpu_time;

#[derive(Deserialize)]
struct Doc {
    group: usize,
    role: String,
    transforms: Vec<String>,
    text: String,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.contains('='))
        .cloned()
        .unwrap_or_else(|| "target/dedup-corpus/corpus.jsonl".into());
    let docs: Vec<Doc> = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("{path}: {e} (run scripts/gen_dedup_corpus.py first)"))?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let rules = RuleSet::defaults()?;
    let folder = rules.folder()?;
    let mut settings = CorpusDedup::from_rules(&rules)?;
    for (key, value) in args.iter().filter_map(|a| a.split_once('=')) {
        match key {
            "bands" => settings.bands = value.parse()?,
            "rows" => settings.rows = value.parse()?,
            "jaccard" => settings.jaccard = value.parse()?,
            _ => anyhow::bail!("unknown setting {key} (bands, rows, jaccard)"),
        }
    }

    let start = CpuClock::now();
    let signatures: Vec<Signature> = docs
        .iter()
        .map(|d| Signature::of(&d.text, &folder))
        .collect();
    let signing = start.elapsed();
    let lengths: Vec<usize> = docs.iter().map(|d| d.text.len()).collect();
    let start = CpuClock::now();
    let decisions = settings.cluster(&signatures, &lengths);
    let clustering = start.elapsed();

    let cluster_of: Vec<Option<usize>> = decisions.iter().map(|d| d.cluster).collect();
    let report = PairReport::new(&docs, &cluster_of);
    println!(
        "{} documents, {} groups with copies; bands {} × rows {}, jaccard {}",
        docs.len(),
        report.groups_with_copies,
        settings.bands,
        settings.rows,
        settings.jaccard
    );
    println!(
        "batch: pair recall {:.4} ({} of {} true pairs), false links {} (pairs of different groups in one cluster)",
        report.found as f64 / report.true_pairs as f64,
        report.found,
        report.true_pairs,
        report.false_links
    );
    let wrongly_dropped = decisions
        .iter()
        .enumerate()
        .filter(|(i, d)| !d.is_kept(*i) && docs[d.kept].group != docs[*i].group)
        .count();
    println!("batch: documents dropped for a copy of another group: {wrongly_dropped}");
    per_transform_recall(&docs, &cluster_of, &signatures, &folder);
    streaming(&docs, &signatures, &settings);
    let n = docs.len() as f64;
    println!(
        "one core ({}): signatures (folding included) {:.0} docs/s, clustering {:.0} docs/s, both {:.0} docs/s",
        start.kind(),
        n / signing,
        n / clustering,
        n / (signing + clustering)
    );
    Ok(())
}

/// The calling thread's CPU time where Linux reports it, wall time elsewhere.
struct CpuClock {
    cpu: Option<f64>,
    wall: Instant,
}

impl CpuClock {
    fn now() -> Self {
        CpuClock {
            cpu: thread_cpu_seconds(),
            wall: Instant::now(),
        }
    }

    /// Seconds since `now`.
    fn elapsed(&self) -> f64 {
        match (self.cpu, thread_cpu_seconds()) {
            (Some(start), Some(end)) => end - start,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }

    fn kind(&self) -> &'static str {
        if self.cpu.is_some() {
            "CPU time"
        } else {
            "wall time"
        }
    }
}

fn thread_cpu_seconds() -> Option<f64> {
    cpu_time::thread_cpu_ns().map(|ns| ns / 1e9)
}

struct PairReport {
    true_pairs: usize,
    found: usize,
    false_links: usize,
    groups_with_copies: usize,
}

impl PairReport {
    fn new(docs: &[Doc], cluster_of: &[Option<usize>]) -> Self {
        let mut by_group: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut by_cluster: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, doc) in docs.iter().enumerate() {
            by_group.entry(doc.group).or_default().push(i);
            if let Some(c) = cluster_of[i] {
                by_cluster.entry(c).or_default().push(i);
            }
        }
        let pairs = |members: &[usize]| {
            let mut out = Vec::new();
            for (k, &a) in members.iter().enumerate() {
                for &b in &members[k + 1..] {
                    out.push((a, b));
                }
            }
            out
        };
        let mut report = PairReport {
            true_pairs: 0,
            found: 0,
            false_links: 0,
            groups_with_copies: 0,
        };
        for members in by_group.values().filter(|m| m.len() > 1) {
            report.groups_with_copies += 1;
            for (a, b) in pairs(members) {
                report.true_pairs += 1;
                if cluster_of[a].is_some() && cluster_of[a] == cluster_of[b] {
                    report.found += 1;
                }
            }
        }
        for members in by_cluster.values() {
            report.false_links += pairs(members)
                .into_iter()
                .filter(|&(a, b)| docs[a].group != docs[b].group)
                .count();
        }
        report
    }
}

/// Recall of copy–original pairs by transform, and the exact 5-gram Jaccard of the missed ones.
fn per_transform_recall(
    docs: &[Doc],
    cluster_of: &[Option<usize>],
    signatures: &[Signature],
    folder: &sluice::internals::Folder,
) {
    let original: HashMap<usize, usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.role == "original")
        .map(|(i, d)| (d.group, i))
        .collect();
    let mut totals: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut missed = Vec::new();
    for (i, doc) in docs.iter().enumerate().filter(|(_, d)| d.role == "copy") {
        let Some(&o) = original.get(&doc.group) else {
            continue;
        };
        let hit = cluster_of[i].is_some() && cluster_of[i] == cluster_of[o];
        for t in &doc.transforms {
            let entry = totals.entry(t.as_str()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(hit);
        }
        if !hit {
            missed.push((
                exact_jaccard(&doc.text, &docs[o].text, folder),
                signatures[i].similarity(&signatures[o]),
                doc.transforms.join("+"),
            ));
        }
    }
    let mut names: Vec<_> = totals.into_iter().collect();
    names.sort();
    for (name, (total, hit)) in names {
        println!(
            "  copy–original recall, {name:>14}: {:.4} ({hit}/{total})",
            hit as f64 / total as f64
        );
    }
    missed.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (exact, estimated, transforms) in missed.iter().take(10) {
        println!("  missed: exact Jaccard {exact:.3}, estimated {estimated:.3}, {transforms}");
    }
}

fn exact_jaccard(a: &str, b: &str, folder: &sluice::internals::Folder) -> f64 {
    let set = |t: &str| -> HashSet<u64> { shingles(&shingle_chars(t, folder)).collect() };
    let (a, b) = (set(a), set(b));
    a.intersection(&b).count() as f64 / a.union(&b).count().max(1) as f64
}

/// Resident memory of the process in bytes (Linux), to measure the streaming index.
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    Some(statm.split_whitespace().nth(1)?.parse::<usize>().ok()? * 4096)
}

/// First seen wins, in file order, with the configured bound.
fn streaming(docs: &[Doc], signatures: &[Signature], settings: &CorpusDedup) {
    let before = resident_bytes();
    let mut stream = settings.streaming();
    let mut seen_groups: HashSet<usize> = HashSet::new();
    let (mut expected, mut caught, mut wrong) = (0, 0, 0);
    for (doc, signature) in docs.iter().zip(signatures) {
        let repeat_of_group = !seen_groups.insert(doc.group);
        expected += usize::from(repeat_of_group);
        match stream.check(signature) {
            Some(first) if docs[first as usize].group == doc.group => caught += 1,
            Some(_) => wrong += 1,
            None => {}
        }
    }
    println!(
        "streaming (bound {}): {caught} of {expected} later copies dropped ({:.4}), {wrong} dropped for another group's document",
        settings.stream_bound,
        caught as f64 / expected.max(1) as f64
    );
    if let (Some(before), Some(after)) = (before, resident_bytes()) {
        println!(
            "streaming index: {} documents remembered, about {:.0} bytes each (resident memory)",
            stream.remembered(),
            after.saturating_sub(before) as f64 / stream.remembered().max(1) as f64
        );
    }
}
