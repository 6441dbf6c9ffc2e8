//! Sharded output: a run's documents as records in numbered shards (`OUT/00000.jsonl.zst` …), for
//! datasets rather than trees. A shard is written under a temporary name and renamed when it is full
//! (or the run is over), then marked done with the signatures and totals of its documents, so a
//! killed run resumes after its last shard done, to the same bytes. Near-duplicates are found as the
//! records stream, first seen wins (as with `--jsonl`; the shards written are never rewritten): a
//! later copy is not written unless duplicates are kept, and then its report has `duplicate_of`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tempfile::NamedTempFile;

use super::resume::{Documents, Part, RunState, SummaryLayout};
use super::{Engine, Inputs, Outcome, Sink, cannot_write};
use crate::corpus::{Signature, StreamingDeduper};
use crate::error::Error;
use crate::pipeline::Cleaned;
use crate::report_json::add_duplicate_of;

/// The file format of the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ShardFormat {
    /// JSON Lines, one record a line.
    Jsonl,
    /// JSON Lines, gzip-compressed.
    JsonlGz,
    /// JSON Lines, zstd-compressed.
    JsonlZst,
    /// Parquet: a column for each field of a record, zstd-compressed.
    Parquet,
}

impl ShardFormat {
    fn extension(self) -> &'static str {
        match self {
            ShardFormat::Jsonl => "jsonl",
            ShardFormat::JsonlGz => "jsonl.gz",
            ShardFormat::JsonlZst => "jsonl.zst",
            ShardFormat::Parquet => "parquet",
        }
    }
}

/// When a shard is full: after `records` records, or once its records take `bytes` (uncompressed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShardLimits {
    /// Records per shard.
    pub records: usize,
    /// Uncompressed bytes per shard, when limited.
    pub bytes: Option<u64>,
}

/// The summary of a sharded run, beside its shards: one line of JSON (see [`SummaryLayout`]), and
/// a name that pyarrow's datasets and Spark leave out of a directory's data files, as they do
/// every name that starts with `_` or `.`.
pub(crate) const SHARDS_SUMMARY: &str = "_summary.json";

/// Writes a run's documents as records in shards of `OUT` (see the module documentation); the
/// summary, `OUT/_summary.json`, is written last by [`ShardSink::finish`].
pub struct ShardSink<'e> {
    engine: &'e Engine,
    out: PathBuf,
    format: ShardFormat,
    limits: ShardLimits,
    state: RunState,
    deduper: StreamingDeduper,
    /// The parts marked done.
    done: Part<Records>,
    /// The part being written, and its shard once it has a record.
    part: Part<Records>,
    shard: Option<ShardWriter>,
    started: Instant,
}

/// What a part of a sharded run keeps of its documents: what a rerun and the summary need of them.
#[derive(Default, Serialize, Deserialize)]
struct Records {
    /// The shard files written, by name.
    files: Vec<String>,
    records: usize,
    /// Every document's signature (empty when it failed), to replay into the deduplicator.
    signatures: Vec<Signature>,
    duplicates_not_written: usize,
}

impl Documents for Records {
    fn append(&mut self, next: Records) {
        self.files.extend(next.files);
        self.records += next.records;
        self.signatures.extend(next.signatures);
        self.duplicates_not_written += next.duplicates_not_written;
    }
}

impl<'e> ShardSink<'e> {
    pub(super) fn create(
        engine: &'e Engine,
        out: &Path,
        inputs: &Inputs,
        format: ShardFormat,
        limits: ShardLimits,
    ) -> Result<Self, Error> {
        refuse_inputs_inside(out, inputs)?;
        std::fs::create_dir_all(out)
            .map_err(|e| Error::Input(format!("cannot create {}: {e}", out.display())))?;
        let identity = json!({
            "output": format, "limits": limits, "report": engine.report,
            "run": engine.run.as_ref(), "inputs": inputs.identity(),
        });
        let (state, done) = Part::<Records>::resume(out, &identity)?;
        remove_earlier_run(out, done.parts == 0)?;
        let mut deduper = engine.dedup.streaming();
        for signature in &done.documents.signatures {
            deduper.check(signature);
        }
        Ok(ShardSink {
            engine,
            out: out.to_path_buf(),
            format,
            limits,
            state,
            deduper,
            done,
            part: Part::default(),
            shard: None,
            started: Instant::now(),
        })
    }

    /// Why the state an earlier run left in the output was cleared, when it was (another run's,
    /// another build's): the run started over instead of continuing it.
    pub fn started_over(&self) -> Option<&str> {
        self.state.started_over()
    }

    /// Close the shard being written (when it has records) and mark the part done.
    fn close_part(&mut self) -> Result<(), Error> {
        if self.part.units == 0 {
            return Ok(());
        }
        if let Some(shard) = self.shard.take() {
            let name = format!(
                "{:05}.{}",
                self.done.documents.files.len(),
                self.format.extension()
            );
            let path = self.out.join(&name);
            let file = shard.finish().map_err(cannot_write(&path))?;
            self.state.persist(file, &path)?;
            self.part.documents.files.push(name);
        }
        self.part.mark_done(&self.state, &mut self.done)
    }

    /// The record of a cleaned document: `id` (its name), `text`, `title`, the WARC record's `url`
    /// and `warc_record_id`, and its report under `sluice` as the report level says. A JSON Lines
    /// record keeps its fields, in their order, its own `id` among them when it has one.
    fn record(
        &self,
        outcome: &Outcome,
        cleaned: &Cleaned,
        first: Option<u64>,
    ) -> Map<String, Value> {
        let mut record = match &outcome.record {
            Some(fields) if fields.contains_key("id") => fields.clone(),
            fields => {
                let mut record = Map::new();
                record.insert("id".into(), outcome.name.as_str().into());
                record.extend(fields.iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
                record
            }
        };
        record.insert("text".into(), cleaned.text.as_str().into());
        record.insert("title".into(), cleaned.title.as_deref().into());
        if let Some(provenance) = &outcome.provenance {
            record.insert("url".into(), provenance.url.as_deref().into());
            let id = provenance.warc_record_id.as_deref();
            record.insert("warc_record_id".into(), id.into());
        }
        if let Some(mut report) = outcome.report_at(self.engine.report, cleaned) {
            for field in ["source", "title", "url", "warc_record_id"] {
                report.shift_remove(field);
            }
            if let Some(first) = first {
                add_duplicate_of(&mut report, first);
            }
            record.insert("sluice".into(), Value::Object(report));
        }
        record
    }

    /// Add a cleaned document: its record to the shard, unless it is a copy not kept.
    fn add(&mut self, outcome: &Outcome, cleaned: &Cleaned) -> Result<(), Error> {
        let signature = Signature::of(&cleaned.text, &self.engine.folder);
        let first = self.deduper.check(&signature);
        self.part.documents.signatures.push(signature);
        self.part.totals.add_cleaned(cleaned, cleaned.text.len());
        if first.is_some() && !self.engine.keep_duplicates {
            self.part.documents.duplicates_not_written += 1;
            return Ok(());
        }
        let record = self.record(outcome, cleaned, first);
        let shard = match &mut self.shard {
            Some(shard) => shard,
            None => self
                .shard
                .insert(ShardWriter::new(self.state.temporary()?, self.format)?),
        };
        shard
            .write(&record)
            .map_err(|e| Error::Input(format!("cannot write a shard: {e}")))?;
        self.part.documents.records += 1;
        let full = shard.records >= self.limits.records
            || self.limits.bytes.is_some_and(|limit| shard.bytes >= limit);
        if full { self.close_part() } else { Ok(()) }
    }

    /// Close the last shard and write the summary.
    pub fn finish(mut self) -> Result<super::RunSummary, Error> {
        self.close_part()?;
        let totals = &self.done.totals;
        let mut summary = totals.summary_fields();
        summary.extend([
            (
                "duplicates_not_written".to_string(),
                self.done.documents.duplicates_not_written.into(),
            ),
            ("records".to_string(), self.done.documents.records.into()),
            ("shards".to_string(), json!(self.done.documents.files)),
            ("run".to_string(), self.engine.run.with_settings()),
            (
                "seconds".to_string(),
                self.started.elapsed().as_secs_f64().into(),
            ),
        ]);
        let run = totals.run_summary();
        let path = self.out.join(SHARDS_SUMMARY);
        let summary = Value::Object(summary);
        self.state
            .complete(&path, summary, SummaryLayout::OneLine)?;
        Ok(run)
    }
}

impl Sink for ShardSink<'_> {
    fn completed(&self) -> usize {
        self.done.units
    }

    fn write(&mut self, outcome: &mut Outcome) -> Result<(), Error> {
        self.part.count(outcome);
        match &outcome.result {
            Ok(cleaned) => self.add(outcome, cleaned)?,
            Err(error) => {
                self.deduper.check(&Signature::empty());
                self.part.documents.signatures.push(Signature::empty());
                let name = outcome.name.clone();
                self.part.totals.errors.push((name, error.to_string()));
            }
        }
        Ok(())
    }
}

/// Refuse, before anything is written, a run whose output directory holds one of its inputs: a
/// shard, the summary or the removal of an earlier run's shards could replace it. (A tree checks
/// each output path, since its names come from the inputs; a shard's name does not.) An output
/// directory inside an input directory is fine: the walk skips it.
fn refuse_inputs_inside(out: &Path, inputs: &Inputs) -> Result<(), Error> {
    let Ok(out_dir) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    let is_inside =
        |path: &&Path| std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(&out_dir));
    match inputs.file_paths().find(is_inside) {
        None => Ok(()),
        Some(input) => Err(Error::Input(format!(
            "nothing was written, because the input {} is inside the output directory {}, where \
             shards could replace it; give an output directory that holds no input",
            input.display(),
            out.display()
        ))),
    }
}

/// Remove what an earlier run left in `out` that would be read with this run's output: its summary
/// (the last file a run writes: one there would be taken for this run's) and, when this run
/// `starts` with no shard done, every shard, a finished run's or that of a killed run this one
/// does not continue: one past this run's last shard would be read with its records. Only files
/// with a shard's name are removed, and no input is among them ([`refuse_inputs_inside`]).
fn remove_earlier_run(out: &Path, starts: bool) -> Result<(), Error> {
    let mut stale = vec![out.join(SHARDS_SUMMARY)];
    if starts {
        let entries = std::fs::read_dir(out)
            .map_err(|e| Error::Input(format!("cannot read {}: {e}", out.display())))?;
        let is_shard = |entry: &std::fs::DirEntry| {
            entry.file_type().is_ok_and(|t| t.is_file())
                && entry.file_name().to_str().is_some_and(is_shard_name)
        };
        stale.extend(entries.flatten().filter(is_shard).map(|entry| entry.path()));
    }
    for file in stale {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Input(format!(
                    "cannot remove {}: {e}",
                    file.display()
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `name` is a shard's name (`00012.jsonl.zst`): five or more digits and a shard format's
/// extension, no directory.
fn is_shard_name(name: &str) -> bool {
    let Some((number, extension)) = name.split_once('.') else {
        return false;
    };
    number.len() >= 5
        && number.bytes().all(|b| b.is_ascii_digit())
        && [
            ShardFormat::Jsonl,
            ShardFormat::JsonlGz,
            ShardFormat::JsonlZst,
            ShardFormat::Parquet,
        ]
        .iter()
        .any(|format| format.extension() == extension)
}

/// A shard being written to its temporary file.
struct ShardWriter {
    encoder: Encoder,
    records: usize,
    /// Uncompressed bytes written.
    bytes: u64,
}

enum Encoder {
    Plain(BufWriter<NamedTempFile>),
    Gzip(flate2::write::GzEncoder<BufWriter<NamedTempFile>>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<NamedTempFile>>),
    Parquet(Box<ParquetShard>),
}

impl ShardWriter {
    fn new(file: NamedTempFile, format: ShardFormat) -> Result<Self, Error> {
        let file = BufWriter::new(file);
        let encoder = match format {
            ShardFormat::Jsonl => Encoder::Plain(file),
            // gzip with no name and time 0 in its header, so a shard written again is the same bytes.
            ShardFormat::JsonlGz => Encoder::Gzip(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::default(),
            )),
            ShardFormat::JsonlZst => Encoder::Zstd(
                zstd::stream::write::Encoder::new(file, 3)
                    .map_err(|e| Error::Input(format!("cannot start a zstd shard: {e}")))?,
            ),
            ShardFormat::Parquet => {
                Encoder::Parquet(Box::new(ParquetShard::new(file).map_err(|e| {
                    Error::Input(format!("cannot start a Parquet shard: {e}"))
                })?))
            }
        };
        Ok(ShardWriter {
            encoder,
            records: 0,
            bytes: 0,
        })
    }

    fn write(&mut self, record: &Map<String, Value>) -> std::io::Result<()> {
        // Parquet shards are measured by the records' JSON too, so a limit means the same in any
        // format.
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        match &mut self.encoder {
            Encoder::Plain(w) => w.write_all(&line)?,
            Encoder::Gzip(w) => w.write_all(&line)?,
            Encoder::Zstd(w) => w.write_all(&line)?,
            Encoder::Parquet(w) => w.write(record)?,
        }
        self.records += 1;
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// The finished file, every byte flushed.
    fn finish(self) -> std::io::Result<NamedTempFile> {
        let buffered = match self.encoder {
            Encoder::Plain(w) => w,
            Encoder::Gzip(w) => w.finish()?,
            Encoder::Zstd(w) => w.finish()?,
            Encoder::Parquet(w) => w.finish()?,
        };
        buffered.into_inner().map_err(|e| e.into_error())
    }
}

/// A Parquet shard: records buffered and written a row group piece at a time, columns `id`,
/// `text`, `title`, `url`, `warc_record_id` (strings, null when absent), `sluice` (the report as
/// JSON text, null with `--report none`) and `metadata` (a JSON Lines record's other fields as
/// JSON text, null for other inputs), zstd-compressed.
struct ParquetShard {
    writer: parquet::arrow::ArrowWriter<BufWriter<NamedTempFile>>,
    schema: arrow_schema::SchemaRef,
    rows: Vec<Row>,
}

/// The columns of a Parquet shard: [`PARQUET_COLUMNS`], then `metadata`.
const COLUMNS: usize = PARQUET_COLUMNS.len() + 1;

/// A row of a Parquet shard, by column.
type Row = [Option<String>; COLUMNS];

/// The columns of a Parquet shard that hold the record's fields of those names (a field that is
/// not a string as its JSON text); the record's other fields go to `metadata`.
const PARQUET_COLUMNS: [&str; 6] = ["id", "text", "title", "url", "warc_record_id", "sluice"];

/// The column of the fields a record has besides [`PARQUET_COLUMNS`]: the name datatrove's readers
/// take for a document's metadata (JSON text is parsed).
const METADATA_COLUMN: &str = "metadata";

/// Rows buffered before they are handed to the Parquet writer.
const PARQUET_ROWS: usize = 1024;

impl ParquetShard {
    fn new(file: BufWriter<NamedTempFile>) -> Result<Self, parquet::errors::ParquetError> {
        use arrow_schema::{DataType, Field, Schema};
        // Every column may be null: a JSON Lines record's own `id` may be.
        let fields: Vec<Field> = PARQUET_COLUMNS
            .iter()
            .chain([&METADATA_COLUMN])
            .map(|name| Field::new(*name, DataType::Utf8, true))
            .collect();
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
            .build();
        let schema = std::sync::Arc::new(Schema::new(fields));
        let writer = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(properties))?;
        Ok(ParquetShard {
            writer,
            schema,
            rows: Vec::new(),
        })
    }

    fn write(&mut self, record: &Map<String, Value>) -> std::io::Result<()> {
        let column = |name| match record.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        };
        let metadata: Map<String, Value> = record
            .iter()
            .filter(|(name, _)| !PARQUET_COLUMNS.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let [id, text, title, url, warc_record_id, sluice] = PARQUET_COLUMNS.map(column);
        let metadata = (!metadata.is_empty()).then(|| Value::Object(metadata).to_string());
        self.rows
            .push([id, text, title, url, warc_record_id, sluice, metadata]);
        if self.rows.len() >= PARQUET_ROWS {
            self.flush_rows()?;
        }
        Ok(())
    }

    /// Hand the buffered rows to the writer as one record batch.
    fn flush_rows(&mut self) -> std::io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let columns: Vec<arrow_array::ArrayRef> = (0..COLUMNS)
            .map(|column| {
                let values = rows.iter().map(|row| row[column].as_deref());
                std::sync::Arc::new(arrow_array::StringArray::from_iter(values))
                    as arrow_array::ArrayRef
            })
            .collect();
        let batch = arrow_array::RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(std::io::Error::other)?;
        self.writer.write(&batch).map_err(std::io::Error::other)
    }

    fn finish(mut self) -> std::io::Result<BufWriter<NamedTempFile>> {
        self.flush_rows()?;
        self.writer.into_inner().map_err(std::io::Error::other)
    }
}
