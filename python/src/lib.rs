//! Python bindings of sluice: the `sluice_zh._native` module of the `sluice-zh` wheel.
//!
//! Cleaning runs with the GIL released; a batch is cleaned in parallel on a rayon pool of the
//! process (one thread per core; see [`pool`] for processes that fork). Results are plain Python objects (dicts of the library's report JSON), so they pickle
//! and cross process boundaries (datatrove, data-juicer, Spark, Ray) as they are.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};
use rayon::prelude::*;
use serde_json::{Map, Value};
use sluice::run::open_input;
use sluice::run::warc::{self, WarcDocument};
use sluice::{Cleaned, Document, Fingerprinter, Format, Pipeline, Provenance, ReportJson, RuleSet};

create_exception!(
    _native,
    SluiceError,
    PyException,
    "A document or a rule set sluice could not use."
);

/// A document to clean: raw bytes in any charset, or text already decoded.
enum Content {
    Bytes(Vec<u8>),
    Text(String),
}

impl Content {
    /// `bytes` (or `bytearray`) as raw bytes, `str` as decoded text; anything else is a type error.
    fn extract(object: &Bound<'_, PyAny>) -> PyResult<Content> {
        if let Ok(text) = object.extract::<String>() {
            return Ok(Content::Text(text));
        }
        if let Ok(bytes) = object.cast::<PyBytes>() {
            return Ok(Content::Bytes(bytes.as_bytes().to_vec()));
        }
        if let Ok(bytes) = object.cast::<PyByteArray>() {
            return Ok(Content::Bytes(bytes.to_vec()));
        }
        Err(PyTypeError::new_err(format!(
            "a document is bytes or str, not {}",
            object.get_type().name()?
        )))
    }

    /// The document for the pipeline. Decoded text that looks like HTML goes to the html stage as
    /// markup, as a JSON Lines record's `html` field does.
    fn into_document(self) -> Document {
        match self {
            Content::Bytes(bytes) => {
                let format = Format::sniff(&bytes);
                Document::from_bytes(bytes, format)
            }
            Content::Text(text) => match Format::sniff(text.as_bytes()) {
                Format::Html => Document::from_html(text),
                Format::Text => Document::from_text(text),
            },
        }
    }
}

/// The compiled rules a cleaner shares with the WARC iterators it hands out.
struct Engine {
    pipeline: Pipeline,
    fingerprinter: Fingerprinter,
    minhash: bool,
}

impl Engine {
    /// One document's result as JSON: `text`, `title`, `report` (the library's report JSON) and,
    /// when asked for, `minhash`; or `error` for a document that could not be cleaned.
    fn clean(&self, document: Document, provenance: Option<&Provenance>) -> Value {
        match self.pipeline.clean_document(document) {
            Ok(cleaned) => self.result(&cleaned, provenance),
            Err(error) => error_result(error.to_string()),
        }
    }

    fn result(&self, cleaned: &Cleaned, provenance: Option<&Provenance>) -> Value {
        let report = ReportJson {
            provenance,
            ..ReportJson::of_cleaned(cleaned)
        };
        let mut result = Map::new();
        result.insert("text".into(), cleaned.text.as_str().into());
        result.insert("title".into(), cleaned.title.as_deref().into());
        result.insert("report".into(), report.to_value().into());
        if self.minhash {
            let fingerprint = self.fingerprinter.fingerprint(&cleaned.text);
            result.insert("minhash".into(), serde_json::json!(fingerprint));
        }
        Value::Object(result)
    }
}

fn error_result(message: String) -> Value {
    serde_json::json!({ "text": null, "title": null, "error": message })
}

/// Convert a result to Python objects (the GIL is held here, not while cleaning), through JSON text
/// and Python's own `json` module: the library's JSONL contract turns on serde_json's
/// `arbitrary_precision`, which makes numbers opaque to serde-based converters, and JSON text keeps
/// every number as written.
fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| SluiceError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// A compiled rule set that cleans documents. Build one and reuse it: compiling the rules takes
/// a quarter of a second, cleaning a page about a millisecond.
#[pyclass(frozen, module = "sluice_zh._native")]
struct Cleaner {
    engine: Arc<Engine>,
}

#[pymethods]
impl Cleaner {
    #[new]
    #[pyo3(signature = (rules_dir = None, *, default_rules = true, minhash = false))]
    fn new(
        py: Python<'_>,
        rules_dir: Option<PathBuf>,
        default_rules: bool,
        minhash: bool,
    ) -> PyResult<Self> {
        let engine = py
            .detach(|| build_engine(rules_dir, default_rules, minhash))
            .map_err(SluiceError::new_err)?;
        Ok(Cleaner {
            engine: Arc::new(engine),
        })
    }

    /// Clean one document; raises SluiceError when it cannot be cleaned (empty, binary, too large).
    fn clean<'py>(
        &self,
        py: Python<'py>,
        content: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let document = Content::extract(content)?.into_document();
        let engine = &self.engine;
        let result = py.detach(|| engine.clean(document, None));
        if let Some(Value::String(error)) = result.get("error") {
            return Err(SluiceError::new_err(error.clone()));
        }
        to_python(py, &result)
    }

    /// Clean many documents in parallel, one thread per core; a document that cannot be cleaned
    /// gives a result with `error` instead of raising, so one bad page does not lose the batch.
    fn clean_batch<'py>(
        &self,
        py: Python<'py>,
        contents: Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let documents = contents
            .iter()
            .map(|c| Content::extract(c).map(Content::into_document))
            .collect::<PyResult<Vec<_>>>()?;
        let engine = &self.engine;
        let results: Vec<Value> = py.detach(|| {
            pool().map(|pool| {
                pool.install(|| {
                    documents
                        .into_par_iter()
                        .map(|document| engine.clean(document, None))
                        .collect()
                })
            })
        })?;
        results.iter().map(|r| to_python(py, r)).collect()
    }

    /// The MinHash fingerprint of a clean text: `slots`, `bands` (LSH band keys) and `text_bytes`.
    fn fingerprint<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
        let fingerprint = self.engine.fingerprinter.fingerprint(text);
        to_python(py, &serde_json::json!(fingerprint))
    }

    /// The near-duplicate settings (`[settings.dedup]`) a global pass must use to agree with a
    /// single `sluice clean` run.
    fn dedup_settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &serde_json::json!(self.engine.fingerprinter.settings()))
    }

    /// The HTML and text records of a WARC file (plain, gzip or zstd), read by sluice's own reader
    /// from their raw bytes and cleaned `batch_size` at a time in parallel.
    #[pyo3(signature = (path, *, batch_size = 256))]
    fn clean_warc(&self, path: PathBuf, batch_size: usize) -> PyResult<WarcResults> {
        let records = open_input(&path)
            .and_then(warc::records)
            .map_err(|e| SluiceError::new_err(format!("{}: {e}", path.display())))?;
        Ok(WarcResults {
            engine: Arc::clone(&self.engine),
            records: Mutex::new(Box::new(records)),
            pending: Mutex::new(Vec::new()),
            batch_size: batch_size.max(1),
        })
    }
}

fn build_engine(
    rules_dir: Option<PathBuf>,
    default_rules: bool,
    minhash: bool,
) -> Result<Engine, String> {
    let rules = match &rules_dir {
        Some(dir) => RuleSet::load(dir, default_rules),
        None => RuleSet::defaults(),
    }
    .map_err(|e| e.to_string())?;
    Ok(Engine {
        pipeline: Pipeline::from_rules(&rules).map_err(|e| e.to_string())?,
        fingerprinter: Fingerprinter::from_rules(&rules).map_err(|e| e.to_string())?,
        minhash,
    })
}

type Records = Box<dyn Iterator<Item = (usize, Result<WarcDocument, sluice::Error>)> + Send>;

/// An iterator over the cleaned records of a WARC file: each result has `record` (its position in
/// the file, over all records), and `url` and `warc_record_id` in its report.
#[pyclass(module = "sluice_zh._native")]
struct WarcResults {
    engine: Arc<Engine>,
    records: Mutex<Records>,
    /// Cleaned results not yet handed out, last first.
    pending: Mutex<Vec<Value>>,
    batch_size: usize,
}

#[pymethods]
impl WarcResults {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = py.detach(|| pool().map(|pool| pool.install(|| self.next_result())))?;
        next.map(|result| to_python(py, &result)).transpose()
    }
}

impl WarcResults {
    fn next_result(&self) -> Option<Value> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.is_empty() {
            *pending = self.next_batch();
            pending.reverse();
        }
        pending.pop()
    }

    /// Read the next `batch_size` records and clean them in parallel.
    fn next_batch(&self) -> Vec<Value> {
        let batch: Vec<_> = {
            let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
            records.by_ref().take(self.batch_size).collect()
        };
        batch
            .into_par_iter()
            .map(|(index, record)| {
                let mut result = match record {
                    Ok(record) => {
                        let provenance = Provenance {
                            url: record.url,
                            warc_record_id: record.record_id,
                        };
                        self.engine.clean(record.document, Some(&provenance))
                    }
                    Err(error) => error_result(error.to_string()),
                };
                if let Value::Object(map) = &mut result {
                    map.insert("record".into(), index.into());
                }
                result
            })
            .collect()
    }
}

/// The rayon pool of this process, built the first time it cleans in parallel. Not rayon's global
/// pool: a process forked after that pool ran (data-juicer and `multiprocessing` fork their
/// workers) has the pool without its threads (fork copies only the thread that forks), and work
/// sent to it would wait forever. A forked child finds the pool of another process id here and
/// builds its own.
fn pool() -> PyResult<Arc<rayon::ThreadPool>> {
    static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, pool)) = pool.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(pool));
    }
    // The parent's pool, in a forked child: dropping it would signal threads that are not here.
    std::mem::forget(pool.take());
    let built = rayon::ThreadPoolBuilder::new()
        .build()
        .map(Arc::new)
        .map_err(|e| SluiceError::new_err(format!("cannot start threads: {e}")))?;
    *pool = Some((pid, Arc::clone(&built)));
    Ok(built)
}

/// The library's version (the wheel's version).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Cleaner>()?;
    m.add_class::<WarcResults>()?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add("SluiceError", m.py().get_type::<SluiceError>())?;
    Ok(())
}
