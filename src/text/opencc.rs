//! OpenCC dictionary files (`key<TAB>value value…` per line, `#` comment lines): the one reader of
//! the conversion and folding tables, so every table skips the same lines.

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
    fn entries_skip_comments_and_lines_without_a_tab() {
        let table = "# header\n樂\t乐 樂\nno tab\n後\t后\n";
        let read: Vec<(&str, Vec<&str>)> = entries(table).map(|(k, v)| (k, v.collect())).collect();
        assert_eq!(read, [("樂", vec!["乐", "樂"]), ("後", vec!["后"])]);
    }
}
