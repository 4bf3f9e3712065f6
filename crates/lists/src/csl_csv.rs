//! trade.gov Consolidated Screening List as CSV: the current schema (29 columns, `_id` first) and
//! the 2019 schema (28 columns, no `_id`). See `csl` for how a record maps to an entry.
//!
//! Multi-valued cells are `;`-separated. Addresses are one line each ending in a country code.
//! `ids` items are comma-separated parts: `type, number[, country]` in the current schema and
//! `[country, ]number, type` in the 2019 one.

use std::collections::HashMap;

use crate::assemble::Entries;
use crate::csl::{self, LISTS, SCALARS};
use crate::model::{Identifier, ParseError, ParsedList};
use crate::tabular::{Record, with_header};
use crate::text::{clean, content_hash, split_items};

pub const FORMAT: &str = "csl-csv";

/// Columns both schemas have besides the scalars and lists.
const OTHER_COLUMNS: [&str; 3] = ["addresses", "ids", "places_of_birth"];

pub fn parse(file: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    let required: Vec<&str> = SCALARS.iter().chain(&LISTS).chain(&OTHER_COLUMNS).copied().collect();
    let (header, rows) = with_header(file, bytes, b',', &required)?;
    let id_column = header.optional("_id");
    let columns: HashMap<&str, usize> =
        required.iter().filter_map(|&name| Some((name, header.optional(name)?))).collect();
    let cell = |row: &Record, name: &str| columns.get(name).and_then(|&i| row.get(i));
    let current_schema = id_column.is_some();
    let mut entries = Entries::new(file, if current_schema { "_id" } else { "entity_number" });
    for row in &rows {
        let mut record = csl::Record { line: row.line, id: id_column.and_then(|i| row.get(i)), ..Default::default() };
        for name in SCALARS {
            if let Some(value) = cell(row, name) {
                record.scalars.insert(name, value);
            }
        }
        for name in LISTS {
            record.lists.insert(name, split_items(&cell(row, name).unwrap_or_default(), ';'));
        }
        record.addresses =
            cell(row, "addresses").unwrap_or_default().split(';').filter_map(csl::address_line).collect();
        let ids = split_items(&cell(row, "ids").unwrap_or_default(), ';');
        record.ids = ids.iter().filter_map(|item| identifier(item, current_schema)).collect();
        csl::add(file, record, &mut entries)?;
    }
    Ok(entries.finish(FORMAT, None, content_hash(&[bytes])))
}

fn identifier(item: &str, current_schema: bool) -> Option<Identifier> {
    let parts: Vec<String> = item.split(',').filter_map(clean).collect();
    let is_code = |p: &String| p.len() == 2 && p.bytes().all(|b| b.is_ascii_uppercase());
    match parts.as_slice() {
        [] => None,
        [only] => csl::identifier("id", only, None),
        [scheme, rest @ ..] if current_schema => match rest {
            [value @ .., country] if !value.is_empty() && is_code(country) => {
                csl::identifier(scheme, &value.join(", "), Some(country))
            }
            _ => csl::identifier(scheme, &rest.join(", "), None),
        },
        [country, value @ .., scheme] if !value.is_empty() && is_code(country) => {
            csl::identifier(scheme, &value.join(", "), Some(country))
        }
        [value @ .., scheme] => csl::identifier(scheme, &value.join(", "), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triple(item: &str, current: bool) -> (String, String, Option<String>) {
        let id = identifier(item, current).expect("identifier");
        (id.scheme, id.value, id.country)
    }

    #[test]
    fn reads_ids_in_both_schemas() {
        assert_eq!(triple("Passport, 836238033, KP", true), ("Passport".into(), "836238033".into(), Some("KP".into())));
        assert_eq!(
            triple("Secondary sanctions risk:, North Korea Sanctions Regulations, sections 510.201", true).1,
            "North Korea Sanctions Regulations, sections 510.201"
        );
        assert_eq!(
            triple("US, 80-0890696, Tax ID No.", false),
            ("Tax ID No.".into(), "80-0890696".into(), Some("US".into()))
        );
        assert_eq!(triple("CKLBCNBJ, SWIFT/BIC", false), ("SWIFT/BIC".into(), "CKLBCNBJ".into(), None));
    }
}
