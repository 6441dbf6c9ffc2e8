//! The run engine: documents from a source are cleaned in parallel batches and handed, in input
//! order, to a sink that writes them (ripgrep's searcher/sink split).
//!
//! - Sources: [`Inputs`] (stdin, files, directory trees, WARC files, the records of JSON Lines
//!   streams; gzip and zstd decompressed by magic number), and JSON Lines streams cleaned to JSON
//!   Lines ([`Engine::clean_jsonl`]).
//! - Sinks: [`TreeSink`] (an output tree with sidecar reports, near-duplicate clusters and a run
//!   summary), [`ShardSink`] (numbered shards of records), [`WriterSink`] (text or JSON on a
//!   writer), or any [`Sink`].
//! - A whole run as `sluice clean` makes it, from [`Documents`] into a [`Target`], told to an
//!   [`Observer`] ([`Engine::clean`]); [`Progress`] tells it on stderr.

mod http;
pub(crate) mod input;
mod job;
// The JSONL and WARC readers are public, hidden, for the fuzz targets and the limit tests that feed
// them bytes directly; users read inputs through `Inputs` and `Engine::clean_jsonl`.
#[doc(hidden)]
pub mod jsonl;
mod output;
mod progress;
mod resume;
mod shards;
mod source;
mod spans;
mod stream;
mod tree;
#[doc(hidden)]
pub mod warc;
mod writer;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::corpus::{CorpusDedup, Signature};
use crate::error::Error;
use crate::pipeline::{Cleaned, Pipeline};
use crate::report_json::{Provenance, ReportJson, ReportLevel, RunInfo};
use crate::rules::RuleSet;
use crate::stages::spam::repeated::{self, Confirmed, Suspect};
use crate::text::fold::Folder;
use spans::RunSpans;

pub use input::{open_input, open_stream, read_input};
pub use job::{Documents, Ending, Observer, OutputFormat, Target};
pub use output::{RunSummary, TreeSink};
pub use progress::Progress;
pub use shards::{ShardFormat, ShardLimits, ShardSink};
pub use source::Inputs;
pub use stream::{Processed, StreamSummary, stream_jsonl};
pub use writer::{WriterFormat, WriterSink};

/// Documents (or JSON Lines records) per batch: enough to keep every thread busy, few enough to
/// stream. A run's batch size can be set ([`Engine::batch_size`]).
const BATCH: usize = 1024;

/// Input bytes one batch may hold before it is cleaned (JSON lines, WARC records): with web pages
/// this, not `BATCH`, bounds a batch's memory. 16 MiB is some 160 pages of 100 KB, work for a dozen
/// threads or more; 64 MiB measured 50 MiB more peak memory and no faster on a 2,000-page crawl
/// (scripts/warc_memory.sh).
const BATCH_BYTES: usize = 16 << 20;

/// What cleaning one document gave, handed to the sink in input order.
#[derive(Debug)]
pub struct Outcome {
    /// How messages name the document: its path, `-` for stdin, `crawl.warc#3` for a WARC record.
    pub name: String,
    /// Where a WARC record came from.
    pub provenance: Option<Provenance>,
    /// A JSON Lines record's other fields (all but its content field), in their order and with
    /// their numbers as given.
    pub record: Option<serde_json::Map<String, serde_json::Value>>,
    /// The input's size: the file's, the WARC record's payload or the JSON line's.
    pub bytes_in: usize,
    /// Where the sink said it would write the document (see [`Sink::admit`]).
    pub output: Option<PathBuf>,
    /// The cleaned document, or why it failed.
    pub result: Result<Cleaned, Error>,
    /// Which sluice, rules and settings cleaned it.
    pub run: Arc<RunInfo>,
}

impl Outcome {
    /// The document's JSON report, with its name and provenance, without its text.
    pub fn report(&self, cleaned: &Cleaned) -> serde_json::Map<String, serde_json::Value> {
        self.report_json(cleaned).to_value()
    }

    /// The document's report at `level` (see [`ReportLevel`]).
    pub fn report_at(
        &self,
        level: ReportLevel,
        cleaned: &Cleaned,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.report_json(cleaned).at(level)
    }

    fn report_json<'a>(&'a self, cleaned: &'a Cleaned) -> ReportJson<'a> {
        ReportJson {
            source: Some(&self.name),
            provenance: self.provenance.as_ref(),
            run: Some(&self.run),
            ..ReportJson::of_cleaned(cleaned)
        }
    }
}

/// Where a run's documents go.
pub trait Sink {
    /// Called once, before the first document, with whether the run holds a single document.
    fn begin(&mut self, _single: bool) {}

    /// The document `name` (`relative`: its path under the argument it was found in) is next, in
    /// input order, before it is cleaned: where it will be written, if the sink names outputs. An
    /// error fails the document unread (an output that would replace an input).
    fn admit(&mut self, _name: &str, _relative: &Path) -> Result<Option<PathBuf>, Error> {
        Ok(None)
    }

    /// A document's outcome, in input order. A sink that cannot write one document fails it by
    /// setting its result to the error; an error returned ends the run (stdout closed).
    fn write(&mut self, outcome: &mut Outcome) -> Result<(), Error>;

    /// A batch is written: what is buffered goes out, so output streams.
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// How many documents, from the first in input order, an earlier run of the same run into this
    /// sink finished (see [`TreeSink`]): they are admitted again, so they are named as before, but
    /// not read, cleaned or written.
    fn completed(&self) -> usize {
        0
    }
}

/// The run option `--keep-duplicates`, as the settings name it.
const KEEP_DUPLICATES: &str = "keep_duplicates";

/// A cleaning run: the pipeline and the near-duplicate settings, built once from a rule set.
pub struct Engine {
    pipeline: Pipeline,
    dedup: CorpusDedup,
    folder: Arc<Folder>,
    keep_duplicates: bool,
    fingerprints: bool,
    report: ReportLevel,
    batch_size: usize,
    run: Arc<RunInfo>,
    /// The documents that confirm a span repeated across the run (`spam.repeated-span`); `None`
    /// when the rules have no such rule.
    repeated_min_docs: Option<usize>,
}

/// A document cleaned in a run that judges repeated spans: its outcome, the suspect spans the spam
/// stage found in it, its signature and its input again, to clean it once more if one of its spans
/// is confirmed in its batch (both only when it has a suspect span).
struct Cleaning {
    outcome: Outcome,
    suspects: Vec<Suspect>,
    signature: Option<Arc<Signature>>,
    again: Option<(source::Unit, Option<PathBuf>)>,
}

impl Engine {
    /// The full cleaning pipeline of `rules`, with its near-duplicate settings.
    pub fn new(rules: &RuleSet) -> Result<Self, Error> {
        Ok(Engine {
            pipeline: Pipeline::from_rules(rules)?,
            dedup: CorpusDedup::from_rules(rules)?,
            folder: rules.folder()?,
            keep_duplicates: false,
            fingerprints: false,
            report: ReportLevel::Full,
            batch_size: BATCH,
            run: Arc::new(RunInfo::new(rules)?.option(KEEP_DUPLICATES, false.into())),
            repeated_min_docs: repeated::min_docs(rules)?,
        })
    }

    /// Keep near-duplicate documents in the output (they are still marked in their reports).
    pub fn keep_duplicates(mut self, keep: bool) -> Self {
        self.keep_duplicates = keep;
        self.run = Arc::new((*self.run).clone().option(KEEP_DUPLICATES, keep.into()));
        self
    }

    /// Put each JSON Lines record's MinHash fingerprint in its report (`sluice.minhash`), for a
    /// global near-duplicate pass over the records of many runs.
    pub fn fingerprints(mut self, emit: bool) -> Self {
        self.fingerprints = emit;
        self
    }

    /// How much of each document's report the output tree or the shards keep.
    pub fn report_level(mut self, level: ReportLevel) -> Self {
        self.report = level;
        self
    }

    /// Documents per batch (at least 1): each batch is cleaned in parallel, then written, and an
    /// output tree marks it done, so a rerun of a killed run continues after the last batch done.
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Which sluice, rules and settings this engine's reports name.
    pub fn run_info(&self) -> &RunInfo {
        &self.run
    }

    /// The pipeline every document goes through.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// An output tree in `out` for `inputs`: refused, before anything is written, when it would
    /// write over one of them.
    pub fn tree(&self, out: &Path, inputs: &Inputs) -> Result<TreeSink<'_>, Error> {
        TreeSink::create(self, out, inputs)
    }

    /// Shards of records in `out` for `inputs` (see [`ShardSink`]); a run of the same inputs, options
    /// and rules into `out` that was killed continues after its last shard done.
    pub fn shards(
        &self,
        out: &Path,
        inputs: &Inputs,
        format: ShardFormat,
        limits: ShardLimits,
    ) -> Result<ShardSink<'_>, Error> {
        ShardSink::create(self, out, inputs, format, limits)
    }

    /// Clean every document of `inputs` into `sink`: a batch at a time, each batch cleaned in
    /// parallel and written in input order, so memory holds one batch. `observe` sees each outcome
    /// after the sink wrote it (errors to report, progress to count). Spans repeated across the run
    /// (`spam.repeated-span`) are counted in input order: a span confirmed in a batch is removed
    /// from the documents of that batch that carry it (cleaned again) and from every later one.
    pub fn run(
        &self,
        inputs: Inputs,
        sink: &mut dyn Sink,
        mut observe: impl FnMut(&Outcome),
    ) -> Result<(), Error> {
        let mut units = inputs
            .into_units(self.pipeline.max_input_bytes())
            .peekable();
        for unit in units.by_ref().take(sink.completed()) {
            admit(sink, unit);
        }
        let mut first = true;
        let mut spans = self
            .repeated_min_docs
            .map(|min_docs| RunSpans::new(min_docs, self.dedup.jaccard));
        loop {
            let batch = source::next_batch(&mut units, self.batch_size);
            if batch.is_empty() {
                return Ok(());
            }
            if std::mem::take(&mut first) {
                sink.begin(batch.len() == 1 && units.peek().is_none());
            }
            let admitted: Vec<(source::Unit, Option<PathBuf>)> =
                batch.into_iter().map(|unit| admit(sink, unit)).collect();
            let confirmed = spans.as_ref().map(RunSpans::confirmed);
            let mut cleaned: Vec<Cleaning> = admitted
                .into_par_iter()
                .map(|(unit, output)| self.clean_unit(unit, output, confirmed.as_ref()))
                .collect();
            if let Some(spans) = spans.as_mut() {
                self.judge(spans, &mut cleaned);
            }
            for Cleaning { mut outcome, .. } in cleaned {
                sink.write(&mut outcome)?;
                observe(&outcome);
            }
            sink.flush()?;
        }
    }

    /// Clean one unit; in a run that judges repeated spans (`confirmed` so far), keep what judging
    /// it needs.
    fn clean_unit(
        &self,
        unit: source::Unit,
        output: Option<PathBuf>,
        confirmed: Option<&Arc<Confirmed>>,
    ) -> Cleaning {
        let Some(confirmed) = confirmed else {
            return Cleaning {
                outcome: unit.run(&self.pipeline, output, &self.run),
                suspects: Vec::new(),
                signature: None,
                again: None,
            };
        };
        let again = unit.replica().map(|unit| (unit, output.clone()));
        let (outcome, suspects) =
            repeated::in_run(confirmed, || unit.run(&self.pipeline, output, &self.run));
        let signature = match &outcome.result {
            Ok(cleaned) if !suspects.is_empty() => {
                Some(Arc::new(Signature::of(&cleaned.text, &self.folder)))
            }
            _ => None,
        };
        Cleaning {
            again: again.filter(|_| signature.is_some()),
            outcome,
            suspects,
            signature,
        }
    }

    /// Count a batch's suspect spans in input order; the documents that carry a span confirmed in
    /// the batch are cleaned again (in parallel), with every span confirmed so far.
    fn judge(&self, spans: &mut RunSpans, batch: &mut [Cleaning]) {
        let mut fresh = std::collections::HashSet::new();
        for cleaning in batch.iter() {
            if let Some(signature) = &cleaning.signature {
                fresh.extend(spans.observe(&cleaning.suspects, signature));
            }
        }
        if fresh.is_empty() {
            return;
        }
        let confirmed = spans.confirmed();
        batch
            .par_iter_mut()
            .filter(|c| c.suspects.iter().any(|s| fresh.contains(&s.key)))
            .for_each(|cleaning| {
                if let Some((unit, output)) = cleaning.again.take() {
                    let run = || unit.run(&self.pipeline, output, &self.run);
                    cleaning.outcome = repeated::in_run(&confirmed, run).0;
                }
            });
    }

    /// Clean a JSON Lines stream (`name` says what it is in messages) into JSON Lines on `out`, one
    /// output record per input line that is not blank, each batch written as soon as it is cleaned
    /// (see [`stream_jsonl`]); gives the counts of records, failures and duplicates. Records are
    /// checked for near-duplicates in input order (first seen wins): a later copy keeps its record,
    /// marked `sluice.duplicate_of`, and loses its `text` and `title` unless duplicates are kept.
    pub fn clean_jsonl(
        &self,
        reader: impl BufRead + Send + 'static,
        name: &Path,
        out: impl Write,
    ) -> Result<StreamSummary, Error> {
        let dedup = stream::Dedup {
            deduper: self.dedup.streaming(),
            keep_duplicates: self.keep_duplicates,
        };
        let process = |doc| {
            let cleaned = self
                .pipeline
                .clean_document(doc)
                .map_err(|e| e.to_string())?;
            let mut report = ReportJson {
                run: Some(&self.run),
                ..ReportJson::of_cleaned(&cleaned)
            };
            report.title = None;
            let mut report = report.to_value();
            let signature = Signature::of(&cleaned.text, &self.folder);
            if self.fingerprints {
                let fingerprint = self.dedup.fingerprint(&signature, cleaned.text.len());
                report.insert("minhash".into(), serde_json::json!(fingerprint));
            }
            Ok(stream::Processed {
                fields: vec![
                    ("text".into(), cleaned.text.as_str().into()),
                    ("title".into(), cleaned.title.as_deref().into()),
                    ("sluice".into(), report.into()),
                ],
                signature: Some(signature),
            })
        };
        stream::stream_with(
            reader,
            name,
            out,
            self.pipeline.max_input_bytes(),
            process,
            Some(dedup),
        )
    }
}

/// Clean with `threads` worker threads (at least 1) instead of one per core; output is the same for
/// any number. The threads are started once per process: a later call changes nothing.
pub fn use_threads(threads: usize) {
    // Fails only when the pool was built already.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build_global();
}

/// Whether `cause` (one error of a chain) is a closed pipe: a reader closed the output (`sluice
/// clean … | head`), so the run stops quietly. JSON written to a closed pipe fails with it too.
pub fn is_broken_pipe(cause: &(dyn std::error::Error + 'static)) -> bool {
    let kind = match cause.downcast_ref::<serde_json::Error>() {
        Some(json) => json.io_error_kind(),
        None => cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind),
    };
    kind == Some(std::io::ErrorKind::BrokenPipe)
}

/// A unit with where the sink will write it; one the sink refuses fails unread, and one that failed
/// already is not offered.
fn admit(sink: &mut dyn Sink, mut unit: source::Unit) -> (source::Unit, Option<PathBuf>) {
    if matches!(unit.source, source::Source::Failed(_)) {
        return (unit, None);
    }
    match sink.admit(&unit.name, &unit.relative) {
        Ok(output) => (unit, output),
        Err(error) => {
            unit.source = source::Source::Failed(error);
            (unit, None)
        }
    }
}

/// The error of an output that could not be written.
fn cannot_write(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}
