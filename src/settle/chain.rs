//! The pipeline settled: once every stage has run, a repairing stage (`mojibake`, `pinyin`,
//! `script`) whose output a later stage changed runs again on the final text, since its judgement
//! depends on context that the later stage changed (`boilerplate` removed a traditional line that
//! `script` counted; `script` converted a character beside a run that `mojibake` judged). What the
//! later round edits is folded back into the stage's own edits, so the report still holds one set
//! of edits per stage against that stage's input, and the stages after it are reported on the
//! input they would have had. Stages that remove text (`markup`, `spam`, `boilerplate`, `dedup`)
//! never run again: a later round of one could take what the first left standing next to a
//! removal (do no harm before idempotence).

use crate::document::Document;
use crate::report::{Edit, Flag};
use crate::stages::Stage;

use super::{MAX_ROUNDS, Side, apply, compose, growth, new_flags, position_after, position_before};

/// One text stage of a document's run and the text it is reported to have run on.
pub(crate) struct Link<'a> {
    pub(crate) stage: &'a dyn Stage,
    pub(crate) input: String,
}

/// Run each repairing stage of `chain` (the text stages that ran on `doc`, in order, with their
/// inputs) again on `doc`'s text while a later stage has changed its output, for at most
/// [`MAX_ROUNDS`] rounds and while `in_budget`; fold what it edits into its own edits. Returns,
/// per stage of the chain, whether its reported input changed.
pub(crate) fn settle_chain(
    chain: &mut [Link],
    doc: &mut Document,
    in_budget: impl Fn() -> bool,
) -> Vec<bool> {
    let mut changed = vec![false; chain.len()];
    // The text each repairing stage last ran on or made: it has nothing more to do while that is
    // the document's text.
    let mut seen: Vec<Option<String>> = (0..chain.len())
        .map(|k| {
            let output = chain.get(k + 1).map_or(&doc.text, |next| &next.input);
            chain[k].stage.name().repairs_only().then(|| output.clone())
        })
        .collect();
    for _ in 0..MAX_ROUNDS {
        let mut folded = false;
        for k in 0..chain.len() {
            if seen[k].as_ref().is_none_or(|text| *text == doc.text) {
                continue;
            }
            if !in_budget() {
                return changed;
            }
            let first_edit = doc.report.edits.len();
            let first_flag = doc.report.flags.len();
            super::run_settled(chain[k].stage, doc, &in_budget);
            let edits = doc.report.edits.split_off(first_edit);
            let flags = doc.report.flags.split_off(first_flag);
            seen[k] = Some(doc.text.clone());
            if edits.is_empty() {
                continue;
            }
            fold(chain, k, doc, edits, flags);
            changed[k + 1..].fill(true);
            folded = true;
        }
        if !folded {
            break;
        }
    }
    changed
}

/// Fold `edits` and `flags`, made by stage `k` of `chain` on the document's final text, into that
/// stage's edits: carried back through each later stage ([`carry_back`]), composed with the
/// stage's own edits, and the later stages' edits and flags moved onto their new inputs.
fn fold(chain: &mut [Link], k: usize, doc: &mut Document, edits: Vec<Edit>, flags: Vec<Flag>) {
    let stage = chain[k].stage.name();
    let mut own: Vec<Vec<Edit>> = chain
        .iter()
        .map(|link| {
            let name = link.stage.name();
            doc.report
                .edits
                .iter()
                .filter(|e| e.stage == name)
                .cloned()
                .collect()
        })
        .collect();
    let mut moved = edits;
    let mut flags = flags;
    // Per later stage: the folded edits as they fall in its old input.
    let mut carried: Vec<Vec<Edit>> = vec![Vec::new(); chain.len()];
    for s in (k + 1..chain.len()).rev() {
        for flag in &mut flags {
            flag.position = flag
                .position
                .map(|p| position_before(&own[s], p, Side::Start));
        }
        let (theirs, kept) = carry_back(&chain[s].input, &own[s], &moved);
        own[s] = kept;
        carried[s] = theirs;
        moved.clone_from(&carried[s]);
    }
    let raised: Vec<Flag> = doc
        .report
        .flags
        .iter()
        .filter(|f| f.stage == stage)
        .cloned()
        .collect();
    let new = new_flags(&raised, flags, &own[k]);
    own[k] = compose(&chain[k].input, &own[k], &moved);
    for s in k + 1..chain.len() {
        chain[s].input = apply(&chain[s - 1].input, &own[s - 1]);
    }
    for flag in &mut doc.report.flags {
        if let Some(s) = chain.iter().position(|l| l.stage.name() == flag.stage)
            && s > k
        {
            flag.position = flag
                .position
                .map(|p| position_after(&carried[s], p, Side::Start));
        }
    }
    doc.report.flags.extend(new);
    let names: Vec<_> = chain.iter().map(|l| l.stage.name()).collect();
    doc.report.edits.retain(|e| !names.contains(&e.stage));
    doc.report.edits.extend(own.into_iter().flatten());
}

/// `later` (edits of the text that `earlier` made of `input`) carried back before `earlier`: the
/// edits of `input` that make what `later` makes, and `earlier`'s other edits moved onto the text
/// those make, so that both sets applied in turn still give `later`'s output. An edit of `later`
/// that overlaps edits of `earlier` is merged with them into one carried edit, named by the later
/// rule with every reason (it rewrote what they made); edits that only touch stay apart.
fn carry_back(input: &str, earlier: &[Edit], later: &[Edit]) -> (Vec<Edit>, Vec<Edit>) {
    let between = apply(input, earlier);
    // Where each earlier edit's replacement is in `between`.
    let mut made = Vec::with_capacity(earlier.len());
    let mut delta = 0isize;
    for edit in earlier {
        let start = edit.start.saturating_add_signed(delta);
        made.push(start..start + edit.after.len());
        delta += growth(edit);
    }
    let (mut carried, mut kept) = (Vec::new(), Vec::new());
    // Growth of the earlier edits passed (maps `between` to `input`), and of the carried edits
    // made (maps `input` to the text they make).
    let (mut earlier_growth, mut carried_growth) = (0isize, 0isize);
    let (mut e, mut l) = (0, 0);
    while e < earlier.len() || l < later.len() {
        // An earlier replacement that ends where a later edit starts comes first.
        let earlier_first = match (made.get(e), later.get(l)) {
            (Some(m), Some(next)) => m.end <= next.start,
            (Some(_), None) => true,
            _ => false,
        };
        let later_first = !earlier_first
            && match (made.get(e), later.get(l)) {
                (Some(m), Some(next)) => next.end <= m.start,
                _ => true,
            };
        if earlier_first {
            kept.push(Edit {
                start: earlier[e].start.saturating_add_signed(carried_growth),
                end: earlier[e].end.saturating_add_signed(carried_growth),
                ..earlier[e].clone()
            });
            earlier_growth += growth(&earlier[e]);
            e += 1;
            continue;
        }
        if later_first {
            let edit = &later[l];
            let start = edit.start.saturating_add_signed(-earlier_growth);
            let end = edit.end.saturating_add_signed(-earlier_growth);
            carried.push(Edit {
                start,
                end,
                before: input[start..end].to_string(),
                ..edit.clone()
            });
            carried_growth += growth(edit);
            l += 1;
            continue;
        }
        // Overlapping edits of both: the group of every edit that overlaps it in `between`.
        let group_start = made[e].start.min(later[l].start);
        let mut group_end = made[e].end.max(later[l].end);
        let (first_e, first_l) = (e, l);
        loop {
            if made
                .get(e)
                .is_some_and(|m| m.start < group_end || e == first_e)
            {
                group_end = group_end.max(made[e].end);
                e += 1;
            } else if later
                .get(l)
                .is_some_and(|next| next.start < group_end || l == first_l)
            {
                group_end = group_end.max(later[l].end);
                l += 1;
            } else {
                break;
            }
        }
        let members_growth: isize = earlier[first_e..e].iter().map(growth).sum();
        let start = group_start.saturating_add_signed(-earlier_growth);
        let end = group_end.saturating_add_signed(-earlier_growth - members_growth);
        let relative: Vec<Edit> = later[first_l..l]
            .iter()
            .map(|x| Edit {
                start: x.start - group_start,
                end: x.end - group_start,
                ..x.clone()
            })
            .collect();
        let after = apply(&between[group_start..group_end], &relative);
        let reasons: Vec<&str> = earlier[first_e..e]
            .iter()
            .chain(&later[first_l..l])
            .map(|x| x.reason.as_str())
            .collect();
        let named = &later[l - 1];
        let merged = Edit {
            stage: named.stage,
            rule: named.rule.clone(),
            start,
            end,
            before: input[start..end].to_string(),
            after,
            reason: reasons.join("; then "),
        };
        carried_growth += growth(&merged);
        earlier_growth += members_growth;
        carried.push(merged);
    }
    (carried, kept)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::document::Change;
    use crate::types::StageName;

    fn edit(stage: StageName, start: usize, end: usize, before: &str, after: &str) -> Edit {
        Edit {
            stage,
            rule: stage.as_str().into(),
            start,
            end,
            before: before.into(),
            after: after.into(),
            reason: format!("{before} → {after}"),
        }
    }

    /// `later` carried back before `earlier` gives the same text, in two sets that replay in turn.
    fn carried(input: &str, earlier: &[Edit], later: &[Edit]) -> (Vec<Edit>, Vec<Edit>) {
        let (carried, kept) = carry_back(input, earlier, later);
        let between = apply(input, &carried);
        for (edit, text) in carried
            .iter()
            .map(|e| (e, input))
            .chain(kept.iter().map(|e| (e, &*between)))
        {
            assert_eq!(text[edit.start..edit.end], edit.before, "{edit:?}");
        }
        assert_eq!(apply(&between, &kept), apply(&apply(input, earlier), later));
        (carried, kept)
    }

    /// A stage that counts its runs and changes every `from` to `to`, unless a line is `unless`.
    struct Replace {
        name: StageName,
        from: &'static str,
        to: &'static str,
        unless: &'static str,
        runs: AtomicUsize,
    }

    impl Stage for Replace {
        fn name(&self) -> StageName {
            self.name
        }

        fn run(&self, doc: &mut Document) {
            self.runs.fetch_add(1, Ordering::Relaxed);
            if doc.text.lines().any(|l| l == self.unless) {
                return;
            }
            let changes = doc
                .text
                .match_indices(self.from)
                .map(|(at, _)| Change::replace(at..at + self.from.len(), self.to, "r", "why"))
                .collect();
            doc.apply(self.name, changes);
        }
    }

    fn stage(
        name: StageName,
        from: &'static str,
        to: &'static str,
        unless: &'static str,
    ) -> Replace {
        Replace {
            name,
            from,
            to,
            unless,
            runs: AtomicUsize::new(0),
        }
    }

    /// Only a repairing stage runs again, and only when a later stage changed its output; a stage
    /// that removes text runs once even when a second run would remove more.
    #[test]
    fn only_repairing_stages_run_again_and_the_report_still_replays() {
        use StageName::{Boilerplate, Markup, Script};
        // `script` converts 系 only once the line `轉載` is gone, which `boilerplate` removes;
        // `markup` would then remove the `!` left at a line's start.
        let stages = [
            stage(Markup, "\n!", "\n", "轉載"),
            stage(Script, "系", "係", "轉載"),
            stage(Boilerplate, "轉載\n", "", ""),
        ];
        let mut doc = Document::from_text("關系\n轉載\n!好");
        let mut chain = Vec::new();
        for stage in &stages {
            chain.push(Link {
                stage,
                input: doc.text.clone(),
            });
            stage.run(&mut doc);
        }
        let changed = settle_chain(&mut chain, &mut doc, || true);
        assert_eq!(doc.text, "關係\n!好");
        assert_eq!(changed, [false, false, true]);
        let runs: Vec<usize> = stages
            .iter()
            .map(|s| s.runs.load(Ordering::Relaxed))
            .collect();
        // The script ran a third time to find nothing more.
        assert_eq!(runs, [1, 3, 1]);
        let outputs = chain
            .iter()
            .skip(1)
            .map(|l| l.input.as_str())
            .chain([doc.text.as_str()]);
        for (link, output) in chain.iter().zip(outputs) {
            assert_eq!(
                doc.report.replay(link.stage.name(), &link.input).unwrap(),
                output
            );
        }
        assert_eq!(chain[2].input, "關係\n轉載\n!好");
    }

    /// `script` converted 亚 in `综合在线|亚`; `mojibake` then found the byte slip in `線|亞` that
    /// a second repair took (shrunk by tests/properties.rs): one repair takes it, its edit carried
    /// back over the conversion, and every stage's edits replay.
    #[test]
    fn a_repair_after_a_conversion_is_taken_in_one_run_and_replays() {
        let rules = crate::rules::RuleSet::defaults().unwrap();
        let pipeline = crate::Pipeline::with_profile(&rules, crate::Profile::Repair).unwrap();
        let repair = |text: &str| {
            let mut inputs = Vec::new();
            let done = pipeline.run_stages(Document::from_text(text), |stage, doc| {
                inputs.retain(|(s, _)| *s != stage);
                inputs.push((stage, doc.text.clone()));
            });
            let outputs = inputs.iter().skip(1).map(|(_, t)| t.as_str());
            for ((stage, input), output) in inputs.iter().zip(outputs.chain([done.text()])) {
                assert_eq!(
                    done.report.replay(*stage, input).unwrap(),
                    output,
                    "{stage}"
                );
            }
            done.text
        };
        let once = repair(concat!(
            "秋天的早晨，城市還沒有完全醒來。街角的早餐店已經排起了長隊，店主一邊煎餅一邊和熟",
            "产精品久久久久久Av三级|亚洲日本欧美产综合在线|亚\n      我們的天性里,就是生意歸生",
            "意,朋友歸朋友。阿里的就是生意,騰訊的就是朋友,做微商"
        ));
        assert!(once.contains("綜合在線東亞"), "{once}");
        assert_eq!(repair(&once), once);
    }

    #[test]
    fn a_later_edit_apart_from_the_earlier_ones_moves_before_them() {
        use StageName::{Boilerplate, Mojibake};
        // Boilerplate removed the first line; mojibake then repaired a run of the second.
        let input = "版權所有\nÃ©tÃ©好";
        let earlier = [edit(Boilerplate, 0, 13, "版權所有\n", "")];
        let later = [edit(Mojibake, 0, 9, "Ã©tÃ©", "été")];
        let (carried, kept) = carried(input, &earlier, &later);
        // The repair starts where the removal ended: the two only touch, and stay apart.
        assert_eq!((carried[0].start, carried[0].end), (13, 22));
        assert_eq!(carried[0].stage, Mojibake);
        assert_eq!(kept, earlier);
    }

    #[test]
    fn a_later_edit_over_an_earlier_one_takes_it_in() {
        use StageName::{Mojibake, Script};
        let input = "没有纯第1頁u，關系";
        // Script converted 纯 and 系; mojibake then rewrote the run holding 純.
        let earlier = [
            edit(Script, 6, 9, "纯", "純"),
            edit(Script, 23, 26, "系", "係"),
        ];
        let later = [edit(Mojibake, 6, 17, "純第1頁u", "X")];
        let (carried, kept) = carried(input, &earlier, &later);
        assert_eq!(carried.len(), 1);
        assert_eq!(
            (carried[0].before.as_str(), carried[0].after.as_str()),
            ("纯第1頁u", "X")
        );
        assert_eq!(carried[0].reason, "纯 → 純; then 純第1頁u → X");
        assert_eq!(kept.len(), 1);
        // 系 moves to where it is once the run became X.
        assert_eq!((kept[0].start, kept[0].before.as_str()), (13, "系"));
    }

    #[test]
    fn insertions_and_removals_at_one_place_keep_their_order() {
        use StageName::{Dedup, Script};
        let input = "甲乙丙";
        let earlier = [edit(Dedup, 3, 6, "乙", ""), edit(Dedup, 9, 9, "", "丁")];
        // A comma where 乙 was removed; 丁 (inserted) rewritten.
        let later = [
            edit(Script, 3, 3, "", "，"),
            edit(Script, 6, 9, "丁", "丁！"),
        ];
        let (carried_edits, kept) = carried(input, &earlier, &later);
        assert_eq!(kept, earlier[..1]);
        assert_eq!(carried_edits[1].reason, " → 丁; then 丁 → 丁！");
        let later = [edit(Script, 6, 6, "", "戊")];
        carried(input, &earlier, &later);
    }
}
