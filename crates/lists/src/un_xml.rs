//! The UN Security Council Consolidated List XML (`CONSOLIDATED_LIST` with `INDIVIDUALS/INDIVIDUAL`
//! and `ENTITIES/ENTITY`).
//!
//! Mapping: `REFERENCE_NUMBER` → entry id; `FIRST_NAME` to `FOURTH_NAME` joined → primary name;
//! `NAME_ORIGINAL_SCRIPT` → a strong name of kind "original script"; aliases with `QUALITY` Good →
//! strong, Low → weak (`a.k.a.` and `f.k.a.` qualities are strong, of that kind); individuals are
//! persons and entities organizations; `UN_LIST_TYPE` → program; `NATIONALITY`, addresses,
//! dates of birth (exact dates, years, `circa` years and year ranges) and documents; `LISTED_ON`
//! → `legal`, with `REFERENCE_NUMBER`, `UN_LIST_TYPE`, `DESIGNATION`, `TITLE`, `LAST_DAY_UPDATED`
//! and places of birth; `COMMENTS1` → remarks; the `dateGenerated` attribute → `published`.

use crate::assemble::{AddressParts, Entries};
use crate::model::{EntityKind, ListCode, ListEntry, NameStrength, ParseError, ParsedList};
use crate::text::{content_hash, error, iso_date_prefix};
use crate::xml::{self, Element};

pub const FORMAT: &str = "un-xml";

pub fn parse(file: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    let root = xml::parse(file, bytes)?;
    if root.name != "CONSOLIDATED_LIST" {
        return Err(error(
            file,
            root.line,
            &root.name,
            format!("expected `CONSOLIDATED_LIST`, found `<{}>`", root.name),
        ));
    }
    let published = match root.attribute("dateGenerated") {
        Some(date) => Some(
            iso_date_prefix(date)
                .ok_or_else(|| error(file, root.line, "dateGenerated", format!("`{date}` is not an ISO date")))?,
        ),
        None => None,
    };
    let mut entries = Entries::new(file, "REFERENCE_NUMBER");
    for (group, item, kind) in
        [("INDIVIDUALS", "INDIVIDUAL", EntityKind::Person), ("ENTITIES", "ENTITY", EntityKind::Organization)]
    {
        for element in root.children_named(group).flat_map(|g| g.children_named(item)) {
            entries.insert_unique(entry(file, element, kind)?)?;
        }
    }
    Ok(entries.finish(FORMAT, published, content_hash(&[bytes])))
}

fn entry(file: &str, element: &Element, kind: EntityKind) -> Result<ListEntry, ParseError> {
    let id = element.child_text("REFERENCE_NUMBER").ok_or_else(|| {
        error(file, element.line, "REFERENCE_NUMBER", format!("`<{}>` has no reference number", element.name))
    })?;
    let name_parts: Vec<String> = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]
        .iter()
        .filter_map(|n| element.child_text(n))
        .collect();
    if name_parts.is_empty() {
        return Err(error(file, element.line, "FIRST_NAME", format!("entry {id} has no name")));
    }
    let mut entry = ListEntry::start(ListCode::new(ListCode::UN), id, kind, &name_parts.join(" "), element.line);
    if let Some(original) = element.child_text("NAME_ORIGINAL_SCRIPT") {
        entry.add_name(&original, NameStrength::Strong, Some("original script"));
    }
    let alias_tag = format!("{}_ALIAS", element.name);
    for alias in element.children_named(&alias_tag) {
        let Some(name) = alias.child_text("ALIAS_NAME") else {
            continue;
        };
        let quality = alias.child_text("QUALITY").unwrap_or_default();
        let (strength, kind) = match quality.as_str() {
            "Low" => (NameStrength::Weak, "a.k.a."),
            "Good" | "" => (NameStrength::Strong, "a.k.a."),
            other => (NameStrength::Strong, other),
        };
        entry.add_name(&name, strength, Some(kind));
    }
    if let Some(program) = element.child_text("UN_LIST_TYPE") {
        entry.add_program(&program);
    }
    entry.add_legal("listed_on", element.child_text("LISTED_ON"));
    // The rest of the UN's own record, verbatim: designation, title, last updates, places of
    // birth, the committee's reference and list type.
    entry.add_legal("reference_number", element.child_text("REFERENCE_NUMBER"));
    entry.add_legal("un_list_type", element.child_text("UN_LIST_TYPE"));
    for (tag, key) in [("DESIGNATION", "designation"), ("TITLE", "title"), ("LAST_DAY_UPDATED", "last_day_updated")] {
        for value in element.children_named(tag).flat_map(|n| n.children_text("VALUE")) {
            entry.add_legal(key, Some(value));
        }
    }
    for birth in element.children_named("INDIVIDUAL_PLACE_OF_BIRTH") {
        let place: Vec<String> =
            ["CITY", "STATE_PROVINCE", "COUNTRY"].iter().filter_map(|tag| birth.child_text(tag)).collect();
        if !place.is_empty() {
            entry.add_legal("place_of_birth", Some(place.join(", ")));
        }
    }
    if let Some(comments) = element.child_text("COMMENTS1") {
        entry.add_remark(&comments);
    }
    for nationality in element.children_named("NATIONALITY").flat_map(|n| n.children_text("VALUE")) {
        entry.add_country(&nationality);
    }
    for found in element.children_named(&format!("{}_ADDRESS", element.name)) {
        let address = AddressParts {
            street: vec![found.child_text("STREET")],
            city: found.child_text("CITY"),
            state: found.child_text("STATE_PROVINCE"),
            postal_code: found.child_text("ZIP_CODE"),
            country: found.child_text("COUNTRY"),
            note: found.child_text("NOTE"),
        };
        if let Some(address) = address.build() {
            entry.add_address(address);
        }
    }
    for birth in element.children_named("INDIVIDUAL_DATE_OF_BIRTH") {
        if let Some(date) = date_of_birth(birth) {
            entry.add_date(&date);
        }
    }
    for document in element.children_named("INDIVIDUAL_DOCUMENT") {
        let scheme = document.child_text("TYPE_OF_DOCUMENT").unwrap_or_else(|| "Document".to_owned());
        let country = document.child_text("ISSUING_COUNTRY").or_else(|| document.child_text("COUNTRY_OF_ISSUE"));
        entry.add_identifier(&scheme, &document.child_text("NUMBER").unwrap_or_default(), country.as_deref());
    }
    Ok(entry)
}

/// A date of birth as the list states it: `1937-04-28`, `1965`, `circa 1965`, `1960 to 1962`.
fn date_of_birth(element: &Element) -> Option<String> {
    let approximate = element.child_text("TYPE_OF_DATE").is_some_and(|t| t == "APPROXIMATELY");
    let date = match (element.child_text("FROM_YEAR"), element.child_text("TO_YEAR")) {
        (Some(from), Some(to)) => format!("{from} to {to}"),
        _ => element.child_text("DATE").or_else(|| element.child_text("YEAR"))?,
    };
    Some(if approximate { format!("circa {date}") } else { date })
}
