//! A whole cleaning run, as `sluice clean` makes it: where the documents come from ([`Documents`]),
//! where they go ([`Target`]), and what the run tells its caller on the way ([`Observer`]), which
//! prints it. The caller only chooses; the engine reads, cleans and writes.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{
    Engine, Inputs, Outcome, RunSummary, ShardFormat, ShardLimits, ShardSink, Sink, StreamSummary,
    TreeSink, WriterFormat, WriterSink, open_stream,
};
use crate::error::Error;

/// Where a run's documents come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Documents {
    /// Files and directory trees, stdin as `-` (see [`Inputs::collect`]); with `follow`, the
    /// symbolic links met in trees are followed.
    Paths {
        /// The files and directories, in order.
        paths: Vec<PathBuf>,
        /// Follow the symbolic links met in trees.
        follow: bool,
    },
    /// The records of a JSON Lines file, stdin as `-` (see [`Inputs::json_lines`]).
    JsonLines(PathBuf),
}

/// What an output directory holds: a tree of texts and reports, or shards of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A text and a report for every document, and `summary.json` (see [`TreeSink`]).
    Tree,
    /// Shards of JSON Lines records (see [`ShardSink`]).
    Jsonl,
    /// Shards of gzip-compressed JSON Lines.
    #[value(name = "jsonl.gz")]
    JsonlGz,
    /// Shards of zstd-compressed JSON Lines.
    #[value(name = "jsonl.zst")]
    JsonlZst,
    /// Parquet shards.
    Parquet,
}

impl OutputFormat {
    /// The shards' format, none for a tree.
    fn shards(self) -> Option<ShardFormat> {
        match self {
            OutputFormat::Tree => None,
            OutputFormat::Jsonl => Some(ShardFormat::Jsonl),
            OutputFormat::JsonlGz => Some(ShardFormat::JsonlGz),
            OutputFormat::JsonlZst => Some(ShardFormat::JsonlZst),
            OutputFormat::Parquet => Some(ShardFormat::Parquet),
        }
    }
}

/// Where a run's documents go.
pub enum Target<W: Write> {
    /// Printed on a writer in a format (see [`WriterSink`]); the records of a JSON Lines source
    /// are written as JSON Lines records instead (see [`Engine::clean_jsonl`]).
    Writer(W, WriterFormat),
    /// Into the directory `out`, as `format` says; `limits` bound the shards.
    Dir {
        /// The output directory.
        out: PathBuf,
        /// A tree or shards.
        format: OutputFormat,
        /// When a shard is full.
        limits: ShardLimits,
    },
}

/// What a run tells its caller as it goes, in this order. Every method does nothing by default.
pub trait Observer {
    /// A symbolic link met in a tree, which is not followed.
    fn skipped_link(&mut self, _link: &Path) {}

    /// The run into the directory `out` cleared the state an earlier run left there, for the reason
    /// `why`, and started over instead of continuing it.
    fn started_over(&mut self, _out: &Path, _why: &str) {}

    /// The documents are about to be cleaned: `total` of them, when that is known before they are
    /// read (see [`Inputs::known_count`]).
    fn begin(&mut self, _total: Option<usize>) {}

    /// A document's outcome, after the sink wrote it.
    fn outcome(&mut self, _outcome: &Outcome) {}

    /// Every document was cleaned and written (before an output directory's clusters and summary).
    fn end(&mut self) {}
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// A JSON Lines stream was written on the writer.
    Stream(StreamSummary),
    /// Documents were written into the directory `out` (failed ones were not).
    Dir {
        /// The output directory.
        out: PathBuf,
        /// What was written.
        summary: RunSummary,
    },
    /// Documents were printed on the writer, but `failed` of them, which printed nothing.
    Printed {
        /// Documents that failed.
        failed: usize,
    },
}

impl Ending {
    /// The documents that failed.
    pub fn failed(&self) -> usize {
        match self {
            Ending::Stream(summary) => summary.failed,
            Ending::Dir { summary, .. } => summary.failed,
            Ending::Printed { failed } => *failed,
        }
    }
}

/// The line that sums a run up: the stream's ([`StreamSummary`]), the documents cleaned into the
/// output directory, or the documents printed that failed.
impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Ending::Stream(summary) => write!(f, "{summary}"),
            Ending::Dir { out, summary } => write!(
                f,
                "{} of {} documents cleaned into {}, {} failed",
                summary.cleaned,
                summary.documents,
                out.display(),
                summary.failed
            ),
            Ending::Printed { failed } => write!(f, "{failed} documents failed"),
        }
    }
}

/// An output directory's sink: a tree or shards, which may continue a killed run.
trait DirSink: Sink {
    fn started_over(&self) -> Option<&str>;
    fn finish(self) -> Result<RunSummary, Error>;
}

impl DirSink for TreeSink<'_> {
    fn started_over(&self) -> Option<&str> {
        TreeSink::started_over(self)
    }

    fn finish(self) -> Result<RunSummary, Error> {
        TreeSink::finish(self)
    }
}

impl DirSink for ShardSink<'_> {
    fn started_over(&self) -> Option<&str> {
        ShardSink::started_over(self)
    }

    fn finish(self) -> Result<RunSummary, Error> {
        ShardSink::finish(self)
    }
}

impl Engine {
    /// Clean `documents` into `target`, telling `observer` what happens on the way.
    /// An error ends the run (an input that cannot be opened as a stream, an output that cannot be
    /// made or written); a document that fails is an outcome, and the run goes on.
    pub fn clean<W: Write>(
        &self,
        documents: Documents,
        target: Target<W>,
        observer: &mut dyn Observer,
    ) -> Result<Ending, Error> {
        let skip = match &target {
            Target::Dir { out, .. } => Some(out.clone()),
            Target::Writer(..) => None,
        };
        let skip = skip.as_deref();
        let inputs = match documents {
            Documents::JsonLines(file) => match target {
                Target::Writer(writer, _) => {
                    let summary = self.clean_jsonl(open_stream(&file)?, &file, writer)?;
                    return Ok(Ending::Stream(summary));
                }
                Target::Dir { .. } => Inputs::json_lines(&file, skip),
            },
            Documents::Paths {
                paths,
                follow: true,
            } => Inputs::collect_following_links(&paths, skip),
            Documents::Paths { paths, .. } => Inputs::collect(&paths, skip),
        };
        for link in inputs.skipped_links() {
            observer.skipped_link(link);
        }
        match target {
            Target::Writer(writer, format) => {
                let mut sink = WriterSink::new(writer, format).deduplicated(self);
                let failed = self.run_observed(inputs, &mut sink, observer)?;
                Ok(Ending::Printed { failed })
            }
            Target::Dir {
                out,
                format,
                limits,
            } => {
                let summary = match format.shards() {
                    None => self.run_into_dir(self.tree(&out, &inputs)?, &out, inputs, observer)?,
                    Some(format) => {
                        let shards = self.shards(&out, &inputs, format, limits)?;
                        self.run_into_dir(shards, &out, inputs, observer)?
                    }
                };
                Ok(Ending::Dir { out, summary })
            }
        }
    }

    /// Run into the sink of the directory `out`, then finish it (its clusters and summary).
    fn run_into_dir(
        &self,
        mut sink: impl DirSink,
        out: &Path,
        inputs: Inputs,
        observer: &mut dyn Observer,
    ) -> Result<RunSummary, Error> {
        if let Some(why) = sink.started_over() {
            observer.started_over(out, why);
        }
        self.run_observed(inputs, &mut sink, observer)?;
        sink.finish()
    }

    /// [`Engine::run`] between the observer's `begin` and `end`: how many documents failed.
    fn run_observed(
        &self,
        inputs: Inputs,
        sink: &mut dyn Sink,
        observer: &mut dyn Observer,
    ) -> Result<usize, Error> {
        observer.begin(inputs.known_count());
        let mut failed = 0;
        self.run(inputs, sink, |outcome| {
            failed += usize::from(outcome.result.is_err());
            observer.outcome(outcome);
        })?;
        observer.end();
        Ok(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// What the observer was told, one line a call.
    #[derive(Default)]
    struct Calls(Vec<String>);

    impl Observer for Calls {
        fn skipped_link(&mut self, link: &Path) {
            self.0
                .push(format!("skipped {}", link.file_name().unwrap().display()));
        }
        fn started_over(&mut self, _out: &Path, _why: &str) {
            self.0.push("started over".into());
        }
        fn begin(&mut self, total: Option<usize>) {
            self.0.push(format!("begin {total:?}"));
        }
        fn outcome(&mut self, outcome: &Outcome) {
            let ok = if outcome.result.is_ok() {
                "ok"
            } else {
                "failed"
            };
            let name = Path::new(&outcome.name).file_name().unwrap().display();
            self.0.push(format!("{name} {ok}"));
        }
        fn end(&mut self) {
            self.0.push("end".into());
        }
    }

    const PAGE: &str = "<html><head><title>标题</title></head><body><p>这是一段足够长的正文内容。</p></body></html>";

    /// A directory with a page `a.html` and an empty file `b.txt` (which fails: nothing to clean).
    fn inputs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.html"), PAGE).unwrap();
        std::fs::write(dir.path().join("b.txt"), "").unwrap();
        dir
    }

    fn engine() -> Engine {
        Engine::new(&RuleSet::defaults().unwrap()).unwrap()
    }

    fn paths(dir: &Path) -> Documents {
        Documents::Paths {
            paths: vec![dir.to_path_buf()],
            follow: false,
        }
    }

    #[test]
    fn printed_documents_are_observed_in_input_order_and_failures_counted() {
        let dir = inputs();
        let (mut calls, mut printed) = (Calls::default(), Vec::new());
        let target = Target::Writer(&mut printed, WriterFormat::Text);
        let ending = engine().clean(paths(dir.path()), target, &mut calls);
        assert_eq!(ending.unwrap(), Ending::Printed { failed: 1 });
        assert_eq!(
            calls.0,
            ["begin Some(2)", "a.html ok", "b.txt failed", "end"]
        );
        assert!(
            String::from_utf8(printed)
                .unwrap()
                .contains("这是一段足够长的正文内容。")
        );
    }

    #[test]
    fn a_tree_and_shards_are_finished_and_summed_up() {
        let dir = inputs();
        for format in [OutputFormat::Tree, OutputFormat::Jsonl] {
            let out = tempfile::tempdir().unwrap();
            let target = Target::<Vec<u8>>::Dir {
                out: out.path().join("out"),
                format,
                limits: ShardLimits {
                    records: 10,
                    bytes: None,
                },
            };
            let mut calls = Calls::default();
            let ending_of_run = engine().clean(paths(dir.path()), target, &mut calls);
            let summary = RunSummary {
                documents: 2,
                cleaned: 1,
                failed: 1,
            };
            let out = out.path().join("out");
            let ending = Ending::Dir {
                out: out.clone(),
                summary,
            };
            assert_eq!(ending, ending_of_run.unwrap());
            assert_eq!(
                calls.0,
                ["begin Some(2)", "a.html ok", "b.txt failed", "end"]
            );
            let summary = ["summary.json", "_summary.json"];
            assert!(summary.iter().any(|name| out.join(name).is_file()));
        }
    }

    #[test]
    fn json_lines_on_a_writer_stream_as_records() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("in.jsonl");
        let record = serde_json::json!({"id": 7, "html": PAGE});
        std::fs::write(&file, format!("{record}\n\n{{\"id\": 8}}\n")).unwrap();
        let (mut calls, mut written) = (Calls::default(), Vec::new());
        let target = Target::Writer(&mut written, WriterFormat::Text);
        let ending = engine().clean(Documents::JsonLines(file), target, &mut calls);
        let summary = StreamSummary {
            records: 2,
            failed: 1,
            duplicates: 0,
        };
        assert_eq!(ending.unwrap(), Ending::Stream(summary));
        assert!(
            calls.0.is_empty(),
            "a stream is not observed: {:?}",
            calls.0
        );
        let lines: Vec<serde_json::Value> = String::from_utf8(written)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines[0]["id"], 7);
        assert!(lines[1]["sluice"]["error"].is_string());
    }

    #[cfg(unix)]
    #[test]
    fn links_in_trees_are_told_unless_followed() {
        let dir = inputs();
        std::os::unix::fs::symlink(dir.path().join("a.html"), dir.path().join("c.html")).unwrap();
        let mut calls = Calls::default();
        let target = Target::Writer(Vec::new(), WriterFormat::Text);
        engine()
            .clean(paths(dir.path()), target, &mut calls)
            .unwrap();
        assert_eq!(calls.0[0], "skipped c.html");
        let mut calls = Calls::default();
        let documents = Documents::Paths {
            paths: vec![dir.path().to_path_buf()],
            follow: true,
        };
        let target = Target::Writer(Vec::new(), WriterFormat::Text);
        engine().clean(documents, target, &mut calls).unwrap();
        assert_eq!(calls.0[0], "begin Some(3)");
        assert!(calls.0.contains(&"c.html ok".to_string()));
    }
}
