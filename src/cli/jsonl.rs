//! JSON Lines streaming shared by `clean --jsonl` and `repair --jsonl`: records are read in batches,
//! processed in parallel, and written in input order, one output line per input record.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::Context;
use rayon::prelude::*;
use serde_json::{Map, Value};
use sluice::Document;
use sluice::io::jsonl::{error_record, output_record, parse_record};

use super::Status;

/// Records per batch: enough to keep every thread busy, few enough to stream.
const BATCH: usize = 1024;

/// Process `source` (a file, or stdin for `-`) with `process`, which turns a document into the output
/// fields of its record or an error message.
pub fn stream(
    source: &Path,
    process: impl Fn(Document) -> Result<Vec<(String, Value)>, String> + Sync,
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
        let records: Vec<(bool, Map<String, Value>)> = batch
            .par_iter()
            .map(|line| one_record(line, &process))
            .collect();
        for (ok, record) in records {
            failed |= !ok;
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
    process: &(impl Fn(Document) -> Result<Vec<(String, Value)>, String> + Sync),
) -> (bool, Map<String, Value>) {
    let result = parse_record(line).and_then(|(record, doc)| Ok((record, process(doc)?)));
    match result {
        Ok((record, fields)) => (true, output_record(record, fields)),
        Err(error) => (false, error_record(line, &error)),
    }
}
