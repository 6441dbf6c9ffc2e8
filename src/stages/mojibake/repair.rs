//! Repairs of one line: Latin-family chains, Chinese re-decodings, byte slips, lost characters.

use std::ops::Range;

use super::detect::{self, Suspicion};
use super::latin::Step;
use super::units::{changed_spans, describe, lossy_signature, overlaps, shifted};
use super::{Budget, Lost, Mojibake, Slip, Unrepaired, Work, lost, roundtrip, slip};
use crate::text::chars::is_han;
use crate::text::lm::Context;

impl Mojibake {
    pub(super) fn repair_line(&self, line: &str, offset: usize, work: &mut Work) {
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
        // Every line passes here: a byte search keeps clean text cheap.
        if let Some(rule) = &self.lost
            && memchr::memchr(b'?', line.as_bytes()).is_some()
        {
            self.repair_lost(rule, line, offset, work, &mut done);
        }
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

    /// The searches of `mojibake.lost-characters`. Characters lost in a round trip through GBK
    /// (`平臺�?`): filled where the models are sure by `round_trip_min_margin` among the characters
    /// the bytes allow. Characters a GB2312 or Big5 encoder wrote as `?`: filled where the models
    /// are sure by `min_margin`; a `?` that reads as a question mark is left alone. Both flag what
    /// they do not fill.
    fn repair_lost(
        &self,
        rule: &Lost,
        line: &str,
        offset: usize,
        work: &mut Work,
        done: &mut Vec<Range<usize>>,
    ) {
        if let Some(first) = line.find("\u{FFFD}?").or_else(|| line.find("?\u{FFFD}")) {
            let tables = &*rule.tables;
            let options = match tables.candidates.lean(line) {
                Some(lost::Lean::Simplified) => &tables.round_trip_options[0],
                Some(lost::Lean::Traditional) => &tables.round_trip_options[1],
                None => &tables.round_trip_options[2],
            };
            let search = |scoring: &lost::Scoring| {
                let filled = roundtrip::repair(&tables.gbk_pairs, line, options, scoring)?;
                let found = filled.into_iter().map(|f| Found {
                    span: f.span,
                    filled: Some(f.filled),
                    margin: f.margin,
                    flag: true,
                });
                Some(("GBK", found.collect()))
            };
            let search = LostSearch {
                first,
                round_trip: true,
                min_margin: rule.round_trip_min_margin,
                search: &search,
            };
            self.repair_lost_characters(rule, &search, line, offset, work, done);
        }
        let gaps = lost::gaps(line);
        let suspect = |at: usize| {
            !lost::reads_as_question_mark(&self.ngrams, line, at, rule.question_mark_logp)
        };
        let Some(&first) = gaps.iter().find(|&&at| suspect(at)) else {
            return;
        };
        let search = |scoring: &lost::Scoring| {
            let filling = lost::fill(line, &rule.tables.candidates, scoring)?;
            let found = filling.gaps.into_iter().map(|g| Found {
                span: g.at..g.at + 1,
                filled: g.filled,
                margin: g.margin,
                flag: suspect(g.at),
            });
            Some((filling.repertoire, found.collect()))
        };
        let search = LostSearch {
            first,
            round_trip: false,
            min_margin: rule.settings.min_margin,
            search: &search,
        };
        self.repair_lost_characters(rule, &search, line, offset, work, done);
    }

    /// Runs one search of `mojibake.lost-characters` on a line under the document's budget: each
    /// place it fills by its margin or more is repaired, each other one it flags is flagged.
    fn repair_lost_characters(
        &self,
        rule: &Lost,
        search: &LostSearch,
        line: &str,
        offset: usize,
        work: &mut Work,
        done: &mut Vec<Range<usize>>,
    ) {
        let flag = |at: usize, over_budget: bool| Unrepaired {
            at: offset + at,
            run: line[at..].chars().take(8).collect(),
            over_budget,
            lost: true,
            round_trip: search.round_trip,
        };
        if work.budget.spent() {
            work.unrepaired.push(flag(search.first, true));
            return;
        }
        let cost = |scorings: usize| {
            let charged = scorings.div_ceil(work.budget.ngram_scorings_per_scoring);
            let left = work.budget.scorings_left.get();
            work.budget.scorings_left.set(left.saturating_sub(charged));
            left >= charged
        };
        let judge = |text: &str| self.log_likelihood(text);
        let scoring = lost::Scoring {
            model: &self.ngrams,
            settings: &rule.settings,
            judge: &judge,
            cost: &cost,
        };
        let Some((charset, found)) = (search.search)(&scoring) else {
            // A line no round trip explains is not this damage: other rules may explain it. A
            // `?` beside Han characters is a gap either way.
            if !search.round_trip || work.budget.spent() {
                work.unrepaired
                    .push(flag(search.first, work.budget.spent()));
            }
            return;
        };
        for Found {
            span,
            filled,
            margin,
            flag: flagged,
        } in found
        {
            let sure = margin >= search.min_margin;
            match filled {
                Some(c) if sure => {
                    let reason = search.reason(charset, c, margin);
                    work.changes.push(shifted(
                        span.clone(),
                        offset,
                        c.to_string(),
                        &rule.id,
                        reason,
                    ));
                    done.push(span);
                }
                // A place the round trip explains is that damage, repaired or not; a `?` gap
                // left as it is may still be part of another garble. A `?` surely a question
                // mark is no damage.
                _ => {
                    if flagged && !sure {
                        work.unrepaired.push(flag(span.start, false));
                    }
                    if search.round_trip {
                        done.push(span);
                    }
                }
            }
        }
    }

    /// The repairs of a line's Chinese garbling: re-decodings of clauses, then byte slips.
    pub(super) fn repair_cjk(
        &self,
        line: &str,
        offset: usize,
        work: &mut Work,
        done: &mut Vec<Range<usize>>,
    ) {
        if !self.detector.has_strong(line) {
            return;
        }
        if work.budget.spent() {
            work.unrepaired.push(Unrepaired {
                at: offset,
                run: line.chars().take(16).collect(),
                over_budget: true,
                lost: false,
                round_trip: false,
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
                    // A `?` the repair leaves is flagged by `lost-characters` on the repaired text,
                    // as cleaning the output again flags it: no flag over the whole repaired run,
                    // which `script` would skip on the first pass only.
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
                    round_trip: false,
                }),
            }
        }
    }

    /// A byte-slip repair of the suspect run `suspects` (char indices) of a line.
    pub(super) fn repair_slip(
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
        let mut lo = first.saturating_sub(rule.params.reach_back);
        // Never reach into a repaired range.
        while lo < first && done.iter().any(|d| d.contains(&byte_at(lo))) {
            lo += 1;
        }
        let hi = (last + 1).min(classified.len());
        let run = byte_at(lo)..byte_at(hi);
        let left = &line[byte_at(lo.saturating_sub(rule.params.context))..run.start];
        let right = &line[run.end..byte_at((hi + rule.params.context).min(classified.len()))];
        let open = Context::open("");
        let ngram = |t: &str| match rule.params.ngram_weight {
            w if w > 0.0 => {
                if !budget.charge_ngrams(1) {
                    return f64::NEG_INFINITY;
                }
                // The stage's bonus per Han character, so a repair that restores a character (a
                // lost byte) and one that drops one (an inserted byte) compare fairly: without it
                // the 4-gram model, which charges every character its log-probability, favours
                // the shorter text. Only Han characters count: a `?` or `!` the run keeps is no
                // content restored.
                let bonus = self.char_bonus * t.chars().filter(|&c| is_han(c)).count() as f64;
                w * (self.ngrams.fill_scores(&open, &[t], &open)[0] + bonus)
            }
            _ => 0.0,
        };
        let judge = slip::Judge {
            fitness: &|t| self.budgeted_fitness(budget, t),
            rank: &ngram,
            quick: &|t| {
                self.bigram_weight * self.lm.bigram_score(t)
                    - self.glyph_cost * self.detector.non_standard_han(t) as f64
            },
            clean: &|t| !self.detector.has_strong(t),
            min_gain: rule.params.min_gain.min(rule.params.min_gain_ascii_only),
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
        // clean neighbour for a guess unless the model is sure. A repair that reads two or more of
        // those clean characters again is the shifted stream shown (`盞安�` → `保税仓`, a full-width
        // pair folded into a trail byte): wrong characters that read clean, which one guess does not
        // explain.
        let only_rejected = (first..=last)
            .filter_map(|i| classified.get(i))
            .filter(|c| c.2 == Suspicion::Strong)
            .all(|c| c.1 == '\u{FFFD}')
            && rephased(&line[run.clone()], &repair.text) < 2;
        let needed = match (only_ascii_dropped, only_rejected) {
            (true, _) => rule.params.min_gain_ascii_only,
            (false, true) => rule.params.min_gain_rejected_only,
            (false, false) => rule.params.min_gain,
        };
        (repair.gain >= needed).then(|| {
            let reason = format!("{} (+{:.1})", repair.what, repair.gain);
            (run, repair.text, reason)
        })
    }
}

/// How many characters of `run`, other than U+FFFD, `repair` changes: those between the prefix and
/// the suffix the two share.
fn rephased(run: &str, repair: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (run.chars().collect(), repair.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    a[prefix..a.len() - suffix]
        .iter()
        .filter(|&&c| c != '\u{FFFD}')
        .count()
}

/// What a lost-character search found at one damaged place of a line.
struct Found {
    span: Range<usize>,
    /// The character that fits best there (`None`: a question mark).
    filled: Option<char>,
    margin: f64,
    /// Whether the place is flagged when left as it is (a `?` that reads as one is not).
    flag: bool,
}

/// What a lost-character search found on a line: the charset the damage went through, and each
/// damaged place.
type Findings = (&'static str, Vec<Found>);

/// One of the two searches of `mojibake.lost-characters`, as `repair_lost_characters` runs it.
struct LostSearch<'s> {
    /// The first damaged place of the line, where a flag for the whole line stands.
    first: usize,
    /// Whether the damage is a round trip through GBK (`平臺�?`) rather than `?` for characters a
    /// charset lacked.
    round_trip: bool,
    min_margin: f64,
    /// The places found, and the charset the damage went through.
    search: &'s dyn Fn(&lost::Scoring) -> Option<Findings>,
}

impl LostSearch<'_> {
    /// The reason of a repair, from the charset the damage went through, the character and its
    /// margin.
    fn reason(&self, charset: &str, c: char, margin: f64) -> String {
        let lost = if self.round_trip {
            format!("a character lost in a round trip through {charset}")
        } else {
            format!("a character {charset} lacks, written as `?`")
        };
        let among = if self.round_trip {
            " of those its bytes allow"
        } else {
            ""
        };
        format!("{lost}: `{c}` fits best{among} (+{margin:.1} over the next)")
    }
}

#[cfg(test)]
mod tests {
    use super::rephased;

    #[test]
    fn a_repair_reading_clean_characters_again_shows_a_shifted_stream() {
        // A full-width pair folded into a trail byte: two clean characters read again.
        assert_eq!(rephased("下独立的盞安\u{FFFD},", "下独立的保税仓,"), 2);
        // One guess where a character lost a byte: one clean character replaced.
        assert_eq!(rephased("质上定位于媒\u{FFFD},", "质上定位于今,"), 1);
        assert_eq!(rephased("媒\u{FFFD}", "媒\u{FFFD}"), 0);
    }
}
