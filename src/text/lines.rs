//! Lines as byte ranges: how the stages walk a text's lines and remove one whole.

use std::ops::Range;

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
}
