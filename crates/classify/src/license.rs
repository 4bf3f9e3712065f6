//! License determination: may this item go to this destination and party, and under what policy.
//!
//! The flow (entity list, end use, ECCN, destination scope, headquarters rule, review policy,
//! exceptions) is code; every country list, policy and exception condition it applies is data
//! from the rule set in force, and every step names the paragraph it rests on.

use chipwarden_core::CountryCode;
use jiff::civil::Date;
use serde::Serialize;

use crate::control::{Classification, Status, num};
use crate::metrics::Metrics;
use crate::rules::{CountryGroups, Exception, Membership, Policy, RuleSet};

#[derive(Debug, Clone, PartialEq)]
pub struct LicenseQuery {
    pub destination: CountryCode,
    /// Headquarters of the party, or of its ultimate parent.
    pub party_hq: Option<CountryCode>,
    pub end_use: Option<String>,
    pub entity_listed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub step: String,
    pub outcome: String,
    pub citation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailableException {
    pub code: String,
    pub notification: bool,
    pub text: String,
    pub citation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LicenseDetermination {
    pub item: String,
    pub date: Date,
    pub ruleset: String,
    pub destination: CountryCode,
    pub party_hq: Option<CountryCode>,
    pub eccn: Option<String>,
    pub license_required: bool,
    /// `determined`, or `undetermined` when a missing figure leaves the classification open and
    /// the answer assumes the strongest ECCN the item could have.
    pub determination: &'static str,
    /// `presumption_of_denial`, `presumption_of_approval`, `case_by_case`, or `None` when no
    /// license is required.
    pub policy: Option<Policy>,
    pub exceptions: Vec<AvailableException>,
    pub reasons: Vec<String>,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
    pub classification: Classification,
}

struct Places<'a> {
    groups: &'a CountryGroups,
    date: Date,
    warnings: Vec<String>,
}

impl Places<'_> {
    /// Is `cc` in any of `groups` or `countries`? Notes unverified or uncertain data as warnings.
    fn in_any(&mut self, cc: CountryCode, groups: &[String], countries: &[CountryCode]) -> Option<String> {
        if countries.contains(&cc) {
            return Some(cc.to_string());
        }
        // Of the groups that hold `cc`, cite the one the bundled data is surest of.
        let mut best: Option<(u8, &String)> = None;
        for g in groups {
            match self.groups.membership(g, cc, self.date) {
                Membership::Member => {
                    let rank = self.groups.group(g).map_or(0, |group| confidence_rank(&group.confidence));
                    if best.is_none_or(|(r, _)| rank > r) {
                        best = Some((rank, g));
                    }
                }
                Membership::Uncertain(note) => {
                    let w = format!("uncertain membership, treated as not a member: {note}");
                    if !self.warnings.contains(&w) {
                        self.warnings.push(w);
                    }
                }
                Membership::NotMember => {}
            }
        }
        if let Some((_, g)) = best {
            if let Some(group) = self.groups.group(g)
                && group.confidence != "verified"
            {
                let w = format!(
                    "{cc} is in Country Group {g} according to bundled data of confidence `{}` ({}); verify against the current 15 CFR 740 Supp. 1",
                    group.confidence, group.citation
                );
                if !self.warnings.contains(&w) {
                    self.warnings.push(w);
                }
            }
            return Some(format!("Country Group {g}"));
        }
        None
    }
}

fn confidence_rank(confidence: &str) -> u8 {
    match confidence {
        "verified" => 3,
        "secondary" => 2,
        "unverified" => 1,
        _ => 0,
    }
}

pub fn determine(
    classification: Classification,
    rules: &RuleSet,
    groups: &CountryGroups,
    metrics: &Metrics,
    query: &LicenseQuery,
) -> LicenseDetermination {
    let date = classification.date;
    let mut places = Places { groups, date, warnings: Vec::new() };
    let mut reasons = Vec::new();
    let mut steps = Vec::new();
    let mut required = false;
    let mut policy: Option<Policy> = None;
    let dest = query.destination;

    // Step 1: the Entity List reaches every item subject to the EAR.
    if query.entity_listed {
        required = true;
        policy = Some(Policy::PresumptionOfDenial);
        reasons.push("the party is on the Entity List: a license is required for all items subject to the EAR, reviewed under the policy in its entry (most entries: presumption of denial); license exceptions are not available".to_owned());
        steps.push(Step {
            step: "entity list".to_owned(),
            outcome: "listed: license required".to_owned(),
            citation: "15 CFR 744.11 and Supplement No. 4 to Part 744".to_owned(),
        });
    }

    let license = rules.license.as_ref();
    // Step 2: end-use controls, by keyword in the declared end use, where the end use is located.
    if let (Some(text), Some(license)) = (&query.end_use, license) {
        let lower = text.to_lowercase();
        for end_use in &license.end_use {
            if !end_use.keywords.iter().any(|k| lower.contains(&k.to_lowercase())) {
                continue;
            }
            let located = end_use.destination_groups.is_empty() && end_use.destination_countries.is_empty()
                || places.in_any(dest, &end_use.destination_groups, &end_use.destination_countries).is_some();
            if located {
                required = true;
                policy = Some(stricter(policy, end_use.policy));
                reasons.push(format!(
                    "declared end use `{text}` matches the control on {}: license required",
                    end_use.text
                ));
                steps.push(Step {
                    step: format!("end use ({})", end_use.id),
                    outcome: "license required".to_owned(),
                    citation: end_use.citation.clone(),
                });
            } else {
                places.warnings.push(format!(
                    "declared end use `{text}` matches the control on {}; it applies if that facility is located in a covered place, which the destination {dest} is not: confirm where the end use takes place ({})",
                    end_use.text, end_use.citation
                ));
            }
        }
    }

    // Step 3: the ECCN decides whether the advanced-computing license requirements apply at all.
    // An undetermined classification is assessed as the strongest ECCN it could be, so that a
    // missing figure never reads as "no license required".
    let assumed_eccn = match (&classification.eccn, classification.status) {
        (Some(eccn), _) => {
            steps.push(Step {
                step: "classification".to_owned(),
                outcome: format!(
                    "{eccn} (assemblies containing it: {})",
                    classification.assembly_eccn.as_deref().unwrap_or("n/a")
                ),
                citation: classification.citations.last().cloned().unwrap_or_default(),
            });
            Some(eccn.clone())
        }
        (None, Status::Undetermined) => {
            let assumed = classification.undetermined_eccns.first().cloned();
            places.warnings.push(format!(
                "the classification is undetermined for want of a figure ({}); the item is assessed as {} until the figure is known",
                classification.missing.join("; "),
                assumed.as_deref().unwrap_or("controlled")
            ));
            steps.push(Step {
                step: "classification".to_owned(),
                outcome: "undetermined".to_owned(),
                citation: classification.ruleset_citation.clone(),
            });
            assumed
        }
        (None, _) => {
            steps.push(Step {
                step: "classification".to_owned(),
                outcome: "not 3A090/4A090".to_owned(),
                citation: classification.ruleset_citation.clone(),
            });
            None
        }
    };
    let controlled = assumed_eccn.is_some();
    let determination = if classification.status == Status::Undetermined { "undetermined" } else { "determined" };

    let mut exceptions = Vec::new();
    if let (Some(license), Some(eccn)) = (license, assumed_eccn.as_deref()) {
        // Step 4: destination scope and the headquarters rule.
        let dest_hit = places.in_any(dest, &license.destination_groups, &license.destination_countries);
        // Explicitly named countries (Macau) are in scope whatever groups they are also in.
        let except_hit = if license.destination_countries.contains(&dest) {
            None
        } else {
            places.in_any(dest, &license.destination_except_groups, &[])
        };
        let by_destination = dest_hit.clone().filter(|_| except_hit.is_none());
        let by_hq = query
            .party_hq
            .and_then(|hq| places.in_any(hq, &license.hq_groups, &license.hq_countries).map(|why| (hq, why)));
        match (&by_destination, &except_hit) {
            (Some(why), _) => {
                reasons.push(format!(
                    "{eccn} to {dest}: license required, the destination is in scope ({why}; scope: {})",
                    license.destination_note
                ));
                steps.push(Step {
                    step: "destination".to_owned(),
                    outcome: format!("{dest} in scope ({why})"),
                    citation: license.citation.clone(),
                });
            }
            (None, Some(why)) if dest_hit.is_some() => {
                reasons
                    .push(format!("{dest} is also in {why}, which the scope excludes ({})", license.destination_note));
                steps.push(Step {
                    step: "destination".to_owned(),
                    outcome: format!("{dest} excluded ({why})"),
                    citation: license.citation.clone(),
                });
            }
            _ => {
                reasons.push(format!("{dest} is outside the destination scope ({})", license.destination_note));
                steps.push(Step {
                    step: "destination".to_owned(),
                    outcome: format!("{dest} not in scope"),
                    citation: license.citation.clone(),
                });
            }
        }
        if let Some((hq, why)) = &by_hq {
            reasons.push(format!("the party (or its ultimate parent) is headquartered in {hq} ({why}): license required wherever the item goes"));
            steps.push(Step {
                step: "headquarters".to_owned(),
                outcome: format!("{hq} ({why})"),
                citation: license.hq_citation.clone().unwrap_or_else(|| license.citation.clone()),
            });
        }
        let in_scope = by_destination.is_some() || by_hq.is_some();
        if in_scope {
            required = true;
            // Step 5: review policy, first matching entry.
            for review in &license.review {
                let dest_match =
                    places.in_any(dest, &review.destination_groups, &review.destination_countries).is_some()
                        || (review.destination_groups.is_empty() && review.destination_countries.is_empty());
                let hq_match = review.applies_to_hq && by_hq.is_some();
                // An entry that does not reach headquartered parties still applies to a party
                // located at a destination it names, wherever that party is headquartered.
                if !(dest_match || hq_match) {
                    continue;
                }
                let name = review.policy.name();
                if !under_limit("TPP", classification.tpp, review.tpp_below, name, &mut reasons)
                    || !under_limit(
                        "total DRAM bandwidth (GB/s)",
                        metrics.memory_bandwidth_gbps,
                        review.memory_bandwidth_below,
                        name,
                        &mut reasons,
                    )
                {
                    continue;
                }
                let applied = stricter(policy, review.policy);
                let outcome = if applied == review.policy {
                    review.policy.name().to_owned()
                } else {
                    format!(
                        "{} for the item, overridden by {} (Entity List or end use)",
                        review.policy.name(),
                        applied.name()
                    )
                };
                policy = Some(applied);
                reasons.push(format!("review policy: {}", review.text));
                steps.push(Step { step: "review policy".to_owned(), outcome, citation: review.citation.clone() });
                break;
            }
            // Step 6: license exceptions (never for Entity List parties).
            if !query.entity_listed {
                for ex in &license.exception {
                    if exception_applies(ex, eccn, &classification, metrics, dest, by_hq.is_some(), &mut places) {
                        exceptions.push(AvailableException {
                            code: ex.code.clone(),
                            notification: ex.notification,
                            text: ex.text.clone(),
                            citation: ex.citation.clone(),
                        });
                        reasons.push(format!("license exception {} available: {}", ex.code, ex.text));
                    }
                }
            }
        } else if !required {
            reasons.push(format!(
                "no license is required under the advanced-computing controls to export {eccn} items to {dest}"
            ));
        }
    } else if controlled && license.is_none() {
        places.warnings.push(format!("rule set `{}` carries no license data", rules.id));
    } else if !required {
        reasons.push("no license is required under the advanced-computing controls (ECCNs 3A090/4A090); other ECCNs, such as 3A991 or 5A992, were not assessed".to_owned());
    }

    for notice in rules.notice.iter().filter(|n| n.speaks_on(date)) {
        if notice.catalog_ids.is_empty() {
            reasons.push(format!("notice ({}): {} [{}]", notice.status, notice.text, notice.citation));
        } else if notice.concerns(classification.catalog_id.as_deref()) {
            places.warnings.push(format!("{} ({}): {} [{}]", notice.id, notice.status, notice.text, notice.citation));
        }
    }

    LicenseDetermination {
        item: classification.item.clone(),
        date,
        ruleset: rules.id.clone(),
        destination: dest,
        party_hq: query.party_hq,
        eccn: classification.eccn.clone(),
        license_required: required,
        determination,
        policy: if required { policy } else { None },
        exceptions,
        reasons,
        steps,
        warnings: places.warnings,
        classification,
    }
}

/// Whether `value` is below a review entry's `limit` (no limit: yes); says why not.
fn under_limit(label: &str, value: Option<f64>, limit: Option<f64>, policy: &str, reasons: &mut Vec<String>) -> bool {
    let Some(limit) = limit else { return true };
    match value {
        Some(v) if v < limit => true,
        Some(v) => {
            reasons.push(format!("not eligible for {policy} review: {label} {} is not below {}", num(v), num(limit)));
            false
        }
        None => {
            reasons.push(format!("{policy} review needs {label} below {}, and it is unknown", num(limit)));
            false
        }
    }
}

fn rank(p: Policy) -> u8 {
    match p {
        Policy::PresumptionOfDenial => 2,
        Policy::CaseByCase => 1,
        Policy::PresumptionOfApproval => 0,
    }
}

fn stricter(current: Option<Policy>, new: Policy) -> Policy {
    match current {
        Some(c) if rank(c) >= rank(new) => c,
        _ => new,
    }
}

fn exception_applies(
    ex: &Exception,
    eccn: &str,
    classification: &Classification,
    metrics: &Metrics,
    dest: CountryCode,
    hq_triggered: bool,
    places: &mut Places<'_>,
) -> bool {
    if !ex.eccns.iter().any(|e| e == eccn) {
        return false;
    }
    if let Some(dc) = ex.datacenter {
        // Unknown datacenter status was assessed as datacenter by the classifier.
        if classification.datacenter.unwrap_or(true) != dc {
            return false;
        }
    }
    if let Some(min) = ex.min_tpp
        && classification.tpp.is_none_or(|t| t < min)
    {
        return false;
    }
    if let Some(limit) = ex.max_memory_bandwidth_density_below
        && metrics.memory_bandwidth_density.is_none_or(|d| d >= limit)
    {
        return false;
    }
    let has_dest_list = !ex.destination_groups.is_empty() || !ex.destination_countries.is_empty();
    let dest_in = places.in_any(dest, &ex.destination_groups, &ex.destination_countries).is_some();
    let dest_out = places.in_any(dest, &ex.not_destination_groups, &ex.not_destination_countries).is_some();
    match ex.applies_to_hq {
        Some(true) => (!has_dest_list || dest_in || hq_triggered) && !dest_out,
        Some(false) => !hq_triggered && (!has_dest_list || dest_in) && !dest_out,
        None => (!has_dest_list || dest_in) && !dest_out,
    }
}
