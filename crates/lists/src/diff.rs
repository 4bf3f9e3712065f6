//! What changed between two versions of a list: entries added, removed and changed, by entry id.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{ListCode, ListEntry};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub list: ListCode,
    pub entry_id: String,
    pub name: String,
    /// The top-level fields that differ (e.g. `names`, `addresses`, `legal`).
    pub fields: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ListDiff {
    pub added: Vec<Change>,
    pub removed: Vec<Change>,
    pub changed: Vec<Change>,
}

impl ListDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

type Key<'a> = (&'a ListCode, &'a str);

fn keyed(entries: &[ListEntry]) -> BTreeMap<Key<'_>, &ListEntry> {
    entries.iter().map(|e| ((&e.list, e.entry_id.as_str()), e)).collect()
}

fn differing_fields(a: &ListEntry, b: &ListEntry) -> Vec<&'static str> {
    let mut out = Vec::new();
    let checks: [(&'static str, bool); 9] = [
        ("kind", a.kind != b.kind),
        ("names", a.names != b.names),
        ("addresses", a.addresses != b.addresses),
        ("countries", a.countries != b.countries),
        ("dates", a.dates != b.dates),
        ("identifiers", a.identifiers != b.identifiers),
        ("programs", a.programs != b.programs),
        ("legal", a.legal != b.legal),
        ("remarks", a.remarks != b.remarks),
    ];
    for (name, differs) in checks {
        if differs {
            out.push(name);
        }
    }
    out
}

fn change(e: &ListEntry, fields: Vec<&'static str>) -> Change {
    Change { list: e.list.clone(), entry_id: e.entry_id.clone(), name: e.primary_name().to_owned(), fields }
}

/// Compares two versions by (list, entry id). `source_line` is provenance, not content, and is
/// ignored.
pub fn diff(old: &[ListEntry], new: &[ListEntry]) -> ListDiff {
    let before = keyed(old);
    let after = keyed(new);
    let mut out = ListDiff::default();
    for (key, entry) in &after {
        match before.get(key) {
            None => out.added.push(change(entry, Vec::new())),
            Some(previous) => {
                let fields = differing_fields(previous, entry);
                if !fields.is_empty() {
                    out.changed.push(change(entry, fields));
                }
            }
        }
    }
    for (key, entry) in &before {
        if !after.contains_key(key) {
            out.removed.push(change(entry, Vec::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntityKind;

    fn entry(id: &str, name: &str) -> ListEntry {
        ListEntry::start(ListCode::new("SDN"), id.to_owned(), EntityKind::Company, name, 1)
    }

    #[test]
    fn finds_added_removed_and_changed() {
        let old = vec![entry("1", "A"), entry("2", "B")];
        let mut renamed = entry("2", "B2");
        renamed.source_line = Some(9);
        let new = vec![renamed, entry("3", "C")];
        let d = diff(&old, &new);
        assert_eq!(d.added.iter().map(|c| c.entry_id.as_str()).collect::<Vec<_>>(), vec!["3"]);
        assert_eq!(d.removed.iter().map(|c| c.entry_id.as_str()).collect::<Vec<_>>(), vec!["1"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].fields, vec!["names"]);
        assert!(diff(&new, &new).is_empty());
    }
}
