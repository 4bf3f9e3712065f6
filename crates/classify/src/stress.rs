//! Threshold stress test: which chips sit just below a line, and what would carry them over it.

use chipwarden_core::Item;
use jiff::civil::Date;
use serde::Serialize;

use crate::control::{Status, classify_with, num};
use crate::metrics::{Metric, Metrics};
use crate::rules::RuleSet;

/// One chip that would reach a stronger classification if the named figures moved by at most
/// the margin. Metrics are moved one prong at a time and independently of each other (raising
/// TPP at a fixed die area would also raise performance density; that second effect is not
/// counted, so a near miss reported here is never overstated).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearMiss {
    pub chip: String,
    pub current_eccn: Option<String>,
    pub prong: String,
    pub would_be_eccn: String,
    pub changes: Vec<Change>,
    /// How far below its line the chip sits, as a percentage of the line (the largest over the
    /// figures that must change). This is what `margin` is compared with.
    pub shortfall_pct: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub metric: Metric,
    pub from: f64,
    pub to: f64,
    pub op: &'static str,
    pub threshold: f64,
    /// The change needed relative to the current value, in percent.
    pub change_pct: f64,
    /// The distance to the line relative to the line, in percent.
    pub below_line_pct: f64,
    pub lever: &'static str,
}

impl Change {
    pub fn describe(&self) -> String {
        format!(
            "{} {} -> {} ({}% below the line; a change of {}{}%, needs {} {}; change the {})",
            self.metric.label(),
            num(self.from),
            num(self.to),
            num(self.below_line_pct),
            if self.change_pct >= 0.0 { "+" } else { "" },
            num(self.change_pct),
            self.op,
            num(self.threshold),
            self.lever
        )
    }
}

fn set(metrics: &mut Metrics, metric: Metric, value: f64) {
    match metric {
        Metric::Tpp => {
            if let Some(t) = metrics.tpp.as_mut() {
                t.value = value;
            }
        }
        Metric::PerformanceDensity => metrics.performance_density = Some(value),
        Metric::InterconnectGbps => metrics.interconnect_gbps = Some(value),
        Metric::MemoryBandwidthGbps => metrics.memory_bandwidth_gbps = Some(value),
        Metric::MemoryBandwidthDensity => metrics.memory_bandwidth_density = Some(value),
        Metric::DieAreaMm2 => metrics.die_area_mm2 = Some(value),
        Metric::TransistorsBillion => metrics.transistors_billion = Some(value),
    }
}

/// The smallest value that satisfies `op threshold` from `value`.
fn crossing(op: &str, threshold: f64) -> f64 {
    match op {
        ">=" | "<=" => threshold,
        ">" => threshold * (1.0 + 1e-9) + f64::EPSILON,
        _ => threshold * (1.0 - 1e-9) - f64::EPSILON,
    }
}

/// The stress test's answer: the near misses, and the chips it could not place for want of a figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressReport {
    pub ruleset: String,
    pub margin_pct: f64,
    pub near_misses: Vec<NearMiss>,
    /// Chips whose classification is undetermined under the rule set, with what is missing.
    pub undetermined: Vec<Undetermined>,
    /// Chips left out because they were released after the assessment date (filled by callers
    /// that know release dates).
    pub not_yet_released: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Undetermined {
    pub chip: String,
    pub missing: Vec<String>,
}

pub fn stress_report(items: &[Item], rules: &RuleSet, date: Date, margin_pct: f64) -> StressReport {
    let undetermined = items
        .iter()
        .filter_map(|item| {
            let c = crate::control::classify(item, rules, date);
            (c.status == Status::Undetermined).then(|| Undetermined { chip: item.name.clone(), missing: c.missing })
        })
        .collect();
    StressReport {
        ruleset: rules.id.clone(),
        margin_pct,
        near_misses: stress(items, rules, date, margin_pct),
        undetermined,
        not_yet_released: Vec::new(),
    }
}

pub fn stress(items: &[Item], rules: &RuleSet, date: Date, margin_pct: f64) -> Vec<NearMiss> {
    let mut out = Vec::new();
    for item in items {
        let metrics = Metrics::of(item);
        let now = classify_with(item, &metrics, rules, date);
        if now.status == Status::Undetermined {
            continue;
        }
        for control in rules.control.iter().filter(|c| c.item == item.kind && c.level > now.level) {
            for prong in &control.prong {
                let mut changes = Vec::new();
                let mut feasible = true;
                for condition in &prong.all {
                    let Some(value) = metrics.get(condition.metric) else {
                        feasible = false;
                        break;
                    };
                    for (op, threshold) in condition.bounds() {
                        let ok = match op {
                            ">=" => value >= threshold,
                            ">" => value > threshold,
                            "<" => value < threshold,
                            _ => value <= threshold,
                        };
                        if ok {
                            continue;
                        }
                        let to = crossing(op, threshold);
                        let change_pct = (to - value) / value.abs().max(f64::MIN_POSITIVE) * 100.0;
                        let below_line_pct = (threshold - value).abs() / threshold.abs().max(f64::MIN_POSITIVE) * 100.0;
                        changes.push(Change {
                            metric: condition.metric,
                            from: value,
                            to,
                            op,
                            threshold,
                            change_pct,
                            below_line_pct,
                            lever: condition.metric.lever(),
                        });
                    }
                }
                if !feasible || changes.is_empty() {
                    continue;
                }
                let shortfall = changes.iter().map(|c| c.below_line_pct).fold(0.0, f64::max);
                if shortfall > margin_pct {
                    continue;
                }
                let mut moved = metrics.clone();
                for c in &changes {
                    set(&mut moved, c.metric, c.to);
                }
                let after = classify_with(item, &moved, rules, date);
                if after.level > now.level && after.eccn.is_some() {
                    out.push(NearMiss {
                        chip: item.name.clone(),
                        current_eccn: now.eccn.clone(),
                        prong: prong.id.clone(),
                        would_be_eccn: after.eccn.clone().unwrap_or_default(),
                        changes,
                        shortfall_pct: shortfall,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.shortfall_pct.total_cmp(&b.shortfall_pct).then_with(|| a.chip.cmp(&b.chip)));
    out
}
