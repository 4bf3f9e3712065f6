//! Foundry due diligence: design intake for a front-end fabricator under Note 1 to 3A090.a.

use chipwarden_core::CountryCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::control::num;
use crate::rules::{CountryGroups, Membership, RuleSet};

/// A die at or above this area, at an advanced node, with no declared end use, is a red flag.
/// This is ChipWarden's screening heuristic (datacenter accelerators run 600-830 mm²), not a
/// regulatory threshold, and is reported as such.
pub const HEURISTIC_LARGE_DIE_MM2: f64 = 600.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DesignError {
    #[error("design `{file}`: {message}")]
    Invalid { file: String, message: String },
}

/// What a front-end fabricator knows about a design at intake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    pub name: String,
    /// Process node in nm (16 for "16/14 nm").
    pub node_nm: Option<f64>,
    /// FinFET or GAA (non-planar) transistors.
    pub non_planar: Option<bool>,
    /// Aggregated approximated transistor count of the final packaged IC, billions.
    pub transistors_billion: Option<f64>,
    pub die_area_mm2: Option<f64>,
    pub hbm_in_package: Option<bool>,
    pub designer: String,
    #[serde(default)]
    pub designer_hq: Option<CountryCode>,
    /// The designer is an "approved IC designer" (Supp. No. 6 to Part 740) or "authorized IC designer".
    #[serde(default)]
    pub approved_designer: bool,
    /// The designer attests TPP and performance density below 3A090.a.
    #[serde(default)]
    pub designer_attestation: bool,
    #[serde(default)]
    pub packaging_house: Option<String>,
    #[serde(default)]
    pub packaging_country: Option<CountryCode>,
    /// The packaging house is an approved OSAT (Supp. No. 7 to Part 740), or the fabricator itself.
    #[serde(default)]
    pub approved_osat: bool,
    /// The packager attests the transistor count of the final packaged IC.
    #[serde(default)]
    pub packager_attestation: bool,
    pub customer: String,
    #[serde(default)]
    pub customer_hq: Option<CountryCode>,
    pub destination: CountryCode,
    #[serde(default)]
    pub end_use: Option<String>,
    /// Calendar year the export is completed; defaults to the assessment date's year.
    #[serde(default)]
    pub export_year: Option<i16>,
}

pub fn parse_design(file: &str, text: &str) -> Result<Design, DesignError> {
    let invalid = |message: String| DesignError::Invalid { file: file.to_owned(), message };
    let design: Design = if !file.ends_with(".toml") && text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| invalid(format!("not a valid design (JSON): {e}")))?
    } else {
        toml::from_str(text)
            .map_err(|e| invalid(format!("not a valid design (TOML): {}", e.to_string().trim().replace('\n', " "))))?
    };
    for (field, value) in [
        ("node_nm", design.node_nm),
        ("transistors_billion", design.transistors_billion),
        ("die_area_mm2", design.die_area_mm2),
    ] {
        if let Some(v) = value
            && (!v.is_finite() || v <= 0.0)
        {
            return Err(invalid(format!("field `{field}`: `{v}` must be a positive number")));
        }
    }
    Ok(design)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedFlag {
    pub id: String,
    pub text: String,
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundryAssessment {
    pub design: String,
    pub date: Date,
    pub ruleset: String,
    pub applicable_advanced_logic: Option<bool>,
    pub presumption_applies: bool,
    pub presumed_eccn: Option<String>,
    pub overcome_by: Option<String>,
    pub red_flags: Vec<RedFlag>,
    pub reasons: Vec<String>,
    pub warnings: Vec<String>,
}

fn in_d5_or_macau(groups: &CountryGroups, cc: CountryCode, date: Date) -> bool {
    cc.as_str() == "MO" || groups.membership("D:5", cc, date) == Membership::Member
}

pub fn assess(design: &Design, rules: &RuleSet, groups: &CountryGroups, date: Date) -> FoundryAssessment {
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    let mut red_flags = Vec::new();
    let advanced_node = design.node_nm.map(|n| n <= rules.foundry.as_ref().map_or(16.0, |f| f.max_node_nm));
    let applicable = match (advanced_node, design.non_planar) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    };

    let mut presumption = false;
    let mut overcome_by = None;
    match &rules.foundry {
        None => reasons.push(format!(
            "no foundry due-diligence presumption is in force on {date} (rule set `{}`; it began with FR Doc 2025-00711 on 2025-01-16)",
            rules.id
        )),
        Some(f) => {
            match applicable {
                Some(true) => reasons.push(format!(
                    "an 'applicable advanced logic integrated circuit': {}",
                    match (advanced_node, design.non_planar) {
                        (Some(true), Some(true)) => format!("node {} nm is at or below {} nm and transistors are non-planar", num(design.node_nm.unwrap_or_default()), num(f.max_node_nm)),
                        (Some(true), _) => format!("node {} nm is at or below {} nm", num(design.node_nm.unwrap_or_default()), num(f.max_node_nm)),
                        _ => "transistors are non-planar".to_owned(),
                    }
                )),
                Some(false) => reasons.push(format!("not an applicable advanced logic IC: planar transistors at a node above {} nm", num(f.max_node_nm))),
                None => {
                    warnings.push("node or transistor architecture unknown: treated as an applicable advanced logic IC until shown otherwise".to_owned());
                }
            }
            if applicable != Some(false) {
                presumption = true;
                reasons.push(format!("presumption: {} ({})", f.text, f.citation));
                if date < f.compliance_date {
                    warnings.push(format!("the rule's compliance date is {}; on {date} it is published but not yet binding", f.compliance_date));
                }
                // Way (a): approved or authorized IC designer with an attestation.
                if design.approved_designer && design.designer_attestation {
                    overcome_by = Some(format!("approved or authorized IC designer `{}` attests TPP and PD below 3A090.a ({})", design.designer, f.approved_designer_citation));
                } else if design.approved_designer {
                    reasons.push("the designer is approved, but no attestation of TPP and PD is on file".to_owned());
                }
                // Ways (b) and (c): packaging outside D:5/Macau with a transistor-count attestation.
                if overcome_by.is_none() {
                    let year = design.export_year.unwrap_or(date.year());
                    if let Some(cc) = design.packaging_country {
                        for g in &f.packaging_excluded_groups {
                            if let Membership::Uncertain(note) = groups.membership(g, cc, date) {
                                warnings.push(format!(
                                    "packaging country {cc}: membership of {g} is uncertain in the bundled data ({note}); the packaging route is accepted only if {cc} is outside {g}"
                                ));
                            }
                        }
                    }
                    let pack_ok = design.packaging_country.is_some_and(|cc| {
                        !(f.packaging_excluded_countries.contains(&cc)
                            || f.packaging_excluded_groups.iter().any(|g| groups.membership(g, cc, date) == Membership::Member))
                    });
                    let packager_ok = design.approved_osat && design.packager_attestation && pack_ok;
                    match (packager_ok, design.transistors_billion) {
                        (true, Some(count)) => {
                            for t in &f.transistor_threshold {
                                let in_years = t.from_year.is_none_or(|y| year >= y) && t.until_year.is_none_or(|y| year <= y);
                                if !in_years {
                                    if let Some(note) = &t.uncertain
                                        && t.from_year.is_some_and(|y| year > y) {
                                            warnings.push(format!("export year {year}: {note}"));
                                        }
                                    continue;
                                }
                                let hbm_ok = !t.requires_no_hbm || design.hbm_in_package == Some(false);
                                if count < t.below_billion && hbm_ok {
                                    overcome_by = Some(format!("{} (attested count {} billion, export year {year}; {})", t.text, num(count), t.citation));
                                    break;
                                }
                            }
                            if overcome_by.is_none() {
                                reasons.push(format!("the attested transistor count of {} billion is not below any threshold that applies in {year}", num(count)));
                            }
                        }
                        (true, None) => reasons.push("transistor count unknown: the packaging route cannot overcome the presumption".to_owned()),
                        (false, _) => reasons.push(format!(
                            "the packaging route does not overcome the presumption: it needs an approved OSAT or the fabricator packaging outside Macau and D:5, with an attested transistor count (approved OSAT: {}, attestation: {}, packaging country: {})",
                            design.approved_osat,
                            design.packager_attestation,
                            design.packaging_country.map_or("unknown".to_owned(), |c| c.to_string())
                        )),
                    }
                }
                match &overcome_by {
                    Some(how) => {
                        presumption = false;
                        reasons.push(format!("presumption overcome: {how}"));
                    }
                    None => reasons.push(format!("the design is presumed {} and designed or marketed for datacenters: a license is required to export, reexport or transfer it worldwide", f.presumed_eccn)),
                }
            }
        }
    }

    // Red flags: each names what it rests on; the heuristic one says it is a heuristic.
    let undeclared = design.end_use.as_deref().is_none_or(|e| e.trim().is_empty());
    if let (Some(area), true) = (design.die_area_mm2, applicable != Some(false))
        && area >= HEURISTIC_LARGE_DIE_MM2
        && undeclared
    {
        red_flags.push(RedFlag {
                id: "large-die-undeclared-end-use".to_owned(),
                text: format!("a datacenter-sized die ({} mm²) at an advanced node with no declared end use", num(area)),
                basis: format!("ChipWarden heuristic: {} mm² or more (datacenter accelerators are 600-830 mm²); know-your-customer red flags, Supp. No. 3 to Part 732", num(HEURISTIC_LARGE_DIE_MM2)),
            });
    }
    if let (Some(count), Some(f)) = (design.transistors_billion, &rules.foundry)
        && count >= f.red_flag_transistors_billion
    {
        red_flags.push(RedFlag {
            id: "transistor-count".to_owned(),
            text: format!(
                "{} billion transistors, at or above the {} billion red-flag level",
                num(count),
                num(f.red_flag_transistors_billion)
            ),
            basis: f.red_flag_citation.clone(),
        });
    }
    for (who, cc) in
        [("customer", design.customer_hq), ("designer", design.designer_hq), ("destination", Some(design.destination))]
    {
        if let Some(cc) = cc
            && in_d5_or_macau(groups, cc, date)
        {
            red_flags.push(RedFlag {
                id: format!("{who}-d5"),
                text: format!(
                    "{who} {} {cc}, in Country Group D:5 or Macau",
                    if who == "destination" { "is" } else { "is headquartered in" }
                ),
                basis: "15 CFR 742.6(a)(6)(iii)(A) and 744.23(a)(3): parties headquartered in D:5 or Macau".to_owned(),
            });
        }
    }
    if let Some(cc) = design.packaging_country
        && in_d5_or_macau(groups, cc, date)
    {
        red_flags.push(RedFlag {
            id: "packaging-d5".to_owned(),
            text: format!(
                "packaging in {cc} (D:5 or Macau): the transistor-count route to overcome the presumption is closed"
            ),
            basis: rules
                .foundry
                .as_ref()
                .map_or_else(|| "Note 1 to 3A090.a (FR Doc 2025-00711)".to_owned(), |f| f.citation.clone()),
        });
    }
    if design.hbm_in_package == Some(true) && !design.approved_designer {
        red_flags.push(RedFlag {
            id: "hbm-unapproved-designer".to_owned(),
            text: "HBM in the package from a designer that is not an approved or authorized IC designer".to_owned(),
            basis: "Note 1 to 3A090.a (FR Doc 2025-00711): packages with HBM only qualify under the 30 billion transistor test".to_owned(),
        });
    }

    FoundryAssessment {
        design: design.name.clone(),
        date,
        ruleset: rules.id.clone(),
        applicable_advanced_logic: applicable,
        presumption_applies: presumption,
        presumed_eccn: if presumption { rules.foundry.as_ref().map(|f| f.presumed_eccn.clone()) } else { None },
        overcome_by,
        red_flags,
        reasons,
        warnings,
    }
}
