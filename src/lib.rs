//! sluice: clean scraped Chinese web pages before they are archived.
//!
//! The library is a staged pipeline driven by declarative rule files. A [`Pipeline`] is built once from
//! a [`RuleSet`] and then cleans any number of documents: `pipeline.clean(&bytes)` returns a [`Cleaned`]
//! with the text, the title and a [`Report`] of every change each stage made.
//!
//! The [`run`] engine cleans many documents (files, directory trees, WARC files, JSON Lines) in
//! parallel into a sink: an output tree with reports and a summary, or a writer. [`check`],
//! [`explain`] and [`repair`] are what `sluice check`, `sluice explain` and `sluice repair` do.

#![warn(missing_docs)]

pub mod check;
pub(crate) mod corpus;
mod document;
mod error;
pub mod explain;
mod pipeline;
pub mod repair;
mod report;
mod report_json;
mod rules;
pub mod run;
mod settle;
pub(crate) mod stages;
pub(crate) mod text;
mod types;

pub use corpus::{Fingerprint, Fingerprinter};
pub use document::{BlockKind, Document, Format};
pub use error::{Error, RuleError};
pub use pipeline::{Cleaned, Pipeline, Profile};
pub use report::{DecodeReport, DroppedBlock, Edit, Flag, HtmlAccounting, RemovedElement, Report};
pub use report_json::{Duplicates, Provenance, ReportJson, ReportLevel, RunInfo};
pub use rules::settings::{DedupSettings, Described, KeepPolicy};
pub use rules::{DeclaredFlag, Example, Origin, Rule, RuleSet};
pub use types::StageName;

/// The stages, the corpus-level deduplicator and the text tools, for sluice's own tests,
/// benchmarks and evaluation binaries, which measure one stage or one mechanism at a time. Not
/// part of the API: it changes with the code.
#[doc(hidden)]
pub mod internals {
    pub use crate::corpus::{CorpusDedup, KeepPolicy, Signature, shingle_chars, shingles};
    pub use crate::stages::decode::Decode;
    pub use crate::stages::html::{Html, RebuildError};
    /// The charsets' repertoires as an image, derived by `sluice-eval`'s `derive_repertoires`.
    pub use crate::stages::mojibake::derive_repertoires;
    /// The readings table of the pinyin stage and the scored spam rule as an image, derived by
    /// `sluice-eval`'s `derive_pinyin_image`.
    pub use crate::stages::pinyin::derive_image as derive_pinyin_image;
    /// The script stage's conversion tables as an image, derived by `sluice-eval`'s
    /// `derive_script_image`.
    pub use crate::stages::script::derive_image as derive_script_image;
    pub use crate::stages::script::{Region, Script};
    pub use crate::stages::spam::repeated::{as_confirmed, is_run_level};
    pub use crate::stages::spam::{
        FEATURES as SPAN_FEATURES, Spam, SpanCandidate, TITLE_FEATURES, TitleCandidate,
    };
    pub use crate::stages::{Stage, build};
    pub use crate::text::chars::is_han;
    pub use crate::text::fold::Folder;
    pub use crate::text::lm::model;
    /// The word model's image, derived by `sluice-eval`'s `derive_lm_image`.
    pub mod lm_image {
        pub use crate::text::lm::{CHAR_BIGRAMS_FILE, DICTIONARY_FILE, derive_image};
    }
}
