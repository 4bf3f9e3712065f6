//! List fixtures shared by the store's integration tests: a list entry and a parsed list file.

use chipwarden_lists::{EntityKind, ListCode, ListEntry, Name, NameStrength, ParsedList};

pub fn entry(list: &str, id: &str, name: &str) -> ListEntry {
    ListEntry {
        list: ListCode::new(list),
        entry_id: id.to_owned(),
        kind: EntityKind::Company,
        names: vec![Name { text: name.to_owned(), strength: NameStrength::Primary, kind: None }],
        addresses: Vec::new(),
        countries: vec!["CN".to_owned()],
        dates: Vec::new(),
        identifiers: Vec::new(),
        programs: vec!["Entity List".to_owned()],
        legal: Default::default(),
        remarks: None,
        source_line: Some(2),
    }
}

pub fn parsed(hash: &str, entries: Vec<ListEntry>) -> ParsedList {
    ParsedList {
        format: "test-csv".to_owned(),
        published: Some("2025-01-15".to_owned()),
        content_hash: hash.to_owned(),
        entries,
    }
}
