//! Restricted-party list formats parsed into one entry model: OFAC SDN and non-SDN (CSV and
//! XML), trade.gov Consolidated Screening List (CSV and JSON), BIS Entity List (CSV), Denied
//! Persons List (TSV), UN Security Council consolidated XML and Entity List additions from
//! Federal Register rule XML. Pure: bytes in, entries or an error naming file, line and field out.

pub mod diff;
pub mod model;

pub use diff::{Change, ListDiff, diff};
pub use model::{Address, EntityKind, Identifier, ListCode, ListEntry, Name, NameStrength, ParseError, ParsedList};
