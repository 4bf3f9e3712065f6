//! The trade.gov Consolidated Screening List record, shared by the CSV and JSON parsers: which
//! list a `source` names, and how a record becomes an entry.
//!
//! Mapping: `source` → list code (Entity List → EL, Unverified List → UVL, Military End User →
//! MEU, Denied Persons → DPL, Specially Designated Nationals → SDN, other Treasury sources →
//! NONSDN, ITAR Debarred → DTC, Nonproliferation Sanctions → ISN; an unknown source keeps its own
//! abbreviation, or its whole text if it has none). `type` Individual → person, Entity →
//! organization, Vessel, Aircraft, blank → unknown (the BIS and State lists do not say).
//! `alt_names` are strong aliases: the CSL does not mark weak ones. `ids` are kept whole as
//! identifiers under the list's own scheme names, including the items that are facts rather than
//! documents (e.g. `Gender`), so that nothing the list says is lost; matchers compare by scheme.
//! The legal payload (`license_requirement`, `license_policy`, `federal_register_notice`,
//! `start_date`, `end_date`, `standard_order`) goes to `legal` verbatim, with `source`, the source
//! URLs, title and vessel details.

use std::collections::HashMap;

use crate::assemble::{Entries, derived_id, entity_kind};
use crate::country::{country_code, normalize};
use crate::model::{Address, EntityKind, Identifier, ListCode, ListEntry, NameStrength, ParseError};
use crate::text::{clean, error};

/// Single-valued text fields, by their CSL names.
pub(crate) const SCALARS: [&str; 20] = [
    "source",
    "entity_number",
    "type",
    "name",
    "title",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "source_information_url",
];

/// Fields holding several values (`;`-separated in the CSV, arrays in JSON).
pub(crate) const LISTS: [&str; 5] = ["programs", "alt_names", "citizenships", "dates_of_birth", "nationalities"];

/// Scalars that are not kept in `legal`: everything else (source, legal payload, URLs, title,
/// vessel details) is, verbatim.
const NOT_LEGAL: [&str; 4] = ["entity_number", "type", "name", "remarks"];

/// One CSL record, whatever file it came from.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub line: u64,
    /// `_id` (CSV) or `id` (JSON); absent in the 2019 CSV schema.
    pub id: Option<String>,
    pub scalars: HashMap<&'static str, String>,
    pub lists: HashMap<&'static str, Vec<String>>,
    pub addresses: Vec<Address>,
    pub ids: Vec<Identifier>,
}

impl Record {
    fn scalar(&self, field: &str) -> Option<&str> {
        self.scalars.get(field).map(String::as_str)
    }
}

/// The list a `source` names.
pub(crate) fn list_code(source: &str) -> ListCode {
    const KNOWN: [(&str, &str, &str); 7] = [
        ("EL", "Entity List", ListCode::ENTITY_LIST),
        ("UVL", "Unverified List", ListCode::UNVERIFIED),
        ("MEU", "Military End User", ListCode::MILITARY_END_USER),
        ("DPL", "Denied Persons", ListCode::DENIED_PERSONS),
        ("SDN", "Specially Designated Nationals", ListCode::SDN),
        ("DTC", "ITAR Debarred", ListCode::ITAR_DEBARRED),
        ("ISN", "Nonproliferation Sanctions", ListCode::NONPROLIFERATION),
    ];
    let abbreviation = source.split_once('(').and_then(|(_, rest)| rest.split_once(')')).map(|(a, _)| a.trim());
    if let Some((_, _, code)) =
        KNOWN.iter().find(|(short, long, _)| abbreviation == Some(*short) || source.trim_start().starts_with(long))
    {
        return ListCode::new(code);
    }
    if source.contains("Treasury") {
        return ListCode::new(ListCode::NON_SDN);
    }
    ListCode::new(abbreviation.filter(|a| !a.is_empty()).unwrap_or(source.trim()))
}

/// An address the CSV writes as one line ending in a country (`…, Xian, China, CN`).
pub(crate) fn address_line(text: &str) -> Option<Address> {
    let text = clean(text)?;
    let text = match text.strip_prefix("and ") {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    let last = text.rsplit(',').next().map(str::trim).unwrap_or_default();
    let is_code = last.len() == 2 && last.bytes().all(|b| b.is_ascii_uppercase());
    let country = if is_code { Some(last) } else { country_code(last) };
    Some(Address { country: country.and_then(normalize), text, city: None })
}

/// Adds the record to `entries`. A record with an id must be the only one with it on its list;
/// the 2019 schema has none, so its id is `entity_number` when given, else name and start date,
/// and rows sharing that id are one listing split by address and are merged.
pub(crate) fn add(file: &str, record: Record, entries: &mut Entries<'_>) -> Result<(), ParseError> {
    let source =
        record.scalar("source").ok_or_else(|| error(file, record.line, "source", "the record has no source"))?;
    let list = list_code(source);
    let name = record.scalar("name").ok_or_else(|| error(file, record.line, "name", "the record has no name"))?;
    let kind_text = record.scalar("type");
    let kind = entity_kind(kind_text, EntityKind::Unknown)
        .ok_or_else(|| error(file, record.line, "type", format!("unknown type `{}`", kind_text.unwrap_or_default())))?;
    let (entry_id, merge) = match (&record.id, record.scalar("entity_number")) {
        (Some(id), _) => (id.clone(), false),
        (None, Some(number)) => (number.to_owned(), false),
        (None, None) => (derived_id(&[name, record.scalar("start_date").unwrap_or_default()]), true),
    };
    let mut entry = ListEntry::start(list, entry_id, kind, name, record.line);
    for key in SCALARS.into_iter().filter(|k| !NOT_LEGAL.contains(k)) {
        entry.add_legal(key, record.scalar(key).map(str::to_owned));
    }
    if let Some(remarks) = record.scalar("remarks") {
        entry.add_remark(remarks);
    }
    let list_field = |field: &str| record.lists.get(field).cloned().unwrap_or_default();
    for program in list_field("programs") {
        entry.add_program(&program);
    }
    for alias in list_field("alt_names") {
        entry.add_name(alias.strip_prefix("and ").unwrap_or(&alias), NameStrength::Strong, Some("a.k.a."));
    }
    for country in list_field("citizenships").into_iter().chain(list_field("nationalities")) {
        entry.add_country(&country);
    }
    for date in list_field("dates_of_birth") {
        entry.add_date(&date);
    }
    if let Some(flag) = record.scalar("vessel_flag") {
        entry.add_country(flag);
    }
    for found in record.addresses {
        entry.add_address(found);
    }
    for id in record.ids {
        entry.add_identifier(&id.scheme, &id.value, id.country.as_deref());
    }
    if merge {
        entries.insert_or_merge(entry);
        Ok(())
    } else {
        entries.insert_unique(entry)
    }
}

/// An identifier from its parts, the country normalised when it is one.
pub(crate) fn identifier(scheme: &str, value: &str, country: Option<&str>) -> Option<Identifier> {
    Some(Identifier { scheme: clean(scheme)?, value: clean(value)?, country: country.and_then(normalize) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_map_to_list_codes() {
        for (source, code) in [
            ("Entity List (EL) - Bureau of Industry and Security", "EL"),
            ("Military End User (MEU) List - Bureau of Industry and Security", "MEU"),
            ("Sectoral Sanctions Identifications List (SSI) - Treasury Department", "NONSDN"),
            ("Specially Designated Nationals (SDN) - Treasury Department", "SDN"),
            ("ITAR Debarred (DTC) - State Department", "DTC"),
            ("Nonproliferation Sanctions (ISN) - State Department", "ISN"),
            ("Entity List", "EL"),
            ("Some New List (SNL) - Commerce", "SNL"),
            ("Plain Name", "Plain Name"),
        ] {
            assert_eq!(list_code(source).0, code, "{source}");
        }
    }

    #[test]
    fn address_lines_end_in_a_country() {
        let a = address_line("Tian Wang te Zi #1, Baqiao District, Xian, China, CN").expect("address");
        assert_eq!(a.country.as_deref(), Some("CN"));
        let b = address_line("and 21 Changsheng Street, Shijiazhuang, Hebei, China").expect("address");
        assert_eq!(
            (b.text.as_str(), b.country.as_deref()),
            ("21 Changsheng Street, Shijiazhuang, Hebei, China", Some("CN"))
        );
        assert_eq!(address_line("Somewhere, Atlantis").and_then(|a| a.country), None);
    }
}
