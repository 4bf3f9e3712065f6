//! Compute estimates per usage record: chip-hours x peak dense FLOP/s x a utilization band.
//!
//! # Convention
//! The peak rate is the chip's **dense BF16** rate from the catalog (`dense_tops["bf16"]`, in
//! TFLOP/s), as Epoch AI does for its training-compute estimates of notable models. A chip with
//! no BF16 figure (e.g. NVIDIA T4, V100) falls back to its dense FP16 rate, and the estimate says
//! so in `precision`. A chip with neither is an error, never a guess. FP8 and lower-precision
//! rates are not used: they would raise the figures by about two for training runs that mostly
//! do not use them, and thresholds are read against BF16-style accounting.
//!
//! The utilization band (model FLOP utilization, the share of peak a run really achieves) is
//! 0.3-0.5 by default, the range of published large training runs. A measured tensor-core
//! activity (preferred: it counts tensor-pipe cycles, close to what the band means) or
//! utilization narrows the band to the measurement +-0.05, clamped to 0..=1. Measured "GPU
//! utilization" of the nvidia-smi kind overstates MFU; an operator who only has that should
//! not supply it as `utilization` without thought.

use chipwarden_core::{Chip, Precision};
use serde::Serialize;

use crate::error::MeterError;
use crate::record::UsageRecord;

/// Half-width of the band around a measured utilization.
pub const MEASURED_HALF_WIDTH: f64 = 0.05;

/// A utilization band: the share of peak a run achieves, between `low` and `high`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub low: f64,
    pub high: f64,
}

impl Band {
    /// The default band, 0.3-0.5.
    pub const DEFAULT: Band = Band { low: 0.3, high: 0.5 };

    /// A band with `0 <= low <= high <= 1`.
    pub fn new(low: f64, high: f64) -> Result<Band, MeterError> {
        if (0.0..=1.0).contains(&low) && (0.0..=1.0).contains(&high) && low <= high {
            Ok(Band { low, high })
        } else {
            Err(MeterError::Parameter {
                parameter: "band",
                message: format!("`{low}-{high}` is not a band within 0..=1 with low <= high"),
            })
        }
    }

    /// The band a measurement narrows to: the measurement +-0.05, clamped to 0..=1.
    pub fn measured(fraction: f64) -> Band {
        let m = fraction.clamp(0.0, 1.0);
        Band { low: (m - MEASURED_HALF_WIDTH).max(0.0), high: (m + MEASURED_HALF_WIDTH).min(1.0) }
    }

    pub fn mid(self) -> f64 {
        (self.low + self.high) / 2.0
    }
}

impl Default for Band {
    fn default() -> Band {
        Band::DEFAULT
    }
}

/// One record's compute, with the figures it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub flop_low: f64,
    pub flop_mid: f64,
    pub flop_high: f64,
    pub chip_hours: f64,
    /// Peak dense FLOP/s of one chip at `precision`.
    pub peak_flops: f64,
    /// `bf16`, or `fp16` when the chip has no BF16 figure.
    pub precision: Precision,
    /// The utilization band applied: the default, or a measured one.
    pub band: (f64, f64),
    /// Whether the band came from a measurement in the record.
    pub measured: bool,
}

/// The chip's peak dense FLOP/s under the convention above, and the precision it is at.
pub fn peak_rate(chip: &Chip) -> Result<(f64, Precision), MeterError> {
    [Precision::Bf16, Precision::Fp16]
        .into_iter()
        .find_map(|p| chip.item.dense_tops.get(&p).map(|f| (f.value * 1e12, p)))
        .filter(|(rate, _)| rate.is_finite() && *rate > 0.0)
        .ok_or_else(|| MeterError::NoPeakRate { chip: chip.name.clone() })
}

/// The estimate for one record on `chip` (the catalog chip of `record.chip_id`), with `band`
/// unless the record carries a measurement.
pub fn estimate(record: &UsageRecord, chip: &Chip, band: Band) -> Result<Estimate, MeterError> {
    let peak = peak_rate(chip)?;
    Ok(estimate_at(record.chip_hours(), record.tensor_active.or(record.utilization), peak, band))
}

/// The estimate for `chip_hours` (chips x hours, as [`UsageRecord::chip_hours`]) at `peak` (the
/// chip's [`peak_rate`], looked up once for many records), with `band` unless `measurement` (the
/// record's tensor activity, else its utilization) narrows it: [`estimate`] without a record.
pub fn estimate_at(chip_hours: f64, measurement: Option<f64>, peak: (f64, Precision), band: Band) -> Estimate {
    let (peak_flops, precision) = peak;
    let band = measurement.map_or(band, Band::measured);
    let at_peak = chip_hours * 3600.0 * peak_flops;
    Estimate {
        flop_low: at_peak * band.low,
        flop_mid: at_peak * band.mid(),
        flop_high: at_peak * band.high,
        chip_hours,
        peak_flops,
        precision,
        band: (band.low, band.high),
        measured: measurement.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chipwarden_core::Catalog;

    fn record(model: &str, chips: f64, hours: i64, catalog: &Catalog) -> UsageRecord {
        let start: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().expect("timestamp");
        let end = start.checked_add(jiff::SignedDuration::from_hours(hours)).expect("end");
        UsageRecord {
            record_id: "r1".into(),
            account: "acme".into(),
            chip_model: model.into(),
            chip_id: catalog.lookup(model).expect("chip").id.clone(),
            chips,
            start,
            end,
            utilization: None,
            tensor_active: None,
            run_id: None,
            source_line: 2,
        }
    }

    #[test]
    fn h100_hour_at_default_band() {
        let catalog = Catalog::bundled().expect("catalog");
        let chip = catalog.lookup("H100").expect("chip");
        let e = estimate(&record("H100", 1.0, 1, &catalog), chip, Band::DEFAULT).expect("estimate");
        assert_eq!(e.precision, Precision::Bf16);
        assert_eq!(e.peak_flops, 989.4e12);
        let at_peak = 3600.0 * 989.4e12;
        assert!((e.flop_low - 0.3 * at_peak).abs() < 1e6);
        assert!((e.flop_mid - 0.4 * at_peak).abs() < 1e6);
        assert!((e.flop_high - 0.5 * at_peak).abs() < 1e6);
        assert!(!e.measured);
    }

    #[test]
    fn t4_falls_back_to_fp16_and_says_so() {
        let catalog = Catalog::bundled().expect("catalog");
        let chip = catalog.lookup("T4").expect("chip");
        let e = estimate(&record("T4", 2.0, 10, &catalog), chip, Band::DEFAULT).expect("estimate");
        assert_eq!(e.precision, Precision::Fp16);
        assert_eq!(e.chip_hours, 20.0);
    }

    #[test]
    fn measurement_narrows_the_band_and_is_clamped() {
        let catalog = Catalog::bundled().expect("catalog");
        let chip = catalog.lookup("H100").expect("chip");
        let mut r = record("H100", 8.0, 24, &catalog);
        r.utilization = Some(0.9);
        r.tensor_active = Some(0.42);
        let e = estimate(&r, chip, Band::DEFAULT).expect("estimate");
        assert!((e.band.0 - 0.37).abs() < 1e-12 && (e.band.1 - 0.47).abs() < 1e-12, "{:?}", e.band);
        assert!(e.measured);
        assert_eq!(Band::measured(0.98), Band { low: 0.98 - 0.05, high: 1.0 });
        assert_eq!(Band::measured(0.01).low, 0.0);
    }

    #[test]
    fn a_chip_without_bf16_or_fp16_is_an_error() {
        let catalog = Catalog::bundled().expect("catalog");
        let mut chip = catalog.lookup("H100").expect("chip").clone();
        chip.item.dense_tops.retain(|p, _| !matches!(p, Precision::Bf16 | Precision::Fp16));
        let r = record("H100", 1.0, 1, &catalog);
        assert!(matches!(estimate(&r, &chip, Band::DEFAULT), Err(MeterError::NoPeakRate { .. })));
    }

    #[test]
    fn bands_are_validated() {
        assert!(Band::new(0.5, 0.3).is_err());
        assert!(Band::new(-0.1, 0.3).is_err());
        assert!(Band::new(0.2, 1.1).is_err());
        assert_eq!(Band::new(0.2, 0.6).expect("band"), Band { low: 0.2, high: 0.6 });
    }
}
