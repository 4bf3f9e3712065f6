//! The figures the rules test: TPP, performance density and the rest, derived from an item.

use chipwarden_core::{Item, ItemKind, Precision};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Tpp,
    PerformanceDensity,
    InterconnectGbps,
    MemoryBandwidthGbps,
    MemoryBandwidthDensity,
    DieAreaMm2,
    TransistorsBillion,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Tpp => "tpp",
            Metric::PerformanceDensity => "performance_density",
            Metric::InterconnectGbps => "interconnect_gbps",
            Metric::MemoryBandwidthGbps => "memory_bandwidth_gbps",
            Metric::MemoryBandwidthDensity => "memory_bandwidth_density",
            Metric::DieAreaMm2 => "die_area_mm2",
            Metric::TransistorsBillion => "transistors_billion",
        }
    }

    /// What a person would call it, with its unit.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Tpp => "TPP",
            Metric::PerformanceDensity => "performance density (TPP/mm²)",
            Metric::InterconnectGbps => "bidirectional I/O (GB/s)",
            Metric::MemoryBandwidthGbps => "total DRAM bandwidth (GB/s)",
            Metric::MemoryBandwidthDensity => "memory bandwidth density (GB/s/mm²)",
            Metric::DieAreaMm2 => "applicable die area (mm²)",
            Metric::TransistorsBillion => "transistors (billion)",
        }
    }

    /// The input figure a user would change to move this metric.
    pub fn lever(self) -> &'static str {
        match self {
            Metric::Tpp => "dense TOPS at the precision that sets TPP",
            Metric::PerformanceDensity => "TPP or applicable die area",
            Metric::InterconnectGbps => "aggregate bidirectional chip-to-chip I/O",
            Metric::MemoryBandwidthGbps => "total DRAM bandwidth",
            Metric::MemoryBandwidthDensity => "memory bandwidth or package area",
            Metric::DieAreaMm2 => "applicable die area",
            Metric::TransistorsBillion => "transistor count",
        }
    }
}

/// TPP and how it was obtained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tpp {
    pub value: f64,
    /// The precision giving the maximum, or `None` when a reported TPP stood in.
    pub precision: Option<Precision>,
    pub dense_tops: Option<f64>,
    pub source: String,
}

/// Every metric of an item that its figures allow; `None` where a figure is unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub tpp: Option<Tpp>,
    pub performance_density: Option<f64>,
    pub interconnect_gbps: Option<f64>,
    pub memory_bandwidth_gbps: Option<f64>,
    pub memory_bandwidth_density: Option<f64>,
    pub die_area_mm2: Option<f64>,
    pub transistors_billion: Option<f64>,
}

impl Metrics {
    pub fn of(item: &Item) -> Metrics {
        let tpp = if item.kind == ItemKind::Processor { tpp(item) } else { None };
        let die = item.die_area_mm2.as_ref().map(|f| f.value).filter(|a| *a > 0.0);
        let performance_density = match (&tpp, die) {
            (Some(t), Some(area)) => Some(t.value / area),
            _ => None,
        };
        let memory_bandwidth_gbps = item.memory_bandwidth_gbps.as_ref().map(|f| f.value);
        let memory_bandwidth_density = match (item.kind, memory_bandwidth_gbps, &item.package_area_mm2) {
            (ItemKind::Hbm, Some(bw), Some(area)) if area.value > 0.0 => Some(bw / area.value),
            _ => None,
        };
        Metrics {
            tpp,
            performance_density,
            interconnect_gbps: item.interconnect_gbps.as_ref().map(|f| f.value),
            memory_bandwidth_gbps,
            memory_bandwidth_density,
            die_area_mm2: die,
            transistors_billion: item.transistors_billion.as_ref().map(|f| f.value),
        }
    }

    pub fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Tpp => self.tpp.as_ref().map(|t| t.value),
            Metric::PerformanceDensity => self.performance_density,
            Metric::InterconnectGbps => self.interconnect_gbps,
            Metric::MemoryBandwidthGbps => self.memory_bandwidth_gbps,
            Metric::MemoryBandwidthDensity => self.memory_bandwidth_density,
            Metric::DieAreaMm2 => self.die_area_mm2,
            Metric::TransistorsBillion => self.transistors_billion,
        }
    }
}

/// TPP = dense TOPS x bit length, maximised over precisions (ties go to the wider format, which
/// is listed first). A published TPP stands in when no per-precision rate is known, and wins
/// when it is higher than the rates given produce.
fn tpp(item: &Item) -> Option<Tpp> {
    let best = item.dense_tops.iter().map(|(p, f)| (f.value * f64::from(p.bits()), *p, f)).fold(
        None::<(f64, Precision, &chipwarden_core::Figure<f64>)>,
        |acc, cur| match acc {
            Some(a) if a.0 >= cur.0 => Some(a),
            _ => Some(cur),
        },
    );
    let computed = best.map(|(value, precision, figure)| Tpp {
        value,
        precision: Some(precision),
        dense_tops: Some(figure.value),
        source: figure.source.clone(),
    });
    let reported = reported_tpp(item);
    // A published TPP above what the given rates produce wins: the rates given may be incomplete.
    match (computed, reported) {
        (Some(c), Some(r)) if r.value > c.value => Some(r),
        (Some(c), _) => Some(c),
        (None, r) => r,
    }
}

fn reported_tpp(item: &Item) -> Option<Tpp> {
    item.reported_tpp.as_ref().map(|f| Tpp {
        value: f.value,
        precision: None,
        dense_tops: None,
        source: match &f.note {
            Some(note) => format!("{} ({note})", f.source),
            None => f.source.clone(),
        },
    })
}
