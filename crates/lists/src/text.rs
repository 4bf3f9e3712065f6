//! Text helpers every parser shares: decoding bytes, line numbers, errors, whitespace and dates.

use sha2::{Digest, Sha256};

use crate::model::ParseError;

/// A parse error at a line and field of a file. Every parser reports through this one shape.
pub(crate) fn error(file: &str, line: u64, field: &str, message: impl Into<String>) -> ParseError {
    ParseError { file: file.to_owned(), line: Some(line), field: Some(field.to_owned()), message: message.into() }
}

/// SHA-256 of the parts in order, hex. Multi-file formats hash every part they were given.
pub(crate) fn content_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The input as UTF-8 (a leading byte-order mark dropped), or an error naming the line of the first
/// invalid byte.
pub(crate) fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = line_of_byte(bytes, e.valid_up_to());
        error(file, line, "encoding", format!("invalid UTF-8 at byte {}; the format requires UTF-8", e.valid_up_to()))
    })
}

/// 1-based line of a byte offset.
pub(crate) fn line_of_byte(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Windows-1252 to text. Its 0x80..=0x9F block holds printable characters where ISO 8859-1 has
/// control codes, so decoding as Windows-1252 reads Latin-1 text correctly as well.
pub(crate) fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Byte offsets of line starts, to turn an offset into a 1-based line.
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    pub(crate) fn line(&self, offset: usize) -> u64 {
        // INVARIANT: `starts[0]` is 0, so the partition point is at least 1.
        self.starts.partition_point(|&start| start <= offset) as u64
    }
}

/// Trimmed, inner whitespace runs collapsed to one space; `None` when nothing is left.
pub(crate) fn clean(text: &str) -> Option<String> {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// Splits a `;`-separated cell into its cleaned, non-empty items.
pub(crate) fn split_items(text: &str, separator: char) -> Vec<String> {
    text.split(separator).filter_map(clean).collect()
}

/// `M/D/YYYY` (US order, one or two digits) to `YYYY-MM-DD`.
pub(crate) fn us_date(text: &str) -> Option<String> {
    let mut parts = text.trim().split('/');
    let (month, day, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 {
        return None;
    }
    let month: u32 = month.parse().ok()?;
    let day: u32 = day.parse().ok()?;
    let year: u32 = year.parse().ok()?;
    valid_date(year, month, day)
}

/// `Month D, YYYY` (e.g. `February 24, 2023`) to `YYYY-MM-DD`.
pub(crate) fn month_name_date(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let mut words = text.split_whitespace();
    let month = words.next()?.to_lowercase();
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let day: u32 = words.next()?.trim_end_matches(',').parse().ok()?;
    let year: u32 = words.next()?.trim_end_matches(['.', ',']).parse().ok()?;
    valid_date(year, month, day)
}

/// `YYYY-MM-DD` at the start of the text (e.g. of an ISO timestamp).
pub(crate) fn iso_date_prefix(text: &str) -> Option<String> {
    let date = text.trim().get(..10)?;
    let mut parts = date.split('-');
    let year: u32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    valid_date(year, month, day)
}

fn valid_date(year: u32, month: u32, day: u32) -> Option<String> {
    ((1000..=9999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_windows_1252() {
        assert_eq!(windows_1252(b"Jos\xe9 \x80 \x93x\x94"), "José € “x”");
    }

    #[test]
    fn reports_the_line_of_invalid_utf8() {
        let err = utf8("f.json", b"{\n\"a\": \"\xff\"\n}").expect_err("invalid");
        assert_eq!(err.line, Some(2));
        assert_eq!(utf8("f.json", b"\xEF\xBB\xBFok").expect("bom dropped"), "ok");
    }

    #[test]
    fn line_index_counts_from_one() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!([0, 1, 2, 4, 5, 6].map(|o| index.line(o)), [1, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn reads_dates() {
        assert_eq!(us_date("3/20/1992").as_deref(), Some("1992-03-20"));
        assert_eq!(us_date("06/19/2003").as_deref(), Some("2003-06-19"));
        assert_eq!(us_date("13/01/2003"), None);
        assert_eq!(month_name_date("February 24, 2023.").as_deref(), Some("2023-02-24"));
        assert_eq!(iso_date_prefix("2026-02-27T00:00:09.554Z").as_deref(), Some("2026-02-27"));
        assert_eq!(iso_date_prefix("2026"), None);
    }

    #[test]
    fn cleans_whitespace() {
        assert_eq!(clean("  a \n b  ").as_deref(), Some("a b"));
        assert_eq!(clean(" \t "), None);
        assert_eq!(split_items("a; ;b ;", ';'), ["a", "b"]);
    }
}
