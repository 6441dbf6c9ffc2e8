//! A sink that prints each document on a writer (stdout): its text, or its JSON report with the text.

use std::io::Write;
use std::path::Path;

use super::{Outcome, Sink, cannot_write};
use crate::error::Error;

/// What a [`WriterSink`] prints of each document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl<W: Write> WriterSink<W> {
    /// Print on `out` in `format`.
    pub fn new(out: W, format: WriterFormat) -> Self {
        WriterSink {
            out,
            format,
            several: true,
        }
    }

    fn print(&mut self, outcome: &Outcome) -> std::io::Result<()> {
        let cleaned = match &outcome.result {
            Ok(cleaned) => cleaned,
            Err(_) => return self.out.flush(),
        };
        match self.format {
            WriterFormat::Text => {
                if self.several {
                    writeln!(self.out, "==> {} <==", outcome.name)?;
                }
                self.out.write_all(cleaned.render().as_bytes())?;
            }
            WriterFormat::Json => {
                let mut value = outcome.report(cleaned);
                value.insert("text".into(), cleaned.text.as_str().into());
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
