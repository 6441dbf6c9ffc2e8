//! Detection: which characters of a line look garbled. One pass over the characters with a bitset of
//! common Han characters, so clean text costs a table lookup per character.

use std::collections::HashSet;

use super::repertoire::is_standard;
use crate::text::chars::{is_cjk_punct, is_han, is_private_use};
use crate::text::lm::LanguageModel;
use crate::text::opencc;
use crate::text::table::single_char;

/// How strongly a character suggests mojibake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspicion {
    None,
    /// Normal on its own, garbled next to a strong suspect: `?`, an ASCII letter beside CJK.
    Weak,
    /// Rare in Chinese text: a rare Han character, U+FFFD, private use, Latin mojibake, C1 controls,
    /// box drawing, half-width kana, Cyrillic or Greek inside CJK.
    Strong,
}

/// Common Han characters of the Basic Multilingual Plane, as bitsets.
pub struct Detector {
    common: Vec<u64>,
    /// Han characters the dictionary has in any word; one outside it is garbage more often than a
    /// rare word.
    known: Vec<u64>,
    /// Characters of GB2312 and Big5 level 1, the glyphs pages are written in; obscure variants outside
    /// both (`厤` for `歷`) share a simplified form with common characters but seldom appear.
    standard: Vec<u64>,
}

fn set(bits: &mut [u64], cp: u32) {
    bits[cp as usize / 64] |= 1 << (cp % 64);
}

fn get(bits: &[u64], c: char) -> bool {
    let cp = c as usize;
    cp < 0x10000 && bits[cp / 64] & (1 << (cp % 64)) != 0
}

impl Detector {
    /// Han characters at least as common as `min_char_logp` (see [`LanguageModel::char_logp`]).
    pub fn new(lm: &LanguageModel, min_char_logp: f32) -> Self {
        let mut common = vec![0u64; 0x10000 / 64];
        let mut standard = vec![0u64; 0x10000 / 64];
        let mut known = vec![0u64; 0x10000 / 64];
        for cp in (0x3400..=0x9FFF).chain(0xF900..=0xFAFF) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            match lm.char_logp(c) {
                Some(p) if p >= min_char_logp => {
                    set(&mut common, cp);
                    set(&mut known, cp);
                }
                Some(_) => set(&mut known, cp),
                None => {}
            }
            if is_standard(c) {
                set(&mut standard, cp);
            }
        }
        Detector {
            common,
            known,
            standard,
        }
    }

    fn is_common_han(&self, c: char) -> bool {
        get(&self.common, c)
    }

    /// A strong suspect that is evidence by itself: not a Han character, or one no word has.
    pub fn is_hard(&self, c: char) -> bool {
        !is_han(c) || !get(&self.known, c)
    }

    /// How many Han characters of `text` are in neither GB2312 nor Big5 level 1.
    pub fn non_standard_han(&self, text: &str) -> usize {
        text.chars()
            .filter(|&c| is_han(c) && !get(&self.standard, c))
            .count()
    }

    /// The suspicion of every character of `line`, with its byte offset.
    pub fn classify(&self, line: &str) -> Vec<(usize, char, Suspicion)> {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut out = Vec::with_capacity(chars.len());
        for (i, &(at, c)) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| chars[j].1);
            let next = chars.get(i + 1).map(|&(_, c)| c);
            out.push((at, c, self.suspicion(c, prev, next)));
        }
        out
    }

    /// How many characters of `text` are strong suspects.
    pub fn strong_count(&self, text: &str) -> usize {
        self.classify(text)
            .iter()
            .filter(|c| c.2 == Suspicion::Strong)
            .count()
    }

    /// Whether classified characters are evidence of garbling: a hard strong suspect (see
    /// [`Detector::is_hard`]) or two strong suspects.
    pub fn is_evidence(&self, classified: &[(usize, char, Suspicion)]) -> bool {
        let strong = classified.iter().filter(|c| c.2 == Suspicion::Strong);
        strong.clone().any(|c| self.is_hard(c.1)) || strong.count() >= 2
    }

    /// Whether a line looks garbled (the cheap scan run on every line): a strong suspect that is
    /// not a Han character, or two rare Han characters close together. One rare character alone is
    /// usually a name or a rare word.
    pub fn has_strong(&self, line: &str) -> bool {
        self.has_strong_where(line, |_| true)
    }

    /// [`Self::has_strong`] counting only non-ASCII suspects and `?`: the evidence that garbage was
    /// decoded (a lone ASCII letter between Han characters alone may be a trail byte, or just a
    /// letter: `使用G的正G語言`).
    pub fn has_strong_non_ascii(&self, line: &str) -> bool {
        self.has_strong_where(line, |c| !c.is_ascii() || c == '?')
    }

    fn has_strong_where(&self, line: &str, counts: impl Fn(char) -> bool) -> bool {
        const NEAR: usize = 4;
        let mut prev: Option<char> = None;
        let mut last_rare: Option<usize> = None;
        let mut chars = line.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            // Below `@` no ASCII character can be a trail byte; `?` may be a lost character.
            let clean_fast = (c as u32) < 0x40 && c != '?' || is_han(c) && self.is_common_han(c);
            let next = chars.peek().map(|&(_, c)| c);
            if !clean_fast && counts(c) && self.suspicion(c, prev, next) == Suspicion::Strong {
                if self.is_hard(c) || last_rare.is_some_and(|j| i - j <= NEAR) {
                    return true;
                }
                last_rare = Some(i);
            }
            prev = Some(c);
        }
        false
    }

    fn suspicion(&self, c: char, prev: Option<char>, next: Option<char>) -> Suspicion {
        let cjk = |c: Option<char>| c.is_some_and(|c| is_han(c) || is_cjk_punct(c));
        // A `?` may be a lost byte itself, so it does not make a neighbour ASCII text.
        let non_ascii = |c: Option<char>| c.is_some_and(|c| !c.is_ascii() || c == '?');
        let cp = c as u32;
        if c.is_ascii() {
            let lone_between = (0x40..=0x7E).contains(&cp) && non_ascii(prev) && non_ascii(next);
            // `??` inside CJK text: characters a lossy conversion or slip replaced.
            let lost_pair = c == '?' && (prev == Some('?') || next == Some('?'));
            return if (lone_between || lost_pair) && (cjk(prev) || cjk(next)) {
                Suspicion::Strong
            } else if c == '?' || c.is_ascii_alphabetic() && (cjk(prev) || cjk(next)) {
                Suspicion::Weak
            } else {
                Suspicion::None
            };
        }
        if is_han(c) {
            return if self.is_common_han(c) {
                Suspicion::None
            } else {
                Suspicion::Strong
            };
        }
        let latin_mojibake = (0xC0..=0xFF).contains(&cp) && next.is_some_and(is_continuation_like)
            || is_continuation_like(c) && prev.is_some_and(|p| (0xC0..=0xFF).contains(&(p as u32)));
        let strange = c == '\u{FFFD}'
            || is_private_use(c)
            || (0x80..=0x9F).contains(&cp)
            || (0x2150..=0x218F).contains(&cp)
            || (0x2460..=0x25FF).contains(&cp)
            || (0x3220..=0x3243).contains(&cp)
            || (0xFE30..=0xFE4F).contains(&cp)
            || (0xFF61..=0xFF9F).contains(&cp)
            || ((0x0370..=0x04FF).contains(&cp) && (cjk(prev) || cjk(next)));
        if latin_mojibake || strange {
            Suspicion::Strong
        } else {
            Suspicion::None
        }
    }
}

/// Which characters belong to only one script, to keep repairs in the script of their text.
pub struct Script {
    traditional_only: HashSet<char>,
    simplified_only: HashSet<char>,
    cost: f64,
}

impl Script {
    /// From an OpenCC traditional→simplified character table (`trad<TAB>simp simp…`).
    pub fn new(ts_table: &str, cost: f64) -> Self {
        let mut traditional = HashSet::new();
        let mut simplified = HashSet::new();
        for (key, values) in opencc::entries(ts_table) {
            let Some(trad) = single_char(key) else {
                continue;
            };
            let simp: Vec<char> = values.flat_map(str::chars).collect();
            if simp.iter().any(|&s| s != trad) {
                traditional.insert(trad);
                simplified.extend(simp.into_iter().filter(|&s| s != trad));
            }
        }
        Script {
            traditional_only: traditional.difference(&simplified).copied().collect(),
            simplified_only: simplified.difference(&traditional).copied().collect(),
            cost,
        }
    }

    /// A cost for characters of the minority script when a text mixes both.
    pub fn mix_cost(&self, text: &str) -> f64 {
        let (mut trad, mut simp) = (0usize, 0usize);
        for c in text.chars() {
            trad += usize::from(self.traditional_only.contains(&c));
            simp += usize::from(self.simplified_only.contains(&c));
        }
        self.cost * trad.min(simp) as f64
    }
}

/// What windows-1252 or Latin-1 makes of a UTF-8 continuation byte (0x80–0xBF).
fn is_continuation_like(c: char) -> bool {
    matches!(c as u32, 0x80..=0xBF)
        || matches!(
            c,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

/// Clusters of suspects: char-index ranges (into `classified`) joining suspects at most `gap`
/// characters apart, that hold at least one strong suspect.
pub fn clusters(classified: &[(usize, char, Suspicion)], gap: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize, bool)> = Vec::new();
    for (i, &(_, _, s)) in classified.iter().enumerate() {
        if s == Suspicion::None {
            continue;
        }
        let strong = s == Suspicion::Strong;
        match out.last_mut() {
            Some(last) if i <= last.1 + gap => {
                last.1 = i;
                last.2 |= strong;
            }
            _ => out.push((i, i, strong)),
        }
    }
    out.into_iter()
        .filter(|&(_, _, strong)| strong)
        .map(|(s, e, _)| (s, e + 1))
        .collect()
}

/// Where out-of-phase damage in each cluster ends: a slipped decoder stays out of phase until an
/// ASCII byte or an invalid pair (U+FFFD) re-synchronises it, so a run extends from its cluster to
/// the first such character after its first non-ASCII suspect (at most `max_chars` long). Runs that
/// then overlap merge.
pub fn slip_runs(
    classified: &[(usize, char, Suspicion)],
    clusters: &[(usize, usize)],
    max_chars: usize,
) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &(first, end) in clusters {
        let garbled = (first..end)
            .find(|&i| classified[i].2 == Suspicion::Strong && !classified[i].1.is_ascii())
            .unwrap_or(first);
        let resync = (garbled..classified.len())
            .find(|&i| classified[i].1.is_ascii() || classified[i].1 == '\u{FFFD}')
            .map_or(classified.len(), |i| i + 1);
        let end = end.max(resync.min(first + max_chars));
        match out.last_mut() {
            Some(last) if first <= last.1 => last.1 = last.1.max(end),
            _ => out.push((first, end)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::lm::model;

    fn detector() -> Detector {
        Detector::new(model(), -12.5)
    }

    #[test]
    fn clean_text_has_no_strong_suspect() {
        let d = detector();
        assert!(!d.has_strong("你了解微營銷是什么嗎?其實你不懂,A股"));
    }

    #[test]
    fn seed_runs_are_suspect() {
        let d = detector();
        for garbled in [
            "其極?墒侨说男袨閼T性",
            "規;\u{E1E9}筚u家",
            "ä¸å¾—ä¸èªª",
            "鍥犵偤閫欎簺",
        ] {
            assert!(d.has_strong(garbled), "{garbled}");
        }
    }

    #[test]
    fn clusters_need_a_strong_suspect() {
        let d = detector();
        let classified = d.classify("好嗎?是的,閼T性");
        let found = clusters(&classified, 2);
        assert_eq!(found.len(), 1);
        assert_eq!(classified[found[0].0].1, '閼');
    }
}
