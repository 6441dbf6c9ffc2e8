//! UTF-8 text pushed through GBK and back (`平臺�?` for `平臺上`): the UTF-8 bytes were decoded as
//! GBK, each byte that opened no GBK pair became `?` on the way back, and the bytes were read as
//! UTF-8 again. What survives is every character whose bytes all survived; a character that lost a
//! byte shows as U+FFFD and `?`, and the bytes it kept are gone too. Its candidates are still
//! narrowed by the mechanism: the GBK decoder walked the UTF-8 stream in pairs, so which byte was
//! lost, and where, depends on the character and its neighbours.
//!
//! The repair is a search over original texts whose round trip gives back the line exactly: a beam
//! walks the line character by character, a surviving character is taken as it is, and at a
//! damaged place every candidate the forward transform agrees with is scored by the character
//! n-gram model. Each filled character gets a margin (how much the whole line loses when it alone
//! takes the next best candidate the bytes allow) and is written only above a measured margin.
//!
//! encoding_rs decodes GBK as a browser does; the round trip here is that of Python's `gbk` codec
//! (the data's decoders, and the usual tools'): a lead byte without a valid trail is rejected
//! alone and decoding goes on at the next byte, and the user-defined rows are no characters.

use std::collections::BTreeMap;

use encoding_rs::GBK;

use super::lost::{Lean, Scoring, interleave, settle_choices};
use crate::text::lm::{Context, NgramModel};

/// Readings the n-gram model shortlists, per reading of the beam, for the word model to rank.
const SHORTLIST_PER_READING: usize = 4;

/// The byte a rejected GBK byte became on the way back.
const LOST: u8 = b'?';

/// Which GBK pairs Python's `gbk` codec decodes.
pub struct GbkPairs {
    valid: Vec<bool>,
}

impl GbkPairs {
    pub fn new() -> Self {
        let mut valid = vec![false; 256 * 256];
        for lead in 0x81..=0xFEu8 {
            for trail in (0x40..=0xFEu8).filter(|&t| t != 0x7F) {
                let pair = [lead, trail];
                let (text, had_errors) = GBK.decode_without_bom_handling(&pair);
                let mut chars = text.chars();
                let one =
                    matches!((chars.next(), chars.next()), (Some(c), None) if !is_private_use(c));
                valid[usize::from(lead) << 8 | usize::from(trail)] = one && !had_errors;
            }
        }
        GbkPairs { valid }
    }

    fn valid(&self, lead: u8, trail: u8) -> bool {
        self.valid[usize::from(lead) << 8 | usize::from(trail)]
    }

    /// Walk `bytes` from `from` as the GBK decoder does, appending to `out` what comes back from
    /// each byte (itself, or [`LOST`]). Returns where it stopped: at the end, or at a last byte that
    /// opens a pair whose trail is not known yet.
    fn scan(&self, bytes: &[u8], from: usize, out: &mut Vec<u8>) -> usize {
        let mut at = from;
        while at < bytes.len() {
            let b = bytes[at];
            if b < 0x80 {
                out.push(b);
                at += 1;
            } else if let Some(&trail) = bytes.get(at + 1) {
                if self.valid(b, trail) {
                    out.extend_from_slice(&[b, trail]);
                    at += 2;
                } else {
                    out.push(LOST);
                    at += 1;
                }
            } else {
                break;
            }
        }
        at
    }

    /// The line `text` becomes after the round trip.
    pub fn round_trip(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        if self.scan(bytes, 0, &mut out) < bytes.len() {
            // A lead byte at the end of the text has no trail.
            out.push(LOST);
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF)
}

fn is_damage(c: char) -> bool {
    c == '?' || c == '\u{FFFD}'
}

/// A partial original text and what its round trip is known to give.
#[derive(Clone)]
struct Reading {
    text: String,
    /// The round trip of `text[..scanned]`, byte for byte.
    masked: Vec<u8>,
    scanned: usize,
    /// A character boundary of `text` up to which the round trip's output is final, and where
    /// that output ends in the line.
    settled: usize,
    settled_out: usize,
    /// Where the output of the next character may start in the line, and whether the text could
    /// end there (the last byte needs no trail).
    next: Vec<(usize, bool)>,
    /// The characters chosen at damaged places: byte offset in `text`, character.
    chosen: Vec<(usize, char)>,
    score: f64,
}

/// One character of the repair: where its damage stands in the line, what fills it, and by how
/// much it beats the next best candidate the bytes allow (infinite when none does).
#[derive(Debug, PartialEq)]
pub struct Filled {
    pub span: std::ops::Range<usize>,
    pub filled: char,
    pub margin: f64,
}

/// The original characters a line's damaged places most likely held, if any original text is
/// consistent with the line. `options` are the candidates for a damaged character.
pub fn repair(
    pairs: &GbkPairs,
    line: &str,
    options: &[char],
    scoring: &Scoring,
) -> Option<Vec<Filled>> {
    let best = search(pairs, line, options, scoring)?;
    let mut segments = Vec::with_capacity(best.chosen.len() + 1);
    let mut from = 0;
    for &(at, c) in &best.chosen {
        segments.push(&best.text[from..at]);
        from = at + c.len_utf8();
    }
    segments.push(&best.text[from..]);
    let mut chosen: Vec<char> = best.chosen.iter().map(|&(_, c)| c).collect();
    let fits = |text: &str| pairs.round_trip(text) == line;
    let margins = settle_choices(&segments, &mut chosen, options, scoring, &fits)?;
    let text = interleave(&segments, &chosen);
    let spans = output_spans(pairs, &text);
    let mut at = 0;
    let filled = segments
        .iter()
        .zip(chosen)
        .zip(margins)
        .filter_map(|((segment, filled), margin)| {
            at += segment.len();
            let start = at;
            at += filled.len_utf8();
            let (_, span) = spans.iter().find(|(s, _)| *s == start)?;
            (filled != '?').then(|| Filled {
                span: span.clone(),
                filled,
                margin,
            })
        })
        .collect();
    Some(filled)
}

/// For each character of `text` (by byte offset), the range of the line its round trip gives: the
/// round trip keeps byte positions, and a character's bytes decode alone (each starts with a lead
/// byte or ASCII, which ends any sequence before it).
fn output_spans(pairs: &GbkPairs, text: &str) -> Vec<(usize, std::ops::Range<usize>)> {
    let bytes = text.as_bytes();
    let mut masked = Vec::with_capacity(bytes.len());
    if pairs.scan(bytes, 0, &mut masked) < bytes.len() {
        masked.push(LOST);
    }
    let mut out = 0;
    text.char_indices()
        .map(|(at, c)| {
            let len = String::from_utf8_lossy(&masked[at..at + c.len_utf8()]).len();
            out += len;
            (at, out - len..out)
        })
        .collect()
}

/// The beam search for the best consistent original, or `None` when none is (not this damage) or
/// the budget ran out. Readings are compared where they stand in the line: those whose next
/// character's output starts at the same damaged place explain the same text before it.
fn search(pairs: &GbkPairs, line: &str, options: &[char], scoring: &Scoring) -> Option<Reading> {
    let Scoring {
        model,
        settings,
        cost,
        judge,
    } = scoring;
    let start = Reading {
        text: String::new(),
        masked: Vec::new(),
        scanned: 0,
        settled: 0,
        settled_out: 0,
        next: vec![(0, true)],
        chosen: Vec::new(),
        score: 0.0,
    };
    let mut complete: Vec<Reading> = Vec::new();
    let mut buffer = Vec::new();
    let mut waiting: BTreeMap<usize, Vec<Reading>> = BTreeMap::new();
    for reading in settle(pairs, line, &start, &mut buffer) {
        place(line, reading, &mut waiting, &mut complete);
    }
    let mut options: Vec<char> = options.to_vec();
    options.push('?');
    while let Some((_, mut beam)) = waiting.pop_first() {
        // The n-gram model shortlists, the word model with it chooses: alone, the character
        // model prefers `平臺店,` to `平臺上,`.
        beam.sort_by(|a, b| b.score.total_cmp(&a.score));
        beam.truncate(settings.beam * SHORTLIST_PER_READING);
        if !cost(beam.len()) {
            return None;
        }
        let mut ranked: Vec<(f64, Reading)> = beam
            .into_iter()
            .map(|r| (r.score + judge(&r.text), r))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let beam: Vec<Reading> = ranked
            .into_iter()
            .take(settings.beam)
            .map(|(_, r)| r)
            .collect();
        for reading in &beam {
            if !cost(options.len()) {
                return None;
            }
            let mut extended: Vec<Reading> = Vec::new();
            for &c in &options {
                if let Some(r) = extend(pairs, line, reading, c, true, &mut buffer) {
                    extended.extend(settle(pairs, line, &r, &mut buffer));
                }
            }
            if extended.is_empty() {
                continue;
            }
            let fills: Vec<&str> = extended
                .iter()
                .map(|r| &r.text[reading.text.len()..])
                .collect();
            let scores =
                model.fill_scores(&Context::line(&reading.text), &fills, &Context::open(""));
            for (mut r, s) in extended.into_iter().zip(scores) {
                r.score = reading.score + s;
                place(line, r, &mut waiting, &mut complete);
            }
        }
    }
    complete
        .into_iter()
        .map(|r| {
            let score = judge(&r.text) + model.score_line(&r.text);
            (score, r)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, r)| r)
}

/// Files a settled reading: complete when it may end at the line's end, else under the first
/// damaged place its next character may start at.
fn place(
    line: &str,
    reading: Reading,
    waiting: &mut BTreeMap<usize, Vec<Reading>>,
    complete: &mut Vec<Reading>,
) {
    let ends = reading
        .next
        .iter()
        .any(|&(q, can_end)| can_end && q == line.len());
    let at = reading
        .next
        .iter()
        .map(|&(q, _)| q)
        .filter(|&q| line[q..].starts_with(is_damage))
        .min();
    if ends {
        complete.push(reading.clone());
    }
    if let Some(at) = at {
        waiting.entry(at).or_default().push(reading);
    }
}

/// `reading` with the surviving characters that must come next appended, as far as they go: one
/// reading per way the bytes allow (a pending byte lost or kept), none when no way does.
fn settle(pairs: &GbkPairs, line: &str, reading: &Reading, buffer: &mut Vec<u8>) -> Vec<Reading> {
    let mut out = Vec::new();
    let mut stack = vec![reading.clone()];
    while let Some(r) = stack.pop() {
        let mut stops = false;
        for &(q, can_end) in &r.next {
            match line[q..].chars().next() {
                None => stops |= can_end,
                Some(c) if is_damage(c) => stops = true,
                Some(c) => stack.extend(extend(pairs, line, &r, c, false, buffer)),
            }
        }
        if stops {
            out.push(r);
        }
    }
    out
}

/// `reading` with `c` appended, when the round trip of the result can still give the line.
fn extend(
    pairs: &GbkPairs,
    line: &str,
    reading: &Reading,
    c: char,
    damaged: bool,
    buffer: &mut Vec<u8>,
) -> Option<Reading> {
    // Only the bytes after the scanned part can change how the text comes back.
    let mut utf8 = [0u8; 4];
    let mut tail = reading.text.as_bytes()[reading.scanned..].to_vec();
    tail.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    let mut masked_tail = Vec::with_capacity(tail.len() + 1);
    let scanned_tail = pairs.scan(&tail, 0, &mut masked_tail);
    let pending = scanned_tail < tail.len();
    let rest = &line[reading.settled_out..];
    // The output from the settled boundary on, with the pending byte lost or kept.
    let mut next = Vec::new();
    for lost in [true, false] {
        if !pending && !lost {
            continue;
        }
        buffer.clear();
        buffer.extend_from_slice(&reading.masked[reading.settled..]);
        buffer.extend_from_slice(&masked_tail);
        if pending {
            buffer.push(if lost { LOST } else { tail[scanned_tail] });
        }
        let out = String::from_utf8_lossy(buffer);
        if rest.starts_with(out.as_ref()) {
            next.push((reading.settled_out + out.len(), lost || !pending));
        }
    }
    if next.is_empty() {
        return None;
    }
    let start = reading.text.len();
    let mut masked = reading.masked.clone();
    masked.extend_from_slice(&masked_tail);
    let settled_out = reading.settled_out
        + String::from_utf8_lossy(&masked[reading.settled..start])
            .as_ref()
            .len();
    let mut text = reading.text.clone();
    text.push(c);
    let mut chosen = reading.chosen.clone();
    if damaged {
        chosen.push((start, c));
    }
    Some(Reading {
        text,
        masked,
        scanned: reading.scanned + scanned_tail,
        settled: start,
        settled_out,
        next,
        chosen,
        score: reading.score,
    })
}

/// The candidates for a damaged character of a text leaning to `lean`: the model's characters in
/// that script's forms (both when the text leans to neither) and its other non-ASCII symbols.
pub fn options(model: &NgramModel, forms: &[Vec<char>], lean: Option<Lean>) -> Vec<char> {
    let mut out: Vec<char> = forms
        .iter()
        .flat_map(|forms| match lean {
            Some(Lean::Simplified) => forms[..1].to_vec(),
            Some(Lean::Traditional) if forms.len() > 1 => forms[1..].to_vec(),
            _ => forms.clone(),
        })
        .chain(
            model
                .vocabulary()
                .filter(|c| !c.is_ascii() && !crate::text::chars::is_han(*c)),
        )
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_round_trip_is_that_of_python_gbk() {
        // Python: s.encode('utf-8').decode('gbk','replace').encode('gbk','replace').decode('utf-8','replace')
        let pairs = GbkPairs::new();
        assert_eq!(
            pairs.round_trip("在一個社交慣性的平臺上,達成自己的商業目的,這才叫微商。"),
            "在一個社交慣性的平臺\u{FFFD}?,達成\u{FFFD}?己的商業\u{FFFD}?\u{FFFD}?,這才\u{FFFD}?\u{FFFD}?商\u{FFFD}??"
        );
        assert_eq!(pairs.round_trip("abc 中文。"), "abc \u{FFFD}?文\u{FFFD}??");
    }

    #[test]
    fn a_round_trip_is_undone_where_the_bytes_and_the_model_agree() {
        let pairs = GbkPairs::new();
        let model = crate::text::lm::ngrams();
        let original = "在一個社交慣性的平臺上,達成自己的商業目的,這才叫微商。";
        let line = pairs.round_trip(original);
        let forms: Vec<Vec<char>> = model.vocabulary().map(|c| vec![c]).collect();
        let options = options(model, &forms, None);
        let settings = super::super::lost::Settings {
            beam: 8,
            per_gap: 16,
            min_margin: 0.0,
        };
        let stage = super::super::Mojibake::from_rules(&crate::RuleSet::defaults().expect("rules"))
            .expect("stage");
        let judge = |t: &str| stage.log_likelihood(t);
        let cost = |_: usize| true;
        let scoring = Scoring {
            model,
            settings: &settings,
            judge: &judge,
            cost: &cost,
        };
        let best = search(&pairs, &line, &options, &scoring).expect("a consistent reading");
        assert_eq!(pairs.round_trip(&best.text), line);
        assert!(
            best.text.contains("平臺上") || best.text.contains("平台上"),
            "{}",
            best.text
        );
    }

    #[test]
    fn spans_cover_the_line() {
        let pairs = GbkPairs::new();
        let text = "這才叫微商。";
        let line = pairs.round_trip(text);
        let spans = output_spans(&pairs, text);
        let joined: String = spans.iter().map(|(_, s)| &line[s.clone()]).collect();
        assert_eq!(joined, line);
        assert_eq!(&line[spans[0].1.clone()], "這");
    }
}
