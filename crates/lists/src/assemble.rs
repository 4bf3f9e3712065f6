//! Building entries the same way in every parser: names, addresses and countries added without
//! duplicates, rows of one listing merged, entry ids checked for uniqueness, the result wrapped up.

use std::collections::HashMap;

use crate::country::normalize;
use crate::model::{Address, EntityKind, Identifier, ListCode, ListEntry, Name, NameStrength, ParseError, ParsedList};
use crate::text::{clean, error};

/// Separates distinct values of one field when rows of the same listing disagree.
const JOIN: &str = " | ";

impl ListEntry {
    /// An entry with its primary name and nothing else yet.
    pub(crate) fn start(list: ListCode, entry_id: String, kind: EntityKind, primary: &str, line: u64) -> ListEntry {
        let mut entry = ListEntry {
            list,
            entry_id,
            kind,
            names: Vec::new(),
            addresses: Vec::new(),
            countries: Vec::new(),
            dates: Vec::new(),
            identifiers: Vec::new(),
            programs: Vec::new(),
            legal: Default::default(),
            remarks: None,
            source_line: Some(line),
        };
        entry.add_name(primary, NameStrength::Primary, None);
        entry
    }

    /// Adds a name unless the same text is already there; a repeated name keeps the stronger of
    /// the two strengths (an alias equal to the primary name stays primary).
    pub(crate) fn add_name(&mut self, text: &str, strength: NameStrength, kind: Option<&str>) {
        let Some(text) = clean(text) else {
            return;
        };
        match self.names.iter_mut().find(|n| n.text == text) {
            Some(existing) if strength < existing.strength => {
                existing.strength = strength;
                existing.kind = kind.map(str::to_owned);
            }
            Some(_) => {}
            None => self.names.push(Name { text, strength, kind: kind.map(str::to_owned) }),
        }
    }

    /// Adds a country (normalised to ISO alpha-2 where certain) unless already present.
    pub(crate) fn add_country(&mut self, raw: &str) {
        if let Some(country) = normalize(raw) {
            push_new(&mut self.countries, country);
        }
    }

    /// Adds an address and its country.
    pub(crate) fn add_address(&mut self, address: Address) {
        if let Some(country) = &address.country {
            push_new(&mut self.countries, country.clone());
        }
        push_new(&mut self.addresses, address);
    }

    pub(crate) fn add_date(&mut self, text: &str) {
        if let Some(date) = clean(text) {
            push_new(&mut self.dates, date);
        }
    }

    pub(crate) fn add_identifier(&mut self, scheme: &str, value: &str, country: Option<&str>) {
        if let (Some(scheme), Some(value)) = (clean(scheme), clean(value)) {
            push_new(&mut self.identifiers, Identifier { scheme, value, country: country.and_then(normalize) });
        }
    }

    pub(crate) fn add_program(&mut self, program: &str) {
        if let Some(program) = clean(program) {
            push_new(&mut self.programs, program);
        }
    }

    /// Sets a legal field; a second, different value for the same key is kept beside the first.
    pub(crate) fn add_legal(&mut self, key: &str, value: Option<String>) {
        let Some(value) = value.as_deref().and_then(clean) else {
            return;
        };
        match self.legal.get_mut(key) {
            Some(existing) => join_distinct(existing, &value),
            None => {
                self.legal.insert(key.to_owned(), value);
            }
        }
    }

    pub(crate) fn add_remark(&mut self, text: &str) {
        let Some(text) = clean(text) else {
            return;
        };
        match &mut self.remarks {
            Some(existing) => join_distinct(existing, &text),
            None => self.remarks = Some(text),
        }
    }

    /// Folds in another row of the same listing (formats that give one row per address or alias).
    fn absorb(&mut self, other: ListEntry) {
        if self.kind == EntityKind::Unknown {
            self.kind = other.kind;
        }
        for name in other.names {
            self.add_name(&name.text, name.strength, name.kind.as_deref());
        }
        for address in other.addresses {
            self.add_address(address);
        }
        for country in other.countries {
            push_new(&mut self.countries, country);
        }
        for date in other.dates {
            push_new(&mut self.dates, date);
        }
        for identifier in other.identifiers {
            push_new(&mut self.identifiers, identifier);
        }
        for program in other.programs {
            push_new(&mut self.programs, program);
        }
        for (key, value) in other.legal {
            self.add_legal(&key, Some(value));
        }
        if let Some(remarks) = other.remarks {
            self.add_remark(&remarks);
        }
    }
}

fn push_new<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

fn join_distinct(existing: &mut String, value: &str) {
    if !existing.split(JOIN).any(|v| v == value) {
        existing.push_str(JOIN);
        existing.push_str(value);
    }
}

/// The kind a list's type field names (`Individual`, `Entity`, `Vessel`, `Aircraft`, any case),
/// `blank` when the field is empty, `None` for a type we do not know.
pub(crate) fn entity_kind(text: Option<&str>, blank: EntityKind) -> Option<EntityKind> {
    match text.map(str::to_lowercase).as_deref() {
        None | Some("") => Some(blank),
        Some("individual") => Some(EntityKind::Person),
        Some("entity") => Some(EntityKind::Organization),
        Some("vessel") => Some(EntityKind::Vessel),
        Some("aircraft") => Some(EntityKind::Aircraft),
        Some(_) => None,
    }
}

/// An address as a list splits it. `build` writes it as one line in reading order, the note in
/// parentheses at the end; all parts blank gives no address.
#[derive(Debug, Default)]
pub(crate) struct AddressParts {
    pub street: Vec<Option<String>>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// As the list writes it; normalised for `Address::country`.
    pub country: Option<String>,
    pub note: Option<String>,
}

impl AddressParts {
    pub(crate) fn build(self) -> Option<Address> {
        let parts = self.street.iter().chain([&self.city, &self.state, &self.postal_code, &self.country]).flatten();
        let mut text = parts.map(String::as_str).collect::<Vec<_>>().join(", ");
        if let Some(note) = &self.note {
            text = format!("{text} ({note})");
        }
        Some(Address { text: clean(&text)?, city: self.city, country: self.country.as_deref().and_then(normalize) })
    }
}

/// An entry id for a list that gives none, from the fields that identify a listing, joined by `|`
/// (e.g. `AIR FREIGHT LTD|2022-05-13`). Readable, so a user can tell which listing it is.
pub(crate) fn derived_id(parts: &[&str]) -> String {
    parts.iter().map(|p| clean(p).unwrap_or_default()).collect::<Vec<_>>().join("|")
}

/// The entries of one file, kept in file order and indexed by (list, entry id).
#[derive(Debug)]
pub(crate) struct Entries<'f> {
    file: &'f str,
    /// What the format calls its id, for error messages (e.g. `ent_num`, `REFERENCE_NUMBER`).
    id_field: &'static str,
    index: HashMap<(ListCode, String), usize>,
    entries: Vec<ListEntry>,
}

impl<'f> Entries<'f> {
    pub(crate) fn new(file: &'f str, id_field: &'static str) -> Entries<'f> {
        Entries { file, id_field, index: HashMap::new(), entries: Vec::new() }
    }

    /// Adds an entry whose id must not have been seen on its list; a repeat is an error naming
    /// both lines.
    pub(crate) fn insert_unique(&mut self, entry: ListEntry) -> Result<(), ParseError> {
        let key = (entry.list.clone(), entry.entry_id.clone());
        if let Some(&first) = self.index.get(&key) {
            let first_line = self.entries[first].source_line.unwrap_or(0);
            let line = entry.source_line.unwrap_or(0);
            return Err(error(
                self.file,
                line,
                self.id_field,
                format!("entry id `{}` of list `{}` appears twice: lines {first_line} and {line}", key.1, key.0),
            ));
        }
        self.index.insert(key, self.entries.len());
        self.entries.push(entry);
        Ok(())
    }

    /// Adds an entry, or folds it into the entry already there with the same id. Only for formats
    /// that legitimately repeat a listing over several rows.
    pub(crate) fn insert_or_merge(&mut self, entry: ListEntry) {
        let key = (entry.list.clone(), entry.entry_id.clone());
        match self.index.get(&key) {
            Some(&at) => self.entries[at].absorb(entry),
            None => {
                self.index.insert(key, self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    pub(crate) fn get_mut(&mut self, list: &ListCode, entry_id: &str) -> Option<&mut ListEntry> {
        let at = *self.index.get(&(list.clone(), entry_id.to_owned()))?;
        self.entries.get_mut(at)
    }

    pub(crate) fn finish(self, format: &str, published: Option<String>, content_hash: String) -> ParsedList {
        ParsedList { format: format.to_owned(), published, content_hash, entries: self.entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, line: u64) -> ListEntry {
        ListEntry::start(ListCode::new("EL"), id.to_owned(), EntityKind::Unknown, "ACME", line)
    }

    #[test]
    fn a_repeated_id_names_both_lines() {
        let mut entries = Entries::new("f.csv", "id");
        entries.insert_unique(entry("1", 3)).expect("first");
        let err = entries.insert_unique(entry("1", 9)).expect_err("duplicate");
        assert_eq!((err.line, err.field.as_deref()), (Some(9), Some("id")));
        assert!(err.message.contains("lines 3 and 9"), "{err}");
    }

    #[test]
    fn merging_keeps_every_distinct_value() {
        let mut entries = Entries::new("f.csv", "id");
        let mut a = entry("1", 3);
        a.add_legal("action", Some("ADDED".into()));
        a.add_name("ACME Ltd", NameStrength::Weak, None);
        let mut b = entry("1", 4);
        b.add_legal("action", Some("UPDATED".into()));
        b.add_name("ACME Ltd", NameStrength::Strong, Some("a.k.a."));
        b.add_country("China");
        entries.insert_or_merge(a);
        entries.insert_or_merge(b);
        let list = entries.finish("x", None, String::new());
        let merged = &list.entries[0];
        assert_eq!(list.entries.len(), 1);
        assert_eq!(merged.legal["action"], "ADDED | UPDATED");
        assert_eq!(merged.names[1].strength, NameStrength::Strong);
        assert_eq!(merged.countries, ["CN"]);
        assert_eq!(merged.source_line, Some(3));
    }
}
