//! Building the converters from the tables the `script.convert` rule names, or reading them from
//! the image derived from the default tables (`data/script/tables.bin`, written by `sluice-eval`'s
//! `derive_script_image`): deriving them takes most of a process's start-up.

use std::collections::{HashMap, HashSet};

use crate::error::RuleError;
use crate::rules::{Rule, RuleSet};
use crate::text::image::{ImageError, Kind, Reader, Writer, digest_of};
use crate::text::opencc;

use super::auto::{AUTO_REGIONS, changeable_chars};
use super::classes::CharClasses;
use super::convert::{Converter, Dictionary, Entries, NeighbourValues, char_map, parse_table};
use super::explicit::ConvertParams;
use super::{Built, CONVERT_RULE, Region, TraditionalSource};

/// The tables derived from the default rules' conversion files.
static IMAGE: &[u8] = include_bytes!("../../../data/script/tables.bin");
const KIND: Kind = Kind {
    magic: b"SLSC",
    version: 1,
};

impl TraditionalSource {
    /// The standard, Taiwan and Hong Kong converters, sharing one phrase automaton.
    pub(super) fn build(
        self,
        tw: &HashMap<char, char>,
        hk: &HashMap<char, char>,
    ) -> Result<[Converter; 3], RuleError> {
        let (shared, tw_step, hk_step) = match self {
            TraditionalSource::Tables {
                phrases,
                tw_step,
                hk_step,
            } => (
                phrases.build_shared([&HashMap::new(), tw, hk])?,
                tw_step,
                hk_step,
            ),
            TraditionalSource::Image(bytes) => {
                let mut r = Reader::new(bytes);
                let shared = Dictionary::read_shared(&mut r)?;
                (shared, Dictionary::read(&mut r)?, Dictionary::read(&mut r)?)
            }
        };
        let [hant, tw_phrases, hk_phrases] = shared;
        Ok([
            Converter::new(vec![hant]),
            Converter::new(vec![tw_phrases, tw_step]),
            Converter::new(vec![hk_phrases, hk_step]),
        ])
    }
}

/// The files the derived tables come from, in the order of their digest.
fn table_files(params: &ConvertParams) -> impl Iterator<Item = &str> {
    let lists = [&params.s2t, &params.t2s, &params.t2s_variants];
    let single = [&params.tw_variants, &params.hk_variants, &params.acceptable];
    lists
        .into_iter()
        .flatten()
        .chain(single)
        .map(String::as_str)
}

/// What the regional glyph tables and the acceptable pairs are: small files, read every time.
struct Small {
    tw: HashMap<char, char>,
    hk: HashMap<char, char>,
    acceptable: HashSet<(char, char)>,
}

impl Small {
    fn read(rules: &RuleSet, params: &ConvertParams) -> Result<Self, RuleError> {
        Ok(Small {
            tw: char_map(rules, &params.tw_variants)?,
            hk: char_map(rules, &params.hk_variants)?,
            acceptable: parse_table(rules.data_str(&params.acceptable)?)
                .filter_map(|(a, b)| Some((a.chars().next()?, b.chars().next()?)))
                .collect(),
        })
    }
}

/// The derived tables: from the image when the rule set's conversion files are those it was
/// derived from, else from the files.
struct Derived {
    classes: CharClasses,
    to_hans: Converter,
    phrase_neighbours: NeighbourValues,
    traditional_source: TraditionalSource,
}

/// Build the converters from the table paths named by the `script.convert` rule.
pub(super) fn build_converters(
    rules: &RuleSet,
    rule: &Rule,
    params: &ConvertParams,
) -> Result<Built, RuleError> {
    let with_context = |e: RuleError| rule.error(e);
    let small = Small::read(rules, params).map_err(with_context)?;
    let digest = digest_of(rules, table_files(params)).map_err(with_context)?;
    let derived = match read_image(IMAGE, digest) {
        Some(image) => image.map_err(|e| rule.error(e))?,
        None => {
            check_tables(rules, table_files(params)).map_err(with_context)?;
            derive(rules, params, &small).map_err(with_context)?
        }
    };
    Ok(Built {
        classes: derived.classes,
        to_hans: derived.to_hans,
        traditional_source: derived.traditional_source,
        tw_glyphs: small.tw,
        hk_glyphs: small.hk,
        acceptable: small.acceptable,
        phrase_neighbours: derived.phrase_neighbours,
    })
}

/// Each table read as OpenCC's format, checked line by line (the tables an image was derived from
/// were checked by its derivation).
pub(super) fn check_tables<'a>(
    rules: &RuleSet,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<(), RuleError> {
    for path in paths {
        opencc::check(path, rules.data_str(path)?)?;
    }
    Ok(())
}

/// The tables of `image` when it was derived from files of this `digest` (`None` otherwise); the
/// traditional converters are only located, and read when first needed.
fn read_image(image: &'static [u8], digest: u128) -> Option<Result<Derived, ImageError>> {
    let mut r = Reader::new(image);
    if KIND.digest(&mut r) != Some(digest) {
        return None;
    }
    let read = |r: &mut Reader<'static>| {
        let derived = Derived {
            classes: CharClasses::read(r)?,
            to_hans: Converter::read(r)?,
            phrase_neighbours: NeighbourValues::read(r)?,
            traditional_source: TraditionalSource::Image(r.bytes()?),
        };
        match r.is_done() {
            true => Ok(derived),
            false => Err(ImageError("bytes after the last table")),
        }
    };
    Some(read(&mut r))
}

/// The image of the tables derived from `rules`' conversion files (those of `script.convert`).
pub fn derive_image(rules: &RuleSet) -> Result<Vec<u8>, RuleError> {
    let rule = rules
        .get(CONVERT_RULE)
        .ok_or_else(|| RuleError::new("rules", 0, format!("missing rule {CONVERT_RULE}")))?;
    let params: ConvertParams = rule.parameters()?;
    let small = Small::read(rules, &params)?;
    check_tables(rules, table_files(&params))?;
    let derived = derive(rules, &params, &small)?;
    let [hant, tw, hk] = derived.traditional_source.build(&small.tw, &small.hk)?;
    let mut w = KIND.writer(digest_of(rules, table_files(&params))?);
    derived.classes.write(&mut w);
    derived.to_hans.write(&mut w);
    derived.phrase_neighbours.write(&mut w);
    let mut traditional = Writer::default();
    let first_steps: Vec<&Dictionary> = [&hant, &tw, &hk]
        .iter()
        .filter_map(|c| c.steps().first())
        .collect();
    Dictionary::write_shared(&first_steps, &mut traditional);
    for converter in [&tw, &hk] {
        if let Some(glyphs) = converter.steps().get(1) {
            glyphs.write(&mut traditional);
        }
    }
    w.bytes(&traditional.finish());
    Ok(w.finish())
}

/// Derive the tables from the conversion files.
fn derive(rules: &RuleSet, params: &ConvertParams, small: &Small) -> Result<Derived, RuleError> {
    let Small { tw, hk, acceptable } = small;
    let entries = |files: &[String]| -> Result<Entries, RuleError> {
        let mut entries = Entries::default();
        for file in files {
            entries.add_table(rules, file)?;
        }
        Ok(entries)
    };
    let (s2t_files, t2s_files) = (&params.s2t, &params.t2s);
    // Step one converts simplified text straight to each target's glyphs (着 → 著 too, which the
    // standard tables leave alone); step two brings standard traditional input to them.
    let mut simplified = entries(s2t_files)?;
    // Entries in a fixed order, so the derived image is the same bytes in every process.
    for glyph_key in sorted_keys(tw).into_iter().chain(sorted_keys(hk)) {
        simplified.insert(glyph_key.to_string(), glyph_key.to_string());
    }
    let auto_glyphs = AUTO_REGIONS.map(|region| match region {
        Region::Hk => hk,
        _ => tw,
    });
    let phrase_neighbours = simplified.changing_neighbours(&auto_glyphs);
    let glyphs = |variants: &HashMap<char, char>| {
        let mut glyphs = Entries::default();
        for from in sorted_keys(variants) {
            glyphs.insert(from.to_string(), variants[&from].to_string());
        }
        glyphs.build()
    };
    let to_hans = Converter::new(vec![
        entries(&params.t2s_variants)?.build()?,
        entries(t2s_files)?.build()?,
    ]);
    let mut classes = CharClasses::build(rules, s2t_files, t2s_files, hk, tw, acceptable)?;
    let changeable = changeable_chars(&classes, &phrase_neighbours, acceptable, auto_glyphs);
    classes.mark_changeable(changeable);
    // A lone character converts by its own entry, in each target's glyphs.
    classes.mark_changing_alone(|c| {
        let value = simplified.value_of(c.encode_utf8(&mut [0; 4]));
        let Some(to) = value.and_then(|v| v.chars().next()) else {
            return false;
        };
        [&HashMap::new(), tw, hk].iter().any(|glyphs| {
            let to = *glyphs.get(&to).unwrap_or(&to);
            to != c && !acceptable.contains(&(c, to))
        })
    });
    let traditional_source = TraditionalSource::Tables {
        phrases: simplified,
        tw_step: glyphs(tw)?,
        hk_step: glyphs(hk)?,
    };
    Ok(Derived {
        classes,
        to_hans,
        phrase_neighbours,
        traditional_source,
    })
}

fn sorted_keys(map: &HashMap<char, char>) -> Vec<char> {
    let mut keys: Vec<char> = map.keys().copied().collect();
    keys.sort_unstable();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_image_is_derived_from_the_default_tables() {
        let derived = derive_image(&RuleSet::defaults().unwrap()).unwrap();
        assert!(
            derived == IMAGE,
            "run `cargo run --release -p sluice-eval --bin derive_script_image`"
        );
    }

    #[test]
    fn tables_read_from_the_image_convert_as_tables_built_from_the_files() {
        let rules = RuleSet::defaults().unwrap();
        let rule = rules.get(CONVERT_RULE).unwrap();
        let params: ConvertParams = rule.parameters().unwrap();
        let small = Small::read(&rules, &params).unwrap();
        let digest = digest_of(&rules, table_files(&params)).unwrap();
        let image = derive_image(&rules).unwrap();
        let bytes: &'static [u8] = Box::leak(image.into_boxed_slice());
        let read = read_image(bytes, digest).unwrap().unwrap();
        let built = derive(&rules, &params, &small).unwrap();
        let text = "你了解微營銷是什么嗎?我們的關系和聯系,對于這么多人。后来他们說话";
        assert_eq!(read.to_hans.convert(text), built.to_hans.convert(text));
        let read = read.traditional_source.build(&small.tw, &small.hk).unwrap();
        let built = built
            .traditional_source
            .build(&small.tw, &small.hk)
            .unwrap();
        for (read, built) in read.iter().zip(&built) {
            assert_eq!(read.convert(text), built.convert(text));
        }
        assert!(read_image(bytes, digest ^ 1).is_none(), "another digest");
    }

    #[test]
    fn a_broken_table_in_a_rules_directory_fails_with_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("script")).unwrap();
        let broken = "# overrides\n干\t幹\n干净 乾淨\n";
        std::fs::write(dir.path().join("script/overrides_s2t.txt"), broken).unwrap();
        let rules = RuleSet::load(dir.path(), true).unwrap();
        let err = super::super::Script::from_rules(&rules).err().unwrap();
        assert!(err.message.contains("script/overrides_s2t.txt:3"), "{err}");
    }
}
