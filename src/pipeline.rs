//! The pipeline: stages built once from a rule set, run in order on each document.

use std::time::{Duration, Instant};

use crate::document::Document;
use crate::error::{Error, RuleError};
use crate::report::Report;
use crate::rules::RuleSet;
use crate::rules::settings::{DecodeSettings, HtmlSettings};
use crate::settle::{self, Link};
use crate::stages::{self, Stage, decode, html};
use crate::text::lines::looks_like_title;
use crate::types::StageName;
use crate::types::{BlockKind, Format};

/// Which stages a pipeline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Every implemented stage: `sluice clean`.
    Clean,
    /// Only stages that repair without removing content: `sluice repair`.
    Repair,
}

/// A compiled pipeline. Build it once per run; `clean` is safe to call from many threads.
pub struct Pipeline {
    stages: Vec<Box<dyn Stage>>,
    max_input_bytes: usize,
    max_html_depth: usize,
    time_budget: TimeBudget,
}

/// How long one document may take: `seconds` plus `seconds_per_mib` for each MiB of input. Every
/// stage is near-linear and the searches have budgets of their own (counted in work, so output does
/// not depend on the machine); this is the backstop for what those miss, so a pathological document
/// comes out less cleaned, and flagged, instead of stalling a run.
#[derive(Debug, Clone, Copy)]
struct TimeBudget {
    seconds: f64,
    seconds_per_mib: f64,
}

impl TimeBudget {
    fn from_settings(decode: &DecodeSettings) -> Result<Self, RuleError> {
        let budget = TimeBudget {
            seconds: decode.time_budget_seconds,
            seconds_per_mib: decode.time_budget_seconds_per_mib,
        };
        if !(budget.seconds >= 0.0 && budget.seconds_per_mib >= 0.0) {
            return Err(RuleError::new(
                "[settings.decode]",
                0,
                "time_budget_seconds and time_budget_seconds_per_mib must be at least 0",
            ));
        }
        Ok(budget)
    }

    /// The budget of a document of `bytes` bytes.
    fn for_size(self, bytes: usize) -> Duration {
        let mib = bytes as f64 / f64::from(1 << 20);
        Duration::try_from_secs_f64(self.seconds + self.seconds_per_mib * mib)
            .unwrap_or(Duration::MAX)
    }
}

/// The result of cleaning one document.
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// The body: one paragraph per line.
    pub text: String,
    /// The title, when the document has one (a text input's first line when it looks like one).
    pub title: Option<String>,
    /// Whether the input was HTML or text.
    pub format: Format,
    /// The kind of each line of `text`, when the input was typed (HTML).
    pub kinds: Vec<BlockKind>,
    /// Every change made, by every stage.
    pub report: Report,
}

impl Cleaned {
    /// The text output of `sluice clean`: the title, a blank line, then the body.
    /// A title without a body is a line of its own: the blank line separates a title from a body,
    /// and cleaning the output again must read it the same way.
    pub fn render(&self) -> String {
        let mut out = self.title.clone().unwrap_or_default();
        if !out.is_empty() && !self.text.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&self.text);
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }
}

impl Pipeline {
    /// The full cleaning pipeline.
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        Self::with_profile(rules, Profile::Clean)
    }

    /// The pipeline of a profile: every stage, or only those that repair.
    pub fn with_profile(rules: &RuleSet, profile: Profile) -> Result<Self, RuleError> {
        let names = StageName::ALL
            .into_iter()
            .filter(|n| profile == Profile::Clean || n.repairs_only());
        Self::with_stages(rules, names)
    }

    /// A pipeline of just the named stages, in pipeline order.
    pub fn with_stages(
        rules: &RuleSet,
        names: impl IntoIterator<Item = StageName>,
    ) -> Result<Self, RuleError> {
        let mut names: Vec<StageName> = names.into_iter().collect();
        names.sort();
        names.dedup();
        let stages = names
            .into_iter()
            .map(|n| stages::build(n, rules))
            .collect::<Result<Vec<_>, _>>()?;
        let decode: DecodeSettings = rules.settings()?;
        let html: HtmlSettings = rules.settings()?;
        Ok(Pipeline {
            stages,
            max_input_bytes: decode.max_input_mib << 20,
            max_html_depth: html.max_depth,
            time_budget: TimeBudget::from_settings(&decode)?,
        })
    }

    /// The largest input accepted (`decode.max_input_mib`), for readers that must bound what they
    /// read before a document exists (JSON Lines).
    pub fn max_input_bytes(&self) -> usize {
        self.max_input_bytes
    }

    /// The stages this pipeline runs, in order.
    pub fn stage_names(&self) -> Vec<StageName> {
        self.stages.iter().map(|s| s.name()).collect()
    }

    /// Clean raw bytes in any charset; HTML or text is sniffed from the bytes.
    pub fn clean(&self, bytes: &[u8]) -> Result<Cleaned, Error> {
        let format = Format::sniff(bytes);
        self.check_input(bytes, format)?;
        Ok(self.run(Document::from_bytes(bytes.to_vec(), format)))
    }

    /// Clean a prepared document (text already decoded, a transport charset set, a forced format).
    pub fn clean_document(&self, doc: Document) -> Result<Cleaned, Error> {
        if doc.raw.is_empty() && doc.text.trim().is_empty() && doc.html.is_none() {
            return Err(Error::Input("empty document".into()));
        }
        if !doc.raw.is_empty() {
            self.check_input(&doc.raw, doc.format)?;
        }
        if let Some(html) = &doc.html {
            self.check_depth(html.as_bytes())?;
        }
        Ok(self.run(doc))
    }

    /// Whether `clean` would take these bytes (size, binary content, nesting), without cleaning
    /// them: for callers that run the stages themselves ([`Self::run_stages`]).
    pub fn check_input(&self, bytes: &[u8], format: Format) -> Result<(), Error> {
        if bytes.len() > self.max_input_bytes {
            return Err(Error::Input(format!(
                "{} bytes is over the limit of {} MiB (setting decode.max_input_mib)",
                bytes.len(),
                self.max_input_bytes >> 20
            )));
        }
        decode::check_is_text(bytes)?;
        if format == Format::Html {
            self.check_depth(bytes)?;
        }
        Ok(())
    }

    /// html5ever's tree builder slows down with nesting (its scope checks walk the open elements),
    /// so markup that would nest deeper than any real page is refused before parsing.
    fn check_depth(&self, markup: &[u8]) -> Result<(), Error> {
        let depth = html::markup_depth(markup);
        if depth > self.max_html_depth {
            return Err(Error::Input(format!(
                "HTML nested {depth} elements deep, over the limit of {} (setting html.max_depth)",
                self.max_html_depth
            )));
        }
        Ok(())
    }

    /// Run the stages and lay out the result.
    pub fn run(&self, doc: Document) -> Cleaned {
        finish(self.run_stages(doc, |_, _| {}))
    }

    /// Run the stages and return the document as the last stage left it, without the final layout:
    /// what `sluice repair` writes, since a repair must keep the file's own lines and spacing.
    /// `observe` sees the document before each stage runs (`sluice explain` keeps each stage's input),
    /// and once more, at the end, a stage whose reported input the settle changed (a repairing
    /// stage's later round folded into its edits): the last text observed for a stage is the input
    /// its reported edits apply to.
    /// Once the document's time budget is spent, the stages left are not run and the document is
    /// flagged (`decode.time-budget`).
    pub fn run_stages(
        &self,
        mut doc: Document,
        mut observe: impl FnMut(StageName, &Document),
    ) -> Document {
        let started = Instant::now();
        let size = doc.raw.len().max(doc.text.len());
        let budget = self.time_budget.for_size(size);
        let in_budget = || started.elapsed() < budget;
        // The text stages that ran, with their inputs, for the settle at the end.
        let mut chain: Vec<Link> = Vec::new();
        let mut complete = true;
        for (index, stage) in self.stages.iter().enumerate() {
            let name = stage.name();
            // decode and html always run, once: without them the output would be raw bytes or
            // markup, and their input is gone once they have run.
            let text_stage = !matches!(name, StageName::Decode | StageName::Html);
            if text_stage && !in_budget() {
                flag_time_budget(&mut doc, budget, &self.stages[index..]);
                complete = false;
                break;
            }
            // A stage runs only when its input exists: decode on raw bytes, html on decoded markup.
            let runs = match name {
                StageName::Decode => !doc.raw.is_empty(),
                StageName::Html => doc.html.is_some(),
                _ => true,
            };
            if runs {
                observe(name, &doc);
                // Only the stages that repair without removing content run again on their own
                // output: a second round of a removing stage could take what its first round left
                // standing next to a removal (do no harm before idempotence).
                if text_stage {
                    chain.push(Link {
                        stage: stage.as_ref(),
                        input: doc.text.clone(),
                    });
                }
                if text_stage && name.repairs_only() {
                    settle::run_settled(stage.as_ref(), &mut doc, in_budget);
                } else {
                    stage.run(&mut doc);
                }
                doc.report.stages.push(name);
            }
        }
        if complete {
            // A repairing stage whose output a later stage changed runs again (settle/chain.rs);
            // the stages after it are then reported on their new inputs, and observed on them.
            let changed = settle::settle_chain(&mut chain, &mut doc, in_budget);
            for (link, _) in chain.iter().zip(changed).filter(|(_, changed)| *changed) {
                let input = Document {
                    text: link.input.clone(),
                    ..Document::from_bytes(Vec::new(), doc.format)
                };
                observe(link.stage.name(), &input);
            }
        }
        if let Some(html) = doc.html.take() {
            // No html stage in this pipeline: keep the markup as text rather than lose it.
            doc.text = html;
        }
        doc
    }
}

/// Record that the stages in `skipped` were not run because the document's time budget was spent.
fn flag_time_budget(doc: &mut Document, budget: Duration, skipped: &[Box<dyn Stage>]) {
    let last = doc
        .report
        .stages
        .last()
        .copied()
        .unwrap_or(StageName::Decode);
    let names: Vec<&str> = skipped.iter().map(|s| s.name().as_str()).collect();
    let message = format!(
        "the document's time budget of {:.1} s (settings decode.time_budget_seconds and \
         decode.time_budget_seconds_per_mib) was spent by the end of the {last} stage: {} not run",
        budget.as_secs_f64(),
        names.join(", ")
    );
    doc.flag(last, "decode.time-budget", message, None);
}

/// Lay out the final text: lines trimmed, blank lines dropped, the title split off. This is a fixed
/// rendering, not an edit: the report's edits reproduce the text before it.
fn finish(doc: Document) -> Cleaned {
    let mut title = None;
    let mut body_lines = Vec::new();
    for (index, line) in doc.text.split('\n').enumerate() {
        let trimmed = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if trimmed.is_empty() {
            continue;
        }
        let is_first = title.is_none() && body_lines.is_empty();
        // A typed title (the html stage's) is laid out as one only when it would be read back as
        // one, so that cleaning the output again gives the same output.
        let is_title = is_first
            && looks_like_title(trimmed)
            && (doc.kinds.is_empty() || doc.kind_of_line(index) == BlockKind::Title);
        if is_title {
            title = Some(trimmed.to_string());
        } else {
            body_lines.push((trimmed, doc.kind_of_line(index)));
        }
    }
    let kinds = if doc.kinds.is_empty() {
        Vec::new()
    } else {
        body_lines.iter().map(|(_, k)| *k).collect()
    };
    Cleaned {
        text: body_lines
            .iter()
            .map(|(l, _)| *l)
            .collect::<Vec<_>>()
            .join("\n"),
        title,
        format: doc.format,
        kinds,
        report: doc.report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_title_blank_line_body() {
        let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let cleaned = pipeline
            .clean("標題在這裡\n\n  第一段，內容。  \n\n第二段。".as_bytes())
            .unwrap();
        assert_eq!(cleaned.title.as_deref(), Some("標題在這裡"));
        assert_eq!(cleaned.render(), "標題在這裡\n\n第一段，內容。\n第二段。\n");
    }

    /// Cleaning the output again must give the same output (tests/properties.rs): a lone title is
    /// one line, and a typed title that would not be read back as a title is the first body line.
    #[test]
    fn the_layout_reads_back_as_itself() {
        let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        let mut alone = pipeline.clean("只有標題".as_bytes()).unwrap();
        alone.text.clear();
        alone.title = Some("只有標題".into());
        assert_eq!(alone.render(), "只有標題\n");
        let sentence = "一個富人有了足夠多的財富，這本質上就是一種社交需求。";
        let page = format!(
            "<html><head><title>{sentence}</title></head><body><p>{sentence}</p><p>另一段正文，內容。</p></body></html>"
        );
        let once = pipeline.clean(page.as_bytes()).unwrap().render();
        assert_eq!(pipeline.clean(once.as_bytes()).unwrap().render(), once);
    }

    #[test]
    fn empty_and_binary_inputs_are_errors() {
        let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
        assert!(pipeline.clean(b"").is_err());
        assert!(
            pipeline
                .clean(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0")
                .is_err()
        );
    }
}
