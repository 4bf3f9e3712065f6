//! Ownership: is an unlisted entity caught because listed parties own it, through chains?
//!
//! OFAC's 50 percent rule aggregates the shares of all blocked owners, direct and indirect, and
//! counts indirect ownership through entities that are themselves blocked (not by multiplying
//! percentages down the chain). BIS's affiliates rule applies the same test to Entity List and
//! Military End-User List parties, in force only on the dates its rule data says. The answer
//! names the chain, every share and its source, and what ownership data is missing.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub const BUNDLED_RULES: &str = include_str!("../../../data/screening/ownership_rules.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    pub owner: String,
    pub owned: String,
    /// Fraction 0..=1.
    pub share: f64,
    pub source: String,
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suspension {
    pub from: Date,
    pub until: Option<Date>,
    pub citation: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipRule {
    pub id: String,
    pub title: String,
    pub lists: Vec<String>,
    pub threshold: f64,
    pub effective: Date,
    pub text: String,
    pub citation: String,
    #[serde(default)]
    pub suspensions: Vec<Suspension>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    rule: Vec<OwnershipRule>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("ownership rules: {0}")]
pub struct RulesError(String);

pub fn parse_rules(text: &str) -> Result<Vec<OwnershipRule>, RulesError> {
    let raw: RawRules = toml::from_str(text).map_err(|e| RulesError(e.to_string().trim().replace('\n', " ")))?;
    Ok(raw.rule)
}

/// Whether a rule is in force on a date, and why not when it is not.
pub fn in_force(rule: &OwnershipRule, date: Date) -> Result<(), String> {
    if date < rule.effective {
        return Err(format!("{} takes effect on {}", rule.title, rule.effective));
    }
    for s in &rule.suspensions {
        if date >= s.from && s.until.is_none_or(|u| date < u) {
            return Err(format!("{} is suspended from {} ({})", rule.title, s.from, s.citation));
        }
    }
    Ok(())
}

/// One step of a chain: `owner` holds `share` of `owned`, per `source`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub owner: String,
    pub owned: String,
    pub share: f64,
    pub source: String,
    /// Why the owner counts: listed on these lists, or itself caught by the rule.
    pub owner_status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFinding {
    pub rule: String,
    pub in_force: bool,
    pub status_note: Option<String>,
    /// Aggregate share held by counting owners (listed or caught), 0..=1.
    pub aggregate_share: f64,
    pub caught: bool,
    /// The links that make up the aggregate, with the chains behind caught owners.
    pub chain: Vec<Link>,
    pub citation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnershipReport {
    pub entity: String,
    pub date: Date,
    /// Lists the entity is on directly (from the caller's screening).
    pub listed_on: Vec<String>,
    pub findings: Vec<RuleFinding>,
    /// Plain statements of what is missing: no edges, shares not summing to 100%.
    pub missing: Vec<String>,
}

/// `listed` maps a party name to the lists it is on (as the caller's screening found them).
pub fn assess(
    entity: &str,
    edges: &[Edge],
    listed: &BTreeMap<String, Vec<String>>,
    rules: &[OwnershipRule],
    date: Date,
) -> OwnershipReport {
    let edges = as_of(edges, date);
    let edges = edges.as_slice();
    let mut missing = Vec::new();
    note_missing(entity, edges, &mut missing);
    let mut findings = Vec::new();
    for rule in rules {
        let force = in_force(rule, date);
        let on_lists = |name: &str| -> Vec<String> {
            listed.get(name).map(|l| l.iter().filter(|x| rule.lists.contains(x)).cloned().collect()).unwrap_or_default()
        };
        // Fixpoint: an entity is caught when counting owners hold `threshold` or more of it.
        let mut caught: BTreeMap<String, Vec<Link>> = BTreeMap::new();
        let parties: BTreeSet<&str> = edges.iter().map(|e| e.owned.as_str()).collect();
        loop {
            let mut changed = false;
            for &owned in &parties {
                if caught.contains_key(owned) || !on_lists(owned).is_empty() {
                    continue;
                }
                let links = counting_links(owned, edges, &caught, &on_lists);
                if links.iter().map(|l| l.share).sum::<f64>() >= rule.threshold {
                    caught.insert(owned.to_owned(), links);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let links = counting_links(entity, edges, &caught, &on_lists);
        let aggregate: f64 = links.iter().map(|l| l.share).sum();
        let mut chain = Vec::new();
        expand(&links, &caught, &mut chain, &mut BTreeSet::new());
        // Owners in the chain whose own ownership is incomplete: the chain rests on them.
        for link in &chain {
            if caught.contains_key(&link.owner) {
                note_missing(&link.owner, edges, &mut missing);
            }
        }
        findings.push(RuleFinding {
            rule: rule.id.clone(),
            in_force: force.is_ok(),
            status_note: force.err().or_else(|| rule.suspensions.iter().filter_map(|s| s.note.clone()).next()),
            aggregate_share: aggregate,
            caught: aggregate >= rule.threshold,
            chain,
            citation: rule.citation.clone(),
        });
    }
    let listed_on = listed.get(entity).cloned().unwrap_or_default();
    OwnershipReport { entity: entity.to_owned(), date, listed_on, findings, missing }
}

/// The edges in force on `date`: none dated after it, and of several statements of the same
/// holding (owner, owned) only the latest, so that a holding reported twice counts once.
fn as_of(edges: &[Edge], date: Date) -> Vec<Edge> {
    let day = |e: &Edge| e.date.as_deref().and_then(|d| chipwarden_core::parse_date(d).ok());
    let mut latest: BTreeMap<(&str, &str), &Edge> = BTreeMap::new();
    for e in edges.iter().filter(|e| day(e).is_none_or(|d| d <= date)) {
        let key = (e.owner.as_str(), e.owned.as_str());
        match latest.get(&key) {
            Some(prev) if day(prev) >= day(e) => {}
            _ => {
                latest.insert(key, e);
            }
        }
    }
    latest.into_values().cloned().collect()
}

/// Says plainly when an entity's owners are unknown or add up to less than 100%.
fn note_missing(entity: &str, edges: &[Edge], missing: &mut Vec<String>) {
    let owners: Vec<&Edge> = edges.iter().filter(|e| e.owned == entity).collect();
    let text = if owners.is_empty() {
        format!("no ownership data for `{entity}`: its owners are unknown, so no ownership finding can clear it")
    } else {
        let total: f64 = owners.iter().map(|e| e.share).sum();
        if total >= 0.999 {
            return;
        }
        format!(
            "the recorded owners of `{entity}` hold {:.1}% in total; {:.1}% is unaccounted for",
            total * 100.0,
            (1.0 - total) * 100.0
        )
    };
    if !missing.contains(&text) {
        missing.push(text);
    }
}

fn counting_links(
    owned: &str,
    edges: &[Edge],
    caught: &BTreeMap<String, Vec<Link>>,
    on_lists: &dyn Fn(&str) -> Vec<String>,
) -> Vec<Link> {
    edges
        .iter()
        .filter(|e| e.owned == owned)
        .filter_map(|e| {
            let lists = on_lists(&e.owner);
            let status = if !lists.is_empty() {
                format!("listed: {}", lists.join(", "))
            } else if caught.contains_key(&e.owner) {
                "caught by the rule itself".to_owned()
            } else {
                return None;
            };
            Some(Link {
                owner: e.owner.clone(),
                owned: e.owned.clone(),
                share: e.share,
                source: e.source.clone(),
                owner_status: status,
            })
        })
        .collect()
}

/// The links, followed by the links that make each caught owner caught, depth first.
fn expand(links: &[Link], caught: &BTreeMap<String, Vec<Link>>, out: &mut Vec<Link>, seen: &mut BTreeSet<String>) {
    for link in links {
        out.push(link.clone());
        if let Some(behind) = caught.get(&link.owner)
            && seen.insert(link.owner.clone())
        {
            expand(behind, caught, out, seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn edge(owner: &str, owned: &str, share: f64) -> Edge {
        Edge { owner: owner.into(), owned: owned.into(), share, source: "registry extract".into(), date: None }
    }

    fn rules() -> Vec<OwnershipRule> {
        parse_rules(BUNDLED_RULES).expect("bundled rules")
    }

    fn listed(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, list) in pairs {
            m.entry((*name).to_owned()).or_default().push((*list).to_owned());
        }
        m
    }

    #[test]
    fn aggregates_across_blocked_owners_and_through_chains() {
        // A (SDN) 30% + B (SDN) 25% of X: 55%, blocked in aggregate. X owns 60% of Y: Y blocked
        // through X (indirect ownership counts in full through a blocked entity).
        let edges = vec![
            edge("A", "X", 0.30),
            edge("B", "X", 0.25),
            edge("C", "X", 0.45),
            edge("X", "Y", 0.60),
            edge("D", "Y", 0.40),
        ];
        let l = listed(&[("A", "SDN"), ("B", "SDN")]);
        let r = assess("Y", &edges, &l, &rules(), date(2026, 1, 1));
        let ofac = &r.findings[0];
        assert!(ofac.caught && ofac.in_force);
        assert!((ofac.aggregate_share - 0.6).abs() < 1e-9);
        assert_eq!(ofac.chain.iter().map(|l| l.owner.as_str()).collect::<Vec<_>>(), vec!["X", "A", "B"]);
        assert!(r.missing.is_empty());
        // 49.9% in aggregate is not enough.
        let edges = vec![edge("A", "Z", 0.249), edge("B", "Z", 0.25)];
        assert!(!assess("Z", &edges, &l, &rules(), date(2026, 1, 1)).findings[0].caught);
    }

    #[test]
    fn the_affiliates_rule_depends_on_the_date() {
        let edges = vec![edge("E", "F", 0.5)];
        let l = listed(&[("E", "EL")]);
        let at = |d| assess("F", &edges, &l, &rules(), d).findings[1].clone();
        assert!(!at(date(2025, 9, 28)).in_force);
        assert!(at(date(2025, 10, 1)).in_force && at(date(2025, 10, 1)).caught);
        assert!(!at(date(2026, 3, 1)).in_force);
        assert!(at(date(2026, 11, 29)).in_force);
    }

    #[test]
    fn edges_count_as_of_the_date_and_once() {
        let dated = |owner: &str, share: f64, d: &str| Edge {
            owner: owner.into(),
            owned: "T".into(),
            share,
            source: "registry".into(),
            date: Some(d.into()),
        };
        let l = listed(&[("A", "SDN")]);
        // The same 30% holding reported twice is 30%, not 60%.
        let twice = vec![dated("A", 0.3, "2025-01-01"), dated("A", 0.3, "2025-06-01"), dated("B", 0.7, "2025-01-01")];
        assert!((assess("T", &twice, &l, &rules(), date(2026, 1, 1)).findings[0].aggregate_share - 0.3).abs() < 1e-9);
        // A holding dated after the day asked does not count on that day.
        let later = vec![dated("A", 0.6, "2030-01-01"), dated("B", 0.4, "2024-01-01")];
        assert!(!assess("T", &later, &l, &rules(), date(2026, 1, 1)).findings[0].caught);
        assert!(assess("T", &later, &l, &rules(), date(2030, 6, 1)).findings[0].caught);
    }

    #[test]
    fn missing_data_is_said_plainly() {
        let r = assess("Nobody", &[], &BTreeMap::new(), &rules(), date(2026, 1, 1));
        assert!(r.missing[0].contains("no ownership data"));
        let r = assess("F", &[edge("E", "F", 0.3)], &BTreeMap::new(), &rules(), date(2026, 1, 1));
        assert!(r.missing[0].contains("70.0% is unaccounted for"));
    }
}
