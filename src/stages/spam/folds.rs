//! The stage's folding of one character at a time, tabulated: every rule walks the folded view
//! character by character (the word-list automaton over the whole text, the scored rules' sounds
//! before each comma and over a title line), and nearly every character of a Chinese page is ASCII,
//! general or CJK punctuation or a Han character of the common blocks. For those one table entry
//! replaces slicing the character out, decoding it again and folding it (NFKC for the punctuation).

use crate::text::fold::Folder;

use super::Spam;

impl Spam {
    /// Pass each folded character of `text` to `emit` with the byte offset and the original
    /// character it comes from, as the stage's folder folds each character in turn; the table is
    /// built by the first call (about 29,000 characters folded), so building the stage for a
    /// command that cleans nothing costs nothing more.
    #[inline]
    pub(super) fn fold_chars(&self, text: &str, emit: impl FnMut(usize, char, char)) {
        self.folds
            .get_or_init(|| CharFolds::new(&self.folder))
            .each(&self.folder, text, emit);
    }
}

/// The folded form of each character below [`CharFolds::END`] that folds to at most one character
/// of the Basic Multilingual Plane, read from the folder itself: a character folds here exactly as
/// `Folder::fold_each` folds it, and any other is folded by the folder.
pub(super) struct CharFolds {
    /// By code point: the folded character, [`CharFolds::NOTHING`] (an invisible character) or
    /// [`CharFolds::FOLD`] (fold it).
    table: Vec<u16>,
}

impl CharFolds {
    const END: u32 = 0xA000;
    /// The code points folded at start-up: ASCII, general punctuation (quotes, dashes, ellipsis,
    /// zero-width characters), and the CJK punctuation and Han blocks. The blocks between are rare
    /// on a Chinese page and would cost start-up time in the normaliser.
    const FILLED: [std::ops::Range<u32>; 3] = [0..0x80, 0x2000..0x2070, 0x3000..Self::END];
    /// Neither is a character any fold produces in these ranges.
    const NOTHING: u16 = 0xFFFE;
    const FOLD: u16 = 0xFFFF;

    pub(super) fn new(folder: &Folder) -> Self {
        let mut table = vec![Self::FOLD; Self::END as usize];
        let mut buf = [0u8; 4];
        for c in Self::FILLED
            .into_iter()
            .flatten()
            .filter_map(char::from_u32)
        {
            let (mut first, mut count) = (None, 0);
            folder.fold_each(c.encode_utf8(&mut buf), |f| {
                first.get_or_insert(f);
                count += 1;
            });
            table[c as usize] = match (first, count) {
                (None, _) => Self::NOTHING,
                (Some(f), 1) => u16::try_from(u32::from(f))
                    .ok()
                    .filter(|f| *f < Self::NOTHING)
                    .unwrap_or(Self::FOLD),
                _ => Self::FOLD,
            };
        }
        CharFolds { table }
    }

    /// Pass each folded character of `text` to `emit`, with the byte offset and the original
    /// character it comes from: what `folder.fold_each` of each character in turn passes.
    #[inline]
    pub(super) fn each(
        &self,
        folder: &Folder,
        text: &str,
        mut emit: impl FnMut(usize, char, char),
    ) {
        for (at, c) in text.char_indices() {
            match self.table.get(c as usize).copied().unwrap_or(Self::FOLD) {
                Self::NOTHING => {}
                Self::FOLD => folder.fold_each(&text[at..at + c.len_utf8()], |f| emit(at, c, f)),
                // A table entry below NOTHING is a character's code point, never a surrogate.
                f => emit(at, c, char::from_u32(u32::from(f)).unwrap_or(c)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{FOLD_TABLE, RuleSet};

    /// Every character of the table's ranges and around them folds as the folder folds it.
    #[test]
    fn the_table_folds_as_the_folder() {
        let rules = RuleSet::defaults().unwrap();
        let folder = Folder::from_opencc_ts_characters(rules.data_str(FOLD_TABLE).unwrap());
        let folds = CharFolds::new(&folder);
        let text: String = (0..0xA100)
            .chain(0xFF00..0xFF70)
            .filter_map(char::from_u32)
            .collect();
        let mut tabulated = Vec::new();
        folds.each(&folder, &text, |at, c, f| tabulated.push((at, c, f)));
        let mut folded = Vec::new();
        for (at, c) in text.char_indices() {
            folder.fold_each(&text[at..at + c.len_utf8()], |f| folded.push((at, c, f)));
        }
        assert_eq!(tabulated, folded);
        // The ranges hold characters of each kind: a look-up, an invisible one, a normalised one.
        let entry = |c: char| folds.table[c as usize];
        assert_eq!(entry('國'), '国' as u16);
        assert_eq!(entry('\u{200B}'), CharFolds::NOTHING);
        assert_eq!(entry('A'), 'a' as u16);
        assert_eq!(entry('\u{2026}'), CharFolds::FOLD);
    }
}
