//! The BIS Entity List in BIS's own consolidated CSV (31 columns: Source List, Entity Number, SDN
//! Type, ..., License Requirement, License Policy, ..., Alternate Name, Alternate Remarks, Web
//! Link).
//!
//! BIS writes one row per address and alias of a listing, so rows repeat: rows with the same id
//! are one entry, merged (names, addresses and legal values are kept once each; rows that
//! disagree on a legal value keep both, joined by ` | `). The id is `Entity Number` when BIS gives
//! one; otherwise it is derived from country and name (an entity listed under two countries is two
//! entries, as in Supplement No. 4 to Part 744). `Source List` is the list code (EL, and whatever
//! other BIS list the file carries). License requirement, license policy, Federal Register notice,
//! effective and lifted dates, standard order and web link go to `legal` verbatim.

use crate::assemble::{AddressParts, derived_id, entity_kind};
use crate::country::normalize;
use crate::model::{EntityKind, ListCode, ListEntry, NameStrength, ParseError, ParsedList};
use crate::tabular::{Header, Record, RepeatingRows};
use crate::text::error;

pub const FORMAT: &str = "bis-el-csv";

/// The columns read, each required in the header.
const COLUMNS: [&str; 21] = [
    "Source List",
    "Entity Number",
    "SDN Type",
    "Programs",
    "Name",
    "Title",
    "Address",
    "City",
    "State/Province",
    "Postal Code",
    "Country",
    "Federal Register Notice",
    "Effective Date",
    "Date Lifted/Waived/Expired",
    "Standard Order",
    "License Requirement",
    "License Policy",
    "Remarks/Notes",
    "Address Remarks",
    "Alternate Type",
    "Alternate Name",
];

/// Columns copied into `legal`, with their keys.
const LEGAL: [(&str, &str); 8] = [
    ("Federal Register Notice", "federal_register_notice"),
    ("Effective Date", "effective_date"),
    ("Date Lifted/Waived/Expired", "date_lifted"),
    ("Standard Order", "standard_order"),
    ("License Requirement", "license_requirement"),
    ("License Policy", "license_policy"),
    ("Title", "title"),
    ("Web Link", "web_link"),
];

const LAYOUT: RepeatingRows =
    RepeatingRows { format: FORMAT, delimiter: b',', columns: &COLUMNS, id_field: "Entity Number" };

pub fn parse(file: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    LAYOUT.parse(file, bytes, |header, row| entry(file, header, row))
}

fn entry(file: &str, header: &Header, row: &Record) -> Result<ListEntry, ParseError> {
    let cell = |name: &str| header.cell(row, name);
    let list = cell("Source List").ok_or_else(|| error(file, row.line, "Source List", "the row names no list"))?;
    let name = cell("Name").ok_or_else(|| error(file, row.line, "Name", "the row has no name"))?;
    let country = cell("Country");
    let kind_text = cell("SDN Type");
    let kind = entity_kind(kind_text.as_deref(), EntityKind::Unknown).ok_or_else(|| {
        error(file, row.line, "SDN Type", format!("unknown type `{}`", kind_text.clone().unwrap_or_default()))
    })?;
    let id = cell("Entity Number").unwrap_or_else(|| {
        let country_key = country.as_deref().and_then(normalize).unwrap_or_default();
        derived_id(&[&country_key, &name])
    });
    let mut entry = ListEntry::start(ListCode::new(&list), id, kind, &name, row.line);
    for (column, key) in LEGAL {
        entry.add_legal(key, cell(column));
    }
    for program in cell("Programs").unwrap_or_default().split(';') {
        entry.add_program(program);
    }
    if let Some(alias) = cell("Alternate Name") {
        let kind = cell("Alternate Type").unwrap_or_else(|| "a.k.a.".to_owned());
        entry.add_name(&alias, NameStrength::Strong, Some(&kind));
    }
    let address = AddressParts {
        street: vec![cell("Address")],
        city: cell("City"),
        state: cell("State/Province"),
        postal_code: cell("Postal Code"),
        country,
        note: cell("Address Remarks"),
    };
    if let Some(found) = address.build() {
        entry.add_address(found);
    }
    if let Some(remarks) = cell("Remarks/Notes") {
        entry.add_remark(&remarks);
    }
    Ok(entry)
}
