//! The BIS Denied Persons List, tab-separated with a header (Name, Street_Address, City, State,
//! Country, Postal_Code, Effective_Date, Expiration_Date, Standard_Order, Last_Update, Action,
//! FR_Citation). UTF-8.
//!
//! The DPL has no stable id. The entry id is derived from the name and the effective date of the
//! denial order (`NAME|YYYY-MM-DD`, the date normalised so that `6/19/2003` and `06/19/2003` give
//! the same id); it changes when BIS corrects either. BIS writes one row per address of a denied
//! party, so rows with the same id are one entry, merged; rows that disagree on a legal value keep
//! both, joined by ` | `. Entity kind is unknown (the list mixes people and companies). Effective
//! and expiration dates, standard order, last update, action and FR citation go to `legal`
//! verbatim.

use crate::assemble::{AddressParts, derived_id};
use crate::model::{EntityKind, ListCode, ListEntry, ParseError, ParsedList};
use crate::tabular::{Header, Record, RepeatingRows};
use crate::text::{error, us_date};

pub const FORMAT: &str = "dpl-tsv";

const COLUMNS: [&str; 12] = [
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
];

const LEGAL: [(&str, &str); 6] = [
    ("Effective_Date", "effective_date"),
    ("Expiration_Date", "expiration_date"),
    ("Standard_Order", "standard_order"),
    ("Last_Update", "last_update"),
    ("Action", "action"),
    ("FR_Citation", "fr_citation"),
];

const LAYOUT: RepeatingRows = RepeatingRows { format: FORMAT, delimiter: b'\t', columns: &COLUMNS, id_field: "Name" };

pub fn parse(file: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    LAYOUT.parse(file, bytes, |header, row| entry(file, header, row))
}

fn entry(file: &str, header: &Header, row: &Record) -> Result<ListEntry, ParseError> {
    let cell = |name: &str| header.cell(row, name);
    let name = cell("Name").ok_or_else(|| error(file, row.line, "Name", "the row has no name"))?;
    let effective = cell("Effective_Date").unwrap_or_default();
    let date = us_date(&effective).ok_or_else(|| {
        error(file, row.line, "Effective_Date", format!("`{effective}` is not a date in MM/DD/YYYY form"))
    })?;
    let mut entry = ListEntry::start(
        ListCode::new(ListCode::DENIED_PERSONS),
        derived_id(&[&name, &date]),
        EntityKind::Unknown,
        &name,
        row.line,
    );
    for (column, key) in LEGAL {
        entry.add_legal(key, cell(column));
    }
    let address = AddressParts {
        street: vec![cell("Street_Address")],
        city: cell("City"),
        state: cell("State"),
        postal_code: cell("Postal_Code"),
        country: cell("Country"),
        note: None,
    };
    if let Some(found) = address.build() {
        entry.add_address(found);
    }
    Ok(entry)
}
