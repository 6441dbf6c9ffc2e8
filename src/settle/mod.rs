//! A stage run on its own output until it changes nothing more (at most a few rounds), with the
//! edits of every round composed into one set against the stage's input, so the report still
//! replays each stage once. A stage judges a line by its context, and its own edits can change that
//! context (a code-page fix next to a byte slip, a spin word reversed on a page whose script is
//! being judged): cleaning the output again must change nothing.

use crate::document::Document;
use crate::report::{Edit, Flag};
use crate::stages::Stage;

mod chain;

pub(crate) use chain::{Link, settle_chain};

/// The most rounds a stage runs on one document. One more round than needed shows that the text is
/// settled; a stage still editing after this is left as it is (rounds cost a stage's whole time).
pub(crate) const MAX_ROUNDS: usize = 3;

/// Run `stage` on `doc`, and again on its output while the round before edited something and
/// `in_budget` says the document's time budget is not spent (a round can cost as much as the first).
pub(crate) fn run_settled(stage: &dyn Stage, doc: &mut Document, in_budget: impl Fn() -> bool) {
    let first_edit = doc.report.edits.len();
    let first_flag = doc.report.flags.len();
    let input = doc.text.clone();
    stage.run(doc);
    let mut edited = doc.report.edits.len() > first_edit;
    for _ in 1..MAX_ROUNDS {
        if !edited || !in_budget() {
            break;
        }
        let round_edit = doc.report.edits.len();
        let round_flag = doc.report.flags.len();
        stage.run(doc);
        let later = doc.report.edits.split_off(round_edit);
        let later_flags = doc.report.flags.split_off(round_flag);
        edited = !later.is_empty();
        let earlier = doc.report.edits.split_off(first_edit);
        let flags = new_flags(&doc.report.flags[first_flag..], later_flags, &earlier);
        doc.report.edits.extend(compose(&input, &earlier, &later));
        doc.report.flags.extend(flags);
    }
}

/// The flags of a later round that an earlier round did not raise, placed in the stage's input.
fn new_flags(raised: &[Flag], later: Vec<Flag>, earlier: &[Edit]) -> Vec<Flag> {
    later
        .into_iter()
        .filter(|f| {
            !raised
                .iter()
                .any(|r| r.rule == f.rule && r.message == f.message)
        })
        .map(|f| Flag {
            position: f.position.map(|p| position_before(earlier, p, Side::Start)),
            ..f
        })
        .collect()
}

/// The edits of two rounds as one set against the first round's `input`: `earlier` are edits of
/// `input`, `later` edits of the text `earlier` made of it. Edits of the two rounds that touch are
/// merged into one edit of `input` (named by the later rule, with every reason), so the set replays
/// over `input` to the later round's output.
fn compose(input: &str, earlier: &[Edit], later: &[Edit]) -> Vec<Edit> {
    let between = apply(input, earlier);
    let output = apply(&between, later);
    let mut spans: Vec<Span> = earlier
        .iter()
        .map(|e| Span {
            start: e.start,
            end: e.end,
            edit: e,
        })
        .chain(later.iter().map(|e| Span {
            start: position_before(earlier, e.start, Side::Start),
            end: position_before(earlier, e.end, Side::End),
            edit: e,
        }))
        .collect();
    spans.sort_by_key(|s| (s.start, s.end));
    let rounds = Rounds {
        input,
        earlier,
        later,
        output: &output,
    };
    let mut composed = Vec::new();
    let mut group: Vec<Span> = Vec::new();
    for span in spans {
        if group.last().is_some_and(|_| span.start > group_end(&group)) {
            composed.extend(rounds.merge(std::mem::take(&mut group)));
        }
        group.push(span);
    }
    if !group.is_empty() {
        composed.extend(rounds.merge(group));
    }
    composed
}

/// One edit of either round, placed in the first round's input.
struct Span<'a> {
    start: usize,
    end: usize,
    edit: &'a Edit,
}

fn group_end(group: &[Span]) -> usize {
    group.iter().map(|s| s.end).max().unwrap_or(0)
}

/// Both rounds' edits and the texts they go between.
struct Rounds<'a> {
    input: &'a str,
    earlier: &'a [Edit],
    later: &'a [Edit],
    output: &'a str,
}

impl Rounds<'_> {
    /// The edits of a group that touch one another: edits of one round alone keep their rules and
    /// reasons; edits of both rounds become one edit from the group's span of the input to what it
    /// became.
    fn merge(&self, group: Vec<Span>) -> Vec<Edit> {
        let is_later = |span: &Span| self.later.iter().any(|l| std::ptr::eq(l, span.edit));
        let later = group.iter().filter(|s| is_later(s)).count();
        if later == 0 || later == group.len() {
            return group
                .into_iter()
                .map(|s| Edit {
                    start: s.start,
                    end: s.end,
                    before: self.input[s.start..s.end].to_string(),
                    ..s.edit.clone()
                })
                .collect();
        }
        let start = group.iter().map(|s| s.start).min().unwrap_or(0);
        let end = group_end(&group);
        let between = (
            position_after(self.earlier, start, Side::Start),
            position_after(self.earlier, end, Side::End),
        );
        let out_start = position_after(self.later, between.0, Side::Start);
        let out_end = position_after(self.later, between.1, Side::End);
        let last_later = group.iter().rev().find(|s| is_later(s)).map(|s| s.edit);
        let named = last_later.unwrap_or(group[0].edit);
        // In the order the rounds made them.
        let (later_reasons, earlier_reasons): (Vec<&Span>, Vec<&Span>) =
            group.iter().partition(|s| is_later(s));
        let reasons: Vec<&str> = earlier_reasons
            .into_iter()
            .chain(later_reasons)
            .map(|s| s.edit.reason.as_str())
            .collect();
        vec![Edit {
            stage: named.stage,
            rule: named.rule.clone(),
            start,
            end,
            before: self.input[start..end].to_string(),
            after: self.output[out_start..out_end].to_string(),
            reason: reasons.join("; then "),
        }]
    }
}

/// Which end of a span a position is: a start is placed before the edits that begin there, an end
/// after those that end there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Start,
    End,
}

/// `edits` applied to `text`.
fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for edit in edits {
        out.push_str(&text[cursor..edit.start]);
        out.push_str(&edit.after);
        cursor = edit.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// Where `position` of a text lands once `edits` are made; a position inside an edit goes to the
/// start or the end of its replacement.
fn position_after(edits: &[Edit], position: usize, side: Side) -> usize {
    let mut delta = 0isize;
    for edit in edits {
        let before_position = edit.end < position
            || (edit.end == position && (side == Side::End || edit.start < position));
        if before_position {
            delta += growth(edit);
            continue;
        }
        if edit.start < position {
            let start = edit.start.saturating_add_signed(delta);
            return match side {
                Side::Start => start,
                Side::End => start + edit.after.len(),
            };
        }
        break;
    }
    position.saturating_add_signed(delta)
}

/// Where `position` of the text `edits` made was in their input; a position inside a replacement
/// (or at a removal) goes to the start or the end of the replaced range.
fn position_before(edits: &[Edit], position: usize, side: Side) -> usize {
    let mut delta = 0isize;
    for edit in edits {
        let start = edit.start.saturating_add_signed(delta);
        let end = start + edit.after.len();
        if end < position || (end == position && start < end) {
            delta += growth(edit);
            continue;
        }
        if start < position || (start == end && start == position) {
            return match side {
                Side::Start => edit.start,
                Side::End => edit.end,
            };
        }
        break;
    }
    position.saturating_add_signed(-delta)
}

fn growth(edit: &Edit) -> isize {
    edit.after.len() as isize - (edit.end - edit.start) as isize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use crate::rules::RuleSet;
    use crate::types::StageName;
    use crate::{Pipeline, Profile};

    fn edit(start: usize, end: usize, before: &str, after: &str, rule: &str) -> Edit {
        Edit {
            stage: StageName::Mojibake,
            rule: rule.into(),
            start,
            end,
            before: before.into(),
            after: after.into(),
            reason: rule.into(),
        }
    }

    fn replayed(input: &str, edits: Vec<Edit>) -> String {
        let report = Report {
            edits,
            ..Report::default()
        };
        report.replay(StageName::Mojibake, input).unwrap()
    }

    #[test]
    fn edits_of_two_rounds_that_touch_become_one() {
        let input = "ab-XYZ-cd";
        let earlier = vec![edit(3, 4, "X", "xx", "first")];
        // Between the rounds the text is `ab-xxYZ-cd`; the later round rewrites `xxY` and `cd`.
        let later = vec![
            edit(3, 6, "xxY", "Q", "second"),
            edit(8, 10, "cd", "", "third"),
        ];
        let composed = compose(input, &earlier, &later);
        assert_eq!(replayed(input, composed.clone()), "ab-QZ-");
        assert_eq!(composed.len(), 2);
        assert_eq!((composed[0].start, composed[0].end), (3, 5));
        assert_eq!(composed[0].rule, "second");
        assert_eq!(composed[0].reason, "first; then second");
        assert_eq!((composed[1].rule.as_str(), composed[1].start), ("third", 7));
    }

    #[test]
    fn edits_of_two_rounds_apart_keep_their_rules() {
        let input = "一二三四五";
        let earlier = vec![
            edit(0, 3, "一", "", "first"),
            edit(12, 15, "五", "伍", "first"),
        ];
        let later = vec![
            edit(3, 6, "三", "叁", "second"),
            edit(6, 6, "", "!", "second"),
        ];
        let composed = compose(input, &earlier, &later);
        assert_eq!(replayed(input, composed.clone()), "二叁!四伍");
        let rules: Vec<(&str, usize)> = composed
            .iter()
            .map(|e| (e.rule.as_str(), e.start))
            .collect();
        assert_eq!(
            rules,
            [("first", 0), ("second", 6), ("second", 9), ("first", 12)]
        );
    }

    /// A byte slip judged while a code-page fix next to it was still undone: the first repair left
    /// `?!段⑸淘撨@` (UTF-8 read as GBK) for a second repair to fix (shrunk by tests/properties.rs).
    #[test]
    fn a_repair_settles_in_one_run() {
        let rules = RuleSet::defaults().unwrap();
        let pipeline = Pipeline::with_profile(&rules, Profile::Repair).unwrap();
        let repair = |text: &str| {
            let doc = crate::Document::from_text(text);
            pipeline.run_stages(doc, |_, _| {}).text().to_string()
        };
        let once = repair("話不說了?!段⑸淘撨@Ã©tÃ©");
        assert_eq!(once, "話不說了。《微商該這été");
        assert_eq!(repair(&once), once);
    }
}
