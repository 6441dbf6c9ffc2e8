//! OpenCC dictionary files (`key<TAB>value value…` per line, `#` comment lines): the one reader of
//! the conversion and folding tables, so every table skips the same lines, and the check that
//! holds them to [`crate::text::table`]'s policy: a line that is not an entry is an error naming
//! the file and line, so a broken dictionary in `--rules` fails `sluice check` instead of losing
//! its entries silently.

use crate::error::RuleError;
use crate::text::table;

/// The line format of an OpenCC table.
const FORMAT: &str = "key<TAB>value [value…]";

/// Every line of the table `file` (its name in errors) that is neither a comment nor blank is an
/// entry with a key and a first value.
pub fn check(file: &str, text: &str) -> Result<(), RuleError> {
    for entry in table::entries(file, text) {
        let (key, values) = entry.split_once('\t', FORMAT)?;
        let first = values.split(' ').next().unwrap_or_default();
        if key.trim().is_empty() || first.trim().is_empty() {
            return Err(entry.malformed(FORMAT));
        }
    }
    Ok(())
}

/// Each entry of a table: its key and its values, the preferred first. Comment lines and lines
/// without a tab are no entries.
pub fn entries(text: &str) -> impl Iterator<Item = (&str, std::str::Split<'_, char>)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (key, values) = line.split_once('\t')?;
            Some((key, values.split(' ')))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_is_no_entry_is_an_error_naming_file_and_line() {
        assert!(check("t.txt", "# header\n樂\t乐 樂\n\n後\t后\n").is_ok());
        for (table, line) in [("樂\t乐\nno tab\n", 2), ("\t乐\n", 1), ("樂\t\n", 1)] {
            let err = check("t.txt", table).unwrap_err();
            assert_eq!((err.file.as_str(), err.line), ("t.txt", line), "{table:?}");
            assert!(err.message.contains("key<TAB>value"), "{err}");
        }
    }

    #[test]
    fn entries_skip_comments_and_lines_without_a_tab() {
        let table = "# header\n樂\t乐 樂\nno tab\n後\t后\n";
        let read: Vec<(&str, Vec<&str>)> = entries(table).map(|(k, v)| (k, v.collect())).collect();
        assert_eq!(read, [("樂", vec!["乐", "樂"]), ("後", vec!["后"])]);
    }
}
