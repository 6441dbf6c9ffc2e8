//! Lines as byte ranges: how the stages walk a text's lines and remove one whole.

use std::ops::Range;

use crate::text::chars::CLAUSE_ENDS;

/// Byte ranges of the lines of `text`, without their newline (`\n` only: the decode stage has
/// normalised line ends). A text ending with a newline has an empty last line.
pub fn line_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    text.split('\n').map(move |line| {
        let range = start..start + line.len();
        start = range.end + 1;
        range
    })
}

/// A line's range extended over its newline, so removing it leaves no empty line behind.
pub fn with_newline(text: &str, line: Range<usize>) -> Range<usize> {
    if text[line.end..].starts_with('\n') {
        line.start..line.end + 1
    } else {
        line
    }
}

/// A first line of plain text is a title when it is short and does not end like a statement or a
/// clause (a question mark or an exclamation mark can end a title).
pub fn looks_like_title(line: &str) -> bool {
    let chars = line.chars().count();
    (2..=64).contains(&chars)
        && line.chars().any(char::is_alphanumeric)
        && !line.ends_with('。')
        && !line.ends_with(CLAUSE_ENDS)
}

/// Whether an untyped text opens with a title as the layout writes one (`Cleaned::render`): a
/// title-like first line followed by a blank line.
pub fn opens_with_title(text: &str) -> bool {
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default().trim();
    lines.next().is_some_and(|second| second.trim().is_empty()) && looks_like_title(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_line_and_rebuild_the_text() {
        let text = "一\n\nab\n";
        let ranges: Vec<_> = line_ranges(text).collect();
        assert_eq!(ranges, [0..3, 4..4, 5..7, 8..8]);
        let lines: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(lines.join("\n"), text);
        assert_eq!(with_newline(text, 5..7), 5..8);
        assert_eq!(with_newline("a\nb", 2..3), 2..3);
    }

    #[test]
    fn a_sentence_is_not_a_title() {
        assert!(!looks_like_title("這是一句話，"));
        assert!(looks_like_title("你了解微營銷是什么嗎?其實你不懂"));
    }

    #[test]
    fn a_title_is_a_first_line_with_a_blank_line_under_it() {
        assert!(opens_with_title("CCTV.com- 央视论坛 :: null\n\n正文。"));
        assert!(!opens_with_title("CCTV.com- 央视论坛 :: null\n正文。"));
        assert!(!opens_with_title("這是一句話。\n\n正文。"));
        assert!(!opens_with_title("只有標題"));
    }
}
