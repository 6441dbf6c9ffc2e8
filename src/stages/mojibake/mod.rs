//! `mojibake`: find garbled runs and repair them by re-decoding hypotheses that a Chinese language
//! model scores.
//!
//! Every line gets a cheap scan ([`detect::Detector::has_strong`]); only lines with a strong suspect
//! get hypotheses. Three rule kinds, tried in this order on a suspect line:
//! - `entity`: numeric character references left in text (deterministic).
//! - `redecode`: a clause (text between ASCII punctuation) was decoded in the wrong charset, maybe
//!   twice; undo each configured chain and keep the best when the model prefers it per character by
//!   `min_gain_per_char`.
//! - `byte-slip`: a short run in otherwise clean text where one byte of a double-byte stream was
//!   lost, inserted or replaced; keep the best byte edit when the model prefers it by `min_gain`.
//!
//! Suspect runs nothing repairs are flagged with their position and left as they are.

mod codec;
mod codepage;
mod detect;
mod entity;
mod latin;
mod lost;
mod slip;

use std::cell::Cell;
use std::ops::Range;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::settings::MojibakeSettings;
use crate::rules::{FOLD_TABLE, Rule, RuleSet};
use crate::stages::Stage;
use crate::text::chars::{is_cjk_punct, is_han};
use crate::text::lm::{self, LanguageModel, NgramModel};
use crate::types::StageName;

use codec::{Chain, Charset, PlainBig5};
use detect::{Detector, Script, Suspicion};
use entity::Entities;
use latin::{Step, Utf8Fixer};
use slip::Op;

pub struct Mojibake {
    detector: Detector,
    entity: Option<(String, Entities)>,
    codepage: Option<(String, Utf8Fixer)>,
    redecode: Option<Redecode>,
    slip: Option<Slip>,
    lost: Option<Lost>,
    cluster_gap: usize,
    script: Script,
    /// Added per character to log-probabilities so that candidates of different lengths compare
    /// fairly: a common character is worth keeping, a rare one is not.
    char_bonus: f64,
    /// Weight of the character bigram model next to the word model.
    bigram_weight: f64,
    /// Cost of a Han character in neither GB2312 nor Big5 level 1.
    glyph_cost: f64,
    /// Byte slips are looked for only on lines where at most this share of the non-ASCII characters
    /// is suspect; denser damage is a wrong charset, not a slip.
    max_slip_density: f64,
    /// The longest run a slip hypothesis covers, in characters.
    max_run_chars: usize,
    /// Byte-slip searches per document (each costs milliseconds): a page full of lone Latin letters
    /// between Han characters is technical text, not a page of slips, and must stay cheap.
    max_slip_attempts: usize,
    /// Language-model scorings the searches of one document may make per KiB of its text, and at
    /// least: the stage's work stays linear in its input whatever the input holds, and a short text
    /// (one garbled sentence takes up to about 48,000) is searched in full.
    scorings_per_kib: usize,
    min_scorings: usize,
    /// A lone ASCII suspect whose two character-bigram transitions average at least this log-probability
    /// is a token of the text (`A股`, `T恤`), not a trail byte.
    ordinary_transition: f64,
    lm: &'static LanguageModel,
    ngrams: &'static NgramModel,
}

struct Lost {
    id: String,
    candidates: lost::Candidates,
    settings: lost::Settings,
    /// A `?` whose n-gram log-probability as a question mark (with the character after it) is at
    /// least this is taken for one and not searched.
    question_mark_logp: f64,
    /// n-gram candidate scorings that cost one scoring of the search budget (an n-gram lookup is
    /// that much cheaper than a word-model scoring).
    ngram_scorings_per_scoring: usize,
}

struct Redecode {
    id: String,
    chains: Vec<Chain>,
    plain_big5: PlainBig5,
    min_gain_per_char: f64,
    min_chars: usize,
    /// Strong suspects a clause needs to prove a chain when none is hard.
    min_evidence: usize,
}

struct Slip {
    id: String,
    charset: Charset,
    ops: Vec<Op>,
    min_gain: f64,
    min_gain_ascii_only: f64,
    /// The least gain of a repair of a run whose only suspects are U+FFFD.
    min_gain_rejected_only: f64,
    reach_back: usize,
    context: usize,
}

/// The flag of a garbled run left alone when neither the byte-slip nor the lost-character rule is in
/// the rule set (their ids are used when they are).
const UNREPAIRED_FLAG: &str = "mojibake.unrepaired";

impl Mojibake {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let lm = lm::model();
        let settings: MojibakeSettings = rules.settings()?;
        let mut stage = Mojibake {
            detector: Detector::new(lm, settings.min_char_logp),
            entity: None,
            codepage: None,
            redecode: None,
            slip: None,
            lost: None,
            cluster_gap: settings.cluster_gap,
            script: Script::new(rules.data_str(FOLD_TABLE)?, settings.script_mix_cost),
            char_bonus: settings.char_bonus,
            bigram_weight: settings.bigram_weight,
            glyph_cost: settings.glyph_cost,
            max_slip_density: settings.max_slip_density,
            max_run_chars: settings.max_run_chars,
            max_slip_attempts: settings.max_slip_attempts,
            scorings_per_kib: settings.scorings_per_kib,
            min_scorings: settings.min_scorings,
            ordinary_transition: settings.ordinary_transition,
            lm,
            ngrams: lm::ngrams(),
        };
        for rule in rules.for_stage(StageName::Mojibake) {
            let kind: String = rule.param("kind")?;
            match kind.as_str() {
                "entity" => {
                    rule.expect_keys(&["kind"])?;
                    stage.entity = Some((rule.id.clone(), Entities::new()));
                }
                "codepage" => stage.codepage = Some(compile_codepage(rule, rules)?),
                "redecode" => stage.redecode = Some(compile_redecode(rule, rules)?),
                "byte-slip" => stage.slip = Some(compile_slip(rule)?),
                "lost-characters" => stage.lost = Some(compile_lost(rule, rules, stage.ngrams)?),
                other => {
                    return Err(rule.error(format!(
                        "unknown kind `{other}` (mojibake rules are entity, codepage, redecode, byte-slip, lost-characters)"
                    )));
                }
            }
        }
        Ok(stage)
    }
}

fn compile_codepage(rule: &Rule, rules: &RuleSet) -> Result<(String, Utf8Fixer), RuleError> {
    rule.expect_keys(&["kind", "codepages", "badness"])?;
    let pages: Vec<String> = rule.param("codepages")?;
    let table: String = rule.param("badness")?;
    let fixer = Utf8Fixer::new(rules.data_str(&table)?, &pages)
        .map_err(|e| rule.error(format!("{table}: {e}")))?;
    Ok((rule.id.clone(), fixer))
}

fn compile_redecode(rule: &Rule, rules: &RuleSet) -> Result<Redecode, RuleError> {
    rule.expect_keys(&[
        "kind",
        "chains",
        "plain_big5",
        "min_gain_per_char",
        "min_chars",
        "min_evidence",
    ])?;
    let names: Vec<String> = rule.param("chains")?;
    let chains = names
        .iter()
        .map(|n| n.parse().map_err(|e| rule.error(e)))
        .collect::<Result<_, _>>()?;
    let table: String = rule.param("plain_big5")?;
    let plain_big5 = PlainBig5::parse(rules.data_str(&table)?)
        .map_err(|e| rule.error(format!("{table}: {e}")))?;
    Ok(Redecode {
        id: rule.id.clone(),
        chains,
        plain_big5,
        min_gain_per_char: rule.param("min_gain_per_char")?,
        min_chars: rule.param("min_chars")?,
        min_evidence: rule.param("min_evidence")?,
    })
}

fn compile_slip(rule: &Rule) -> Result<Slip, RuleError> {
    rule.expect_keys(&[
        "kind",
        "charset",
        "ops",
        "min_gain",
        "min_gain_ascii_only",
        "min_gain_rejected_only",
        "reach_back",
        "context",
    ])?;
    let charset: String = rule.param("charset")?;
    let ops: Vec<String> = rule.param("ops")?;
    Ok(Slip {
        id: rule.id.clone(),
        charset: charset.parse().map_err(|e| rule.error(e))?,
        ops: ops
            .iter()
            .map(|o| Op::parse(o).map_err(|e| rule.error(e)))
            .collect::<Result<_, _>>()?,
        min_gain: rule.param("min_gain")?,
        min_gain_ascii_only: rule.param("min_gain_ascii_only")?,
        min_gain_rejected_only: rule.param("min_gain_rejected_only")?,
        reach_back: rule.param("reach_back")?,
        context: rule.param("context")?,
    })
}

fn compile_lost(rule: &Rule, rules: &RuleSet, ngrams: &NgramModel) -> Result<Lost, RuleError> {
    rule.expect_keys(&[
        "kind",
        "beam",
        "per_gap",
        "min_margin",
        "question_mark_logp",
        "ngram_scorings_per_scoring",
        "simplified_to_traditional",
    ])?;
    let table: String = rule.param("simplified_to_traditional")?;
    let candidates =
        lost::Candidates::new(ngrams, rules.data_str(&table)?, rules.data_str(FOLD_TABLE)?);
    Ok(Lost {
        id: rule.id.clone(),
        candidates,
        settings: lost::Settings {
            beam: rule.param("beam")?,
            per_gap: rule.param("per_gap")?,
            min_margin: rule.param("min_margin")?,
        },
        question_mark_logp: rule.param("question_mark_logp")?,
        ngram_scorings_per_scoring: rule.param::<usize>("ngram_scorings_per_scoring")?.max(1),
    })
}

/// A clause, its re-decoding and the gain per character.
type ClauseRepair = (Range<usize>, String, f64);

/// A flag to raise: a suspect run left as it is.
struct Unrepaired {
    at: usize,
    run: String,
    /// Whether the run was not searched because the document's search budget was spent.
    over_budget: bool,
    /// Whether the run holds characters a charset lacked (`mojibake.lost-characters`).
    lost: bool,
}

/// What the repair of one document has found so far, and what its searches may still spend.
struct Work {
    changes: Vec<Change>,
    unrepaired: Vec<Unrepaired>,
    budget: Budget,
}

/// What the searches of one document may still spend: byte-slip searches and language-model
/// scorings. Once the scorings are spent every further score is `-inf` at no cost, so a search under
/// way ends quickly, and its result is discarded.
struct Budget {
    slip_attempts: usize,
    scorings_left: Cell<usize>,
}

impl Budget {
    fn spent(&self) -> bool {
        self.scorings_left.get() == 0
    }
}

impl Stage for Mojibake {
    fn name(&self) -> StageName {
        StageName::Mojibake
    }

    fn run(&self, doc: &mut Document) {
        let kib = doc.text.len().div_ceil(1024);
        let scorings = self
            .scorings_per_kib
            .saturating_mul(kib)
            .max(self.min_scorings);
        let mut work = Work {
            changes: Vec::new(),
            unrepaired: Vec::new(),
            budget: Budget {
                slip_attempts: self.max_slip_attempts,
                scorings_left: Cell::new(scorings),
            },
        };
        for unit in search_units(&doc.text) {
            self.repair_line(&doc.text[unit.clone()], unit.start, &mut work);
        }
        let Work {
            changes,
            unrepaired,
            ..
        } = work;
        doc.apply(StageName::Mojibake, changes);
        let slip_id = self.slip.as_ref().map(|s| s.id.as_str());
        let lost_id = self.lost.as_ref().map(|l| l.id.as_str());
        for u in unrepaired {
            let flag_id = if u.lost { lost_id } else { slip_id };
            let message = if u.over_budget {
                format!(
                    "garbled run `{}` left as it is: the document's search budget is spent ({} language-model scorings per KiB, at least {})",
                    u.run, self.scorings_per_kib, self.min_scorings
                )
            } else if u.lost {
                format!(
                    "`{}`: a `?` there stands for a character the page's charset lacked; no candidate is sure enough to fill it",
                    u.run
                )
            } else {
                format!("garbled run `{}` left as it is: no repair is sure", u.run)
            };
            doc.flag(
                StageName::Mojibake,
                flag_id.unwrap_or(UNREPAIRED_FLAG),
                message,
                Some(u.at),
            );
        }
    }
}

impl Mojibake {
    fn repair_line(&self, line: &str, offset: usize, work: &mut Work) {
        let mut done: Vec<Range<usize>> = Vec::new();
        if let Some((id, entities)) = &self.entity {
            for (range, c) in entities.find(line) {
                let reason = format!("numeric character reference of U+{:04X}", c as u32);
                work.changes
                    .push(shifted(range.clone(), offset, c.to_string(), id, reason));
                done.push(range);
            }
        }
        let utf8 = self
            .codepage
            .as_ref()
            .and_then(|(id, fixer)| Some((id, fixer.fix(line)?)));
        if let Some((id, (fixed, steps))) = &utf8 {
            let spans = changed_spans(line, fixed);
            // The whole line well-formed UTF-8 through a code page is proof enough, and what it
            // decodes to is no longer the garbled text the other rules would judge.
            let whole = matches!(steps.first(), Some(Step::Whole(_)));
            if whole && spans.iter().all(|(range, _)| !overlaps(&done, range)) {
                for (range, text) in spans {
                    work.changes
                        .push(shifted(range, offset, text, id, describe(steps)));
                }
                return;
            }
        }
        self.repair_lost(line, offset, work, &mut done);
        self.repair_cjk(line, offset, work, &mut done);
        // Parts repaired alone and C1 controls come last: a line of GBK read as Windows-1252 may
        // hold a pair that looks like UTF-8, which the re-decoding of the whole clause explains.
        if let Some((id, (fixed, steps))) = utf8 {
            for (range, text) in changed_spans(line, &fixed) {
                if !overlaps(&done, &range) {
                    work.changes
                        .push(shifted(range, offset, text, id, describe(&steps)));
                }
            }
        }
    }

    /// Characters a GB2312 or Big5 encoder wrote as `?`: filled where the n-gram model is sure by
    /// `min_margin`, flagged where it is not; a `?` that reads as a question mark is left alone.
    fn repair_lost(
        &self,
        line: &str,
        offset: usize,
        work: &mut Work,
        done: &mut Vec<Range<usize>>,
    ) {
        let Some(rule) = &self.lost else { return };
        if memchr::memchr(b'?', line.as_bytes()).is_none() {
            return;
        }
        let gaps = lost::gaps(line);
        let suspect = |at: &usize| {
            !lost::reads_as_question_mark(self.ngrams, line, *at, rule.question_mark_logp)
        };
        let Some(&first) = gaps.iter().find(|at| suspect(at)) else {
            return;
        };
        let run = |at: usize| line[at..].chars().take(8).collect::<String>();
        if work.budget.spent() {
            work.unrepaired.push(Unrepaired {
                at: offset + first,
                run: run(first),
                over_budget: true,
                lost: true,
            });
            return;
        }
        let cost = |scorings: usize| {
            let charged = scorings.div_ceil(rule.ngram_scorings_per_scoring);
            let left = work.budget.scorings_left.get();
            work.budget.scorings_left.set(left.saturating_sub(charged));
            left >= charged
        };
        let judge = |text: &str| self.log_likelihood(text) + self.ngrams.score_line(text);
        let scoring = lost::Scoring {
            model: self.ngrams,
            settings: &rule.settings,
            judge: &judge,
            cost: &cost,
        };
        let filling = lost::fill(line, &rule.candidates, &scoring);
        let Some(filling) = filling else {
            let over_budget = work.budget.spent();
            work.unrepaired.push(Unrepaired {
                at: offset + first,
                run: run(first),
                over_budget,
                lost: true,
            });
            return;
        };
        for lost::Gap { at, filled, margin } in filling.gaps {
            let sure = margin >= rule.settings.min_margin;
            match filled {
                Some(c) if sure => {
                    let reason = format!(
                        "a character {} lacks, written as `?`: `{c}` fits best (+{margin:.1} over the next)",
                        filling.repertoire
                    );
                    work.changes
                        .push(shifted(at..at + 1, offset, c.to_string(), &rule.id, reason));
                    done.push(at..at + 1);
                }
                _ if sure || !suspect(&at) => {}
                _ => work.unrepaired.push(Unrepaired {
                    at: offset + at,
                    run: run(at),
                    over_budget: false,
                    lost: true,
                }),
            }
        }
    }

    /// The repairs of a line's Chinese garbling: re-decodings of clauses, then byte slips.
    fn repair_cjk(&self, line: &str, offset: usize, work: &mut Work, done: &mut Vec<Range<usize>>) {
        if !self.detector.has_strong(line) {
            return;
        }
        if work.budget.spent() {
            work.unrepaired.push(Unrepaired {
                at: offset,
                run: line.chars().take(16).collect(),
                over_budget: true,
                lost: false,
            });
            return;
        }
        let classified = self.detector.classify(line);
        if let Some(redecode) = self.redecode.as_ref().filter(|_| {
            self.detector.has_strong_non_ascii(line)
                && !self.reads_as_written(&classified, 0..classified.len(), line)
        }) {
            for (clause, text, reason) in self.redecode_line(redecode, line, done, &work.budget) {
                work.changes
                    .push(shifted(clause.clone(), offset, text, &redecode.id, reason));
                done.push(clause);
            }
        }
        let slips_allowed = self.slip_density(&classified) <= self.max_slip_density
            && lossy_signature(line).is_none();
        let clusters = detect::clusters(&classified, self.cluster_gap);
        let runs = detect::slip_runs(&classified, &clusters, self.max_run_chars);
        for (first, last) in runs {
            // One rare character alone is usually a name or a rare word.
            if !self.detector.is_evidence(&classified[first..last]) {
                continue;
            }
            let run = classified[first].0..classified.get(last).map_or(line.len(), |c| c.0);
            if overlaps(done, &run) {
                continue;
            }
            let attempt = slips_allowed && work.budget.slip_attempts > 0 && !work.budget.spent();
            work.budget.slip_attempts = work
                .budget
                .slip_attempts
                .saturating_sub(usize::from(attempt));
            let repaired = self
                .slip
                .as_ref()
                .filter(|_| attempt && !self.reads_as_written(&classified, first..last, line))
                .and_then(|slip| {
                    self.repair_slip(slip, line, &classified, first..last, done, &work.budget)
                })
                .filter(|_| !work.budget.spent());
            match repaired {
                Some((range, text, reason)) => {
                    if text.contains(['?', '\u{FFFD}']) {
                        work.unrepaired.push(Unrepaired {
                            at: offset + range.start,
                            run: format!("{text} (partly repaired)"),
                            over_budget: false,
                            lost: false,
                        });
                    }
                    let slip_id = self.slip.as_ref().map_or("", |s| s.id.as_str());
                    work.changes
                        .push(shifted(range.clone(), offset, text, slip_id, reason));
                    done.push(range);
                }
                None => work.unrepaired.push(Unrepaired {
                    at: offset + run.start,
                    run: line[run].to_string(),
                    over_budget: work.budget.spent(),
                    lost: false,
                }),
            }
        }
    }

    /// Log-probability plus the per-character bonus: higher is more like Chinese text.
    fn fitness(&self, text: &str) -> f64 {
        self.log_likelihood(text) + self.char_bonus * text.chars().count() as f64
    }

    /// [`Self::fitness`] for a search, counted against the document's budget: `-inf` once it is
    /// spent.
    fn budgeted_fitness(&self, budget: &Budget, text: &str) -> f64 {
        match budget.scorings_left.get() {
            0 => f64::NEG_INFINITY,
            left => {
                budget.scorings_left.set(left - 1);
                self.fitness(text)
            }
        }
    }

    fn fitness_per_char(&self, text: &str) -> f64 {
        self.log_likelihood(text) / text.chars().count().max(1) as f64
    }

    /// The word model, the character bigram model and the script-mix cost together.
    fn log_likelihood(&self, text: &str) -> f64 {
        self.lm.score(text) + self.bigram_weight * self.lm.bigram_score(text)
            - self.script.mix_cost(text)
            - self.glyph_cost * self.detector.non_standard_han(text) as f64
    }

    /// Re-decodings of the clauses of a line by the one chain that gains most over the line. The
    /// chain must win by `min_gain_per_char` on at least one suspect clause; the line's other
    /// clauses follow it whenever it improves them at all (a short clause proves little alone).
    fn redecode_line(
        &self,
        rule: &Redecode,
        line: &str,
        done: &[Range<usize>],
        budget: &Budget,
    ) -> Vec<(Range<usize>, String, String)> {
        let candidates: Vec<(Range<usize>, f64)> = clauses(line)
            .into_iter()
            .filter(|c| !overlaps(done, c) && !line[c.clone()].is_ascii())
            .map(|c| {
                let before = self.fitness_per_char(&line[c.clone()]);
                (c, before)
            })
            .collect();
        let mut best: Option<(f64, &Chain, Vec<ClauseRepair>)> = None;
        for chain in &rule.chains {
            let mut total = 0.0;
            let mut proven = false;
            let mut repairs = Vec::new();
            for (clause, before) in &candidates {
                let text = &line[clause.clone()];
                let score = |t: &str| self.budgeted_fitness(budget, t);
                let (left, right) = separators(line, clause);
                let Some(decoded) = chain.undo(text, &rule.plain_big5, &score, left, right) else {
                    continue;
                };
                let garbled = self.detector.strong_count(text);
                let left_over = self.detector.strong_count(&decoded);
                if decoded.is_empty()
                    || decoded == text
                    || decoded.contains('\u{FFFD}')
                    || left_over * 3 > garbled
                    || !reads_as_chinese(&decoded)
                {
                    continue;
                }
                // Latin-1 letters and symbols are garbling only where their sequence is
                // implausible as text; elsewhere a clause may follow the line's chain only when its
                // re-decoding leaves no Latin letter against a Han character (`NESTLÉ®` is no
                // `NESTL僧`, but `ÔÂ` is `月`).
                let latin_evidence = chain.read_as_single_byte() && self.is_latin_mojibake(text);
                if chain.read_as_single_byte() && !latin_evidence && letter_touches_han(&decoded) {
                    continue;
                }
                let gain = self.fitness_per_char(&decoded) - before;
                if gain <= 0.0 {
                    continue;
                }
                proven |= (latin_evidence || !chain.read_as_single_byte())
                    && self.proves_garbling(rule, text, garbled, &decoded)
                    && gain >= rule.min_gain_per_char
                    && text.chars().count() >= rule.min_chars;
                total += gain * text.chars().count() as f64;
                repairs.push((clause.clone(), decoded, gain));
            }
            if proven && best.as_ref().is_none_or(|b| total > b.0) {
                best = Some((total, chain, repairs));
            }
        }
        let Some((_, chain, repairs)) = best.filter(|_| !budget.spent()) else {
            return Vec::new();
        };
        repairs
            .into_iter()
            .map(|(clause, text, gain)| {
                let reason = format!("decoded as {} (+{gain:.1}/char)", chain.name);
                (clause, text, reason)
            })
            .collect()
    }

    /// Whether Latin-1 letters and symbols in `text` are garbling rather than Latin text: they form
    /// a sequence implausible in any script (see [`Utf8Fixer::is_bad`]). Without the code-page rule
    /// there is no such judge, and any strong suspect counts.
    fn is_latin_mojibake(&self, text: &str) -> bool {
        match &self.codepage {
            Some((_, fixer)) => fixer.is_bad(text),
            None => self.detector.strong_count(text) > 0,
        }
    }

    /// Whether a clause and its re-decoding are evidence enough to take a chain for the line: the
    /// clause holds a character no text has (U+FFFD, private use, a C1 control) or `min_evidence`
    /// rare characters (fewer, even ones no dictionary word has, are names and rare words: `腶脩`,
    /// `陳甦`), and the
    /// re-decoding makes as many Han characters (one is a Latin word's accented letter and symbol
    /// read as GBK: `NESTLÉ®`, `5×£35`).
    fn proves_garbling(&self, rule: &Redecode, text: &str, garbled: usize, decoded: &str) -> bool {
        let hard = self
            .detector
            .classify(text)
            .iter()
            .any(|c| c.2 == Suspicion::Strong && !is_han(c.1) && self.detector.is_hard(c.1));
        let han = decoded.chars().filter(|&c| is_han(c)).count();
        (hard && garbled > 0 || garbled >= rule.min_evidence) && han >= rule.min_evidence.min(2)
    }

    /// Whether every strong suspect among the characters `range` of a classified line reads as
    /// written text rather than as the trace of garbling, so that the searches (milliseconds) are
    /// spared: an ASCII character the character bigrams find ordinary between its neighbours (`A股`,
    /// `T恤`, `C语言`); a rare Han character that a dictionary word of two or more characters holds
    /// with its neighbours (`桎梏`, `邛崃`); a symbol between characters that are not suspect at all
    /// (the bullets and list numbers `●播客`, `②根据`). Garbling makes none of these: its characters
    /// follow each other at random, so its suspects come in clusters.
    fn reads_as_written(
        &self,
        classified: &[(usize, char, Suspicion)],
        range: Range<usize>,
        line: &str,
    ) -> bool {
        let char_at = |i: Option<usize>| i.and_then(|i| classified.get(i)).map(|c| c.1);
        range
            .filter(|&i| classified[i].2 == Suspicion::Strong)
            .all(|i| {
                let (at, c, _) = classified[i];
                if c.is_ascii() {
                    self.ordinary_between(char_at(i.checked_sub(1)), c, char_at(Some(i + 1)))
                } else if is_han(c) {
                    self.in_a_word(&line[..at], c, &line[at + c.len_utf8()..])
                } else if is_list_symbol(c) {
                    let near = i.saturating_sub(2)..(i + 3).min(classified.len());
                    near.filter(|&j| j != i)
                        .all(|j| classified[j].2 == Suspicion::None)
                } else {
                    false
                }
            })
    }

    /// Whether `c` follows `prev` and precedes `next` as often as text does (mean bigram transition).
    fn ordinary_between(&self, prev: Option<char>, c: char, next: Option<char>) -> bool {
        let (Some(prev), Some(next)) = (prev, next) else {
            return false;
        };
        let pair = |a: char, b: char| {
            self.lm.bigram_score(&format!("{a}{b}")) - self.lm.bigram_score(&a.to_string())
        };
        (pair(prev, c) + pair(c, next)) / 2.0 >= self.ordinary_transition
    }

    /// Whether the best segmentation of `c` with up to three characters either side puts it in a
    /// word of two or more characters.
    fn in_a_word(&self, before: &str, c: char, after: &str) -> bool {
        let left: Vec<char> = before.chars().rev().take(3).collect();
        let window: String = left
            .iter()
            .rev()
            .copied()
            .chain([c])
            .chain(after.chars().take(3))
            .collect();
        self.lm
            .words(&window)
            .into_iter()
            .any(|w| w.contains(&left.len()) && w.len() >= 2)
    }

    /// The share of a line's non-ASCII characters that are strong suspects.
    fn slip_density(&self, classified: &[(usize, char, Suspicion)]) -> f64 {
        let non_ascii = classified.iter().filter(|c| !c.1.is_ascii()).count();
        let strong = classified
            .iter()
            .filter(|c| c.2 == Suspicion::Strong)
            .count();
        strong as f64 / non_ascii.max(1) as f64
    }

    /// A byte-slip repair of the suspect run `suspects` (char indices) of a line.
    fn repair_slip(
        &self,
        rule: &Slip,
        line: &str,
        classified: &[(usize, char, Suspicion)],
        suspects: Range<usize>,
        done: &[Range<usize>],
        budget: &Budget,
    ) -> Option<(Range<usize>, String, String)> {
        let (first, last) = (suspects.start, suspects.end);
        let byte_at = |i: usize| classified.get(i).map_or(line.len(), |c| c.0);
        let mut lo = first.saturating_sub(rule.reach_back);
        // Never reach into a repaired range.
        while lo < first && done.iter().any(|d| d.contains(&byte_at(lo))) {
            lo += 1;
        }
        let hi = (last + 1).min(classified.len());
        let run = byte_at(lo)..byte_at(hi);
        let left = &line[byte_at(lo.saturating_sub(rule.context))..run.start];
        let right = &line[run.end..byte_at((hi + rule.context).min(classified.len()))];
        let judge = slip::Judge {
            fitness: &|t| self.budgeted_fitness(budget, t),
            quick: &|t| {
                self.bigram_weight * self.lm.bigram_score(t)
                    - self.glyph_cost * self.detector.non_standard_han(t) as f64
            },
            clean: &|t| !self.detector.has_strong(t),
            min_gain: rule.min_gain.min(rule.min_gain_ascii_only),
        };
        let repair = slip::best_repair(
            &line[run.clone()],
            left,
            right,
            rule.charset,
            &rule.ops,
            &judge,
        )?;
        // Dropping an ASCII character and nothing else may undo a slip, but such characters are
        // also tokens, separators and markup put there on purpose: demand more evidence.
        let non_ascii = |t: &str| t.chars().filter(|c| !c.is_ascii()).collect::<String>();
        let only_ascii_dropped = non_ascii(&repair.text) == non_ascii(&line[run.clone()]);
        // A run whose only traces are bytes the decoder rejected, among characters that read
        // clean, shows no shifted stream (a slip garbles what follows it): a repair there trades a
        // clean neighbour for a guess unless the model is sure.
        let only_rejected = (first..=last)
            .filter_map(|i| classified.get(i))
            .filter(|c| c.2 == Suspicion::Strong)
            .all(|c| c.1 == '\u{FFFD}');
        let needed = match (only_ascii_dropped, only_rejected) {
            (true, _) => rule.min_gain_ascii_only,
            (false, true) => rule.min_gain_rejected_only,
            (false, false) => rule.min_gain,
        };
        (repair.gain >= needed).then(|| {
            let reason = format!("{} (+{:.1})", repair.what, repair.gain);
            (run, repair.text, reason)
        })
    }
}

/// Number forms, enclosed numbers, box drawing and geometric shapes: symbols pages write as bullets
/// and list numbers (`①`, `●`, `◎`, `Ⅱ`, `㈠`), unlike U+FFFD, private-use or control characters.
fn is_list_symbol(c: char) -> bool {
    matches!(c as u32, 0x2150..=0x218F | 0x2460..=0x25FF | 0x3220..=0x3243)
}

/// Whether a re-decoding reads as Chinese text: besides Han characters, only ASCII, Chinese and
/// general punctuation, full-width forms and common symbols (no Yi syllable, Hangul, kana or
/// accented Latin letter, which a wrong chain makes of Chinese bytes: `陳甦` as `ꐮd`), and no Han
/// character inside a Latin word (`fr猫res` is `frères` read as GBK).
fn reads_as_chinese(decoded: &str) -> bool {
    let chars: Vec<char> = decoded.chars().collect();
    let letter_at = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(char::is_ascii_alphabetic)
    };
    chars.iter().enumerate().all(|(i, &c)| {
        if is_han(c) {
            !(letter_at(i.checked_sub(1)) && letter_at(Some(i + 1)))
        } else {
            c.is_ascii()
                || is_cjk_punct(c)
                || matches!(c as u32, 0xA0..=0xBF | 0xD7 | 0xF7 | 0x2000..=0x206F | 0x2150..=0x25FF | 0x3000..=0x303F | 0xFF00..=0xFFEF)
        }
    })
}

/// Whether an ASCII letter stands next to a Han character.
fn letter_touches_han(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).any(|w| {
        is_han(w[0]) && w[1].is_ascii_alphabetic() || w[0].is_ascii_alphabetic() && is_han(w[1])
    })
}

/// Each byte range of `line` that differs from `fixed` (by a character diff), and what replaces it:
/// repairs of parts of a line, each its own edit.
fn changed_spans(line: &str, fixed: &str) -> Vec<(Range<usize>, String)> {
    let diff = similar::TextDiff::from_chars(line, fixed);
    let mut spans: Vec<(Range<usize>, String)> = Vec::new();
    let old_at = |chars: usize| {
        line.char_indices()
            .nth(chars)
            .map_or(line.len(), |(b, _)| b)
    };
    let new_at = |chars: usize| {
        fixed
            .char_indices()
            .nth(chars)
            .map_or(fixed.len(), |(b, _)| b)
    };
    for op in diff.ops() {
        if matches!(op.tag(), similar::DiffTag::Equal) {
            continue;
        }
        let (old, new) = (op.old_range(), op.new_range());
        let range = old_at(old.start)..old_at(old.end);
        let text = &fixed[new_at(new.start)..new_at(new.end)];
        match spans.last_mut() {
            Some(last) if last.0.end == range.start => {
                last.0.end = range.end;
                last.1.push_str(text);
            }
            _ => spans.push((range, text.to_string())),
        }
    }
    spans
}

/// The reason of a code-page repair: its layers, outermost first.
fn describe(steps: &[Step]) -> String {
    let layers: Vec<String> = steps
        .iter()
        .map(|step| match step {
            Step::Whole(page) => format!("UTF-8 read as {page}"),
            Step::Parts => "UTF-8 parts read through a code page".to_string(),
            Step::C1 => "C1 controls read as windows-1252".to_string(),
        })
        .collect();
    layers.join(", then ")
}

fn shifted(range: Range<usize>, offset: usize, text: String, id: &str, reason: String) -> Change {
    Change::replace(range.start + offset..range.end + offset, text, id, reason)
}

/// Where a line shows damage that destroyed bytes, so no byte hypothesis can be trusted on it:
/// `锟斤拷` (U+FFFD written as UTF-8 and read as GBK), `�?` or `??` (characters a lossy round
/// trip dropped).
fn lossy_signature(line: &str) -> Option<usize> {
    line.find("锟斤拷")
        .or_else(|| line.find("\u{FFFD}?"))
        .or_else(|| line.find("??"))
}

fn overlaps(done: &[Range<usize>], range: &Range<usize>) -> bool {
    done.iter()
        .any(|d| d.start < range.end && range.start < d.end)
}

/// The separator characters either side of a clause (digits, punctuation): context that is the
/// same in every decoding, so an unknown byte can be filled knowing it is followed by `4日` or `?`.
fn separators<'a>(line: &'a str, clause: &Range<usize>) -> (&'a str, &'a str) {
    let is_separator = |c: char| c.is_ascii() && (c as u32) < 0x40 && c != '?';
    let before = &line[..clause.start];
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_separator(c))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let after = &line[clause.end..];
    let end = after
        .char_indices()
        .find(|&(_, c)| !is_separator(c))
        .map_or(after.len(), |(i, _)| i);
    (&before[start..], &after[..end])
}

/// A line longer than this is searched in pieces (see [`search_units`]).
const MAX_UNIT_BYTES: usize = 4 * 1024;

/// The byte ranges the searches take one at a time: the lines of `text`, a line longer than
/// [`MAX_UNIT_BYTES`] cut after full-width sentence ends once a piece reaches a quarter of it.
/// A search re-decodes its whole unit with every chain once a strong suspect shows anywhere in it,
/// so one rare character in a megabyte of single-line text cost a re-decoding of the megabyte
/// (2 s per MB, against 0.02 s for the same text in short lines). A genuine `。！？` is intact text,
/// which garbling does not cut through.
fn search_units(text: &str) -> Vec<Range<usize>> {
    let mut units = Vec::new();
    let mut start = 0;
    for line in text.split('\n') {
        let end = start + line.len();
        if line.len() > MAX_UNIT_BYTES {
            push_sentence_pieces(line, start, &mut units);
        } else {
            units.push(start..end);
        }
        start = end + 1;
    }
    units
}

fn push_sentence_pieces(line: &str, offset: usize, units: &mut Vec<Range<usize>>) {
    let mut piece_start = 0;
    for (at, c) in line.char_indices() {
        let end = at + c.len_utf8();
        if matches!(c, '。' | '！' | '？') && end - piece_start >= MAX_UNIT_BYTES / 4 {
            units.push(offset + piece_start..offset + end);
            piece_start = end;
        }
    }
    if piece_start < line.len() {
        units.push(offset + piece_start..offset + line.len());
    }
}

/// Byte ranges of the clauses of a line: text between ASCII characters that no double-byte charset
/// uses as a trail byte (controls, space, digits and punctuation below `@`), except `?`, which
/// lossy decoders write inside garbled text.
fn clauses(line: &str) -> Vec<Range<usize>> {
    let is_separator = |c: char| c.is_ascii() && (c as u32) < 0x40 && c != '?';
    let mut out = Vec::new();
    let mut start = None;
    for (at, c) in line.char_indices() {
        match (is_separator(c), start) {
            (true, Some(s)) => {
                out.push(s..at);
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..line.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> Mojibake {
        Mojibake::from_rules(&RuleSet::defaults().expect("default rules")).expect("valid rules")
    }

    fn written(stage: &Mojibake, line: &str) -> bool {
        let classified = stage.detector.classify(line);
        stage.reads_as_written(&classified, 0..classified.len(), line)
    }

    #[test]
    fn tokens_words_and_bullets_read_as_written() {
        let stage = stage();
        for line in [
            "外资机构做空A股市场",
            "他潜心钻研桎梏胸腔手术",
            "●播客热潮迅速蔓延",
        ] {
            assert!(written(&stage, line), "{line}");
        }
    }

    #[test]
    fn traces_of_garbling_do_not_read_as_written() {
        let stage = stage();
        for line in [
            "電商與微I銷是兩個概念",
            "內容都適合扑\u{FFFD},用戶",
            "其極?墒侨说男袨閼T性是那么難改",
        ] {
            assert!(!written(&stage, line), "{line}");
        }
    }

    #[test]
    fn long_lines_are_searched_in_sentence_pieces_that_cover_them() {
        let sentence = "这是一个完整的句子，没有任何乱码。";
        let line = sentence.repeat(2 * MAX_UNIT_BYTES / sentence.len());
        let text = format!("短行\n{line}\n末行");
        let units = search_units(&text);
        assert_eq!(&text[units[0].clone()], "短行");
        assert_eq!(&text[units[units.len() - 1].clone()], "末行");
        let pieces = &units[1..units.len() - 1];
        assert!(pieces.len() >= 4, "{} pieces", pieces.len());
        assert!(pieces.iter().all(|p| text[p.clone()].ends_with('。')));
        assert!(pieces.iter().all(|p| p.len() <= MAX_UNIT_BYTES));
        let joined: String = pieces.iter().map(|p| &text[p.clone()]).collect();
        assert_eq!(joined, line);
    }

    #[test]
    fn clauses_split_at_ascii_punctuation_but_not_letters_or_question_marks() {
        let line = "鍥犵偤,閫欎簺? ab";
        let parts: Vec<&str> = clauses(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(parts, ["鍥犵偤", "閫欎簺?", "ab"]);
    }
}
