//! What each character says about a page's script, in a dense table so that clean text is scanned
//! at memory speed (a hash lookup per character would cost more than the whole stage is allowed).

use std::collections::{HashMap, HashSet};

use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::text::chars::is_han;

/// Changes under traditional→simplified: only traditional text uses it.
const TRADITIONAL: u8 = 1;
/// A simplified-table key with a different traditional form in some phrase (于, 里, 系, 只).
const COULD_BE_SIMPLIFIED: u8 = 2;
/// Its preferred traditional form differs: only simplified text uses it (这, 们).
const SIMPLIFIED: u8 = 4;
/// A Hong Kong glyph (説, 綫) and the standard glyph it replaces (說, 線).
const HK_GLYPH: u8 = 8;
const STANDARD_GLYPH: u8 = 16;

const DENSE: usize = 0x10000;

pub struct CharClasses {
    bmp: Vec<u8>,
    astral: HashMap<char, u8>,
}

impl CharClasses {
    pub fn build(
        rules: &RuleSet,
        s2t_files: &[String],
        t2s_files: &[String],
        hk_variants: &HashMap<char, char>,
        tw_variants: &HashMap<char, char>,
    ) -> Result<Self, RuleError> {
        let mut classes = CharClasses {
            bmp: vec![0; DENSE],
            astral: HashMap::new(),
        };
        for file in t2s_files {
            for (key, values) in single_char_entries(rules.data_str(file)?) {
                if values.first().is_some_and(|&v| v != key) {
                    classes.set(key, TRADITIONAL);
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
                if values.iter().any(|&v| v != key) {
                    classes.set(key, COULD_BE_SIMPLIFIED);
                }
                if values.first().is_some_and(|&v| v != key) {
                    classes.set(key, SIMPLIFIED);
                }
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

    fn set(&mut self, c: char, bit: u8) {
        match self.bmp.get_mut(c as usize) {
            Some(slot) => *slot |= bit,
            None => *self.astral.entry(c).or_default() |= bit,
        }
    }

    #[inline]
    fn get(&self, c: char) -> u8 {
        match self.bmp.get(c as usize) {
            Some(&bits) => bits,
            None => self.astral.get(&c).copied().unwrap_or(0),
        }
    }

    pub fn is_traditional(&self, c: char) -> bool {
        self.get(c) & TRADITIONAL != 0
    }

    pub fn could_be_simplified(&self, c: char) -> bool {
        self.get(c) & COULD_BE_SIMPLIFIED != 0
    }

    pub fn census(&self, text: &str) -> super::Census {
        let mut census = super::Census {
            han: 0,
            traditional: 0,
            simplified: 0,
            hk_glyphs: 0,
            standard_glyphs: 0,
        };
        for c in text.chars() {
            if !is_han(c) {
                continue;
            }
            census.han += 1;
            let bits = self.get(c);
            if bits == 0 {
                continue;
            }
            census.traditional += usize::from(bits & TRADITIONAL != 0);
            census.simplified += usize::from(bits & SIMPLIFIED != 0);
            census.hk_glyphs += usize::from(bits & HK_GLYPH != 0);
            census.standard_glyphs += usize::from(bits & STANDARD_GLYPH != 0);
        }
        census
    }
}

/// Single-character entries of an OpenCC table with all their values.
fn single_char_entries(text: &str) -> impl Iterator<Item = (char, Vec<char>)> + '_ {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (key, values) = line.split_once('\t')?;
            let mut key_chars = key.trim().chars();
            let (k, None) = (key_chars.next()?, key_chars.next()) else {
                return None;
            };
            let values = values
                .split(' ')
                .filter_map(|v| {
                    let mut cs = v.trim().chars();
                    let (c, None) = (cs.next()?, cs.next()) else {
                        return None;
                    };
                    Some(c)
                })
                .collect();
            Some((k, values))
        })
}
