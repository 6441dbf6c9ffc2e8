//! JSON Lines streaming shared by `clean --jsonl` and `repair --jsonl`: records are read in batches,
//! processed in parallel, and written in input order, one output line per input line that is not
//! blank. With a streaming deduplicator, each record is checked in input order (first seen wins): a
//! later copy keeps its record, marked `sluice.duplicate_of` (the 0-based number of the first-seen
//! record), and loses its `text` and `title` unless duplicates are kept.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::Context;
use rayon::prelude::*;
use serde_json::{Map, Value, json};
use sluice::Document;
use sluice::corpus::{Signature, StreamingDeduper};
use sluice::io::jsonl::{
    Line, Lines, Rejected, error_record, line_limit, output_record, parse_line, too_long,
};

use super::Status;

/// Records (or documents, for `clean`) per batch: enough to keep every thread busy, few enough to
/// stream.
pub const BATCH: usize = 1024;

/// Input bytes one batch may hold before it is cleaned (JSON lines, WARC records): with web pages
/// this, not `BATCH`, bounds a batch's memory. 16 MiB is some 160 pages of 100 KB, work for a dozen
/// threads or more; 64 MiB measured 50 MiB more peak memory and no faster on a 2,000-page crawl
/// (scripts/warc_memory.sh).
pub const BATCH_BYTES: usize = 16 << 20;

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
/// fields of its record or an error message. A record's content may be at most `max_content` bytes
/// (`decode.max_input_mib`); its line, at most `line_limit(max_content)`. A line that gives no
/// record becomes an error record; a failed read of the source ends the stream after the lines
/// before it are written.
pub fn stream(
    source: &Path,
    max_content: usize,
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
    let max_line = line_limit(max_content);
    let mut lines = Lines::new(reader, max_line);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    loop {
        let (batch, end) = next_batch(&mut lines);
        let records: Vec<(bool, Map<String, Value>, Option<Signature>)> = batch
            .into_par_iter()
            .map(|line| one_record(line, max_content, max_line, &process))
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
        match end {
            None => {}
            Some(Ok(())) => break,
            Some(Err(error)) => {
                return Err(error).with_context(|| format!("cannot read {}", source.display()));
            }
        }
    }
    Ok(if failed {
        Status::Failed
    } else {
        Status::Success
    })
}

/// The next lines to process together (at most `BATCH`, about `BATCH_BYTES`), and how the stream
/// ended when it did.
fn next_batch(lines: &mut Lines<impl BufRead>) -> (Vec<Line>, Option<std::io::Result<()>>) {
    let (mut batch, mut held) = (Vec::new(), 0);
    while batch.len() < BATCH && held < BATCH_BYTES {
        match lines.next() {
            None => return (batch, Some(Ok(()))),
            Some(Err(error)) => return (batch, Some(Err(error))),
            Some(Ok(line)) => {
                held += line.bytes.as_ref().map_or(0, Vec::len);
                batch.push(line);
            }
        }
    }
    (batch, None)
}

fn one_record(
    line: Line,
    max_content: usize,
    max_line: usize,
    process: &(impl Fn(Document) -> Result<Processed, String> + Sync),
) -> (bool, Map<String, Value>, Option<Signature>) {
    let parsed = match &line.bytes {
        Ok(bytes) => parse_line(bytes, max_content),
        Err(length) => Err(too_long(*length, max_line)),
    };
    let result = parsed.and_then(|(record, doc)| match process(doc) {
        Ok(processed) => Ok((record, processed)),
        Err(error) => Err(Rejected {
            fields: record,
            error,
        }),
    });
    match result {
        Ok((record, processed)) => (
            true,
            output_record(record, processed.fields),
            processed.signature,
        ),
        Err(rejected) => (false, error_record(rejected, line.number), None),
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
