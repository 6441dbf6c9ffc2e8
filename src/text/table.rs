//! Table files (word lists, character and byte tables, dictionaries): one reader, so that every table
//! skips the same lines and fails the same way. A line starting with `#` is a comment and a blank
//! line is nothing; every other line is an entry, and an entry that does not read is an error naming
//! the file and the line, never skipped and never a panic.

use std::fmt::Display;

use crate::error::RuleError;

/// The entry lines of the table `file` (its name in errors) with the text `text`.
pub fn entries<'a>(file: &'a str, text: &'a str) -> impl Iterator<Item = Entry<'a>> {
    entries_without_comments(file, text).filter(|entry| !entry.text.starts_with('#'))
}

/// The non-blank lines of a table that has no comments, because its keys may start with `#`
/// (character counts).
pub fn entries_without_comments<'a>(
    file: &'a str,
    text: &'a str,
) -> impl Iterator<Item = Entry<'a>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(index, text)| Entry {
            file,
            number: index + 1,
            text,
        })
}

/// One entry line of a table file.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    file: &'a str,
    number: usize,
    /// The line, without its line end.
    pub text: &'a str,
}

impl<'a> Entry<'a> {
    /// An error about this line.
    pub fn error(&self, message: impl Display) -> RuleError {
        RuleError::new(self.file, self.number, message.to_string())
    }

    /// The error of a line that does not have the table's `format`.
    pub fn malformed(&self, format: &str) -> RuleError {
        self.error(format!("expected `{format}`, got `{}`", self.text))
    }

    /// The line split at the first `separator`, or the error of a line without one.
    pub fn split_once(
        &self,
        separator: char,
        format: &str,
    ) -> Result<(&'a str, &'a str), RuleError> {
        self.text
            .split_once(separator)
            .ok_or_else(|| self.malformed(format))
    }
}

/// The one character of a key or value that is a single character.
pub fn single_char(text: &str) -> Option<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{entries, single_char};

    #[test]
    fn entries_skip_comments_and_blank_lines_and_keep_line_numbers() {
        let table = "# header\n樂\t乐\n\n  \n後\t后\n";
        let read: Vec<(usize, &str)> = entries("t.txt", table)
            .map(|e| (e.number, e.text))
            .collect();
        assert_eq!(read, [(2, "樂\t乐"), (5, "後\t后")]);
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_file_and_line() {
        let table = "# header\na\tb\nno tab\n";
        let errors: Vec<String> = entries("t.txt", table)
            .filter_map(|e| e.split_once('\t', "key<TAB>value").err())
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errors, ["t.txt:3: expected `key<TAB>value`, got `no tab`"]);
    }

    #[test]
    fn single_char_is_one_character_only() {
        assert_eq!(single_char("樂"), Some('樂'));
        assert_eq!(single_char("樂器"), None);
        assert_eq!(single_char(""), None);
    }
}
