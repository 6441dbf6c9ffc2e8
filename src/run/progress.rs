//! What `sluice clean` tells on stderr as a run goes, as an [`Observer`]: a progress bar on a
//! terminal, the symbolic links skipped, a run started over, the documents that failed, and with
//! more verbosity each document cleaned.

use std::io::IsTerminal;
use std::path::Path;

use super::{Observer, Outcome};

/// Tells a run's progress on stderr, each line after `sluice: `.
pub struct Progress {
    verbosity: i8,
    show_bar: bool,
    bar: indicatif::ProgressBar,
}

impl Progress {
    /// At `verbosity` -1 only failures are told, at 0 notes too, at 1 and more a line for every
    /// document cleaned. With `bar`, a progress bar on a terminal (never otherwise, nor at -1): beside
    /// an output directory, not while documents are printed on stdout.
    pub fn new(verbosity: i8, bar: bool) -> Self {
        Progress {
            verbosity,
            show_bar: bar && verbosity >= 0 && std::io::stderr().is_terminal(),
            bar: indicatif::ProgressBar::hidden(),
        }
    }

    /// A line that is not a failure (a summary, a note), told from verbosity `level` on.
    pub fn note(&self, level: i8, message: std::fmt::Arguments) {
        if self.verbosity >= level {
            eprintln!("sluice: {message}");
        }
    }
}

impl Observer for Progress {
    fn skipped_link(&mut self, link: &Path) {
        let link = link.display();
        let why = "skipped: a symbolic link in a tree is not followed (--follow)";
        self.note(0, format_args!("{link}: {why}"));
    }

    fn started_over(&mut self, out: &Path, why: &str) {
        let out = out.display();
        self.note(0, format_args!("{out}: not continued, started over: {why}"));
    }

    /// A bar against `total` when the number of documents is known before they are read, a counter
    /// with its rate when it is not (the records of a WARC file are counted only as they are read).
    fn begin(&mut self, total: Option<usize>) {
        if !self.show_bar {
            return;
        }
        let (bar, template) = match total {
            Some(total) => (
                indicatif::ProgressBar::new(total as u64),
                "{bar:30} {human_pos}/{human_len} documents, {per_sec}, {elapsed} (ETA {eta}) {msg}",
            ),
            None => (
                indicatif::ProgressBar::new_spinner(),
                "{spinner} {human_pos} documents, {per_sec}, {elapsed} {msg}",
            ),
        };
        bar.set_style(indicatif::ProgressStyle::with_template(template).expect("valid template"));
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        self.bar = bar;
    }

    fn outcome(&mut self, outcome: &Outcome) {
        self.bar.inc(1);
        match &outcome.result {
            Err(error) => eprintln!("sluice: {}", error.about(Path::new(&outcome.name))),
            Ok(cleaned) => {
                let edits = cleaned.report.edits.len();
                self.note(1, format_args!("{}: cleaned, {edits} edits", outcome.name));
            }
        }
    }

    fn end(&mut self) {
        self.bar.finish_and_clear();
    }
}
