//! OFAC's legacy CSV files: sdn.csv with add.csv, alt.csv and sdn_comments.csv joined by
//! `ent_num`, and the same layout for the consolidated non-SDN list (cons_prim.csv, cons_add.csv,
//! cons_alt.csv, cons_comments.csv).
//!
//! The files have no header row, write `-0-` for an empty field and end with a 0x1A byte. They
//! are decoded as Windows-1252 (which reads Latin-1 text too): OFAC's legacy files are not UTF-8
//! in practice, and a byte that is invalid UTF-8 there is a real accented letter, not damage.
//!
//! Mapping: SDN_Type `individual` → person, `vessel`, `aircraft`, `-0-` → organization (OFAC's
//! "entity": companies, groups and other bodies alike). alt.csv types `aka`/`fka`/`nka` are strong
//! aliases of kind `a.k.a.`/`f.k.a.`/`n.k.a.` unless the alias remarks say "weak"; the weak
//! aliases OFAC keeps in the entry's remarks (`a.k.a. 'BNC'`) are weak names. Remarks continue in
//! sdn_comments.csv where OFAC cut them at 1,000 characters; the two are joined before the remarks
//! are read for dates of birth, nationalities and documents. Title and vessel details go to
//! `legal` under OFAC's column names; the call sign is also an identifier and the vessel flag a
//! country.

use std::collections::HashMap;

use crate::assemble::{AddressParts, Entries, entity_kind};
use crate::model::{EntityKind, ListCode, ListEntry, NameStrength, ParseError, ParsedList};
use crate::ofac_remarks;
use crate::tabular::{Record, check_width, records};
use crate::text::{content_hash, error, windows_1252};

pub const FORMAT: &str = "ofac-csv";

/// One file: its name (for messages and for telling SDN from non-SDN) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub file: &'a str,
    pub bytes: &'a [u8],
}

/// The files of one OFAC legacy CSV publication. Only the primary file is required. The content
/// hash covers the parts given, in the order primary, addresses, aliases, comments.
#[derive(Debug, Clone, Copy)]
pub struct OfacCsvParts<'a> {
    /// sdn.csv or cons_prim.csv.
    pub primary: Part<'a>,
    /// add.csv or cons_add.csv.
    pub addresses: Option<Part<'a>>,
    /// alt.csv or cons_alt.csv.
    pub aliases: Option<Part<'a>>,
    /// sdn_comments.csv or cons_comments.csv.
    pub comments: Option<Part<'a>>,
}

impl<'a> OfacCsvParts<'a> {
    pub fn primary_only(file: &'a str, bytes: &'a [u8]) -> OfacCsvParts<'a> {
        OfacCsvParts { primary: Part { file, bytes }, addresses: None, aliases: None, comments: None }
    }
}

const SDN_COLUMNS: [&str; 12] = [
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
];
const ADD_COLUMNS: [&str; 6] =
    ["ent_num", "Add_num", "Address", "City/State/Province/Postal Code", "Country", "Add_remarks"];
const ALT_COLUMNS: [&str; 5] = ["ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"];
const COMMENT_COLUMNS: [&str; 2] = ["ent_num", "remarks_extended"];

/// Which list a file holds, from its name: OFAC publishes the non-SDN list as cons_*.csv and
/// consolidated.xml, so a base name starting with `cons` or containing `consolidated` (any case) is
/// the non-SDN list and anything else the SDN list.
pub fn list_code_for(file_name: &str) -> ListCode {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).to_ascii_lowercase();
    let non_sdn = base.starts_with("cons") || base.contains("consolidated");
    ListCode::new(if non_sdn { ListCode::NON_SDN } else { ListCode::SDN })
}

pub fn parse(parts: &OfacCsvParts<'_>) -> Result<ParsedList, ParseError> {
    let hash = {
        let mut bytes = vec![parts.primary.bytes];
        bytes.extend([parts.addresses, parts.aliases, parts.comments].into_iter().flatten().map(|p| p.bytes));
        content_hash(&bytes)
    };
    let list = list_code_for(parts.primary.file);
    let primary = parts.primary.file;
    let mut entries = Entries::new(primary, "ent_num");
    let primary_rows = rows(parts.primary, &SDN_COLUMNS)?;
    if primary_rows.is_empty() {
        return Err(error(primary, 1, "ent_num", "the file has no entries"));
    }
    let mut remarks: HashMap<String, String> = HashMap::new();
    for row in primary_rows {
        let (entry, remark) = primary_entry(primary, &list, &row)?;
        remarks.insert(entry.entry_id.clone(), remark);
        entries.insert_unique(entry)?;
    }
    // Remarks are read once complete: OFAC continues them, mid-word, in the comments file.
    if let Some(part) = parts.comments {
        for row in rows(part, &COMMENT_COLUMNS)? {
            let id = owner(part.file, primary, &list, &row, &mut entries)?.entry_id.clone();
            remarks.entry(id).or_default().push_str(row.fields.get(1).map_or("", String::as_str));
        }
    }
    if let Some(part) = parts.aliases {
        for row in rows(part, &ALT_COLUMNS)? {
            add_alias(part.file, primary, &list, &row, &mut entries)?;
        }
    }
    if let Some(part) = parts.addresses {
        for row in rows(part, &ADD_COLUMNS)? {
            let entry = owner(part.file, primary, &list, &row, &mut entries)?;
            // OFAC's fourth column holds city, state or province and postal code together.
            let [street, city, country, note] = [2, 3, 4, 5].map(|i| value(&row, i));
            let address = AddressParts { street: vec![street], city, country, note, ..AddressParts::default() };
            if let Some(found) = address.build() {
                entry.add_address(found);
            }
        }
    }
    for (id, text) in remarks {
        if let Some(entry) = entries.get_mut(&list, &id) {
            ofac_remarks::apply(entry, &text);
            entry.add_remark(&text);
        }
    }
    Ok(entries.finish(FORMAT, None, hash))
}

/// The records of one part, decoded, the trailing 0x1A dropped, each checked for width.
fn rows(part: Part<'_>, columns: &[&str]) -> Result<Vec<Record>, ParseError> {
    let end = part.bytes.iter().rposition(|b| !matches!(b, 0x1A | b'\r' | b'\n' | b' ')).map_or(0, |i| i + 1);
    let text = windows_1252(&part.bytes[..end]);
    let rows = records(part.file, &text, b',')?;
    for row in &rows {
        check_width(part.file, row, columns, columns.len())?;
    }
    Ok(rows)
}

/// A field with OFAC's `-0-` read as empty.
fn value(row: &Record, index: usize) -> Option<String> {
    row.get(index).filter(|v| v != "-0-")
}

fn primary_entry(file: &str, list: &ListCode, row: &Record) -> Result<(ListEntry, String), ParseError> {
    let id = entry_number(file, row)?;
    let name = value(row, 1).ok_or_else(|| error(file, row.line, "SDN_Name", "the entry has no name"))?;
    let kind_text = value(row, 2);
    let kind = entity_kind(kind_text.as_deref(), EntityKind::Organization).ok_or_else(|| {
        error(file, row.line, "SDN_Type", format!("unknown SDN type `{}`", kind_text.unwrap_or_default()))
    })?;
    let mut entry = ListEntry::start(list.clone(), id, kind, &name, row.line);
    for program in value(row, 3).unwrap_or_default().split(['[', ']']) {
        entry.add_program(program);
    }
    for (index, key) in [
        (4, "title"),
        (5, "call_sign"),
        (6, "vessel_type"),
        (7, "tonnage"),
        (8, "gross_registered_tonnage"),
        (9, "vessel_flag"),
        (10, "vessel_owner"),
    ] {
        entry.add_legal(key, value(row, index));
    }
    if let Some(call_sign) = value(row, 5) {
        entry.add_identifier("Call Sign", &call_sign, None);
    }
    if let Some(flag) = value(row, 9) {
        entry.add_country(&flag);
    }
    // The raw text, not cleaned: a continuation in the comments file may start right after a space.
    let remarks = row.fields.get(11).filter(|r| r.trim() != "-0-").cloned().unwrap_or_default();
    Ok((entry, remarks))
}

fn entry_number(file: &str, row: &Record) -> Result<String, ParseError> {
    let id = row.get(0).unwrap_or_default();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(file, row.line, "ent_num", format!("`{id}` is not an entry number")));
    }
    Ok(id)
}

/// The entry a row of a secondary file belongs to; a row for an entry the primary file lacks
/// means the files are from different publications, which is an error.
fn owner<'e>(
    file: &str,
    primary: &str,
    list: &ListCode,
    row: &Record,
    entries: &'e mut Entries<'_>,
) -> Result<&'e mut ListEntry, ParseError> {
    let id = entry_number(file, row)?;
    entries.get_mut(list, &id).ok_or_else(|| {
        error(
            file,
            row.line,
            "ent_num",
            format!("entry {id} is not in `{primary}`: the files are from different publications"),
        )
    })
}

fn add_alias(
    file: &str,
    primary: &str,
    list: &ListCode,
    row: &Record,
    entries: &mut Entries<'_>,
) -> Result<(), ParseError> {
    let kind = match value(row, 2).map(|t| t.to_lowercase()).as_deref() {
        Some("aka") => "a.k.a.",
        Some("fka") => "f.k.a.",
        Some("nka") => "n.k.a.",
        other => {
            let found = other.unwrap_or("");
            return Err(error(
                file,
                row.line,
                "alt_type",
                format!("unknown alias type `{found}` (expected aka, fka or nka)"),
            ));
        }
    };
    let name = value(row, 3).ok_or_else(|| error(file, row.line, "alt_name", "the alias has no name"))?;
    let weak = value(row, 4).is_some_and(|remarks| remarks.to_lowercase().contains("weak"));
    let strength = if weak { NameStrength::Weak } else { NameStrength::Strong };
    owner(file, primary, list, row, entries)?.add_name(&name, strength, Some(kind));
    Ok(())
}
