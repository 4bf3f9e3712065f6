//! What a fleet of chips could do: peak training FLOP per day, the largest training run in N
//! days, and inference capacity (decode tokens per second and users served), with the binding
//! bound named.
//!
//! Peak rates follow the estimate convention (dense BF16, else FP16; see `estimate`). Decode is
//! bounded two ways per model replica: each generated token reads every weight once, so
//! tokens/s <= batch x memory bandwidth / (P x B); and each token costs 2 x P FLOP, so tokens/s
//! <= peak FLOP/s / (2 x P). A replica spans the fewest chips whose memory holds the weights.
//! KV-cache memory and traffic are left out, so both bounds are optimistic; they are upper
//! bounds, which is what a capacity question for export control wants.

use std::collections::BTreeMap;

use chipwarden_core::Chip;
use serde::{Deserialize, Serialize};

use crate::error::MeterError;
use crate::estimate::peak_rate;

/// One line of an inventory: so many chips of a model in a country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetLine {
    pub chip_model: String,
    pub count: u32,
    pub country: String,
}

/// Peak dense training FLOP per day of `count` chips: count x peak x 86,400.
pub fn training_flop_per_day(chip: &Chip, count: u32) -> Result<f64, MeterError> {
    Ok(f64::from(count) * peak_rate(chip)?.0 * 86_400.0)
}

/// The largest training run (FLOP) `count` chips can do in `days` days at `utilization`.
pub fn largest_run_flop(chip: &Chip, count: u32, days: f64, utilization: f64) -> Result<f64, MeterError> {
    if !(0.0..=1.0).contains(&utilization) {
        return Err(MeterError::Parameter {
            parameter: "utilization",
            message: format!("`{utilization}` is not within 0..=1"),
        });
    }
    if !(days.is_finite() && days >= 0.0) {
        return Err(MeterError::Parameter { parameter: "days", message: format!("`{days}` is not a number of days") });
    }
    Ok(training_flop_per_day(chip, count)? * days * utilization)
}

/// Peak training FLOP per day per country, for inventory lines whose chips are resolved.
pub fn training_flop_per_day_by_country(lines: &[(FleetLine, &Chip)]) -> Result<BTreeMap<String, f64>, MeterError> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for (line, chip) in lines {
        *out.entry(line.country.clone()).or_default() += training_flop_per_day(chip, line.count)?;
    }
    Ok(out)
}

/// A model served for inference: `params` parameters at `bytes_per_param` bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InferenceModel {
    pub params: f64,
    pub bytes_per_param: f64,
}

/// How users use the model: `tokens_per_answer` (times `reasoning_multiplier`, about 10 for
/// reasoning models), one answer every `seconds_per_answer` per user, and `batch` sequences
/// decoded together per replica (1 = one stream, the strict bandwidth bound).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Workload {
    pub tokens_per_answer: f64,
    pub seconds_per_answer: f64,
    pub reasoning_multiplier: f64,
    pub batch: u32,
}

/// Which bound limits decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    MemoryBandwidth,
    Compute,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InferenceCapacity {
    pub chips_per_replica: u32,
    pub replicas: u32,
    /// Fleet-wide decode tokens/s allowed by memory bandwidth.
    pub memory_bound_tokens_per_s: f64,
    /// Fleet-wide decode tokens/s allowed by compute.
    pub compute_bound_tokens_per_s: f64,
    /// The smaller of the two.
    pub tokens_per_s: f64,
    pub binding: Bound,
    /// Tokens/s one user needs: tokens per answer x multiplier / seconds per answer.
    pub tokens_per_s_per_user: f64,
    /// Whole users served.
    pub users: u64,
}

/// Inference capacity of `count` chips for `model` under `workload`.
pub fn inference_capacity(
    chip: &Chip,
    count: u32,
    model: InferenceModel,
    workload: Workload,
) -> Result<InferenceCapacity, MeterError> {
    let positive = |parameter: &'static str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(MeterError::Parameter { parameter, message: format!("`{v}` is not a positive number") })
        }
    };
    let params = positive("params", model.params)?;
    let bytes = positive("bytes_per_param", model.bytes_per_param)?;
    let per_user = positive("tokens_per_answer", workload.tokens_per_answer)?
        * positive("reasoning_multiplier", workload.reasoning_multiplier)?
        / positive("seconds_per_answer", workload.seconds_per_answer)?;
    let batch = f64::from(workload.batch.max(1));
    let figure = |f: Option<&chipwarden_core::Figure<f64>>, name: &'static str| {
        f.map(|f| f.value)
            .filter(|v| *v > 0.0)
            .ok_or_else(|| MeterError::MissingFigure { chip: chip.name.clone(), figure: name })
    };
    let memory_bytes = figure(chip.memory_gb.as_ref(), "memory_gb")? * 1e9;
    let bandwidth = figure(chip.item.memory_bandwidth_gbps.as_ref(), "memory_bandwidth_gbps")? * 1e9;
    let (peak, _) = peak_rate(chip)?;
    let weights = params * bytes;
    let chips_per_replica = (weights / memory_bytes).ceil().max(1.0);
    let replicas = (f64::from(count) / chips_per_replica).floor();
    let memory_bound = replicas * batch * chips_per_replica * bandwidth / weights;
    let compute_bound = replicas * chips_per_replica * peak / (2.0 * params);
    let (tokens_per_s, binding) = if memory_bound <= compute_bound {
        (memory_bound, Bound::MemoryBandwidth)
    } else {
        (compute_bound, Bound::Compute)
    };
    Ok(InferenceCapacity {
        // Both are whole numbers no larger than `count`, a u32.
        chips_per_replica: chips_per_replica as u32,
        replicas: replicas as u32,
        memory_bound_tokens_per_s: memory_bound,
        compute_bound_tokens_per_s: compute_bound,
        tokens_per_s,
        binding,
        tokens_per_s_per_user: per_user,
        users: (tokens_per_s / per_user).floor() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chipwarden_core::Catalog;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    #[test]
    fn h100_training_per_day_and_largest_run() {
        let catalog = Catalog::bundled().expect("catalog");
        let h100 = catalog.lookup("H100").expect("chip");
        // 1,000 x 989.4e12 x 86,400 = 8.548416e22 FLOP per day.
        assert!(close(training_flop_per_day(h100, 1000).expect("rate"), 8.548416e22));
        // 90 days at 40%: 8.548416e22 x 90 x 0.4 = 3.07742976e24.
        assert!(close(largest_run_flop(h100, 1000, 90.0, 0.4).expect("run"), 3.07742976e24));
        assert!(largest_run_flop(h100, 1000, 90.0, 1.5).is_err());
    }

    #[test]
    fn eight_h100_serving_70b_at_two_bytes_is_bandwidth_bound() {
        let catalog = Catalog::bundled().expect("catalog");
        let h100 = catalog.lookup("H100").expect("chip");
        let model = InferenceModel { params: 70e9, bytes_per_param: 2.0 };
        let chat = Workload { tokens_per_answer: 500.0, seconds_per_answer: 60.0, reasoning_multiplier: 1.0, batch: 1 };
        let c = inference_capacity(h100, 8, model, chat).expect("capacity");
        // 140 GB of weights on 80 GB chips: 2 chips per replica, 4 replicas.
        assert_eq!((c.chips_per_replica, c.replicas), (2, 4));
        // Per replica 2 x 3,350 GB/s / 140 GB = 47.857 tokens/s; x4 = 191.43.
        assert!(close(c.memory_bound_tokens_per_s, 4.0 * 2.0 * 3350e9 / 140e9));
        // Per replica 2 x 989.4e12 / (2 x 70e9) = 14,134 tokens/s; x4 = 56,537.
        assert!(close(c.compute_bound_tokens_per_s, 4.0 * 2.0 * 989.4e12 / 140e9));
        assert_eq!(c.binding, Bound::MemoryBandwidth);
        // 500 tokens a minute = 8.33 tokens/s per user: 191.43 / 8.33 = 22.97, so 22 users.
        assert_eq!(c.users, 22);
        let reasoning = Workload { reasoning_multiplier: 10.0, ..chat };
        assert_eq!(inference_capacity(h100, 8, model, reasoning).expect("capacity").users, 2);
        // Batching 512 streams lifts the bandwidth bound past compute: 512 x 191.43 > 56,537.
        let batched = Workload { batch: 512, ..chat };
        let b = inference_capacity(h100, 8, model, batched).expect("capacity");
        assert_eq!(b.binding, Bound::Compute);
        assert!(close(b.tokens_per_s, 4.0 * 2.0 * 989.4e12 / 140e9));
    }

    #[test]
    fn too_few_chips_to_hold_the_weights_serve_nobody() {
        let catalog = Catalog::bundled().expect("catalog");
        let h100 = catalog.lookup("H100").expect("chip");
        let model = InferenceModel { params: 405e9, bytes_per_param: 2.0 };
        let w = Workload { tokens_per_answer: 500.0, seconds_per_answer: 60.0, reasoning_multiplier: 1.0, batch: 1 };
        let c = inference_capacity(h100, 8, model, w).expect("capacity");
        assert_eq!((c.chips_per_replica, c.replicas, c.users), (11, 0, 0));
    }

    #[test]
    fn per_country_sums() {
        let catalog = Catalog::bundled().expect("catalog");
        let h100 = catalog.lookup("H100").expect("chip");
        let line = |n: u32, c: &str| FleetLine { chip_model: "H100".into(), count: n, country: c.into() };
        let by =
            training_flop_per_day_by_country(&[(line(10, "US"), h100), (line(5, "US"), h100), (line(1, "SG"), h100)])
                .expect("sum");
        assert!(close(by["US"], 15.0 * 989.4e12 * 86_400.0));
        assert!(close(by["SG"], 989.4e12 * 86_400.0));
    }
}
