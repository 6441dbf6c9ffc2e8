//! Numeric character references left in text: `&#23458;`, `&#x8f09;` (half-decoded) and
//! `&amp;#26410;` (escaped twice). Only references to non-ASCII characters are decoded: `&#39;` in a
//! text about HTML is more likely meant.

use std::ops::Range;

use regex::Regex;

pub struct Entities {
    pattern: Regex,
}

impl Entities {
    pub fn new() -> Self {
        Entities {
            pattern: Regex::new(r"&(?:amp;){0,2}#(?:([0-9]{2,7})|[xX]([0-9a-fA-F]{2,6}));")
                .expect("valid regex"),
        }
    }

    /// Each decodable reference in `text`: its byte range and the character it names.
    pub fn find(&self, text: &str) -> Vec<(Range<usize>, char)> {
        if memchr::memmem::find(text.as_bytes(), b"#").is_none() {
            return Vec::new();
        }
        self.pattern
            .captures_iter(text)
            .filter_map(|caps| {
                let whole = caps.get(0)?;
                let code = match (caps.get(1), caps.get(2)) {
                    (Some(dec), _) => dec.as_str().parse::<u32>().ok()?,
                    (None, Some(hex)) => u32::from_str_radix(hex.as_str(), 16).ok()?,
                    (None, None) => return None,
                };
                let c = char::from_u32(code)?;
                (!c.is_ascii() && !c.is_control()).then_some((whole.range(), c))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_half_and_double_escaped_references() {
        let found = Entities::new().find("承&#x8f09;和&amp;#26410;,&#39;");
        let chars: Vec<char> = found.iter().map(|(_, c)| *c).collect();
        assert_eq!(chars, ['載', '未']);
    }
}
