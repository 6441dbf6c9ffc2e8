//! Building the converters from the tables the `script.convert` rule names.

use std::collections::{HashMap, HashSet};

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};

use super::auto::{AUTO_REGIONS, changeable_chars};
use super::classes::CharClasses;
use super::convert::{Converter, Entries, char_map, parse_table};
use super::explicit::ConvertParams;
use super::{Built, Region, TraditionalSource};

impl TraditionalSource {
    /// The standard, Taiwan and Hong Kong converters, sharing one phrase automaton.
    pub(super) fn build(
        self,
        tw: &HashMap<char, char>,
        hk: &HashMap<char, char>,
    ) -> Result<[Converter; 3], RuleError> {
        let [hant, tw_phrases, hk_phrases] =
            self.phrases.build_shared([&HashMap::new(), tw, hk])?;
        Ok([
            Converter::new(vec![hant]),
            Converter::new(vec![tw_phrases, self.tw_step]),
            Converter::new(vec![hk_phrases, self.hk_step]),
        ])
    }
}

/// Build the converters from the table paths named by the `script.convert` rule.
pub(super) fn build_converters(
    rules: &RuleSet,
    rule: &Rule,
    params: &ConvertParams,
) -> Result<Built, RuleError> {
    let with_context = |e: RuleError| rule.error(e);
    let entries = |files: &[String]| -> Result<Entries, RuleError> {
        let mut entries = Entries::default();
        for file in files {
            entries.add_table(rules, file).map_err(with_context)?;
        }
        Ok(entries)
    };
    let (s2t_files, t2s_files) = (&params.s2t, &params.t2s);
    let tw = char_map(rules, &params.tw_variants).map_err(with_context)?;
    let hk = char_map(rules, &params.hk_variants).map_err(with_context)?;
    // Step one converts simplified text straight to each target's glyphs (着 → 著 too, which the
    // standard tables leave alone); step two brings standard traditional input to them.
    let mut simplified = entries(s2t_files)?;
    for &glyph_key in tw.keys().chain(hk.keys()) {
        simplified.insert(glyph_key.to_string(), glyph_key.to_string());
    }
    let auto_glyphs = AUTO_REGIONS.map(|region| match region {
        Region::Hk => &hk,
        _ => &tw,
    });
    let phrase_neighbours = simplified.changing_neighbours(&auto_glyphs);
    let glyphs = |variants: &HashMap<char, char>| {
        let mut glyphs = Entries::default();
        for (&from, &to) in variants {
            glyphs.insert(from.to_string(), to.to_string());
        }
        glyphs.build()
    };
    let to_hans = Converter::new(vec![
        entries(&params.t2s_variants)?.build()?,
        entries(t2s_files)?.build()?,
    ]);
    let acceptable: HashSet<(char, char)> =
        parse_table(rules.data_str(&params.acceptable).map_err(with_context)?)
            .filter_map(|(a, b)| Some((a.chars().next()?, b.chars().next()?)))
            .collect();
    let mut classes = CharClasses::build(rules, s2t_files, t2s_files, &hk, &tw, &acceptable)
        .map_err(with_context)?;
    let changeable = changeable_chars(&classes, &phrase_neighbours, &acceptable, auto_glyphs);
    classes.mark_changeable(changeable);
    // A lone character converts by its own entry, in each target's glyphs.
    classes.mark_changing_alone(|c| {
        let value = simplified.value_of(c.encode_utf8(&mut [0; 4]));
        let Some(to) = value.and_then(|v| v.chars().next()) else {
            return false;
        };
        [&HashMap::new(), &tw, &hk].iter().any(|glyphs| {
            let to = *glyphs.get(&to).unwrap_or(&to);
            to != c && !acceptable.contains(&(c, to))
        })
    });
    let traditional_source = TraditionalSource {
        phrases: simplified,
        tw_step: glyphs(&tw)?,
        hk_step: glyphs(&hk)?,
    };
    Ok(Built {
        classes,
        to_hans,
        traditional_source,
        tw_glyphs: tw,
        hk_glyphs: hk,
        acceptable,
        phrase_neighbours,
    })
}
