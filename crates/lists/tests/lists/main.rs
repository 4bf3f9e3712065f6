//! Integration tests of the list parsers on real files: known entries field by field, malformed
//! inputs, the full shared files when present, and property tests that no input panics.

mod bis;
mod csl;
mod detect;
mod dpl;
mod fr;
mod full_files;
mod malformed;
mod no_panic;
mod ofac;
mod un;

use std::fs;
use std::path::Path;

use chipwarden_lists::{ListEntry, NameStrength, OfacCsvParts, ParseError, ParsedList, Part, parse_file};

/// A file from `test_data/`.
pub fn read(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data").join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A `test_data/` file parsed in `format`, which must succeed.
pub fn parsed(format: &str, name: &str) -> ParsedList {
    parse_file(format, name, &read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn by_id<'a>(list: &'a ParsedList, id: &str) -> &'a ListEntry {
    list.entries.iter().find(|e| e.entry_id == id).unwrap_or_else(|| panic!("no entry `{id}`"))
}

/// The names of one strength, in order.
pub fn names(entry: &ListEntry, strength: NameStrength) -> Vec<&str> {
    entry.names.iter().filter(|n| n.strength == strength).map(|n| n.text.as_str()).collect()
}

pub fn address_texts(entry: &ListEntry) -> Vec<&str> {
    entry.addresses.iter().map(|a| a.text.as_str()).collect()
}

/// Checks that parsing failed at `line` on `field` with a message containing `words`.
pub fn check_error<T: std::fmt::Debug>(result: Result<T, ParseError>, file: &str, line: u64, field: &str, words: &str) {
    let err = result.expect_err("the input must be rejected");
    assert_eq!(err.file, file, "{err}");
    assert_eq!(err.line, Some(line), "{err}");
    assert_eq!(err.field.as_deref(), Some(field), "{err}");
    assert!(err.message.contains(words), "`{}` does not say `{words}`", err.message);
}

/// The bytes of an OFAC legacy CSV publication: the primary file and its optional parts.
#[derive(Debug)]
pub struct OfacFiles {
    pub names: [&'static str; 4],
    pub bytes: [Option<Vec<u8>>; 4],
}

impl OfacFiles {
    pub fn parts(&self) -> OfacCsvParts<'_> {
        let part = |i: usize| self.bytes[i].as_deref().map(|bytes| Part { file: self.names[i], bytes });
        OfacCsvParts {
            primary: part(0).expect("the primary file"),
            addresses: part(1),
            aliases: part(2),
            comments: part(3),
        }
    }
}

pub fn sdn_2021() -> OfacFiles {
    let names = ["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"];
    OfacFiles { names, bytes: names.map(|n| Some(read(&format!("ofac_sdn_2021/{n}")))) }
}
