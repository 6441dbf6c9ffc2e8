//! What each character says about a page's script, in a dense table so that clean text is scanned
//! at memory speed (a hash lookup per character would cost more than the whole stage is allowed).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::text::chars::is_han;
use crate::text::image::{ImageError, Reader, Writer};
use crate::text::opencc;
use crate::text::table::single_char;

/// Changes under traditional→simplified: only traditional text uses it.
const TRADITIONAL: u8 = 1;
/// Its preferred traditional form differs: only simplified text uses it (这, 们).
const SIMPLIFIED: u8 = 4;
/// A Hong Kong glyph (説, 綫) and the standard glyph it replaces (說, 線).
const HK_GLYPH: u8 = 8;
const STANDARD_GLYPH: u8 = 16;
/// A simplified-table key with a traditional form in some phrase (于, 里, 系, 只) that is not an
/// acceptable alternative (了 is no suspect: its only other form is 瞭, and 了解/瞭解 are both fine).
const SUSPECT: u8 = 2;
/// A suspect that a traditional target converts even alone, by its character entry (于 → 於, 么 →
/// 麼), to a form that is not acceptable; other suspects change only inside a phrase (只 → 隻 in 一只).
const CHANGES_ALONE: u8 = 32;
/// Not a suspect, but a phrase may still change it when a suspect's window covers it (煙 → 菸 in
/// 一根烟 → 一根菸, though 菸 is only a glyph variant of 煙 in Hong Kong).
const CHANGEABLE: u8 = 64;
/// A Han character (in the dense table, so the scan needs one lookup per character).
const HAN: u8 = 128;

const DENSE: usize = 0x10000;

pub struct CharClasses {
    bmp: Vec<u8>,
    astral: HashMap<char, u8>,
    /// The simplified form of each traditional-only character (the fold inside round trips),
    /// dense for the BMP like the classes.
    simplified_bmp: Vec<char>,
    simplified_astral: HashMap<char, char>,
    /// The traditional forms of each simplified character (spin patterns in any script).
    traditional_forms: HashMap<char, Vec<char>>,
}

impl CharClasses {
    pub fn build(
        rules: &RuleSet,
        s2t_files: &[String],
        t2s_files: &[String],
        hk_variants: &HashMap<char, char>,
        tw_variants: &HashMap<char, char>,
        acceptable: &HashSet<(char, char)>,
    ) -> Result<Self, RuleError> {
        let mut classes = CharClasses {
            bmp: (0..DENSE as u32)
                .map(|u| char::from_u32(u).filter(|&c| is_han(c)).map_or(0, |_| HAN))
                .collect(),
            astral: HashMap::new(),
            simplified_bmp: (0..DENSE as u32)
                .map(|u| char::from_u32(u).unwrap_or('\u{FFFD}'))
                .collect(),
            simplified_astral: HashMap::new(),
            traditional_forms: HashMap::new(),
        };
        for file in t2s_files {
            for (key, values) in single_char_entries(rules.data_str(file)?) {
                // The first file to define a character wins (overrides come first).
                if let Some(&first) = values.first().filter(|&&v| v != key)
                    && !classes.is_traditional(key)
                {
                    classes.set(key, TRADITIONAL);
                    match classes.simplified_bmp.get_mut(key as usize) {
                        Some(slot) => *slot = first,
                        None => {
                            classes.simplified_astral.insert(key, first);
                        }
                    }
                }
            }
        }
        let mut simplified_keys = HashSet::new();
        for file in s2t_files {
            for (key, values) in single_char_entries(rules.data_str(file)?) {
                if classes.get(key) & TRADITIONAL != 0 {
                    continue;
                }
                simplified_keys.insert(key);
                if values
                    .iter()
                    .any(|&v| v != key && !acceptable.contains(&(key, v)))
                {
                    classes.set(key, SUSPECT);
                }
                let forms = classes.traditional_forms.entry(key).or_default();
                for &v in &values {
                    let regional = [
                        Some(v),
                        tw_variants.get(&v).copied(),
                        hk_variants.get(&v).copied(),
                    ];
                    for form in regional.into_iter().flatten() {
                        if form != key && !forms.contains(&form) {
                            forms.push(form);
                        }
                    }
                }
                if values.first().is_some_and(|&v| v != key) {
                    classes.set(key, SIMPLIFIED);
                }
            }
        }
        classes.mark_ambiguous_traditional(tw_variants, hk_variants);
        // Regional glyphs of characters that are not traditional-only (着 → 著 in Taiwan) are
        // suspects too: a naive conversion to standard traditional leaves them.
        for (&key, &glyph) in tw_variants.iter().chain(hk_variants) {
            if glyph != key && !classes.is_traditional(key) && !acceptable.contains(&(key, glyph)) {
                classes.set(key, SUSPECT);
            }
        }
        for (&key, &glyph) in hk_variants {
            // Forms that simplified text (户, 温) or Taiwan (為, 眾) also uses say nothing about
            // the region.
            let shared = simplified_keys.contains(&glyph)
                || simplified_keys.contains(&key)
                || tw_variants.get(&key) == Some(&glyph);
            if glyph != key && !shared {
                classes.set(glyph, HK_GLYPH);
                classes.set(key, STANDARD_GLYPH);
            }
        }
        Ok(classes)
    }

    /// Traditional characters whose simplified form has other traditional forms (盡 and 儘 are
    /// both 尽; 沖 and 衝 both 冲) are suspects too: a half-converted word (盡管 for 儘管) is
    /// found only by a round trip through its phrase. Glyph variants (爲, 為) do not count.
    fn mark_ambiguous_traditional(
        &mut self,
        tw_variants: &HashMap<char, char>,
        hk_variants: &HashMap<char, char>,
    ) {
        let glyph_pair = |a: char, b: char| {
            [tw_variants, hk_variants]
                .iter()
                .any(|v| v.get(&a) == Some(&b) || v.get(&b) == Some(&a))
        };
        let mut ambiguous = Vec::new();
        for (&simplified, forms) in &self.traditional_forms {
            for &form in forms {
                let rivals = forms.iter().any(|&other| {
                    other != form
                        && other != simplified
                        && self.is_traditional(other)
                        && !glyph_pair(form, other)
                });
                if self.is_traditional(form) && self.simplify(form) == simplified && rivals {
                    ambiguous.push(form);
                }
            }
        }
        for c in ambiguous {
            self.set(c, SUSPECT);
        }
    }

    /// The classes in an image; maps in key order, so the bytes depend on the tables only.
    pub fn write(&self, w: &mut Writer) {
        w.bytes(&self.bmp);
        write_map(w, &self.astral, |w, &bits| w.u32(bits.into()));
        w.chars(&self.simplified_bmp);
        write_map(w, &self.simplified_astral, |w, &c| w.u32(c.into()));
        write_map(w, &self.traditional_forms, |w, forms| w.chars(forms));
    }

    pub fn read(r: &mut Reader) -> Result<Self, ImageError> {
        let bmp = r.bytes()?.to_vec();
        let astral = read_map(r, |r| {
            u8::try_from(r.u32()?).map_err(|_| ImageError("class bits out of range"))
        })?;
        let simplified_bmp = r.chars()?;
        if bmp.len() != DENSE || simplified_bmp.len() != DENSE {
            return Err(ImageError("character classes of the wrong size"));
        }
        Ok(CharClasses {
            bmp,
            astral,
            simplified_bmp,
            simplified_astral: read_map(r, Reader::char)?,
            traditional_forms: read_map(r, Reader::chars)?,
        })
    }

    /// Mark `chars` that are not suspects as changeable.
    pub fn mark_changeable(&mut self, chars: impl IntoIterator<Item = char>) {
        for c in chars {
            if self.get(c) & SUSPECT == 0 {
                self.set(c, CHANGEABLE);
            }
        }
    }

    /// The traditional-only characters of each simplified form (the inverse of [`Self::simplify`]).
    pub fn traditional_of(&self) -> HashMap<char, Vec<char>> {
        let mut traditional_of: HashMap<char, Vec<char>> = HashMap::new();
        let dense = (0..DENSE as u32).filter_map(char::from_u32);
        for t in dense.chain(self.simplified_astral.keys().copied()) {
            if self.is_traditional(t) {
                traditional_of.entry(self.simplify(t)).or_default().push(t);
            }
        }
        traditional_of
    }

    /// Mark the suspects and changeable characters that are not traditional-only and that
    /// `converts_alone` says change on their own (the cheap bound on `auto`'s changes counts
    /// them wherever they are).
    pub fn mark_changing_alone(&mut self, converts_alone: impl Fn(char) -> bool) {
        let is_candidate = |bits: u8| bits & (SUSPECT | CHANGEABLE) != 0 && bits & TRADITIONAL == 0;
        let bmp = (0..DENSE as u32)
            .filter(|&u| self.bmp.get(u as usize).is_some_and(|&b| is_candidate(b)))
            .filter_map(char::from_u32);
        let astral = self
            .astral
            .iter()
            .filter(|&(_, &b)| is_candidate(b))
            .map(|(&c, _)| c);
        let changing: Vec<char> = bmp.chain(astral).filter(|&c| converts_alone(c)).collect();
        for c in changing {
            self.set(c, CHANGES_ALONE);
        }
    }

    fn set(&mut self, c: char, bit: u8) {
        match self.bmp.get_mut(c as usize) {
            Some(slot) => *slot |= bit,
            None => *self.astral.entry(c).or_default() |= bit,
        }
    }

    /// The classes of `c`, with [`HAN`] for Han characters.
    #[inline]
    fn get(&self, c: char) -> u8 {
        match self.bmp.get(c as usize) {
            Some(&bits) => bits,
            None => {
                let han = if is_han(c) { HAN } else { 0 };
                self.astral.get(&c).copied().unwrap_or(0) | han
            }
        }
    }

    pub fn is_traditional(&self, c: char) -> bool {
        self.get(c) & TRADITIONAL != 0
    }

    /// Only simplified text uses it: its preferred traditional form differs (这, 们, 么).
    pub fn is_simplified(&self, c: char) -> bool {
        self.get(c) & SIMPLIFIED != 0
    }

    /// A suspect that its character entry alone converts (see [`CharClasses::mark_changing_alone`]).
    pub fn changes_alone(&self, c: char) -> bool {
        self.get(c) & CHANGES_ALONE != 0
    }

    /// The character-level simplified form (the first of the traditional→simplified table).
    pub fn simplify(&self, c: char) -> char {
        match self.simplified_bmp.get(c as usize) {
            Some(&s) => s,
            None => self.simplified_astral.get(&c).copied().unwrap_or(c),
        }
    }

    /// The traditional forms of a simplified character, standard and regional (empty if none).
    pub fn traditional_forms(&self, c: char) -> &[char] {
        self.traditional_forms.get(&c).map_or(&[], Vec::as_slice)
    }

    /// Count the script and region markers of `text[range]` on top of `census` (running totals
    /// over the page), noting where suspect and changeable characters are, and at each line
    /// break its offset and the totals so far (`line_ends`). One pass with the counts in
    /// registers and one lookup in the dense table per character: a hash lookup per character
    /// would cost more than the whole stage is allowed on clean text.
    pub(super) fn scan(
        &self,
        text: &str,
        range: Range<usize>,
        census: &mut super::Census,
        found: &mut super::scan::Found,
    ) {
        let mut totals = *census;
        for (offset, c) in text[range.clone()].char_indices() {
            let at = range.start + offset;
            let bits = self.get(c);
            if bits & HAN == 0 {
                if c == '\n' {
                    found.line_ends.push((at, totals));
                }
                continue;
            }
            totals.han += 1;
            if bits & SUSPECT != 0 {
                found.suspects.push(at);
            } else if bits & CHANGEABLE != 0 {
                found.changeable.push(at);
            }
            totals.traditional += usize::from(bits & TRADITIONAL != 0);
            totals.simplified += usize::from(bits & SIMPLIFIED != 0);
            totals.hk_glyphs += usize::from(bits & HK_GLYPH != 0);
            totals.standard_glyphs += usize::from(bits & STANDARD_GLYPH != 0);
        }
        *census = totals;
    }
}

fn write_map<V>(w: &mut Writer, map: &HashMap<char, V>, value: impl Fn(&mut Writer, &V)) {
    let mut keys: Vec<char> = map.keys().copied().collect();
    keys.sort_unstable();
    w.len(keys.len());
    for key in keys {
        w.u32(key.into());
        value(w, &map[&key]);
    }
}

fn read_map<'a, V>(
    r: &mut Reader<'a>,
    value: impl Fn(&mut Reader<'a>) -> Result<V, ImageError>,
) -> Result<HashMap<char, V>, ImageError> {
    let len = r.len()?;
    let mut map = HashMap::with_capacity(len.min(r.remaining() / 4));
    for _ in 0..len {
        let key = r.char()?;
        map.insert(key, value(r)?);
    }
    Ok(map)
}

/// Single-character entries of an OpenCC table with all their values.
pub(super) fn single_char_entries(text: &str) -> impl Iterator<Item = (char, Vec<char>)> + '_ {
    opencc::entries(text).filter_map(|(key, values)| {
        let values = values.filter_map(|v| single_char(v.trim())).collect();
        Some((single_char(key.trim())?, values))
    })
}
