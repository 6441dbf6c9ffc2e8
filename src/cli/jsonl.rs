//! JSON Lines streaming shared by `clean --jsonl` and `repair --jsonl`: records are read in batches,
//! processed in parallel, and written in input order, one output line per input record. With a
//! streaming deduplicator, each record is checked in input order (first seen wins): a later copy keeps
//! its record, marked `sluice.duplicate_of` (the 0-based number of the first-seen record), and loses
//! its `text` and `title` unless duplicates are kept.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::Context;
use rayon::prelude::*;
use serde_json::{Map, Value, json};
use sluice::Document;
use sluice::corpus::{Signature, StreamingDeduper};
use sluice::io::jsonl::{error_record, output_record, parse_record};

use super::Status;

/// Records (or documents, for `clean`) per batch: enough to keep every thread busy, few enough to
/// stream.
pub const BATCH: usize = 1024;

/// What processing one record gave: its output fields, and its signature when deduplicating.
pub struct Processed {
    pub fields: Vec<(String, Value)>,
    pub signature: Option<Signature>,
}

/// Near-duplicate handling for a stream.
pub struct Dedup {
    pub deduper: StreamingDeduper,
    pub keep_duplicates: bool,
}

/// Process `source` (a file, or stdin for `-`) with `process`, which turns a document into the output
/// fields of its record or an error message.
pub fn stream(
    source: &Path,
    process: impl Fn(Document) -> Result<Processed, String> + Sync,
    mut dedup: Option<Dedup>,
) -> anyhow::Result<Status> {
    let reader: Box<dyn BufRead> = if source == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(source)
            .with_context(|| format!("cannot open {}", source.display()))?;
        Box::new(BufReader::new(file))
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut lines = reader.lines();
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        for line in lines.by_ref() {
            let line = line.with_context(|| format!("cannot read {}", source.display()))?;
            if !line.trim().is_empty() {
                batch.push(line);
            }
            if batch.len() == BATCH {
                break;
            }
        }
        if batch.is_empty() {
            break;
        }
        let records: Vec<(bool, Map<String, Value>, Option<Signature>)> = batch
            .par_iter()
            .map(|line| one_record(line, &process))
            .collect();
        for (ok, mut record, signature) in records {
            failed |= !ok;
            if let Some(dedup) = dedup.as_mut() {
                mark_duplicate(dedup, &mut record, signature.as_ref());
            }
            serde_json::to_writer(&mut out, &record)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    Ok(if failed {
        Status::Failed
    } else {
        Status::Success
    })
}

fn one_record(
    line: &str,
    process: &(impl Fn(Document) -> Result<Processed, String> + Sync),
) -> (bool, Map<String, Value>, Option<Signature>) {
    let result = parse_record(line).and_then(|(record, doc)| Ok((record, process(doc)?)));
    match result {
        Ok((record, processed)) => (
            true,
            output_record(record, processed.fields),
            processed.signature,
        ),
        Err(error) => (false, error_record(line, &error), None),
    }
}

/// Check a record against the stream so far (every record, failed ones with no text, takes a number).
fn mark_duplicate(
    dedup: &mut Dedup,
    record: &mut Map<String, Value>,
    signature: Option<&Signature>,
) {
    let empty = Signature::empty();
    let Some(first) = dedup.deduper.check(signature.unwrap_or(&empty)) else {
        return;
    };
    if let Some(Value::Object(report)) = record.get_mut("sluice") {
        report.insert("duplicate_of".into(), json!(first));
    }
    if !dedup.keep_duplicates {
        record.remove("text");
        record.remove("title");
    }
}
