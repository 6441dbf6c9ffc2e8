//! The readings table (`char<TAB>reading,reading`), shared by the pinyin stage and the scored spam
//! rule: parsed from the rule set's file, or read from the image derived from the default table
//! (`data/pinyin/readings.bin`, written by `sluice-eval`'s `derive_pinyin_image`), once per
//! process. Both stages parsed the table, and the spam rule interned a sound for each character: a
//! fifth of a process's start-up.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::text::image::{ImageError, Kind, Reader, Writer, digest_of};
use crate::text::table::{self, single_char};
use crate::types::StageName;

use super::{GlossParams, toneless_letter};

/// The readings derived from the default rules' table.
static IMAGE: &[u8] = include_bytes!("../../../data/pinyin/readings.bin");
const KIND: Kind = Kind {
    magic: b"SLPY",
    version: 1,
};

/// The readings of each character, as the table lists them (`reading,reading`), in one string
/// with an index sorted by character: a table of 40,000 characters is read in one pass, without
/// an allocation per character or reading.
pub(crate) struct Readings {
    text: String,
    /// Each character and the byte range of its readings in `text`.
    index: Vec<(char, u32, u32)>,
    /// Each character's first reading without its tone, as an index into `syllables` (in the
    /// order of `index`).
    first: Vec<u32>,
    /// The toneless syllables, each once, in the order of their first use.
    syllables: Vec<Box<str>>,
}

impl Readings {
    /// The readings of the rule set's table `file`: from the image when the file is the one it was
    /// derived from (decoded once per process and shared), else parsed from the file.
    pub(crate) fn load(rules: &RuleSet, file: &str) -> Result<Arc<Self>, RuleError> {
        static DECODED: OnceLock<Result<Arc<Readings>, ImageError>> = OnceLock::new();
        if KIND.digest(&mut Reader::new(IMAGE)) == Some(digest_of(rules, [file])?) {
            let decoded = DECODED.get_or_init(|| Readings::read(IMAGE).map(Arc::new));
            return match decoded {
                Ok(readings) => Ok(Arc::clone(readings)),
                Err(e) => Err(ImageError(e.0).into()),
            };
        }
        Ok(Arc::new(Readings::parse(file, rules.data_str(file)?)?))
    }

    /// The readings of the table `file`; a character listed twice keeps its last line.
    pub(crate) fn parse(file: &str, table: &str) -> Result<Self, RuleError> {
        const FORMAT: &str = "char<TAB>reading,reading";
        let mut text = String::with_capacity(table.len());
        let mut index = Vec::new();
        for entry in table::entries(file, table) {
            let (han, readings) = entry.split_once('\t', FORMAT)?;
            let han = single_char(han).ok_or_else(|| entry.malformed(FORMAT))?;
            let start = text.len() as u32;
            text.push_str(readings);
            index.push((han, start, text.len() as u32));
        }
        index.sort_by_key(|&(han, ..)| han);
        index.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                *kept = *later;
            }
            same
        });
        let mut readings = Readings {
            text,
            index,
            first: Vec::new(),
            syllables: Vec::new(),
        };
        readings.intern_first_syllables();
        Ok(readings)
    }

    /// Fills `first` and `syllables` from the index.
    fn intern_first_syllables(&mut self) {
        let mut ids: HashMap<Box<str>, u32> = HashMap::new();
        let mut name = String::new();
        let mut first = Vec::with_capacity(self.index.len());
        for at in 0..self.index.len() {
            let readings = self.readings_at(at);
            name.clear();
            name.extend(
                readings
                    .split(',')
                    .next()
                    .unwrap_or(readings)
                    .chars()
                    .map(toneless_letter),
            );
            let id = match ids.get(name.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.syllables.len() as u32;
                    self.syllables.push(name.as_str().into());
                    ids.insert(name.as_str().into(), id);
                    id
                }
            };
            first.push(id);
        }
        self.first = first;
    }

    fn readings_at(&self, at: usize) -> &str {
        let (_, start, end) = self.index[at];
        &self.text[start as usize..end as usize]
    }

    /// Each character with its first reading without tone (an index into the returned syllables),
    /// in character order; and the toneless syllables, in the order of their first use.
    pub(crate) fn first_syllables(&self) -> (impl Iterator<Item = (char, u32)>, &[Box<str>]) {
        let chars = self.index.iter().map(|&(han, ..)| han);
        (chars.zip(self.first.iter().copied()), &self.syllables)
    }

    /// Whether `syllable` is one of `han`'s readings.
    pub(super) fn has(&self, han: char, syllable: &str) -> bool {
        let Ok(at) = self.index.binary_search_by_key(&han, |&(c, ..)| c) else {
            return false;
        };
        self.readings_at(at).split(',').any(|r| r == syllable)
    }

    fn write(&self, w: &mut Writer) {
        w.str(&self.text);
        let column = |f: fn(&(char, u32, u32)) -> u32| self.index.iter().map(f).collect::<Vec<_>>();
        w.u32s(&column(|&(han, ..)| han.into()));
        w.u32s(&column(|&(_, start, _)| start));
        w.u32s(&column(|&(.., end)| end));
        w.u32s(&self.first);
        w.len(self.syllables.len());
        for syllable in &self.syllables {
            w.str(syllable);
        }
    }

    /// The readings of an image.
    fn read(image: &[u8]) -> Result<Self, ImageError> {
        let mut r = Reader::new(image);
        KIND.digest(&mut r)
            .ok_or(ImageError("not an image of readings"))?;
        let text = r.str()?.to_string();
        let (chars, starts, ends, first) = (r.chars()?, r.u32s()?, r.u32s()?, r.u32s()?);
        let count = r.len()?;
        if count > r.remaining() {
            return Err(ImageError("more syllables than bytes"));
        }
        let syllables = (0..count)
            .map(|_| r.str().map(Box::from))
            .collect::<Result<Vec<_>, _>>()?;
        if !r.is_done() {
            return Err(ImageError("bytes after the syllables"));
        }
        let n = chars.len();
        if [starts.len(), ends.len(), first.len()] != [n; 3] {
            return Err(ImageError("the readings' columns differ in length"));
        }
        let in_text = |s: u32, e: u32| s <= e && text.get(s as usize..e as usize).is_some();
        let sorted = chars.windows(2).all(|w| w[0] < w[1]);
        let valid = starts.iter().zip(&ends).all(|(&s, &e)| in_text(s, e))
            && first.iter().all(|&id| (id as usize) < syllables.len());
        if !(sorted && valid) {
            return Err(ImageError("a reading out of place"));
        }
        let index = chars
            .into_iter()
            .zip(starts.into_iter().zip(ends))
            .map(|(han, (start, end))| (han, start, end))
            .collect();
        Ok(Readings {
            text,
            index,
            first,
            syllables,
        })
    }
}

/// The image of the readings table that `rules`' pinyin rule names.
pub fn derive_image(rules: &RuleSet) -> Result<Vec<u8>, RuleError> {
    let rule = rules
        .for_stage(StageName::Pinyin)
        .next()
        .ok_or_else(|| RuleError::new("rules", 0, "no pinyin rule names a readings table"))?;
    let file = rule.parameters::<GlossParams>()?.readings;
    let file = file.as_str();
    let readings = Readings::parse(file, rules.data_str(file)?)?;
    let mut w = KIND.writer(digest_of(rules, [file])?);
    readings.write(&mut w);
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_image_is_derived_from_the_default_readings() {
        let rules = RuleSet::defaults().unwrap();
        let image = derive_image(&rules).unwrap();
        assert!(
            image == IMAGE,
            "data/pinyin/readings.bin is stale: cargo run --release -p sluice-eval --bin derive_pinyin_image"
        );
    }

    #[test]
    fn the_image_reads_back_as_the_table_parses() {
        let table = "# a comment\n重\tzhòng,chóng\n啊\ta,á\n好\thǎo,hào\n重\tchóng,zhòng\n";
        let parsed = Readings::parse("r", table).unwrap();
        let mut w = KIND.writer(7);
        parsed.write(&mut w);
        let image = w.finish();
        assert_eq!(KIND.digest(&mut Reader::new(&image)), Some(7));
        let read = Readings::read(&image).unwrap();
        assert_eq!(read.index, parsed.index);
        assert_eq!(read.text, parsed.text);
        let (firsts, syllables) = read.first_syllables();
        let named: Vec<(char, &str)> = firsts
            .map(|(c, id)| (c, &*syllables[id as usize]))
            .collect();
        assert_eq!(named, [('啊', "a"), ('好', "hao"), ('重', "chong")]);
        assert!(read.has('重', "zhòng") && !read.has('好', "hāo"));
    }

    #[test]
    fn a_damaged_image_is_an_error_not_a_panic() {
        let mut w = KIND.writer(0);
        w.str("hǎo");
        w.chars(&['好']);
        w.u32s(&[0]);
        w.u32s(&[99]);
        w.u32s(&[0]);
        w.len(1);
        w.str("hao");
        assert!(Readings::read(&w.finish()).is_err());
        assert!(Readings::read(&IMAGE[..IMAGE.len() / 2]).is_err());
    }
}
