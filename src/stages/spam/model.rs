//! The pieces of the spam stage's scored rules: characters folded to their sound, the
//! promotional sound bigrams (a log-likelihood ratio of spam phrases against ordinary text), and
//! the logistic model that combines a candidate's features, with the bound that lets a rule skip
//! the costly features of a candidate that cannot reach the threshold.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use crate::error::RuleError;
use crate::stages::pinyin::Readings;
use crate::text::table;

/// Characters folded to their sound: a Han character to its first reading without tone, ASCII
/// letters and digits to one class each (as the language model's counts have them).
pub struct Sounds {
    /// Each character's sound, sorted by character (the readings table's order): built in one
    /// pass at start-up, where a hash map of 40,000 characters cost more than the lookups save.
    ids: Vec<(char, u32)>,
    /// The sounds of the common Han block ([`Sounds::COMMON`]) by code point, [`Sounds::NONE`]
    /// for a character with no reading: the lookup of every character folded before a comma.
    common: Vec<u32>,
    names: Vec<Box<str>>,
    by_name: HashMap<Box<str>, u32>,
}

impl Sounds {
    const LETTER: &str = "a";
    const DIGIT: &str = "0";
    const COMMON: std::ops::RangeInclusive<u32> = 0x3400..=0x9FFF;
    const NONE: u32 = u32::MAX;

    /// The sounds of the readings' characters: their first syllables (interned once by the
    /// readings table) renumbered after the letter and digit classes.
    pub(super) fn from_readings(readings: &Readings) -> Self {
        let mut sounds = Sounds {
            ids: Vec::new(),
            common: vec![Self::NONE; Self::COMMON.count()],
            names: Vec::new(),
            by_name: HashMap::new(),
        };
        sounds.intern(Self::LETTER);
        sounds.intern(Self::DIGIT);
        let (firsts, syllables) = readings.first_syllables();
        let renumbered: Vec<u32> = syllables.iter().map(|s| sounds.intern(s)).collect();
        sounds.ids = firsts.map(|(c, s)| (c, renumbered[s as usize])).collect();
        for &(c, id) in &sounds.ids {
            if Self::COMMON.contains(&(c as u32)) {
                sounds.common[(c as u32 - Self::COMMON.start()) as usize] = id;
            }
        }
        sounds
    }

    /// The id of the sound `name`, added when it is new.
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.by_name.insert(name.into(), id);
        id
    }

    /// The sound of a folded character; `None` breaks a run of bigrams.
    pub fn token(&self, c: char) -> Option<u32> {
        if c.is_ascii_alphabetic() {
            Some(0)
        } else if c.is_ascii_digit() {
            Some(1)
        } else if Self::COMMON.contains(&(c as u32)) {
            let id = self.common[(c as u32 - Self::COMMON.start()) as usize];
            (id != Self::NONE).then_some(id)
        } else {
            let at = self.ids.binary_search_by_key(&c, |&(han, _)| han).ok()?;
            Some(self.ids[at].1)
        }
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    fn id(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }
}

/// The features that speak for a span or line, for the report: the flags that are set and the
/// measured values (not the length features).
pub(super) fn describe(names: &[&str], features: &[f64]) -> String {
    let mut parts = Vec::new();
    for (name, value) in names.iter().zip(features) {
        match *name {
            "ascii_comma" | "mixed_commas" | "stray_comma" | "whole_clause" if *value > 0.0 => {
                parts.push((*name).replace('_', " "))
            }
            "chars" | "groups" | "ascii_comma" | "mixed_commas" | "stray_comma"
            | "whole_clause" => {}
            _ => parts.push(format!("{} {value:.2}", name.replace('_', " "))),
        }
    }
    parts.join(", ")
}

/// Promotional sound bigrams with their log-likelihood ratio (spam phrases against ordinary text).
pub(super) struct Promo {
    llr: FxHashMap<(u32, u32), f32>,
    /// Whether a bigram starts with each sound, by id: most pairs of a text are looked up in
    /// this array alone.
    first: Vec<bool>,
}

impl Promo {
    /// `syllable syllable<TAB>log-likelihood ratio` lines.
    pub(super) fn read(sounds: &Sounds, file: &str, text: &str) -> Result<Self, RuleError> {
        const FORMAT: &str = "sound sound<TAB>log-likelihood ratio";
        let llr: FxHashMap<(u32, u32), f32> = table::entries(file, text)
            .map(|entry| {
                let (pair, llr) = entry.split_once('\t', FORMAT)?;
                let (a, b) = pair
                    .split_once(' ')
                    .ok_or_else(|| entry.malformed(FORMAT))?;
                let llr: f32 = llr.parse().map_err(|_| entry.malformed(FORMAT))?;
                let id = |s: &str| {
                    sounds
                        .id(s)
                        .ok_or_else(|| entry.error(format!("`{s}` is no reading of the table")))
                };
                Ok(((id(a)?, id(b)?), llr))
            })
            .collect::<Result<_, RuleError>>()?;
        let mut first = vec![false; sounds.names.len()];
        for &(a, _) in llr.keys() {
            first[a as usize] = true;
        }
        Ok(Promo { llr, first })
    }

    /// The log-likelihood ratio of a promotional bigram.
    pub(super) fn get(&self, pair: (u32, u32)) -> Option<f32> {
        if !self.first[pair.0 as usize] {
            return None;
        }
        self.llr.get(&pair).copied()
    }
}

/// The promotional score of a run of sounds given one at a time (`None` breaks the run): the mean
/// log-likelihood ratio of its bigrams and the share of them that are promotional.
#[derive(Default)]
pub(super) struct Tally {
    previous: Option<u32>,
    total: f64,
    known: usize,
    count: usize,
}

impl Tally {
    pub(super) fn push(&mut self, promo: &Promo, token: Option<u32>) {
        if let Some(pair) = self.previous.zip(token) {
            self.count += 1;
            if let Some(llr) = promo.get(pair) {
                self.total += f64::from(llr);
                self.known += 1;
            }
        }
        self.previous = token;
    }

    /// `None` when there is no bigram.
    pub(super) fn score(&self) -> Option<(f64, f64)> {
        (self.count > 0).then(|| {
            (
                self.total / self.count as f64,
                self.known as f64 / self.count as f64,
            )
        })
    }
}

/// A logistic model: a weight per feature, a bias, and the probability at which it decides.
pub(super) struct Logistic {
    weights: Vec<f64>,
    bias: f64,
    pub(super) threshold: f64,
}

impl Logistic {
    /// The weights file: `feature<TAB>weight` for every feature of `names`, `bias` and `threshold`.
    pub(super) fn read(file: &str, text: &str, names: &[&str]) -> Result<Self, RuleError> {
        const FORMAT: &str = "name<TAB>number";
        let mut values: HashMap<&str, f64> = HashMap::new();
        for entry in table::entries(file, text) {
            let (name, value) = entry.split_once('\t', FORMAT)?;
            let value: f64 = value.parse().map_err(|_| entry.malformed(FORMAT))?;
            if !names.contains(&name) && name != "bias" && name != "threshold" {
                return Err(entry.error(format!("unknown feature `{name}`")));
            }
            values.insert(name, value);
        }
        let get = |name: &str| {
            values
                .get(name)
                .copied()
                .ok_or_else(|| RuleError::new(file, 0, format!("no weight for `{name}`")))
        };
        Ok(Logistic {
            weights: names.iter().map(|n| get(n)).collect::<Result<_, _>>()?,
            bias: get("bias")?,
            threshold: get("threshold")?,
        })
    }

    /// Whether a candidate can reach the threshold: its probability with the `open` features (not
    /// measured yet) at whichever end of their `ranges` scores higher. Floating-point sums and
    /// products are monotone, so this never says no to a candidate that reaches it.
    pub(super) fn can_reach(
        &self,
        features: &[f64],
        open: &[usize],
        ranges: &[(f64, f64)],
    ) -> bool {
        let best = features.iter().enumerate().map(|(i, &value)| {
            if !open.contains(&i) {
                value
            } else if self.weights[i] >= 0.0 {
                ranges[i].1
            } else {
                ranges[i].0
            }
        });
        self.of(best) >= self.threshold
    }

    pub(super) fn probability(&self, features: &[f64]) -> f64 {
        self.of(features.iter().copied())
    }

    fn of(&self, features: impl Iterator<Item = f64>) -> f64 {
        let logit: f64 = self.bias + features.zip(&self.weights).map(|(f, w)| f * w).sum::<f64>();
        1.0 / (1.0 + (-logit).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::spam::FEATURES;

    #[test]
    fn weights_name_every_feature() {
        let mut text: String = FEATURES.iter().map(|f| format!("{f}\t0.5\n")).collect();
        text.push_str("bias\t-1\n");
        assert!(
            Logistic::read("w", &text, &FEATURES).is_err(),
            "threshold missing"
        );
        text.push_str("threshold\t0.9\n");
        let model = Logistic::read("w", &text, &FEATURES).unwrap();
        assert_eq!(
            (model.weights[3], model.bias, model.threshold),
            (0.5, -1.0, 0.9)
        );
        assert!(Logistic::read("w", &format!("{text}colour\t1\n"), &FEATURES).is_err());
    }

    /// The decisive scan drops only candidates below the threshold: every candidate that reaches
    /// it is kept with the same features, and nothing the full scan lacks is added.
    #[test]
    fn an_open_feature_takes_its_most_probable_end() {
        let model = Logistic {
            weights: vec![1.0, -1.0],
            bias: 0.0,
            threshold: 0.5,
        };
        let ranges = [(-2.0, 2.0), (-2.0, 2.0)];
        // 1·(-1) − 1·0.5 < 0, but the first feature may reach 2 and the second −2.
        assert!(!model.can_reach(&[-1.0, 0.5], &[], &ranges));
        assert!(model.can_reach(&[-1.0, 0.5], &[0], &ranges));
        assert!(model.can_reach(&[-1.0, 0.5], &[1], &ranges));
        assert!(!model.can_reach(&[-2.0, 2.0], &[], &ranges));
    }

    #[test]
    fn homophones_share_their_sound() {
        let readings = Readings::parse("r", "博\tbó\n菠\tbō\n彩\tcǎi\n菜\tcài\n").unwrap();
        let sounds = Sounds::from_readings(&readings);
        let bo = sounds.token('博');
        assert_eq!(sounds.token('菠'), bo);
        assert_eq!(sounds.token('彩'), sounds.token('菜'));
        assert_eq!(sounds.token('a'), sounds.token('V'));
        assert_eq!(sounds.token('。'), None);
    }
}
