//! A sink that prints each document on a writer (stdout): its text, or its JSON report with the text.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use super::stream::Dedup;
use super::{Engine, Outcome, Sink, cannot_write};
use crate::corpus::Signature;
use crate::error::Error;
use crate::report_json::add_duplicate_of;
use crate::text::fold::Folder;

/// What a [`WriterSink`] prints of each document (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WriterFormat {
    /// The rendered text (title, blank line, body); several documents each under a `==> name <==`
    /// header.
    Text,
    /// The JSON report with the text: pretty for a single document, one object per line for several.
    Json,
}

/// Prints the documents of a run in input order. A failed document prints nothing (the run's
/// observer reports it); what was printed before it is flushed first, so messages and output
/// interleave in order.
pub struct WriterSink<W: Write> {
    out: W,
    format: WriterFormat,
    several: bool,
    /// Near-duplicates among several documents, when looked for ([`WriterSink::deduplicated`]).
    dedup: Option<(Dedup, Arc<Folder>)>,
}

impl<W: Write> WriterSink<W> {
    /// Print on `out` in `format`.
    pub fn new(out: W, format: WriterFormat) -> Self {
        WriterSink {
            out,
            format,
            several: true,
            dedup: None,
        }
    }

    /// Look for near-duplicates among the documents as they stream, with `engine`'s settings, first
    /// seen wins (as `--jsonl` and shards do: what is printed is never taken back): a later copy is
    /// not printed, or, when the engine keeps duplicates, printed; as JSON its report has
    /// `duplicate_of` (the 0-based number of the first copy in input order, failed documents
    /// counted) either way, and its `text` only when kept.
    pub fn deduplicated(mut self, engine: &Engine) -> Self {
        let dedup = Dedup {
            deduper: engine.dedup.streaming(),
            keep_duplicates: engine.keep_duplicates,
        };
        self.dedup = Some((dedup, engine.folder.clone()));
        self
    }

    /// The first copy of which the document is a later near-duplicate, if any (documents of a
    /// single-document run are not looked at).
    fn duplicate_of(&mut self, outcome: &Outcome) -> Option<u64> {
        let (dedup, folder) = self.dedup.as_mut().filter(|_| self.several)?;
        let signature = match &outcome.result {
            Ok(cleaned) => Signature::of(&cleaned.text, folder),
            Err(_) => Signature::empty(),
        };
        dedup.deduper.check(&signature)
    }

    fn print(&mut self, outcome: &Outcome) -> std::io::Result<()> {
        let duplicate_of = self.duplicate_of(outcome);
        let keep = self
            .dedup
            .as_ref()
            .is_none_or(|(dedup, _)| dedup.keep_duplicates);
        let cleaned = match &outcome.result {
            Ok(cleaned) => cleaned,
            Err(_) => return self.out.flush(),
        };
        let print_text = duplicate_of.is_none() || keep;
        match self.format {
            WriterFormat::Text if !print_text => {}
            WriterFormat::Text => {
                if self.several {
                    writeln!(self.out, "==> {} <==", outcome.name)?;
                }
                self.out.write_all(cleaned.render().as_bytes())?;
            }
            WriterFormat::Json => {
                let mut value = outcome.report(cleaned);
                if let Some(first) = duplicate_of {
                    add_duplicate_of(&mut value, first);
                }
                if print_text {
                    value.insert("text".into(), cleaned.text.as_str().into());
                }
                if self.several {
                    serde_json::to_writer(&mut self.out, &value)?;
                } else {
                    serde_json::to_writer_pretty(&mut self.out, &value)?;
                }
                self.out.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Sink for WriterSink<W> {
    fn begin(&mut self, single: bool) {
        self.several = !single;
    }

    fn write(&mut self, outcome: &mut Outcome) -> Result<(), Error> {
        self.print(outcome)
            .map_err(cannot_write(Path::new("stdout")))
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(cannot_write(Path::new("stdout")))
    }
}
