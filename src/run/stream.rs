//! JSON Lines streaming, shared by cleaning and repairing records: records are read in batches,
//! processed in parallel, and written in input order, one output line per input line that is not
//! blank. With a streaming deduplicator, each record is checked in input order (first seen wins): a
//! later copy keeps its record, marked `sluice.duplicate_of` (the 0-based number of the first-seen
//! record), and loses its `text` and `title` unless duplicates are kept.

use std::io::{BufRead, Write};
use std::path::Path;

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::jsonl::{
    Line, Lines, Rejected, error_record, line_limit, output_record, parse_line, too_long,
};
use super::{BATCH, BATCH_BYTES, cannot_write};
use crate::corpus::{Signature, StreamingDeduper};
use crate::document::Document;
use crate::error::Error;
use crate::report_json::add_duplicate_of;

/// What processing one record gave: its output fields, and its signature when deduplicating.
pub struct Processed {
    /// The fields added to the record (its content field is dropped).
    pub fields: Vec<(String, Value)>,
    /// The signature of its text, for near-duplicate checks.
    pub signature: Option<Signature>,
}

/// Near-duplicate handling for a stream.
pub(crate) struct Dedup {
    pub deduper: StreamingDeduper,
    pub keep_duplicates: bool,
}

/// Process the JSON Lines of `reader` (`name` in messages) with `process`, which turns a document
/// into the output fields of its record or an error message, and write the records to `out`; false
/// when some record failed. A record's content may be at most `max_content` bytes; its line, at most
/// twice that. A line that gives no record becomes an error record (`sluice.error`, `sluice.line`);
/// a failed read ends the stream after the lines before it are written.
pub fn stream_jsonl(
    reader: impl BufRead,
    name: &Path,
    out: impl Write,
    max_content: usize,
    process: impl Fn(Document) -> Result<Processed, String> + Sync,
) -> Result<bool, Error> {
    stream_with(reader, name, out, max_content, process, None)
}

/// [`stream_jsonl`] with near-duplicate checks.
pub(crate) fn stream_with(
    reader: impl BufRead,
    name: &Path,
    mut out: impl Write,
    max_content: usize,
    process: impl Fn(Document) -> Result<Processed, String> + Sync,
    mut dedup: Option<Dedup>,
) -> Result<bool, Error> {
    let max_line = line_limit(max_content);
    let mut lines = Lines::new(reader, max_line);
    let stdout = Path::new("stdout");
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
            serde_json::to_writer(&mut out, &record)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(cannot_write(stdout))?;
        }
        out.flush().map_err(cannot_write(stdout))?;
        match end {
            None => {}
            Some(Ok(())) => return Ok(!failed),
            Some(Err(source)) => {
                return Err(Error::Io {
                    path: name.to_path_buf(),
                    source,
                });
            }
        }
    }
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
        add_duplicate_of(report, first);
    }
    if !dedup.keep_duplicates {
        record.remove("text");
        record.remove("title");
    }
}
