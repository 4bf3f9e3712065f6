//! Compute thresholds as data (dated, cited) and the crossings of a figure over them.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::MeterError;

/// The bundled thresholds (`data/meter/thresholds.toml`).
pub const BUNDLED_THRESHOLDS: &str = include_str!("../../../data/meter/thresholds.toml");

/// A training-compute threshold and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub id: String,
    pub flop: f64,
    pub effective: Date,
    /// The day the threshold stopped applying; it is still reported, as history.
    #[serde(default)]
    pub until: Option<Date>,
    pub scope: String,
    pub citation: String,
}

impl Threshold {
    /// Whether the threshold applies on `date`: from `effective` up to, not including, `until`.
    pub fn in_force(&self, date: Date) -> bool {
        self.effective <= date && self.until.is_none_or(|u| date < u)
    }
}

/// A set of thresholds, in ascending order of `flop`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub version: String,
    pub sources: Vec<String>,
    pub thresholds: Vec<Threshold>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    meta: RawMeta,
    #[serde(default)]
    threshold: Vec<Threshold>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    version: String,
    sources: Vec<String>,
}

impl Thresholds {
    pub fn bundled() -> Result<Thresholds, MeterError> {
        Thresholds::parse("data/meter/thresholds.toml", BUNDLED_THRESHOLDS)
    }

    /// Parses a thresholds file; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<Thresholds, MeterError> {
        let data_error = |field: &str, line: Option<usize>, message: String| MeterError::Data {
            file: origin.to_owned(),
            line: chipwarden_core::catalog::LineSuffix(line),
            field: field.to_owned(),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            data_error("(file)", line, e.message().to_owned())
        })?;
        let mut thresholds = raw.threshold;
        for t in &thresholds {
            let line = chipwarden_core::textpos::line_of(text, &["flop"]).filter(|_| thresholds.len() == 1);
            if !(t.flop.is_finite() && t.flop > 0.0) {
                return Err(data_error(
                    "flop",
                    line,
                    format!("threshold `{}`: `{}` is not a positive number", t.id, t.flop),
                ));
            }
            if t.until.is_some_and(|u| u <= t.effective) {
                return Err(data_error(
                    "until",
                    None,
                    format!("threshold `{}`: `until` is not after `effective`", t.id),
                ));
            }
            if t.citation.trim().is_empty() {
                return Err(data_error("citation", None, format!("threshold `{}` cites nothing", t.id)));
            }
        }
        thresholds.sort_by(|a, b| a.flop.total_cmp(&b.flop));
        Ok(Thresholds { version: raw.meta.version, sources: raw.meta.sources, thresholds })
    }

    /// Only the thresholds whose `flop` is among `values` (for configurable thresholds).
    pub fn select(&self, values: &[f64]) -> Thresholds {
        let mut chosen = self.clone();
        chosen.thresholds.retain(|t| values.contains(&t.flop));
        chosen
    }
}

/// Which estimate crossed: `high` is an alert that the figure may be over the line; `low` says
/// it is over the line even at the cautious end of the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Low,
    High,
}

/// A threshold crossed by a figure, with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crossing {
    pub threshold: String,
    pub threshold_flop: f64,
    pub basis: Basis,
    /// The figure that crossed (the low or the high estimate).
    pub flop: f64,
    pub citation: String,
    pub scope: String,
    /// Whether the threshold was in force on the report's date; revoked ones stay as history.
    pub in_force: bool,
}

/// Every crossing of `low` and `high` over `thresholds`, the high basis first for each.
pub fn crossings(low: f64, high: f64, thresholds: &Thresholds, date: Date) -> Vec<Crossing> {
    let mut out = Vec::new();
    for t in &thresholds.thresholds {
        for (basis, flop) in [(Basis::High, high), (Basis::Low, low)] {
            if flop > t.flop {
                out.push(Crossing {
                    threshold: t.id.clone(),
                    threshold_flop: t.flop,
                    basis,
                    flop,
                    citation: t.citation.clone(),
                    scope: t.scope.clone(),
                    in_force: t.in_force(date),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("date")
    }

    #[test]
    fn bundled_thresholds_are_cited_and_dated() {
        let t = Thresholds::bundled().expect("thresholds");
        let flops: Vec<f64> = t.thresholds.iter().map(|t| t.flop).collect();
        assert_eq!(flops, [1e23, 1e25, 1e26]);
        assert!(t.thresholds.iter().all(|t| !t.citation.is_empty()));
        let eo = &t.thresholds[2];
        assert_eq!(eo.until, Some(date("2025-01-20")));
        assert!(eo.in_force(date("2024-06-01")));
        assert!(!eo.in_force(date("2025-01-20")));
        assert!(t.thresholds[1].in_force(date("2026-01-01")));
        assert!(!t.thresholds[1].in_force(date("2025-08-01")), "AI Act Chapter V applies from 2025-08-02");
    }

    #[test]
    fn high_and_low_cross_separately() {
        let t = Thresholds::bundled().expect("thresholds");
        // Low 8e24, high 2e25: the high estimate crosses 1e25, the low one does not.
        let c = crossings(8e24, 2e25, &t, date("2025-09-01"));
        let seen: Vec<(&str, Basis)> = c.iter().map(|c| (c.threshold.as_str(), c.basis)).collect();
        assert_eq!(seen, [("eo14110-bio", Basis::High), ("eo14110-bio", Basis::Low), ("eu-ai-act-art51", Basis::High)]);
        assert!(!c[0].in_force, "EO 14110 was revoked before 2025-09-01");
        assert!(c[2].in_force);
        assert!(c[2].citation.contains("Art. 51(2)"));
    }

    #[test]
    fn equal_is_not_greater() {
        let t = Thresholds::bundled().expect("thresholds");
        assert!(crossings(1e25, 1e25, &t.select(&[1e25]), date("2025-06-01")).is_empty());
        assert_eq!(crossings(1e25, 1.0001e25, &t.select(&[1e25]), date("2025-06-01")).len(), 1);
    }

    #[test]
    fn bad_files_name_the_field() {
        let text = "[meta]\nversion = \"x\"\nsources = []\n[[threshold]]\nid = \"a\"\nflop = -1.0\neffective = \"2024-01-01\"\nscope = \"s\"\ncitation = \"c\"\n";
        let err = Thresholds::parse("t.toml", text).expect_err("negative");
        assert_eq!(err.to_string(), "`t.toml` (line 6), field `flop`: threshold `a`: `-1` is not a positive number");
        let err = Thresholds::parse("t.toml", "[meta]\nversion = 1\n").expect_err("syntax");
        assert!(err.to_string().starts_with("`t.toml` (line 2)"), "{err}");
    }
}
