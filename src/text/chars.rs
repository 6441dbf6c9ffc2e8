//! Character classes used across stages.

use icu_properties::CodePointSetData;
use icu_properties::props::DefaultIgnorableCodePoint;

/// The full-width marks that end a Chinese sentence.
pub const FULL_STOPS: [char; 3] = ['。', '！', '？'];

/// Sentence ends in text that mixes widths: the full stops, their ASCII forms and the ellipsis.
pub const SENTENCE_ENDS: [char; 6] = ['。', '！', '？', '!', '?', '…'];

/// Marks that end a clause inside a sentence, full-width and ASCII: a line ending with one is
/// unfinished.
pub const CLAUSE_ENDS: [char; 7] = ['，', ',', '；', ';', '：', ':', '、'];

/// Marks that close a statement but not a heading or a list item: the full stop and the semicolon,
/// full-width and ASCII (a question or an exclamation can be a headline).
pub const STATEMENT_ENDS: [char; 3] = ['。', '；', ';'];

/// Marks that a title does not hold: a title is one phrase, not clauses of a sentence.
pub const CLAUSE_MARKS: [char; 5] = ['，', '。', '；', ',', ';'];

/// A Han ideograph (CJK Unified Ideographs and extensions, compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF | 0x30000..=0x323AF)
}

/// Chinese sentence and clause punctuation, full-width and the ASCII forms that width folding makes.
pub fn is_cjk_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '！'
            | '？'
            | '；'
            | '：'
            | '、'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '（'
            | '）'
            | '《'
            | '》'
            | '「'
            | '」'
            | '『'
            | '』'
            | '【'
            | '】'
            | '…'
            | '—'
            | '·'
            | '〈'
            | '〉'
    )
}

/// The prose signal: Chinese sentence and clause punctuation (and the ASCII forms width folding
/// makes of the full-width ones).
pub fn is_sentence_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '！' | '？' | '；' | '：' | '、' | '“' | '”' | ',' | ';'
    )
}

/// Private-use code points: what a legacy decoder makes of byte pairs outside the standard tables.
pub fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

/// Invisible characters that obfuscate keywords: Unicode's `Default_Ignorable_Code_Point` (zero-width
/// spaces and joiners, bidi controls, the soft hyphen, a BOM inside text, variation selectors, Hangul
/// fillers, tags …), from ICU4X's compiled Unicode data, so that no hand list falls behind.
pub fn is_invisible(c: char) -> bool {
    CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_han('國') && is_han('𠮷') && !is_han('。') && !is_han('a'));
        assert!(is_cjk_punct('。') && !is_cjk_punct('.'));
        assert!(is_private_use('\u{E1E9}') && !is_private_use('國'));
        assert!(is_invisible('\u{200B}') && is_invisible('\u{FE0F}') && !is_invisible(' '));
        assert!(!is_invisible('國') && !is_invisible('a') && !is_invisible('\u{3000}'));
    }
}
