//! Control status of one item under one rule set: the ECCN, every threshold's margin, and why.

use chipwarden_core::{Item, ItemKind, Precision};
use jiff::civil::Date;
use serde::Serialize;

use crate::metrics::{Metric, Metrics};
use crate::rules::{Condition, RuleSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Controlled,
    NotControlled,
    /// A figure the rules need is unknown, and what is known does not settle it.
    Undetermined,
}

/// One bound of one condition, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdCheck {
    pub eccn: String,
    pub prong: String,
    pub metric: Metric,
    pub op: &'static str,
    pub threshold: f64,
    pub value: Option<f64>,
    pub met: Option<bool>,
    /// (value - threshold) / threshold, in percent: how far above (+) or below (-) the line.
    pub margin_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub item: String,
    /// Catalog id, when the item came from the catalog.
    pub catalog_id: Option<String>,
    pub kind: ItemKind,
    pub date: Date,
    pub ruleset: String,
    pub ruleset_title: String,
    pub ruleset_citation: String,
    /// e.g. `3A090.a`; `None` when these ECCNs do not control the item (or it is undetermined).
    pub eccn: Option<String>,
    pub status: Status,
    pub level: u8,
    pub matched_prongs: Vec<String>,
    /// ECCNs, stronger than the one found, that cannot be ruled out for want of a figure.
    pub undetermined_eccns: Vec<String>,
    /// The ECCN of a computer or assembly containing the item (4A090.x).
    pub assembly_eccn: Option<String>,
    pub tpp: Option<f64>,
    pub tpp_precision: Option<Precision>,
    pub performance_density: Option<f64>,
    pub memory_bandwidth_density: Option<f64>,
    pub datacenter: Option<bool>,
    pub thresholds: Vec<ThresholdCheck>,
    pub exclusion: Option<String>,
    pub missing: Vec<String>,
    pub reasons: Vec<String>,
    pub citations: Vec<String>,
}

/// Three-valued truth: known true, known false, or unknown for want of a figure.
fn eval(condition: &Condition, metrics: &Metrics) -> Option<bool> {
    metrics.get(condition.metric).map(|v| condition.holds(v))
}

fn all_of(results: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for r in results {
        match r {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

pub fn classify(item: &Item, rules: &RuleSet, date: Date) -> Classification {
    let metrics = Metrics::of(item);
    let mut result = classify_with(item, &metrics, rules, date);
    // TF32's bit length is a judgement call (docs/conventions.md): say when the other reading
    // would change the answer.
    if let Some(tpp) = metrics.tpp.as_ref().filter(|t| t.precision == Some(Precision::Tf32)) {
        let mut wide = metrics.clone();
        let tops = tpp.dense_tops.unwrap_or_default();
        if let Some(t) = wide.tpp.as_mut() {
            t.value = tops * 32.0;
        }
        wide.performance_density = metrics.die_area_mm2.map(|a| tops * 32.0 / a);
        let other = classify_with(item, &wide, rules, date);
        result.reasons.push(format!(
            "TPP is set by TF32, counted as 19 bits (its operands' width, as Epoch AI counts it); counted as 32 bits TPP would be {} and the classification {}",
            num(tops * 32.0),
            other.eccn.as_deref().unwrap_or(if other.status == Status::Undetermined { "undetermined" } else { "not 3A090" })
        ));
        if other.level > result.level {
            result.undetermined_eccns.extend(other.eccn);
        }
    }
    result
}

/// Classifies with metrics given from outside: the stress test moves one metric at a time.
pub fn classify_with(item: &Item, metrics: &Metrics, rules: &RuleSet, date: Date) -> Classification {
    let mut reasons = Vec::new();
    let mut citations = vec![rules.citation()];
    let mut missing = Vec::new();
    let mut thresholds = Vec::new();

    reasons.push(format!("rule set `{}` is in force on {date}: {}", rules.id, rules.title));
    describe_metrics(item, metrics, &mut reasons);

    // Evaluate every control that applies to this kind of item, strongest first.
    let mut controls: Vec<_> = rules.control.iter().filter(|c| c.item == item.kind).collect();
    controls.sort_by_key(|c| std::cmp::Reverse(c.level));
    let mut best: Option<(&crate::rules::Control, Vec<String>)> = None;
    let mut stronger_unknown: Vec<String> = Vec::new();
    for control in &controls {
        let mut met_prongs = Vec::new();
        let mut any_unknown = false;
        for prong in &control.prong {
            let results: Vec<Option<bool>> = prong.all.iter().map(|c| eval(c, metrics)).collect();
            for condition in &prong.all {
                let value = metrics.get(condition.metric);
                if value.is_none() {
                    let need = format!("{} (for {})", condition.metric.label(), prong.id);
                    if !missing.contains(&need) {
                        missing.push(need);
                    }
                }
                for (op, threshold) in condition.bounds() {
                    let single = Condition { metric: condition.metric, min: None, above: None, below: None, max: None };
                    let single = with_bound(single, op, threshold);
                    thresholds.push(ThresholdCheck {
                        eccn: control.eccn.clone(),
                        prong: prong.id.clone(),
                        metric: condition.metric,
                        op,
                        threshold,
                        value,
                        met: value.map(|v| single.holds(v)),
                        margin_pct: value.map(|v| (v - threshold) / threshold * 100.0),
                    });
                }
            }
            match all_of(results) {
                Some(true) => {
                    reasons.push(format!("{} met: {} ({})", prong.id, prong.text, explain(&prong.all, metrics)));
                    met_prongs.push(prong.id.clone());
                }
                Some(false) => {
                    reasons.push(format!("{} not met: {} ({})", prong.id, prong.text, explain(&prong.all, metrics)))
                }
                None => {
                    any_unknown = true;
                    reasons.push(format!(
                        "{} cannot be decided: {} ({})",
                        prong.id,
                        prong.text,
                        explain(&prong.all, metrics)
                    ));
                }
            }
        }
        if !met_prongs.is_empty() {
            if best.is_none() {
                best = Some((control, met_prongs));
            }
        } else if any_unknown && best.is_none() {
            stronger_unknown.push(control.eccn.clone());
        }
    }

    // Exclusions (Note 2 to 3A090): they take items out of the ECCN entirely.
    let mut exclusion = None;
    let datacenter = item.datacenter.as_ref().map(|f| f.value);
    for ex in rules.exclusion.iter().filter(|_| item.kind == ItemKind::Processor) {
        match datacenter {
            Some(dc) if dc == ex.datacenter => {
                let escapes = all_of(ex.unless.iter().map(|c| eval(c, metrics)));
                match escapes {
                    Some(true) => reasons.push(format!(
                        "{} does not apply: the item is not a datacenter item but {} ({})",
                        ex.id,
                        "meets the exception to the note",
                        explain(&ex.unless, metrics)
                    )),
                    Some(false) => {
                        reasons.push(format!("{} applies: {} ({})", ex.id, ex.text, explain(&ex.unless, metrics)));
                        citations.push(ex.citation.clone());
                        exclusion = Some(ex.id.clone());
                    }
                    None => reasons.push(format!("{} may apply but a figure it needs is unknown", ex.id)),
                }
            }
            Some(_) => {}
            None if best.is_some() => reasons.push(format!(
                "whether the item is designed or marketed for datacenters is unknown; it is assessed as a datacenter item, so {} ({}) is not applied",
                ex.id, ex.text
            )),
            None => {}
        }
    }

    let (eccn, status, level, matched) = match (&best, &exclusion) {
        (_, Some(_)) => (None, Status::NotControlled, 0, Vec::new()),
        (Some((control, prongs)), None) => {
            citations.push(control.citation.clone());
            (Some(control.eccn.clone()), Status::Controlled, control.level, prongs.clone())
        }
        (None, None) if !stronger_unknown.is_empty() => (None, Status::Undetermined, 0, Vec::new()),
        (None, None) => (None, Status::NotControlled, 0, Vec::new()),
    };
    match (&eccn, status) {
        (Some(e), _) => {
            reasons.push(format!("classification: {e} (met: {})", matched.join(", ")));
            if !stronger_unknown.is_empty() {
                reasons.push(format!(
                    "a stronger classification ({}) cannot be ruled out because a figure is unknown",
                    stronger_unknown.join(", ")
                ));
            }
        }
        (None, Status::Undetermined) => reasons.push(format!(
            "classification undetermined: {} cannot be decided without {}",
            stronger_unknown.join(", "),
            missing.join("; ")
        )),
        (None, _) => reasons.push(match &exclusion {
            Some(ex) => format!("not controlled under ECCN 3A090 by {} (see {ex})", rules.id),
            None => format!("not controlled under ECCNs 3A090/4A090 by {}: no prong is met", rules.id),
        }),
    }
    let assembly_eccn = eccn.as_ref().and_then(|e| {
        rules.assembly.iter().find(|a| &a.contains == e).map(|a| {
            reasons.push(format!(
                "a computer, electronic assembly or component containing it is {} ({})",
                a.eccn, a.citation
            ));
            a.eccn.clone()
        })
    });

    Classification {
        item: item.name.clone(),
        catalog_id: item.catalog_id.clone(),
        kind: item.kind,
        date,
        ruleset: rules.id.clone(),
        ruleset_title: rules.title.clone(),
        ruleset_citation: rules.citation(),
        eccn,
        status,
        level,
        matched_prongs: matched,
        undetermined_eccns: stronger_unknown,
        assembly_eccn,
        tpp: metrics.tpp.as_ref().map(|t| t.value),
        tpp_precision: metrics.tpp.as_ref().and_then(|t| t.precision),
        performance_density: metrics.performance_density,
        memory_bandwidth_density: metrics.memory_bandwidth_density,
        datacenter,
        thresholds,
        exclusion,
        missing,
        reasons,
        citations,
    }
}

/// Classifies a computer, electronic assembly or component by the ICs it contains (ECCN 4A090):
/// each component is classified, and the strongest one decides through the rule set's
/// `assembly` entries. TPP and density reported are the strongest component's.
pub fn classify_system(name: &str, components: &[(Item, u32)], rules: &RuleSet, date: Date) -> Classification {
    let mut parts: Vec<(Classification, u32)> =
        components.iter().map(|(item, n)| (classify(item, rules, date), *n)).collect();
    parts.sort_by_key(|(c, _)| std::cmp::Reverse(c.level));
    let mut reasons = vec![format!("rule set `{}` is in force on {date}: {}", rules.id, rules.title)];
    for (c, n) in &parts {
        reasons.push(format!(
            "contains {n} x {}: {}",
            c.item,
            match (&c.eccn, c.status) {
                (Some(e), _) => format!("{e} (TPP {})", c.tpp.map_or("unknown".to_owned(), num)),
                (None, Status::Undetermined) => "undetermined".to_owned(),
                (None, _) => "not 3A090".to_owned(),
            }
        ));
    }
    let mut citations = vec![rules.citation()];
    let strongest = parts.first().map(|(c, _)| c.clone());
    let assembly =
        strongest.as_ref().and_then(|s| s.eccn.as_ref()).and_then(|e| rules.assembly.iter().find(|a| &a.contains == e));
    let any_undetermined = parts.iter().any(|(c, _)| c.status == Status::Undetermined);
    let (eccn, status, level, matched) = match (assembly, &strongest) {
        (Some(a), Some(s)) => {
            reasons.push(format!("classification: {} because it contains {} ICs ({})", a.eccn, a.contains, a.citation));
            citations.push(a.citation.clone());
            (Some(a.eccn.clone()), Status::Controlled, s.level, vec![format!("contains {}", a.contains)])
        }
        _ if any_undetermined => {
            reasons.push("classification undetermined: a component's classification is undetermined".to_owned());
            (None, Status::Undetermined, 0, Vec::new())
        }
        _ => {
            reasons.push(format!("not controlled under ECCN 4A090 by {}: no component is a 3A090 IC", rules.id));
            (None, Status::NotControlled, 0, Vec::new())
        }
    };
    // The system's record starts from its strongest component's (TPP, density, thresholds),
    // or from an empty item when it has none.
    let base = strongest.clone().unwrap_or_else(|| classify(&Item::empty(name, ItemKind::System), rules, date));
    Classification {
        item: name.to_owned(),
        catalog_id: None,
        kind: ItemKind::System,
        eccn,
        status,
        level,
        matched_prongs: matched,
        assembly_eccn: None,
        memory_bandwidth_density: None,
        exclusion: None,
        missing: parts.iter().flat_map(|(c, _)| c.missing.clone()).collect(),
        reasons,
        citations,
        ..base
    }
}

fn with_bound(mut c: Condition, op: &str, t: f64) -> Condition {
    match op {
        ">=" => c.min = Some(t),
        ">" => c.above = Some(t),
        "<" => c.below = Some(t),
        _ => c.max = Some(t),
    }
    c
}

fn describe_metrics(item: &Item, metrics: &Metrics, reasons: &mut Vec<String>) {
    match &metrics.tpp {
        Some(t) => match (t.precision, t.dense_tops) {
            (Some(p), Some(tops)) => reasons.push(format!(
                "TPP = {} dense {} TOPS x {} bits = {} (highest over the precisions given; source: {})",
                num(tops),
                p,
                p.bits(),
                num(t.value),
                t.source
            )),
            _ => reasons.push(format!(
                "TPP = {}, a published TPP, used because no per-precision dense rate is given or because it exceeds what the given rates produce (source: {})",
                num(t.value),
                t.source
            )),
        },
        None if item.kind == ItemKind::Processor => {
            reasons.push("TPP unknown: no dense rate per precision and no published TPP".to_owned());
        }
        None => {}
    }
    if let (Some(pd), Some(area)) = (metrics.performance_density, &item.die_area_mm2) {
        reasons.push(format!(
            "performance density = TPP / {} mm² applicable die area = {} (die area source: {})",
            num(area.value),
            num(pd),
            area.source
        ));
    }
    if let Some(d) = metrics.memory_bandwidth_density {
        reasons.push(format!("memory bandwidth density = {} GB/s/mm²", num(d)));
    }
    if let Some(dc) = &item.datacenter {
        reasons.push(format!(
            "{} (source: {})",
            if dc.value { "designed or marketed for datacenters" } else { "not designed or marketed for datacenters" },
            dc.source
        ));
    }
}

fn explain(conditions: &[Condition], metrics: &Metrics) -> String {
    let mut parts = Vec::new();
    for c in conditions {
        let value = metrics.get(c.metric);
        for (op, t) in c.bounds() {
            let part = match value {
                Some(v) => {
                    let ok = with_bound(
                        Condition { metric: c.metric, min: None, above: None, below: None, max: None },
                        op,
                        t,
                    )
                    .holds(v);
                    format!("{} {} {op} {} {}", c.metric.label(), num(v), num(t), if ok { "yes" } else { "no" })
                }
                None => format!("{} unknown, needs {op} {}", c.metric.label(), num(t)),
            };
            parts.push(part);
        }
    }
    parts.join("; ")
}

/// A number as a person reads it: thousands separated, at most two decimals.
pub fn num(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let negative = rounded < 0.0;
    let abs = rounded.abs();
    let int = abs.trunc() as u64;
    let frac = ((abs - abs.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let mut out = if negative { format!("-{grouped}") } else { grouped };
    if frac > 0 {
        let f = format!("{frac:02}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(15832.0), "15,832");
        assert_eq!(num(2.9090), "2.91");
        assert_eq!(num(5.92), "5.92");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(-33.333), "-33.33");
        assert_eq!(num(1_000_000.0), "1,000,000");
    }
}
