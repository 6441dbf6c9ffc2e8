//! JSON Lines streaming, shared by cleaning and repairing records: records are read in batches,
//! processed in parallel, and written in input order, one output line per input line that is not
//! blank. With a streaming deduplicator, each record is checked in input order (first seen wins): a
//! later copy keeps its record, marked `sluice.duplicate_of` (the 0-based number of the first-seen
//! record), and loses its `text` and `title` unless duplicates are kept.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::jsonl::{Line, Lines, Rejected, error_record, line_limit, output_record, parse};
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

/// What a stream gave: records written, how many of them failed and how many were marked as later
/// copies of an earlier record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamSummary {
    /// Output records written, one per input line that is not blank.
    pub records: usize,
    /// Records that carry `sluice.error`.
    pub failed: usize,
    /// Records marked `sluice.duplicate_of`.
    pub duplicates: usize,
}

/// `3 records, 1 failed, 0 duplicates`.
impl std::fmt::Display for StreamSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let StreamSummary {
            records,
            failed,
            duplicates,
        } = self;
        write!(
            f,
            "{records} records, {failed} failed, {duplicates} duplicates"
        )
    }
}

/// Process the JSON Lines of `reader` (`name` in messages) with `process`, which turns a document
/// into the output fields of its record or an error message, and write the records to `out`. A
/// record's content may be at most `max_content` bytes; its line, at most twice that. A line that
/// gives no record becomes an error record (`sluice.error`, `sluice.line`); a failed read ends the
/// stream after the lines before it are written.
///
/// Lines are read ahead on a thread of their own, and a batch is what has arrived: a co-process that
/// writes a record and waits for its answer gets it at once, while a file read faster than it is
/// cleaned still gives full batches.
pub fn stream_jsonl(
    reader: impl BufRead + Send + 'static,
    name: &Path,
    out: impl Write,
    max_content: usize,
    process: impl Fn(Document) -> Result<Processed, String> + Sync,
) -> Result<StreamSummary, Error> {
    stream_with(reader, name, out, max_content, process, None)
}

/// [`stream_jsonl`] with near-duplicate checks.
pub(crate) fn stream_with(
    reader: impl BufRead + Send + 'static,
    name: &Path,
    mut out: impl Write,
    max_content: usize,
    process: impl Fn(Document) -> Result<Processed, String> + Sync,
    mut dedup: Option<Dedup>,
) -> Result<StreamSummary, Error> {
    let max_line = line_limit(max_content);
    let ahead = ReadAhead::start(Lines::new(reader, max_line))?;
    let stdout = Path::new("stdout");
    let mut summary = StreamSummary::default();
    loop {
        let (batch, end) = ahead.next_batch();
        let records: Vec<(bool, Map<String, Value>, Option<Signature>)> = batch
            .into_par_iter()
            .map(|line| one_record(line, max_content, &process))
            .collect();
        for (ok, mut record, signature) in records {
            summary.records += 1;
            summary.failed += usize::from(!ok);
            if let Some(dedup) = dedup.as_mut() {
                let duplicate = mark_duplicate(dedup, &mut record, signature.as_ref());
                summary.duplicates += usize::from(duplicate);
            }
            serde_json::to_writer(&mut out, &record)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(cannot_write(stdout))?;
        }
        out.flush().map_err(cannot_write(stdout))?;
        match end {
            None => {}
            Some(Ok(())) => return Ok(summary),
            Some(Err(source)) => {
                return Err(Error::Io {
                    path: name.to_path_buf(),
                    source,
                });
            }
        }
    }
}

/// Lines read on a thread of their own: at most `BATCH` lines and about `BATCH_BYTES` wait to be
/// taken. The thread is not joined: when the stream is abandoned (stdout closed) it may be blocked
/// reading stdin, and it ends when it next finds the receiver gone.
struct ReadAhead {
    lines: Receiver<std::io::Result<Line>>,
    budget: Arc<Budget>,
}

impl ReadAhead {
    fn start(mut lines: Lines<impl BufRead + Send + 'static>) -> Result<Self, Error> {
        let (sender, receiver) = mpsc::sync_channel(BATCH);
        let budget = Arc::new(Budget::default());
        let held = Arc::clone(&budget);
        std::thread::Builder::new()
            .name("sluice-jsonl-reader".into())
            .spawn(move || {
                for line in lines.by_ref() {
                    let size = line.as_ref().map_or(0, Line::held);
                    if !held.take(size) || sender.send(line).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| Error::Input(format!("cannot start a reader thread: {e}")))?;
        Ok(ReadAhead {
            lines: receiver,
            budget,
        })
    }

    /// The lines that have arrived (waiting for one when none has; at most `BATCH`, about
    /// `BATCH_BYTES`), and how the stream ended when it did.
    fn next_batch(&self) -> (Vec<Line>, Option<std::io::Result<()>>) {
        let (mut batch, mut held) = (Vec::new(), 0);
        loop {
            let received = if batch.is_empty() {
                self.lines.recv().ok()
            } else {
                match self.lines.try_recv() {
                    Ok(line) => Some(line),
                    Err(TryRecvError::Empty) => return (batch, None),
                    Err(TryRecvError::Disconnected) => None,
                }
            };
            match received {
                None => return (batch, Some(Ok(()))),
                Some(Err(error)) => return (batch, Some(Err(error))),
                Some(Ok(line)) => {
                    let size = line.held();
                    self.budget.give(size);
                    held += size;
                    batch.push(line);
                    if batch.len() >= BATCH || held >= BATCH_BYTES {
                        return (batch, None);
                    }
                }
            }
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.budget.close();
    }
}

/// The bytes of lines read and not yet taken. Hand-written (a counter and a condition variable): a
/// channel bounds the number of lines, not their bytes.
#[derive(Default)]
struct Budget {
    state: Mutex<(usize, bool)>,
    freed: Condvar,
}

impl Budget {
    /// Wait until `size` more bytes fit (a line alone always fits); false once the reader is gone.
    fn take(&self, size: usize) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while state.0 > 0 && state.0 + size > BATCH_BYTES && !state.1 {
            state = match self.freed.wait(state) {
                Ok(state) => state,
                Err(_) => return false,
            };
        }
        state.0 += size;
        !state.1
    }

    fn give(&self, size: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.0 = state.0.saturating_sub(size);
        }
        self.freed.notify_all();
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
        }
        self.freed.notify_all();
    }
}

fn one_record(
    line: Line,
    max_content: usize,
    process: &(impl Fn(Document) -> Result<Processed, String> + Sync),
) -> (bool, Map<String, Value>, Option<Signature>) {
    let result = parse(&line, max_content).and_then(|(record, doc)| match process(doc) {
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

/// Check a record against the stream so far (every record, failed ones with no text, takes a
/// number); true when it is a later copy.
fn mark_duplicate(
    dedup: &mut Dedup,
    record: &mut Map<String, Value>,
    signature: Option<&Signature>,
) -> bool {
    let empty = Signature::empty();
    let Some(first) = dedup.deduper.check(signature.unwrap_or(&empty)) else {
        return false;
    };
    if let Some(Value::Object(report)) = record.get_mut("sluice") {
        add_duplicate_of(report, first);
    }
    if !dedup.keep_duplicates {
        record.shift_remove("text");
        record.shift_remove("title");
    }
    true
}
