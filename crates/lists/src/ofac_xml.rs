//! OFAC's XML files in the `sdnList` schema: sdn.xml and consolidated.xml (the non-SDN lists).
//!
//! Mapping: `uid` → entry id; `lastName, firstName` → primary name (the legacy CSV's spelling, so
//! both files of one publication give the same names); `sdnType` (or `nspType` in the
//! consolidated file) `Individual` → person, `Entity` → organization, `Vessel`, `Aircraft`;
//! `akaList` → aliases, `category` weak → weak, else strong, of kind `type`; `addressList`,
//! `idList`, `dateOfBirthList`, `nationalityList` and `citizenshipList` (countries),
//! `programList`; title and `vesselInfo` into `legal` as in the CSV parser. Which list a file holds
//! comes from its name as for the CSV (consolidated.xml is the non-SDN list). `Publish_Date` (MM/DD/YYYY) →
//! `published`.

use crate::assemble::{AddressParts, Entries, entity_kind};
use crate::model::{EntityKind, ListCode, ListEntry, NameStrength, ParseError, ParsedList};
use crate::ofac_csv::list_code_for;
use crate::text::{content_hash, error, us_date};
use crate::xml::{self, Element};

pub const FORMAT: &str = "ofac-xml";

pub fn parse(file: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    let root = xml::parse(file, bytes)?;
    if root.name != "sdnList" {
        return Err(error(
            file,
            root.line,
            &root.name,
            format!("expected an `sdnList` document, found `<{}>`", root.name),
        ));
    }
    let published = match root.child("publshInformation").and_then(|p| p.child("Publish_Date")) {
        Some(date) => {
            let text = date.text().unwrap_or_default();
            Some(us_date(&text).ok_or_else(|| {
                error(file, date.line, "Publish_Date", format!("`{text}` is not a date in MM/DD/YYYY form"))
            })?)
        }
        None => None,
    };
    let list = list_code_for(file);
    let mut entries = Entries::new(file, "uid");
    for element in root.children_named("sdnEntry") {
        entries.insert_unique(entry(file, &list, element)?)?;
    }
    Ok(entries.finish(FORMAT, published, content_hash(&[bytes])))
}

/// `LAST, First` as the legacy files write names; just the last name for entities.
fn full_name(element: &Element) -> Option<String> {
    match (element.child_text("lastName"), element.child_text("firstName")) {
        (Some(last), Some(first)) => Some(format!("{last}, {first}")),
        (last, first) => last.or(first),
    }
}

fn entry(file: &str, list: &ListCode, element: &Element) -> Result<ListEntry, ParseError> {
    let id = element.child_text("uid").ok_or_else(|| error(file, element.line, "uid", "the entry has no uid"))?;
    let name =
        full_name(element).ok_or_else(|| error(file, element.line, "lastName", format!("entry {id} has no name")))?;
    let kind_text = element.child_text("sdnType").or_else(|| element.child_text("nspType"));
    let kind = entity_kind(kind_text.as_deref(), EntityKind::Organization).ok_or_else(|| {
        error(
            file,
            element.line,
            "sdnType",
            format!("entry {id}: unknown type `{}`", kind_text.clone().unwrap_or_default()),
        )
    })?;
    let mut entry = ListEntry::start(list.clone(), id, kind, &name, element.line);
    entry.add_legal("title", element.child_text("title"));
    if let Some(remarks) = element.child_text("remarks") {
        entry.add_remark(&remarks);
    }
    for program in element.child("programList").map(|l| l.children_text("program")).unwrap_or_default() {
        entry.add_program(&program);
    }
    for aka in list_items(element, "akaList", "aka") {
        let strength = if aka.child_text("category").is_some_and(|c| c.eq_ignore_ascii_case("weak")) {
            NameStrength::Weak
        } else {
            NameStrength::Strong
        };
        if let Some(alias) = full_name(aka) {
            entry.add_name(&alias, strength, aka.child_text("type").as_deref());
        }
    }
    for found in list_items(element, "addressList", "address") {
        let address = AddressParts {
            street: ["address1", "address2", "address3"].map(|n| found.child_text(n)).into(),
            city: found.child_text("city"),
            state: found.child_text("stateOrProvince"),
            postal_code: found.child_text("postalCode"),
            country: found.child_text("country"),
            note: None,
        };
        if let Some(address) = address.build() {
            entry.add_address(address);
        }
    }
    for id in list_items(element, "idList", "id") {
        if let (Some(scheme), Some(number)) = (id.child_text("idType"), id.child_text("idNumber")) {
            entry.add_identifier(&scheme, &number, id.child_text("idCountry").as_deref());
        }
    }
    for date in list_items(element, "dateOfBirthList", "dateOfBirthItem") {
        entry.add_date(&date.child_text("dateOfBirth").unwrap_or_default());
    }
    for (list_name, item) in [("nationalityList", "nationality"), ("citizenshipList", "citizenship")] {
        for country in list_items(element, list_name, item) {
            entry.add_country(&country.child_text("country").unwrap_or_default());
        }
    }
    if let Some(vessel) = element.child("vesselInfo") {
        for (tag, key) in [
            ("callSign", "call_sign"),
            ("vesselType", "vessel_type"),
            ("tonnage", "tonnage"),
            ("grossRegisteredTonnage", "gross_registered_tonnage"),
            ("vesselFlag", "vessel_flag"),
            ("vesselOwner", "vessel_owner"),
        ] {
            entry.add_legal(key, vessel.child_text(tag));
        }
        if let Some(call_sign) = vessel.child_text("callSign") {
            entry.add_identifier("Call Sign", &call_sign, None);
        }
        if let Some(flag) = vessel.child_text("vesselFlag") {
            entry.add_country(&flag);
        }
    }
    Ok(entry)
}

fn list_items<'a>(element: &'a Element, list: &'a str, item: &'a str) -> impl Iterator<Item = &'a Element> {
    element.child(list).into_iter().flat_map(move |l| l.children_named(item))
}
