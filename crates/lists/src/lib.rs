//! Restricted-party list formats parsed into one entry model: OFAC SDN and non-SDN (CSV and
//! XML), trade.gov Consolidated Screening List (CSV and JSON), BIS Entity List (CSV), Denied
//! Persons List (TSV), UN Security Council consolidated XML and Entity List additions from
//! Federal Register rule XML. Pure: bytes in, entries or an error naming file, line and field out.
//!
//! Each format is a module with `parse(file_name, bytes)` (OFAC CSV takes its parts together);
//! `detect_format` and `parse_file` pick and run one by name.

pub mod bis_el_csv;
pub mod country;
pub mod csl_csv;
pub mod csl_json;
pub mod detect;
pub mod diff;
pub mod dpl_tsv;
pub mod fr_xml;
pub mod model;
pub mod ofac_csv;
pub mod ofac_xml;
pub mod un_xml;

mod assemble;
mod csl;
mod ofac_remarks;
mod tabular;
mod text;
mod xml;

pub use detect::{FORMATS, detect_format, parse_file};
pub use diff::{Change, ListDiff, diff};
pub use model::{Address, EntityKind, Identifier, ListCode, ListEntry, Name, NameStrength, ParseError, ParsedList};
pub use ofac_csv::{OfacCsvParts, Part};
