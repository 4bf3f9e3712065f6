//! `chipwarden capacity`: read an inventory, resolve its chips, ask the meter engine what the
//! fleet can train and serve, print it.

use chipwarden_core::Catalog;
use chipwarden_meter::capacity::{FleetLine, InferenceModel, Workload};
use chipwarden_service::ServiceError;

use crate::Failure;
use crate::args::{CapacityArgs, Cli};

pub fn run(cli: &Cli, args: &CapacityArgs) -> Result<(), Failure> {
    let catalog = Catalog::bundled().map_err(Failure::internal)?;
    let text = crate::commands::read(&args.inventory)?;
    let file = args.inventory.display().to_string();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut resolved = Vec::new();
    for (i, record) in reader.deserialize::<FleetLine>().enumerate() {
        let line = i + 2;
        let fleet = record.map_err(|e| {
            Failure::input(format!("`{file}` line {line}: {e} (the header is chip_model,count,country)"))
        })?;
        let chip = catalog
            .lookup(&fleet.chip_model)
            .map_err(|e| Failure::input(format!("`{file}` line {line}, field `chip_model`: {e}")))?;
        resolved.push((fleet, chip));
    }
    let model = InferenceModel { params: args.params, bytes_per_param: args.bytes_per_param };
    let workload = Workload {
        tokens_per_answer: args.tokens_per_answer,
        seconds_per_answer: args.seconds_per_answer,
        reasoning_multiplier: args.reasoning_multiplier,
        batch: args.batch,
    };
    let report = chipwarden_service::capacity::assess(&resolved, args.days, args.utilization, model, workload)
        .map_err(|e| match e {
            ServiceError::FleetLine { chip_model, cause, .. } => {
                Failure::input(format!("`{file}`, {chip_model}: {cause}"))
            }
            other => Failure::from(other),
        })?;
    if cli.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report).map_err(Failure::internal)?);
        return Ok(());
    }
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED).set_header(vec![
        "chips",
        "country",
        "training FLOP/day (peak)",
        &format!("largest run in {} days at {}", args.days, args.utilization),
        "decode tokens/s (bound)",
        "users served",
    ]);
    for l in &report.lines {
        t.add_row(vec![
            format!("{} x {}", l.count, l.chip),
            l.country.clone(),
            format!("{:.3e}", l.training_flop_per_day),
            format!("{:.3e}", l.largest_run_flop),
            format!("{:.0} ({:?})", l.inference.tokens_per_s, l.inference.binding),
            l.inference.users.to_string(),
        ]);
    }
    crate::outln!("{t}");
    crate::outln!(
        "Inference: a {:.0}B-parameter model at {} bytes per parameter, {} tokens per answer x {} every {} s per user. Peak rates are dense BF16 (FP16 where BF16 is unknown); KV-cache traffic is left out, so these are upper bounds.",
        args.params / 1e9,
        args.bytes_per_param,
        args.tokens_per_answer,
        args.reasoning_multiplier,
        args.seconds_per_answer
    );
    for (country, flop) in &report.training_flop_per_day_by_country {
        crate::outln!("{country}: {flop:.3e} peak training FLOP per day");
    }
    Ok(())
}
