//! Fleet capacity: what a resolved inventory can train and serve, line by line and by country.

use std::collections::BTreeMap;

use chipwarden_core::Chip;
use chipwarden_meter::capacity::{self, FleetLine, InferenceCapacity, InferenceModel, Workload};
use serde::Serialize;

use crate::{ServiceError, ServiceResult};

/// One inventory line assessed.
#[derive(Debug, Serialize)]
pub struct Line {
    pub chip_model: String,
    pub chip: String,
    pub count: u32,
    pub country: String,
    pub training_flop_per_day: f64,
    pub largest_run_flop: f64,
    pub inference: InferenceCapacity,
}

/// The fields of `chipwarden capacity --json`.
#[derive(Debug, Serialize)]
pub struct CapacityReport {
    pub days: f64,
    pub utilization: f64,
    pub model: InferenceModel,
    pub workload: Workload,
    pub lines: Vec<Line>,
    pub training_flop_per_day_by_country: BTreeMap<String, f64>,
}

/// Assesses every line of a resolved inventory: training FLOP per day, the largest run in
/// `days` at `utilization`, and inference for `model` under `workload`.
pub fn assess(
    resolved: &[(FleetLine, &Chip)],
    days: f64,
    utilization: f64,
    model: InferenceModel,
    workload: Workload,
) -> ServiceResult<CapacityReport> {
    let mut lines = Vec::new();
    for (index, (fleet, chip)) in resolved.iter().enumerate() {
        let fail = |cause: chipwarden_meter::MeterError| ServiceError::FleetLine {
            index,
            chip_model: fleet.chip_model.clone(),
            cause,
        };
        lines.push(Line {
            chip_model: fleet.chip_model.clone(),
            chip: chip.name.clone(),
            count: fleet.count,
            country: fleet.country.clone(),
            training_flop_per_day: capacity::training_flop_per_day(chip, fleet.count).map_err(fail)?,
            largest_run_flop: capacity::largest_run_flop(chip, fleet.count, days, utilization).map_err(fail)?,
            inference: capacity::inference_capacity(chip, fleet.count, model, workload).map_err(fail)?,
        });
    }
    let by_country = capacity::training_flop_per_day_by_country(resolved).map_err(ServiceError::Fleet)?;
    Ok(CapacityReport { days, utilization, model, workload, lines, training_flop_per_day_by_country: by_country })
}
