//! sluice: clean scraped Chinese web pages before they are archived.
//!
//! The library is a staged pipeline driven by declarative rule files. A [`Pipeline`] is built once from
//! a [`RuleSet`] and then cleans any number of documents: `pipeline.clean(&bytes)` returns a [`Cleaned`]
//! with the text, the title and a [`Report`] of every change each stage made.

pub mod check;
pub mod corpus;
pub mod document;
pub mod error;
pub mod explain;
pub mod pipeline;
pub mod repair;
pub mod report;
pub mod report_json;
pub mod rules;
pub mod run;
pub mod stages;
pub mod text;

pub use document::{BlockKind, Change, Document, Format};
pub use error::{Error, RuleError};
pub use pipeline::{Cleaned, Pipeline, Profile};
pub use report::{Edit, Flag, Report};
pub use rules::RuleSet;
pub use stages::{Stage, StageName};
