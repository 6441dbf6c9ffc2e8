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
mod detect;
mod entity;
mod slip;

use std::ops::Range;

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::stages::{Stage, StageName};
use crate::text::lm::{self, LanguageModel};

use codec::{Chain, Charset};
use detect::{Detector, Suspicion};
use entity::Entities;
use slip::Op;

pub struct Mojibake {
    detector: Detector,
    entity: Option<(String, Entities)>,
    redecode: Option<Redecode>,
    slip: Option<Slip>,
    cluster_gap: usize,
    lm: &'static LanguageModel,
}

struct Redecode {
    id: String,
    chains: Vec<Chain>,
    min_gain_per_char: f64,
    min_chars: usize,
}

struct Slip {
    id: String,
    charset: Charset,
    ops: Vec<Op>,
    min_gain: f64,
    reach_back: usize,
    context: usize,
}

impl Mojibake {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let lm = lm::model();
        let min_char_logp: f32 = rules.setting(StageName::Mojibake, "min_char_logp", -16.0)?;
        let mut stage = Mojibake {
            detector: Detector::new(lm, min_char_logp),
            entity: None,
            redecode: None,
            slip: None,
            cluster_gap: rules.setting(StageName::Mojibake, "cluster_gap", 3)?,
            lm,
        };
        for rule in rules.for_stage(StageName::Mojibake) {
            let kind: String = rule.param("kind")?;
            match kind.as_str() {
                "entity" => {
                    rule.expect_keys(&["kind"])?;
                    stage.entity = Some((rule.id.clone(), Entities::new()));
                }
                "redecode" => stage.redecode = Some(compile_redecode(rule)?),
                "byte-slip" => stage.slip = Some(compile_slip(rule)?),
                other => {
                    return Err(rule.error(format!(
                        "unknown kind `{other}` (mojibake rules are entity, redecode, byte-slip)"
                    )));
                }
            }
        }
        Ok(stage)
    }
}

fn compile_redecode(rule: &Rule) -> Result<Redecode, RuleError> {
    rule.expect_keys(&["kind", "chains", "min_gain_per_char", "min_chars"])?;
    let names: Vec<String> = rule.param("chains")?;
    let chains = names
        .iter()
        .map(|n| n.parse().map_err(|e| rule.error(e)))
        .collect::<Result<_, _>>()?;
    Ok(Redecode {
        id: rule.id.clone(),
        chains,
        min_gain_per_char: rule.param("min_gain_per_char")?,
        min_chars: rule.param("min_chars")?,
    })
}

fn compile_slip(rule: &Rule) -> Result<Slip, RuleError> {
    rule.expect_keys(&[
        "kind",
        "charset",
        "ops",
        "min_gain",
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
        reach_back: rule.param("reach_back")?,
        context: rule.param("context")?,
    })
}

/// A flag to raise: a suspect run left as it is.
struct Unrepaired {
    at: usize,
    run: String,
}

impl Stage for Mojibake {
    fn name(&self) -> StageName {
        StageName::Mojibake
    }

    fn run(&self, doc: &mut Document) {
        let mut changes = Vec::new();
        let mut unrepaired = Vec::new();
        let mut start = 0;
        for line in doc.text.split('\n') {
            self.repair_line(line, start, &mut changes, &mut unrepaired);
            start += line.len() + 1;
        }
        doc.apply(StageName::Mojibake, changes);
        let flag_id = self.slip.as_ref().map(|s| s.id.as_str());
        for u in unrepaired {
            let message = format!("garbled run `{}` left as it is: no repair is sure", u.run);
            doc.flag(
                StageName::Mojibake,
                flag_id.unwrap_or("mojibake"),
                message,
                Some(u.at),
            );
        }
    }
}

impl Mojibake {
    fn repair_line(
        &self,
        line: &str,
        offset: usize,
        changes: &mut Vec<Change>,
        unrepaired: &mut Vec<Unrepaired>,
    ) {
        let mut done: Vec<Range<usize>> = Vec::new();
        if let Some((id, entities)) = &self.entity {
            for (range, c) in entities.find(line) {
                let reason = format!("numeric character reference of U+{:04X}", c as u32);
                changes.push(shifted(range.clone(), offset, c.to_string(), id, reason));
                done.push(range);
            }
        }
        if !self.detector.has_strong(line) {
            return;
        }
        if let Some(redecode) = &self.redecode {
            for clause in clauses(line) {
                if overlaps(&done, &clause) {
                    continue;
                }
                if let Some((text, chain, gain)) =
                    self.redecode_clause(redecode, &line[clause.clone()])
                {
                    let reason = format!("decoded as {chain} (+{gain:.1}/char)");
                    changes.push(shifted(clause.clone(), offset, text, &redecode.id, reason));
                    done.push(clause);
                }
            }
        }
        let classified = self.detector.classify(line);
        for (first, last) in detect::clusters(&classified, self.cluster_gap) {
            let run = classified[first].0..classified.get(last).map_or(line.len(), |c| c.0);
            if overlaps(&done, &run) {
                continue;
            }
            let repaired = self
                .slip
                .as_ref()
                .and_then(|slip| self.repair_slip(slip, line, &classified, first, last, &done));
            match repaired {
                Some((range, text, reason)) => {
                    let slip_id = self.slip.as_ref().map_or("", |s| s.id.as_str());
                    changes.push(shifted(range.clone(), offset, text, slip_id, reason));
                    done.push(range);
                }
                None => unrepaired.push(Unrepaired {
                    at: offset + run.start,
                    run: line[run].to_string(),
                }),
            }
        }
    }

    /// The best chain's decoding of a suspect clause, when the model prefers it clearly.
    fn redecode_clause(&self, rule: &Redecode, clause: &str) -> Option<(String, String, f64)> {
        let n = clause.chars().count();
        if n < rule.min_chars || !self.detector.has_strong(clause) {
            return None;
        }
        let before = self.lm.score(clause) / n as f64;
        let mut best: Option<(String, String, f64)> = None;
        for chain in &rule.chains {
            let Some(text) = chain.undo(clause, self.lm, "", "") else {
                continue;
            };
            let m = text.chars().count();
            if m == 0 || text == clause {
                continue;
            }
            let gain = self.lm.score(&text) / m as f64 - before;
            if gain >= rule.min_gain_per_char
                && !self.detector.has_strong(&text)
                && best.as_ref().is_none_or(|b| gain > b.2)
            {
                best = Some((text, chain.name.clone(), gain));
            }
        }
        best
    }

    /// A byte-slip repair of the suspect cluster `first..last` (char indices) of a line.
    fn repair_slip(
        &self,
        rule: &Slip,
        line: &str,
        classified: &[(usize, char, Suspicion)],
        first: usize,
        last: usize,
        done: &[Range<usize>],
    ) -> Option<(Range<usize>, String, String)> {
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
        let repair = slip::best_repair(
            &line[run.clone()],
            left,
            right,
            rule.charset,
            &rule.ops,
            self.lm,
        )?;
        (repair.gain >= rule.min_gain).then(|| {
            let reason = format!("{} (+{:.1})", repair.what, repair.gain);
            (run, repair.text, reason)
        })
    }
}

fn shifted(range: Range<usize>, offset: usize, text: String, id: &str, reason: String) -> Change {
    Change::replace(range.start + offset..range.end + offset, text, id, reason)
}

fn overlaps(done: &[Range<usize>], range: &Range<usize>) -> bool {
    done.iter()
        .any(|d| d.start < range.end && range.start < d.end)
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

    #[test]
    fn clauses_split_at_ascii_punctuation_but_not_letters_or_question_marks() {
        let line = "鍥犵偤,閫欎簺? ab";
        let parts: Vec<&str> = clauses(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(parts, ["鍥犵偤", "閫欎簺?", "ab"]);
    }
}
