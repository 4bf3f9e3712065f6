//! What a classification or license question is about: one item, or a system of catalog items.

use chipwarden_classify::{Classification, Metrics, RuleSet, classify, classify_system};
use chipwarden_core::Item;
use jiff::civil::Date;

/// What a request assesses: one item, or a system of catalog items with their counts.
// One value per request: the size difference between variants costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Subject {
    Item(Item),
    System { name: String, parts: Vec<(Item, u32)> },
}

impl Subject {
    pub fn classify(&self, rules: &RuleSet, date: Date) -> Classification {
        match self {
            Subject::Item(item) => classify(item, rules, date),
            Subject::System { name, parts } => classify_system(name, parts, rules, date),
        }
    }

    /// The metrics a license review looks at: the item's, or the most capable component's.
    pub fn metrics(&self) -> Metrics {
        match self {
            Subject::Item(item) => Metrics::of(item),
            Subject::System { parts, .. } => parts
                .iter()
                .map(|(item, _)| Metrics::of(item))
                .max_by(|a, b| {
                    let tpp = |m: &Metrics| m.tpp.as_ref().map_or(0.0, |t| t.value);
                    tpp(a).total_cmp(&tpp(b))
                })
                .unwrap_or_else(|| Metrics::of(&Item::empty("empty system", chipwarden_core::ItemKind::System))),
        }
    }
}
