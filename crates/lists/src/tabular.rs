//! CSV and TSV records with their line numbers, header lookup and the column-count check shared by
//! the delimited formats.

use crate::assemble::Entries;
use crate::model::{ListEntry, ParseError, ParsedList};
use crate::text::{LineIndex, clean, content_hash, error, utf8};

/// One record of a delimited file: the line it starts on and its fields, untrimmed.
#[derive(Debug)]
pub(crate) struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

impl Record {
    /// The field at `index`, cleaned; `None` when absent or blank.
    pub(crate) fn get(&self, index: usize) -> Option<String> {
        self.fields.get(index).and_then(|f| clean(f))
    }

    fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// Every non-blank record of `text`. Quoting follows RFC 4180; records may span lines. Rows whose
/// every field is empty carry nothing and are skipped.
pub(crate) fn records(file: &str, text: &str, delimiter: u8) -> Result<Vec<Record>, ParseError> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    // The csv crate counts lines without the blank lines it skips, and its byte offset points
    // before them; the record starts at the first byte past the line breaks.
    let lines = LineIndex::new(text);
    let start_of = |position: Option<&csv::Position>| {
        let offset = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let skipped = text.get(offset..).map_or(0, |rest| rest.len() - rest.trim_start_matches(['\r', '\n']).len());
        offset.saturating_add(skipped)
    };
    let mut out = Vec::new();
    let mut last_start = 0;
    for result in reader.records() {
        let record = result.map_err(|e| {
            error(file, lines.line(start_of(e.position())), "record", format!("unreadable record: {e}"))
        })?;
        last_start = start_of(record.position());
        let record = Record { line: lines.line(last_start), fields: record.iter().map(str::to_owned).collect() };
        if !record.is_blank() {
            out.push(record);
        }
    }
    // The csv crate closes a quoted field at the end of input, so a file cut inside one still
    // parses; an odd number of quotes in the last record shows the cut.
    if text.get(last_start..).is_some_and(|last| last.matches('"').count() % 2 == 1) {
        return Err(error(
            file,
            lines.line(last_start),
            "record",
            "the file ends inside a quoted field: it is truncated",
        ));
    }
    Ok(out)
}

/// A UTF-8 file with a header row: the header, checked to name every column of `required`, and
/// the data rows, each checked against the header's width.
pub(crate) fn with_header(
    file: &str,
    bytes: &[u8],
    delimiter: u8,
    required: &[&str],
) -> Result<(Header, Vec<Record>), ParseError> {
    let text = utf8(file, bytes)?;
    let mut rows = records(file, text, delimiter)?.into_iter();
    let first = rows.next().ok_or_else(|| error(file, 1, "header", "the file is empty"))?;
    let header = Header::new(&first);
    for column in required {
        header.required(file, column)?;
    }
    let rows: Vec<Record> = rows.collect();
    for row in &rows {
        header.check_width(file, row)?;
    }
    Ok((header, rows))
}

/// A delimited format with a header whose rows repeat a listing (one row per address or alias).
#[derive(Debug)]
pub(crate) struct RepeatingRows {
    pub format: &'static str,
    pub delimiter: u8,
    /// Columns the header must name.
    pub columns: &'static [&'static str],
    /// What the format calls the field the entry id comes from, for messages.
    pub id_field: &'static str,
}

impl RepeatingRows {
    /// Turns each row into an entry with `entry`; rows with the same id are one listing, merged.
    pub(crate) fn parse(
        &self,
        file: &str,
        bytes: &[u8],
        entry: impl Fn(&Header, &Record) -> Result<ListEntry, ParseError>,
    ) -> Result<ParsedList, ParseError> {
        let (header, rows) = with_header(file, bytes, self.delimiter, self.columns)?;
        let mut entries = Entries::new(file, self.id_field);
        for row in &rows {
            entries.insert_or_merge(entry(&header, row)?);
        }
        Ok(entries.finish(self.format, None, content_hash(&[bytes])))
    }
}

/// A header row: column names by position.
#[derive(Debug)]
pub(crate) struct Header {
    pub line: u64,
    names: Vec<String>,
    /// Width of the header as written, trailing unnamed columns included.
    written: usize,
}

impl Header {
    pub(crate) fn new(record: &Record) -> Header {
        let mut names: Vec<String> = record.fields.iter().map(|f| f.trim().to_owned()).collect();
        let written = names.len();
        while names.last().is_some_and(String::is_empty) {
            names.pop();
        }
        Header { line: record.line, names, written }
    }

    /// The cleaned value of the named column in `row`.
    pub(crate) fn cell(&self, row: &Record, name: &str) -> Option<String> {
        self.optional(name).and_then(|i| row.get(i))
    }

    pub(crate) fn optional(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    /// The column's index, or an error naming the missing column.
    pub(crate) fn required(&self, file: &str, name: &str) -> Result<usize, ParseError> {
        self.optional(name).ok_or_else(|| {
            error(
                file,
                self.line,
                name,
                format!("the header has no `{name}` column (found: {})", self.names.join(", ")),
            )
        })
    }

    /// Checks a row against the header: every named column present, and nothing beyond the
    /// header's written width except empty fields.
    pub(crate) fn check_width(&self, file: &str, record: &Record) -> Result<(), ParseError> {
        check_width(file, record, &self.names, self.written)
    }
}

/// Checks a record of a fixed-width format. `names` are the columns in order; fields beyond them up
/// to `allowed` are accepted when empty (some files pad rows with empty columns).
pub(crate) fn check_width(
    file: &str,
    record: &Record,
    names: &[impl AsRef<str>],
    allowed: usize,
) -> Result<(), ParseError> {
    let len = record.fields.len();
    if let Some(missing) = names.get(len) {
        return Err(error(
            file,
            record.line,
            missing.as_ref(),
            format!(
                "the row has {len} fields where {} are expected; `{}` and after are missing",
                names.len(),
                missing.as_ref()
            ),
        ));
    }
    let extra_filled =
        record.fields.iter().enumerate().skip(names.len()).find(|(i, f)| *i >= allowed || !f.trim().is_empty());
    if let Some((index, _)) = extra_filled {
        return Err(error(
            file,
            record.line,
            &format!("field {}", index + 1),
            format!("the row has {len} fields where {} are expected", names.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_their_starting_line_and_skip_blank_rows() {
        let rows = records("t.csv", "a,b\n\n\"x\ny\",z\n,\n\r\n\r\nlast", b',').expect("parses");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3, 8]);
        assert_eq!(rows[1].fields, ["x\ny", "z"]);
    }

    #[test]
    fn a_file_cut_inside_quotes_is_truncated() {
        let err = records("t.csv", "a,\"b\"\n1,\"cut her", b',').expect_err("truncated");
        assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("record")));
        assert!(records("t.csv", "a,\"say \"\"hi\"\"\"\n", b',').is_ok());
    }

    #[test]
    fn width_errors_name_the_missing_column() {
        let header = Header::new(&Record { line: 1, fields: vec!["A".into(), "B".into(), "".into()] });
        let short = Record { line: 4, fields: vec!["1".into()] };
        let err = header.check_width("t.csv", &short).expect_err("short row");
        assert_eq!((err.line, err.field.as_deref()), (Some(4), Some("B")));
        let padded = Record { line: 5, fields: vec!["1".into(), "2".into(), "".into()] };
        assert!(header.check_width("t.csv", &padded).is_ok());
        let long = Record { line: 6, fields: vec!["1".into(), "2".into(), "3".into()] };
        assert_eq!(header.check_width("t.csv", &long).expect_err("extra").field.as_deref(), Some("field 3"));
    }
}
