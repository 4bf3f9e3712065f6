//! Rule sets and country groups as data: parsed from TOML, dated, cited, never hard-coded.

use std::collections::BTreeMap;

use chipwarden_core::{CountryCode, ItemKind};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::metrics::Metric;

/// The bundled rule sets, oldest first. Each file is complete: the rules in force from its date.
pub const BUNDLED_RULESETS: &[(&str, &str)] = &[
    ("data/rules/us-2022-10-07.toml", include_str!("../../../data/rules/us-2022-10-07.toml")),
    ("data/rules/us-2023-01-17.toml", include_str!("../../../data/rules/us-2023-01-17.toml")),
    ("data/rules/us-2023-11-17.toml", include_str!("../../../data/rules/us-2023-11-17.toml")),
    ("data/rules/us-2024-04-04.toml", include_str!("../../../data/rules/us-2024-04-04.toml")),
    ("data/rules/us-2024-12-02.toml", include_str!("../../../data/rules/us-2024-12-02.toml")),
    ("data/rules/us-2025-01-13.toml", include_str!("../../../data/rules/us-2025-01-13.toml")),
    ("data/rules/us-2025-01-16.toml", include_str!("../../../data/rules/us-2025-01-16.toml")),
    ("data/rules/us-2025-05-13.toml", include_str!("../../../data/rules/us-2025-05-13.toml")),
    ("data/rules/us-2026-01-15.toml", include_str!("../../../data/rules/us-2026-01-15.toml")),
];

pub const BUNDLED_COUNTRY_GROUPS: (&str, &str) =
    ("data/country_groups.toml", include_str!("../../../data/country_groups.toml"));

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RulesError {
    #[error("rule set `{origin}`: {message}")]
    Invalid { origin: String, message: String },
    #[error(
        "no rule set is in force on {date}: the first one, `{first}`, takes effect on {first_date} (the advanced-computing controls began on 2022-10-07)"
    )]
    BeforeFirst { date: Date, first: String, first_date: Date },
    #[error("country groups `{origin}`: {message}")]
    Groups { origin: String, message: String },
}

/// A threshold test on one metric. All bounds present must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub metric: Metric,
    /// value >= min ("or more").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// value > above ("greater than").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// value < below ("less than").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    /// value <= max.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Condition {
    pub fn holds(&self, value: f64) -> bool {
        self.min.is_none_or(|t| value >= t)
            && self.above.is_none_or(|t| value > t)
            && self.below.is_none_or(|t| value < t)
            && self.max.is_none_or(|t| value <= t)
    }

    /// Each bound as (operator, threshold).
    pub fn bounds(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        if let Some(t) = self.min {
            out.push((">=", t));
        }
        if let Some(t) = self.above {
            out.push((">", t));
        }
        if let Some(t) = self.below {
            out.push(("<", t));
        }
        if let Some(t) = self.max {
            out.push(("<=", t));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prong {
    pub id: String,
    pub text: String,
    pub all: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub eccn: String,
    /// Higher is more restrictive; used to pick the strongest classification and in properties.
    pub level: u8,
    #[serde(default = "processor")]
    pub item: ItemKind,
    pub citation: String,
    pub prong: Vec<Prong>,
}

fn processor() -> ItemKind {
    ItemKind::Processor
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub id: String,
    pub text: String,
    pub citation: String,
    /// The exclusion applies to items whose datacenter flag equals this.
    pub datacenter: bool,
    /// ...unless all of these hold.
    #[serde(default)]
    pub unless: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assembly {
    pub eccn: String,
    pub contains: String,
    pub citation: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    PresumptionOfDenial,
    PresumptionOfApproval,
    CaseByCase,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::PresumptionOfDenial => "presumption of denial",
            Policy::PresumptionOfApproval => "presumption of approval",
            Policy::CaseByCase => "case-by-case",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub policy: Policy,
    #[serde(default)]
    pub destination_groups: Vec<String>,
    #[serde(default)]
    pub destination_countries: Vec<CountryCode>,
    /// Whether a party headquartered in a covered place matches this entry wherever it is.
    #[serde(default)]
    pub applies_to_hq: bool,
    #[serde(default)]
    pub tpp_below: Option<f64>,
    #[serde(default)]
    pub memory_bandwidth_below: Option<f64>,
    pub text: String,
    pub citation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub code: String,
    pub eccns: Vec<String>,
    #[serde(default)]
    pub datacenter: Option<bool>,
    #[serde(default)]
    pub min_tpp: Option<f64>,
    #[serde(default)]
    pub max_memory_bandwidth_density_below: Option<f64>,
    #[serde(default)]
    pub destination_groups: Vec<String>,
    #[serde(default)]
    pub destination_countries: Vec<CountryCode>,
    #[serde(default)]
    pub not_destination_groups: Vec<String>,
    #[serde(default)]
    pub not_destination_countries: Vec<CountryCode>,
    #[serde(default)]
    pub applies_to_hq: Option<bool>,
    pub notification: bool,
    pub text: String,
    pub citation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndUse {
    pub id: String,
    /// Where the end use must be (the destination of the item) for the control to bite.
    #[serde(default)]
    pub destination_groups: Vec<String>,
    #[serde(default)]
    pub destination_countries: Vec<CountryCode>,
    pub keywords: Vec<String>,
    pub text: String,
    pub citation: String,
    pub policy: Policy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct License {
    pub citation: String,
    #[serde(default)]
    pub destination_groups: Vec<String>,
    #[serde(default)]
    pub destination_except_groups: Vec<String>,
    #[serde(default)]
    pub destination_countries: Vec<CountryCode>,
    pub destination_note: String,
    #[serde(default)]
    pub hq_groups: Vec<String>,
    #[serde(default)]
    pub hq_countries: Vec<CountryCode>,
    #[serde(default)]
    pub hq_citation: Option<String>,
    #[serde(default)]
    pub review: Vec<Review>,
    #[serde(default)]
    pub exception: Vec<Exception>,
    #[serde(default)]
    pub end_use: Vec<EndUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransistorThreshold {
    pub below_billion: f64,
    pub requires_no_hbm: bool,
    #[serde(default)]
    pub from_year: Option<i16>,
    #[serde(default)]
    pub until_year: Option<i16>,
    #[serde(default)]
    pub uncertain: Option<String>,
    pub text: String,
    pub citation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Foundry {
    pub citation: String,
    pub compliance_date: Date,
    pub presumed_eccn: String,
    pub max_node_nm: f64,
    pub non_planar: bool,
    pub text: String,
    pub approved_designer_citation: String,
    #[serde(default)]
    pub packaging_excluded_groups: Vec<String>,
    #[serde(default)]
    pub packaging_excluded_countries: Vec<CountryCode>,
    pub red_flag_transistors_billion: f64,
    pub red_flag_citation: String,
    pub transistor_threshold: Vec<TransistorThreshold>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub id: String,
    /// The notice speaks from this day (inclusive) within its rule set's period.
    #[serde(default)]
    pub from: Option<Date>,
    /// ...until this day (exclusive).
    #[serde(default)]
    pub until: Option<Date>,
    /// Only for these catalog chips (empty: every item).
    #[serde(default)]
    pub catalog_ids: Vec<String>,
    pub status: String,
    pub text: String,
    pub citation: String,
}

/// One version of the rules: everything in force from `effective` until the next version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub id: String,
    pub title: String,
    pub effective: Date,
    /// The day the next bundled version takes effect; filled in by the rule book.
    #[serde(default)]
    pub until: Option<Date>,
    pub sources: Vec<String>,
    #[serde(default)]
    pub conventions: Vec<String>,
    #[serde(default)]
    pub control: Vec<Control>,
    #[serde(default)]
    pub exclusion: Vec<Exclusion>,
    #[serde(default)]
    pub assembly: Vec<Assembly>,
    #[serde(default)]
    pub license: Option<License>,
    #[serde(default)]
    pub foundry: Option<Foundry>,
    #[serde(default)]
    pub notice: Vec<Notice>,
}

impl Notice {
    pub fn speaks_on(&self, date: Date) -> bool {
        self.from.is_none_or(|f| f <= date) && self.until.is_none_or(|u| date < u)
    }

    pub fn concerns(&self, catalog_id: Option<&str>) -> bool {
        self.catalog_ids.is_empty() || catalog_id.is_some_and(|id| self.catalog_ids.iter().any(|c| c == id))
    }
}

impl RuleSet {
    pub fn parse(origin: &str, text: &str) -> Result<RuleSet, RulesError> {
        let invalid = |message: String| RulesError::Invalid { origin: origin.to_owned(), message };
        let rules: RuleSet = toml::from_str(text).map_err(|e| invalid(e.to_string().trim().replace('\n', " ")))?;
        for control in &rules.control {
            if control.prong.is_empty() {
                return Err(invalid(format!("control `{}` has no prong", control.eccn)));
            }
            for prong in &control.prong {
                if prong.all.is_empty() {
                    return Err(invalid(format!("prong `{}` has no condition", prong.id)));
                }
                for condition in &prong.all {
                    if condition.bounds().is_empty() {
                        return Err(invalid(format!(
                            "prong `{}`: condition on `{}` has no bound (give min, above, below or max)",
                            prong.id,
                            condition.metric.name()
                        )));
                    }
                }
            }
        }
        Ok(rules)
    }

    /// A one-line citation for the whole rule set.
    pub fn citation(&self) -> String {
        self.sources.first().cloned().unwrap_or_default()
    }
}

/// All bundled rule versions, oldest first, with `until` filled in.
#[derive(Debug, Clone)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

impl RuleBook {
    pub fn bundled() -> Result<RuleBook, RulesError> {
        let mut sets = Vec::new();
        for (origin, text) in BUNDLED_RULESETS {
            sets.push(RuleSet::parse(origin, text)?);
        }
        RuleBook::new(sets)
    }

    pub fn new(mut sets: Vec<RuleSet>) -> Result<RuleBook, RulesError> {
        sets.sort_by_key(|s| s.effective);
        for i in 1..sets.len() {
            if sets[i].effective == sets[i - 1].effective {
                return Err(RulesError::Invalid {
                    origin: sets[i].id.clone(),
                    message: format!("takes effect on the same day as `{}`", sets[i - 1].id),
                });
            }
            let next = sets[i].effective;
            sets[i - 1].until = Some(next);
        }
        Ok(RuleBook { sets })
    }

    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }

    /// The rule set in force on `date`.
    pub fn at(&self, date: Date) -> Result<&RuleSet, RulesError> {
        let found = self.sets.iter().rev().find(|s| s.effective <= date);
        match (found, self.sets.first()) {
            (Some(set), _) => Ok(set),
            (None, Some(first)) => {
                Err(RulesError::BeforeFirst { date, first: first.id.clone(), first_date: first.effective })
            }
            (None, None) => Err(RulesError::Invalid { origin: "rule book".to_owned(), message: "is empty".to_owned() }),
        }
    }

    pub fn by_id(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroups {
    meta: GroupsMeta,
    group: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupsMeta {
    pub source: String,
    pub as_of: Date,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uncertain {
    pub cc: CountryCode,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dated {
    pub cc: CountryCode,
    #[serde(default)]
    pub from: Option<Date>,
    #[serde(default)]
    pub until: Option<Date>,
    pub citation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub title: String,
    /// `verified`, `secondary` or `unverified`: how sure the bundled list is.
    pub confidence: String,
    pub citation: String,
    pub members: Vec<CountryCode>,
    #[serde(default)]
    pub uncertain: Vec<Uncertain>,
    #[serde(default)]
    pub dated: Vec<Dated>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Answer to "is CC in group G on date D?", with what the answer rests on.
#[derive(Debug, Clone, PartialEq)]
pub enum Membership {
    Member,
    NotMember,
    /// The bundled data cannot say; treated as not a member, with a warning.
    Uncertain(String),
}

#[derive(Debug, Clone)]
pub struct CountryGroups {
    meta: GroupsMeta,
    groups: BTreeMap<String, Group>,
}

impl CountryGroups {
    pub fn bundled() -> Result<CountryGroups, RulesError> {
        CountryGroups::parse(BUNDLED_COUNTRY_GROUPS.0, BUNDLED_COUNTRY_GROUPS.1)
    }

    pub fn parse(origin: &str, text: &str) -> Result<CountryGroups, RulesError> {
        let raw: RawGroups = toml::from_str(text).map_err(|e| RulesError::Groups {
            origin: origin.to_owned(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let groups = raw.group.into_iter().map(|g| (g.id.clone(), g)).collect();
        Ok(CountryGroups { meta: raw.meta, groups })
    }

    pub fn meta(&self) -> &GroupsMeta {
        &self.meta
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id)
    }

    pub fn membership(&self, group: &str, cc: CountryCode, date: Date) -> Membership {
        let Some(g) = self.groups.get(group) else {
            return Membership::Uncertain(format!("country group `{group}` is not in the bundled data"));
        };
        if let Some(dated) = g.dated.iter().find(|d| d.cc == cc) {
            let started = dated.from.is_none_or(|f| f <= date);
            let ended = dated.until.is_some_and(|u| date >= u);
            return if started && !ended { Membership::Member } else { Membership::NotMember };
        }
        if g.members.contains(&cc) {
            return Membership::Member;
        }
        if let Some(u) = g.uncertain.iter().find(|u| u.cc == cc) {
            return Membership::Uncertain(format!("{cc} in {group}: {}", u.note));
        }
        Membership::NotMember
    }
}
