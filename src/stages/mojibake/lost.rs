//! Characters a charset lacked, written as `?` by a lossy encoder (`平臺等?`, `什?銷量`): the page was
//! saved as GB2312 or Big5, and each character outside it became one `?`. Nothing of the character
//! survives, but the mechanism says what it was not: every character the line kept is in the
//! charset, and every lost one is outside it (a traditional character a GB2312 page lost is no
//! simplified one). The gaps are filled jointly by a beam search under the character n-gram model,
//! with a real question mark always among the candidates; a gap is filled only when its best
//! candidate beats every other, the others fixed, by a measured margin.

use std::collections::{HashMap, HashSet};

use super::repertoire::Repertoire;
use crate::text::chars::is_han;
use crate::text::lm::{Context, NgramModel};
use crate::text::opencc;
use crate::text::table::single_char;

/// The script of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lean {
    Simplified,
    Traditional,
}

/// The candidates for a lost character under each hypothesis (charset and script): every Han
/// character the model knows, in the written form that the charset lacks — the simplified form the
/// model scores, or one of its traditional forms (most usual first: OpenCC's `STCharacters`, then
/// the variants `TSCharacters` folds, such as `麽` for `么`).
pub struct Candidates {
    lists: Vec<((Repertoire, Lean), Vec<char>)>,
    /// Each Han character the model knows: its simplified form, then its traditional ones.
    forms: Vec<Vec<char>>,
    /// Characters only one script writes: `这`, `這`, not `台` or `后`, which OpenCC writes in
    /// traditional text too.
    simplified_only: HashSet<char>,
    traditional_only: HashSet<char>,
}

impl Candidates {
    pub fn new(model: &NgramModel, st_table: &str, ts_table: &str) -> Self {
        let forms = written_forms(model, st_table, ts_table);
        let simplified_only = forms
            .iter()
            .filter(|f| f.len() > 1 && !f[1..].contains(&f[0]))
            .map(|f| f[0])
            .collect();
        let traditional_only = ts_table
            .lines()
            .filter_map(|line| {
                let (key, values) = line.split_once('\t')?;
                let mut chars = key.chars();
                let (Some(t), None) = (chars.next(), chars.next()) else {
                    return None;
                };
                (!values.contains(t)).then_some(t)
            })
            .collect();
        let lists = Repertoire::ALL
            .into_iter()
            .flat_map(|r| [(r, Lean::Simplified), (r, Lean::Traditional)])
            .map(|(repertoire, lean)| {
                let lacking = forms
                    .iter()
                    .filter_map(|forms| lacking_form(forms, repertoire, lean))
                    .collect();
                ((repertoire, lean), lacking)
            })
            .collect();
        Candidates {
            lists,
            forms,
            simplified_only,
            traditional_only,
        }
    }

    /// The script a text's script-specific characters lean to, if any and not evenly.
    pub fn lean(&self, text: &str) -> Option<Lean> {
        let (mut trad, mut simp) = (0usize, 0usize);
        for c in text.chars() {
            trad += usize::from(self.traditional_only.contains(&c));
            simp += usize::from(self.simplified_only.contains(&c));
        }
        match trad.cmp(&simp) {
            std::cmp::Ordering::Greater => Some(Lean::Traditional),
            std::cmp::Ordering::Less => Some(Lean::Simplified),
            std::cmp::Ordering::Equal => None,
        }
    }

    pub fn forms(&self) -> &[Vec<char>] {
        &self.forms
    }

    fn outside(&self, repertoire: Repertoire, lean: Lean) -> &[char] {
        self.lists
            .iter()
            .find(|(key, _)| *key == (repertoire, lean))
            .map_or(&[], |(_, list)| list.as_slice())
    }
}

/// For each Han character the model knows: its simplified form first, then its traditional forms.
fn written_forms(model: &NgramModel, st_table: &str, ts_table: &str) -> Vec<Vec<char>> {
    let mut traditional: HashMap<char, Vec<char>> = HashMap::new();
    for (key, values) in opencc::entries(st_table) {
        if let Some(s) = single_char(key) {
            let forms = values.filter_map(|v| v.chars().next());
            traditional.entry(s).or_default().extend(forms);
        }
    }
    for (key, mut values) in opencc::entries(ts_table) {
        let (Some(t), Some(s)) = (
            single_char(key),
            values.next().and_then(|v| v.chars().next()),
        ) else {
            continue;
        };
        let forms = traditional.entry(s).or_default();
        if t != s && !forms.contains(&t) {
            forms.push(t);
        }
    }
    model
        .vocabulary()
        .filter(|&c| is_han(c))
        .map(|s| {
            let mut forms = vec![s];
            forms.extend(traditional.get(&s).into_iter().flatten().copied());
            forms
        })
        .collect()
}

/// The form of a character (simplified first, then traditional ones) that a text leaning to
/// `lean` would write and `repertoire` lacks.
fn lacking_form(forms: &[char], repertoire: Repertoire, lean: Lean) -> Option<char> {
    let lacking = |c: &&char| !repertoire.contains(**c);
    let traditional = &forms[1..];
    match lean {
        Lean::Simplified => forms[..1].iter().find(lacking),
        // A character with no traditional form of its own is written alike in both scripts.
        Lean::Traditional if traditional.is_empty() => forms.iter().find(lacking),
        Lean::Traditional => traditional.iter().find(lacking),
    }
    .copied()
}

/// How the search runs and when it fills.
pub struct Settings {
    pub beam: usize,
    /// Candidates kept per gap, ranked by the characters either side.
    pub per_gap: usize,
    /// The log-probability by which a filling must beat every other candidate for its gap.
    pub min_margin: f64,
}

/// What a search scores with and may spend: the n-gram model ranks and searches, `judge` (the
/// word model) scores whole lines with it when the choices settle and for the margins, `cost` is
/// told how many candidate scorings a step makes and returns false once the document's budget is
/// spent.
pub struct Scoring<'a> {
    pub model: &'a NgramModel,
    pub settings: &'a Settings,
    pub judge: &'a dyn Fn(&str) -> f64,
    pub cost: &'a dyn Fn(usize) -> bool,
}

/// One gap of a line: the byte offset of its `?`, the character the best reading puts there
/// (`None`: a question mark), and by how much it beats the next best.
#[derive(Debug, PartialEq)]
pub struct Gap {
    pub at: usize,
    pub filled: Option<char>,
    pub margin: f64,
}

/// The filling of one line, and the charset the page lacked its characters in.
#[derive(Debug, PartialEq)]
pub struct Filling {
    pub gaps: Vec<Gap>,
    pub repertoire: &'static str,
}

/// A partial reading of a line: the text up to a gap, the characters chosen, its log-probability.
#[derive(Clone)]
struct Reading {
    text: String,
    chosen: Vec<char>,
    score: f64,
}

/// The gaps of a line: `?` with a Han character on at least one side.
pub fn gaps(line: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let han_at = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(|c| is_han(c.1));
    (0..chars.len())
        .filter(|&i| chars[i].1 == '?' && (han_at(i.checked_sub(1)) || han_at(Some(i + 1))))
        .map(|i| chars[i].0)
        .collect()
}

/// Whether the `?` at byte `at` reads as a question mark: its log-probability after the three
/// characters before it, with the character after it given it, is at least `min_logp`.
pub fn reads_as_question_mark(model: &NgramModel, line: &str, at: usize, min_logp: f64) -> bool {
    let left: String = {
        let mut chars: Vec<char> = line[..at].chars().rev().take(3).collect();
        chars.reverse();
        chars.into_iter().collect()
    };
    let right: String = line[at + 1..].chars().take(1).collect();
    let context = if line[..at].chars().count() <= 3 {
        Context::line(&left)
    } else {
        Context::open(&left)
    };
    let end = if right.is_empty() {
        Context::line("")
    } else {
        Context::open("")
    };
    let fill = format!("?{right}");
    model.fill_scores(&context, &[fill.as_str()], &end)[0] >= min_logp
}

/// Fill the gaps of `line` under each charset whose repertoire holds every character the line
/// kept (and in the script the line leans to, or each script); the hypothesis under which the
/// best reading scores highest wins.
pub fn fill(line: &str, candidates: &Candidates, scoring: &Scoring) -> Option<Filling> {
    let gaps = gaps(line);
    if gaps.is_empty() {
        return None;
    }
    // A line that kept no character of either script lost those of its own: the traditional ones
    // in a GB2312 page, the simplified ones in a Big5 page.
    let lean = candidates.lean(line);
    let hypotheses = Repertoire::ALL
        .into_iter()
        .filter(|r| line.chars().all(|c| r.contains(c)))
        .map(|r| (r, lean.unwrap_or(r.script())));
    let mut best: Option<(f64, Filling)> = None;
    for (repertoire, lean) in hypotheses {
        let lacking = candidates.outside(repertoire, lean);
        let Some((score, gaps)) = search(line, &gaps, lacking, scoring) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| score > b.0) {
            let repertoire = repertoire.name();
            best = Some((score, Filling { gaps, repertoire }));
        }
    }
    best.map(|b| b.1)
}

/// The best joint filling of `gaps` from `lacking` (or `?` itself) and each gap's margin: how
/// much better the line reads with its choice than with the next best, the others fixed.
fn search(
    line: &str,
    gaps: &[usize],
    lacking: &[char],
    scoring: &Scoring,
) -> Option<(f64, Vec<Gap>)> {
    let Scoring {
        model,
        settings,
        cost,
        ..
    } = scoring;
    let segments = segments(line, gaps);
    let mut beam = vec![Reading {
        text: segments[0].to_string(),
        chosen: Vec::new(),
        score: 0.0,
    }];
    let options: Vec<String> = lacking
        .iter()
        .map(char::to_string)
        .chain(["?".to_string()])
        .collect();
    for (i, segment) in segments[1..].iter().enumerate() {
        let last = i + 2 == segments.len();
        let mut next = Vec::new();
        for reading in &beam {
            if !cost(options.len()) {
                return None;
            }
            let shortlist = shortlist(model, &reading.text, &options, segment, settings.per_gap);
            let fills: Vec<String> = shortlist.iter().map(|o| format!("{o}{segment}")).collect();
            let fills: Vec<&str> = fills.iter().map(String::as_str).collect();
            let left = Context::line(&reading.text);
            let right = if last {
                Context::line("")
            } else {
                Context::open("")
            };
            for (option, gain) in shortlist
                .iter()
                .zip(model.fill_scores(&left, &fills, &right))
            {
                let mut chosen = reading.chosen.clone();
                chosen.push(option.chars().next().unwrap_or('?'));
                next.push(Reading {
                    text: format!("{}{option}{segment}", reading.text),
                    chosen,
                    score: reading.score + gain,
                });
            }
        }
        next.sort_by(|a, b| b.score.total_cmp(&a.score));
        next.truncate(settings.beam);
        beam = next;
    }
    let best = beam.into_iter().next()?;
    let mut chosen = best.chosen;
    let margins = settle_choices(&segments, &mut chosen, lacking, scoring, &|_| true)?;
    let gaps = gaps
        .iter()
        .zip(&chosen)
        .zip(margins)
        .map(|((&at, &c), margin)| Gap {
            at,
            filled: (c != '?').then_some(c),
            margin,
        })
        .collect();
    Some((best.score, gaps))
}

/// The text between gaps: `segments[0]` before the first, `segments[i]` after gap `i - 1`.
fn segments<'a>(line: &'a str, gaps: &[usize]) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(gaps.len() + 1);
    let mut from = 0;
    for &at in gaps {
        out.push(&line[from..at]);
        from = at + 1;
    }
    out.push(&line[from..]);
    out
}

/// The `keep` options that read best between `left` and the start of `right`.
fn shortlist(
    model: &NgramModel,
    left: &str,
    options: &[String],
    right: &str,
    keep: usize,
) -> Vec<String> {
    let right: String = right.chars().take_while(|&c| c != '?').take(2).collect();
    let fills: Vec<String> = options.iter().map(|o| format!("{o}{right}")).collect();
    let fills: Vec<&str> = fills.iter().map(String::as_str).collect();
    let scores = model.fill_scores(&Context::line(left), &fills, &Context::open(""));
    let mut ranked: Vec<(f64, &String)> = scores.into_iter().zip(options).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<String> = ranked.iter().take(keep).map(|r| r.1.clone()).collect();
    // A real question mark always stays in the running.
    if !out.iter().any(|o| o == "?") {
        out.push("?".to_string());
    }
    out
}

/// Passes of [`settle_choices`] that may move a choice; one more only measures the margins.
const SETTLE_PASSES: usize = 3;

/// Settles the choices of a line's filled places (`segments` between them) on the whole line's
/// score (`judge` and the n-gram model's line score, both sides' context), one place at a time,
/// the others fixed: each takes the best of its candidates — the `per_gap` options the n-gram
/// model ranks best there, a question mark and its current choice — among those whose line `fits`
/// the damage, until none moves. Returns each place's margin: how much the whole line loses when
/// that place alone takes its best rival (infinite when no rival fits); `None` once the budget is
/// spent.
pub fn settle_choices(
    segments: &[&str],
    chosen: &mut [char],
    options: &[char],
    scoring: &Scoring,
    fits: &dyn Fn(&str) -> bool,
) -> Option<Vec<f64>> {
    let mut margins = vec![f64::INFINITY; chosen.len()];
    for pass in 0..=SETTLE_PASSES {
        let mut moved = false;
        for g in 0..chosen.len() {
            let before = interleave(&segments[..=g], &chosen[..g]);
            let after = interleave(&segments[g + 1..], &chosen[g + 1..]);
            let ranked = rank_place(&before, chosen[g], &after, options, scoring, fits)?;
            let (best, best_score) = ranked[0];
            let rival = ranked.get(1).map_or(f64::NEG_INFINITY, |r| r.1);
            if pass < SETTLE_PASSES && best != chosen[g] {
                chosen[g] = best;
                moved = true;
            }
            margins[g] = if best == chosen[g] {
                best_score - rival
            } else {
                // Measuring only: the choice stays, and loses to the best.
                ranked
                    .iter()
                    .find(|r| r.0 == chosen[g])
                    .map_or(0.0, |r| r.1)
                    - best_score
            };
        }
        if !moved {
            break;
        }
    }
    Some(margins)
}

/// The candidates of one place that fit, best first, each with the whole line's score: `chosen`,
/// the `per_gap` options the n-gram model ranks best between `before` and `after`, and `?`.
fn rank_place(
    before: &str,
    chosen: char,
    after: &str,
    options: &[char],
    scoring: &Scoring,
    fits: &dyn Fn(&str) -> bool,
) -> Option<Vec<(char, f64)>> {
    let Scoring {
        model,
        settings,
        judge,
        cost,
    } = scoring;
    if !cost(options.len()) {
        return None;
    }
    let line_score = |text: &str| judge(text) + model.score_line(text);
    let fills: Vec<String> = options.iter().map(char::to_string).collect();
    let fills: Vec<&str> = fills.iter().map(String::as_str).collect();
    let scores = model.fill_scores(&Context::line(before), &fills, &Context::line(after));
    let mut shortlist: Vec<(f64, char)> = scores.into_iter().zip(options.iter().copied()).collect();
    shortlist.sort_by(|a, b| b.0.total_cmp(&a.0));
    let rivals = shortlist
        .iter()
        .map(|&(_, c)| c)
        .filter(|&c| c != chosen && c != '?')
        .map(|c| (c, format!("{before}{c}{after}")))
        .filter(|(_, text)| fits(text))
        .take(settings.per_gap);
    let question_mark = (chosen != '?')
        .then(|| ('?', format!("{before}?{after}")))
        .filter(|(_, text)| fits(text));
    let mut ranked: Vec<(char, f64)> = [(chosen, format!("{before}{chosen}{after}"))]
        .into_iter()
        .chain(rivals)
        .chain(question_mark)
        .map(|(c, text)| (c, line_score(&text)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    Some(ranked)
}

/// The segments with the gaps between them filled by `chosen` (as far as it goes).
pub fn interleave(segments: &[&str], chosen: &[char]) -> String {
    let mut text = segments[0].to_string();
    for (c, segment) in chosen.iter().zip(&segments[1..]) {
        text.push(*c);
        text.push_str(segment);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_question_marks_beside_han_characters() {
        let line = "平臺等??傊?,你得 a?b";
        let at: Vec<usize> = gaps(line);
        assert_eq!(at.len(), 3);
        assert!(at.iter().all(|&i| &line[i..i + 1] == "?"));
    }
}
