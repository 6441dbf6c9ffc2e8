//! Byte-level damage to a legacy double-byte stream (GB18030, Big5): one byte lost, one inserted, a
//! lead byte turned into `?`, a full-width pair replaced by its ASCII form, an annotation `(pīn)`
//! written into the bytes. The decoder then runs out of phase until an ASCII byte re-synchronises
//! it, so the damage is a short run of wrong characters. Each hypothesis is a byte edit of the run
//! re-encoded; the language model picks among the decodings.

use crate::stages::mojibake::codec::{Bytes, Charset, UNKNOWN, decode, encode, resolve_unknowns};

/// The byte operations a rule may enable, by their names in the rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    LostByte,
    InsertedByte,
    QmarkLead,
    FullwidthAscii,
    InsertedAnnotation,
}

impl Op {
    pub fn parse(name: &str) -> Result<Op, String> {
        Ok(match name {
            "lost-byte" => Op::LostByte,
            "inserted-byte" => Op::InsertedByte,
            "qmark-lead" => Op::QmarkLead,
            "fullwidth-ascii" => Op::FullwidthAscii,
            "inserted-annotation" => Op::InsertedAnnotation,
            other => {
                return Err(format!(
                    "unknown op `{other}` (lost-byte, inserted-byte, qmark-lead, fullwidth-ascii, inserted-annotation)"
                ));
            }
        })
    }

    fn describe(self) -> &'static str {
        match self {
            Op::LostByte => "a lost byte restored",
            Op::InsertedByte => "an inserted byte removed",
            Op::QmarkLead => "a lead byte turned `?` restored",
            Op::FullwidthAscii => "a full-width byte pair folded to ASCII restored",
            Op::InsertedAnnotation => "an annotation written into the bytes removed",
        }
    }
}

/// The best repair of `run` (between `left` and `right` context) that reads clean, and its gain in
/// log-probability (by [`Judge::fitness`], which the thresholds are measured in).
pub struct Repair {
    pub text: String,
    pub gain: f64,
    pub what: &'static str,
}

/// What the search asks of the stage.
pub struct Judge<'a> {
    /// How much a text reads like Chinese (the full model): higher is better.
    pub fitness: &'a dyn Fn(&str) -> f64,
    /// What the search adds to the fitness to choose among repairs (the character 4-gram model,
    /// weighted), not counted in a repair's gain: the gains the thresholds were measured with stay
    /// what they were.
    pub rank: &'a dyn Fn(&str) -> f64,
    /// A cheap score of a few characters (the character bigram model), to rank the values of an
    /// unknown byte before the full model scores the best few.
    pub quick: &'a dyn Fn(&str) -> f64,
    /// Whether a repaired run reads clean: a repair that leaves a garbled character is refused.
    pub clean: &'a dyn Fn(&str) -> bool,
    /// The least gain over the run any repair needs.
    pub min_gain: f64,
}

/// How many values of an unknown byte, ranked by [`Judge::quick`], the full model scores before a
/// hypothesis is given up.
const SHORTLIST: usize = 8;

pub fn best_repair(
    run: &str,
    left: &str,
    right: &str,
    charset: Charset,
    ops: &[Op],
    judge: &Judge,
) -> Option<Repair> {
    let fitness = judge.fitness;
    let ranked = |t: &str| fitness(t) + (judge.rank)(t);
    // U+FFFD costs the model a lot, so any guess would gain by replacing it: compare with the run
    // where it is simply dropped, so a guess must be better than nothing.
    let original = fitness(&join(left, &run.replace('\u{FFFD}', ""), right));
    let letters = ascii_letters(run);
    let mut best: Option<(f64, Repair)> = None;
    // The page may have been width-folded after decoding: try the run as it is, with its ASCII
    // punctuation unfolded, and unfolded except `?` (which may stand for a lost byte instead).
    let mut variants = vec![run.to_string()];
    for keep in [None, Some('?')] {
        let unfolded = unfold_punctuation(run, keep);
        if !variants.contains(&unfolded) {
            variants.push(unfolded);
        }
    }
    for variant in &variants {
        let Some(base) = encode(variant, charset) else {
            continue;
        };
        let Some(boundaries) = char_boundaries(variant, charset) else {
            continue;
        };
        for op in ops {
            for mut hypothesis in hypotheses(&base, &boundaries, variant, *op) {
                let folded = variant != run;
                let context = Context {
                    left,
                    right,
                    original,
                    letters,
                    folded,
                };
                if has_adjacent_unknowns(&hypothesis)
                    || base.unknown.is_empty()
                        && !worth_filling(&hypothesis, charset, &context, judge)
                {
                    continue;
                }
                resolve_unknowns(&mut hypothesis, charset, &ranked, left, right);
                let mut text = decode(&hypothesis.bytes, charset);
                if folded {
                    text = fold_punctuation(&text);
                }
                // A slip repair removes stray bytes; it never invents ASCII letters, and it leaves
                // no garbled character.
                if text == run
                    || text.contains('\u{FFFD}')
                    || ascii_letters(&text) > letters
                    || !(judge.clean)(&text)
                {
                    continue;
                }
                let joined = join(left, &text, right);
                let gain = fitness(&joined) - original;
                let rank = gain + (judge.rank)(&joined);
                if best.as_ref().is_none_or(|b| rank > b.0) {
                    let what = op.describe();
                    best = Some((rank, Repair { text, gain, what }));
                }
            }
        }
    }
    best.map(|(_, repair)| repair)
}

/// What a hypothesis of a run is judged against.
struct Context<'a> {
    left: &'a str,
    right: &'a str,
    /// The fitness of the run as it is, with its context.
    original: f64,
    /// The ASCII letters of the run: a repair never has more.
    letters: usize,
    /// Whether the hypothesis is of the run with its punctuation unfolded (so decodings fold back).
    folded: bool,
}

/// Whether filling the one unknown byte of a hypothesis (put at a character boundary of text that
/// had none) can give a repair, checked before the 127 full scorings that fill it. The byte starts a
/// character with the byte after it; the text before and after that character does not depend on the
/// value. So:
/// - when either part holds a garbled character (which the whole then holds too) or too many ASCII
///   letters, the repair would be refused whatever the value;
/// - otherwise the values are ranked by the cheap model on the character and its neighbours and the
///   best few scored fully: when none gains the least gain a repair needs, the hypothesis is given up
///   (a value the character bigrams rank that low does not make the run read well).
fn worth_filling(hypothesis: &Bytes, charset: Charset, context: &Context, judge: &Judge) -> bool {
    let [at] = hypothesis.unknown[..] else {
        return true;
    };
    let bytes = &hypothesis.bytes;
    let trail = match bytes.get(at + 1) {
        Some(&b @ (0x40..=0x7E | 0x80..=0xFE)) => b,
        // A four-byte GB18030 sequence: the parts are not so simple; leave it to the search.
        Some(b'0'..=b'9') => return true,
        // No trail byte can follow: every value decodes to U+FFFD.
        _ => return false,
    };
    let form = |text: String| {
        if context.folded {
            fold_punctuation(&text)
        } else {
            text
        }
    };
    let before = decode(&bytes[..at], charset);
    let after = decode(&bytes[at + 2..], charset);
    let (folded_before, folded_after) = (form(before.clone()), form(after.clone()));
    if ascii_letters(&folded_before) + ascii_letters(&folded_after) > context.letters
        || !(judge.clean)(&folded_before)
        || !(judge.clean)(&folded_after)
    {
        return false;
    }
    let prev = before
        .chars()
        .last()
        .or_else(|| context.left.chars().last());
    let next = after
        .chars()
        .next()
        .or_else(|| context.right.chars().next());
    let mut ranked: Vec<(f64, String)> = (0x80..=0xFE_u8)
        .filter_map(|value| {
            let c = decode(&[value, trail], charset);
            let neighbourhood: String = prev.into_iter().chain(c.chars()).chain(next).collect();
            (!c.contains('\u{FFFD}')).then(|| ((judge.quick)(&neighbourhood), c))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.iter().take(SHORTLIST).any(|(_, c)| {
        let text = form(join(&before, c, &after));
        (judge.fitness)(&join(context.left, &text, context.right)) - context.original
            >= judge.min_gain
    })
}

fn ascii_letters(text: &str) -> usize {
    text.chars().filter(char::is_ascii_alphabetic).count()
}

/// Back to the width-folded form the page had: full-width ASCII punctuation below `@` to ASCII.
fn fold_punctuation(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '！'..='／' | '：'..='？' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// Two unknown bytes side by side would be a whole character guessed: not a byte repair.
fn has_adjacent_unknowns(bytes: &Bytes) -> bool {
    bytes.unknown.windows(2).any(|w| w[1] == w[0] + 1)
}

/// The run with ASCII punctuation below `@` (but `keep`) in its full-width form: pages are often width-folded
/// after decoding, so a `?` or `;` in a garbled run may have been a full-width pair (A3 xx) whose
/// bytes belong to the stream.
fn unfold_punctuation(run: &str, keep: Option<char>) -> String {
    run.chars()
        .map(|c| match c {
            _ if Some(c) == keep => c,
            '!'..='/' | ':'..='?' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect()
}

fn join(left: &str, middle: &str, right: &str) -> String {
    let mut s = String::with_capacity(left.len() + middle.len() + right.len());
    s.push_str(left);
    s.push_str(middle);
    s.push_str(right);
    s
}

/// Byte offsets where each character of `run` starts in its encoding.
fn char_boundaries(run: &str, charset: Charset) -> Option<Vec<usize>> {
    let mut at = 0;
    let mut out = Vec::new();
    let mut buf = [0u8; 4];
    for c in run.chars() {
        out.push(at);
        at += if c == '\u{FFFD}' {
            1
        } else {
            encode(c.encode_utf8(&mut buf), charset)?.bytes.len()
        };
    }
    out.push(at);
    Some(out)
}

fn hypotheses(base: &Bytes, boundaries: &[usize], run: &str, op: Op) -> Vec<Bytes> {
    let bytes = &base.bytes;
    match op {
        Op::LostByte => boundaries
            .iter()
            .map(|&at| edit(base, at..at, &[UNKNOWN], &[0]))
            .collect(),
        Op::InsertedByte => boundaries
            .iter()
            .filter(|&&at| at < bytes.len() && !base.unknown.contains(&at))
            .map(|&at| edit(base, at..at + 1, &[], &[]))
            .collect(),
        Op::QmarkLead => positions(bytes, |b| b == b'?')
            .into_iter()
            .map(|at| edit(base, at..at + 1, &[UNKNOWN], &[0]))
            .collect(),
        Op::FullwidthAscii => positions(bytes, |b| (0x21..=0x7E).contains(&b))
            .into_iter()
            .map(|at| edit(base, at..at + 1, &[0xA3, bytes[at] | 0x80], &[]))
            .collect(),
        Op::InsertedAnnotation => annotations(run)
            .into_iter()
            .filter_map(|(start, end)| {
                let lo = *boundaries.get(start)?;
                let hi = *boundaries.get(end)?;
                Some(edit(base, lo..hi, &[UNKNOWN], &[0]))
            })
            .collect(),
    }
}

fn positions(bytes: &[u8], pred: impl Fn(u8) -> bool) -> Vec<usize> {
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| pred(b))
        .map(|(i, _)| i)
        .collect()
}

/// Replace `range` of the bytes with `with`, whose bytes at `unknown_at` are unknown; unknown
/// positions of the base shift with the edit (those inside the range go).
fn edit(base: &Bytes, range: std::ops::Range<usize>, with: &[u8], unknown_at: &[usize]) -> Bytes {
    let mut bytes = Vec::with_capacity(base.bytes.len() + with.len());
    bytes.extend_from_slice(&base.bytes[..range.start]);
    bytes.extend_from_slice(with);
    bytes.extend_from_slice(&base.bytes[range.end..]);
    let shift = |u: usize| u + with.len() - (range.end - range.start);
    let mut unknown: Vec<usize> = base
        .unknown
        .iter()
        .filter(|&&u| u < range.start || u >= range.end)
        .map(|&u| if u >= range.end { shift(u) } else { u })
        .chain(unknown_at.iter().map(|&u| range.start + u))
        .collect();
    unknown.sort_unstable();
    Bytes { bytes, unknown }
}

/// Char ranges of `?pīn)` or `\u{FFFD}(pīn)`: an annotation whose `(` merged with a lone lead byte.
fn annotations(run: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = run.chars().collect();
    let mut out = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if c != '?' && c != '\u{FFFD}' {
            continue;
        }
        let mut j = i + 1;
        if chars.get(j) == Some(&'(') {
            j += 1;
        }
        let letters = chars[j..]
            .iter()
            .take_while(|c| c.is_lowercase() && (c.is_ascii() || is_toned_vowel(**c)))
            .count();
        let end = j + letters;
        let toned = chars[j..end].iter().any(|c| is_toned_vowel(*c));
        if letters > 0 && toned && chars.get(end) == Some(&')') {
            out.push((i, end + 1));
        }
    }
    out
}

fn is_toned_vowel(c: char) -> bool {
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::lm::model;

    const ALL: [Op; 5] = [
        Op::LostByte,
        Op::InsertedByte,
        Op::QmarkLead,
        Op::FullwidthAscii,
        Op::InsertedAnnotation,
    ];

    fn judge() -> Judge<'static> {
        Judge {
            fitness: &|t| model().score(t) + 7.0 * t.chars().count() as f64,
            rank: &|_| 0.0,
            quick: &|t| model().bigram_score(t),
            clean: &|_| true,
            min_gain: 0.0,
        }
    }

    fn repair(run: &str, left: &str, right: &str) -> String {
        best_repair(run, left, right, Charset::Gb18030, &ALL, &judge())
            .map(|r| r.text)
            .unwrap_or_default()
    }

    #[test]
    fn restores_a_lost_lead_byte_of_seed_000() {
        assert_eq!(repair("規;\u{E1E9}筚u", "", "家"), "規模化大賣");
    }

    #[test]
    fn the_rank_term_chooses_a_repair_but_is_not_counted_in_its_gain() {
        let (run, right, repaired) = ("規;\u{E1E9}筚u", "家", "規模化大賣");
        let search = |rank: &dyn Fn(&str) -> f64| {
            let judge = Judge { rank, ..judge() };
            best_repair(run, "", right, Charset::Gb18030, &ALL, &judge)
        };
        let lifted = search(&|_| 1e6).expect("a repair");
        let fitness = judge().fitness;
        let gain = fitness(&join("", repaired, right)) - fitness(&join("", run, right));
        assert_eq!(lifted.text, repaired);
        assert!((lifted.gain - gain).abs() < 1e-9, "{} {gain}", lifted.gain);
        let vetoed = search(&|t| if t.contains(repaired) { -1e6 } else { 0.0 });
        assert_ne!(vetoed.map(|r| r.text).as_deref(), Some(repaired));
    }

    #[test]
    fn removes_an_annotation_written_into_the_bytes() {
        let ops = [Op::InsertedAnnotation];
        let repaired = best_repair(
            "夠?qū)崟r",
            "能",
            "與他們",
            Charset::Gb18030,
            &ops,
            &judge(),
        );
        let text = repaired.map(|r| r.text).unwrap_or_default();
        assert!(text.starts_with('夠') && text.ends_with("時"), "{text}");
        assert_eq!(text.chars().count(), 3);
    }

    #[test]
    fn a_lost_byte_is_worth_filling_only_where_a_trail_byte_follows() {
        let base = encode("微I銷", Charset::Gb18030).expect("encodable");
        let context = Context {
            left: "",
            right: "",
            original: f64::NEG_INFINITY,
            letters: 1,
            folded: false,
        };
        let at_end = edit(&base, base.bytes.len()..base.bytes.len(), &[UNKNOWN], &[0]);
        assert!(!worth_filling(
            &at_end,
            Charset::Gb18030,
            &context,
            &judge()
        ));
        let before_the_letter = edit(&base, 2..2, &[UNKNOWN], &[0]);
        assert!(worth_filling(
            &before_the_letter,
            Charset::Gb18030,
            &context,
            &judge()
        ));
    }

    #[test]
    fn finds_annotations() {
        assert_eq!(annotations("夠?qū)崟"), vec![(1, 5)]);
        assert!(annotations("嗎?是的)").is_empty());
    }
}
