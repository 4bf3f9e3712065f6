//! `chipwarden meter` and `chipwarden accounts`: usage files in through the meter engine's
//! parsers and into the store, reports out of the store through the engine.

use std::io::Write;
use std::path::Path;

use chipwarden_core::Catalog;
use chipwarden_meter::{Reject, UsageRecord};
use chipwarden_service::meter::{BATCH, push};
use chipwarden_store::UsageBatch;

use crate::Failure;
use crate::args::{AccountsCommand, Cli, MeterCommand};
use crate::exit;
use crate::screening::open_store;

pub fn meter(cli: &Cli, command: &MeterCommand) -> Result<u8, Failure> {
    match command {
        MeterCommand::Ingest { file, format, default_model, time_zone, rejects } => {
            ingest(cli, file, format, default_model.clone(), time_zone.as_deref(), rejects.as_deref())
        }
        MeterCommand::Report { window, as_of } => report(cli, *window, as_of.as_deref()).map(|()| exit::OK),
    }
}

/// `+HH:MM` or `-HH:MM` as an offset.
fn utc_offset(text: &str) -> Option<jiff::tz::Offset> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = text[1..].split_once(':')?;
    let seconds = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    jiff::tz::Offset::from_seconds(seconds).ok()
}

fn ingest(
    cli: &Cli,
    path: &Path,
    format: &str,
    default_model: Option<String>,
    time_zone: Option<&str>,
    rejects: Option<&Path>,
) -> Result<u8, Failure> {
    let catalog = Catalog::bundled().map_err(Failure::internal)?;
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Failure::io(format!("cannot read `{name}`: {e}")))?;
    let reader = std::io::BufReader::new(file);
    let records: Box<dyn Iterator<Item = Result<UsageRecord, Reject>>> = match format {
        "csv" => Box::new(chipwarden_meter::csv_records(&name, reader, &catalog)),
        "jsonl" => Box::new(chipwarden_meter::jsonl_records(&name, reader, &catalog)),
        "sacct" => {
            let zone = match time_zone {
                None => jiff::tz::TimeZone::UTC,
                Some(text) => jiff::tz::TimeZone::fixed(utc_offset(text).ok_or_else(|| {
                    Failure::input(format!("--time-zone `{text}` is not a UTC offset such as +08:00 or -05:00"))
                })?),
            };
            let options = chipwarden_meter::SacctOptions { default_model, time_zone: zone };
            Box::new(chipwarden_meter::sacct_jobs(&name, reader, &catalog, &options))
        }
        "alibaba" => {
            let options = chipwarden_meter::AlibabaOptions::new(default_model);
            Box::new(chipwarden_meter::alibaba_pods(&name, reader, &catalog, &options))
        }
        other => return Err(Failure::input(format!("--format `{other}` is not csv, jsonl, sacct or alibaba"))),
    };
    let mut store = open_store(cli)?;
    let mut reject_out: Option<csv::Writer<std::fs::File>> = match rejects {
        Some(p) => {
            let mut w =
                csv::Writer::from_path(p).map_err(|e| Failure::io(format!("cannot write `{}`: {e}", p.display())))?;
            w.write_record(["file", "line", "field", "reason"]).map_err(|e| Failure::io(e.to_string()))?;
            Some(w)
        }
        None => None,
    };
    let at = jiff::Timestamp::now().to_string();
    let mut rejected = 0usize;
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    // Two threads: this one parses, the writer stores whole batches (one transaction each). The
    // channel holds at most two batches, so memory stays bounded however large the file.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<UsageBatch>(2);
    let (name_ref, at_ref) = (&name, &at);
    let (written, parsed) = std::thread::scope(|scope| {
        // Named, so that a profile tells its time from the parser's.
        let writer = std::thread::Builder::new().name("store-writer".to_owned()).spawn_scoped(
            scope,
            move || -> Result<(usize, usize), Failure> {
                let (mut inserted, mut already) = (0usize, 0usize);
                for batch in receiver {
                    let done = store.ingest_usage_batch(&batch, name_ref, at_ref).map_err(Failure::io)?;
                    inserted += done.inserted;
                    already += done.already_counted;
                }
                Ok((inserted, already))
            },
        );
        let parsed = (|| -> Result<(), Failure> {
            let mut batch = UsageBatch::new();
            for (i, item) in records.enumerate() {
                if i % 10_000 == 0 {
                    bar.set_position(i as u64);
                }
                match item {
                    Ok(record) => {
                        push(&mut batch, &record)?;
                        if batch.len() == BATCH {
                            let mut full = std::mem::take(&mut batch);
                            // Sorted here, so that the writer (the slower thread) need not.
                            full.sort_by_record_id();
                            // A closed channel means the writer failed: its error is reported below.
                            if sender.send(full).is_err() {
                                return Ok(());
                            }
                        }
                    }
                    Err(reject) => {
                        rejected += 1;
                        match reject_out.as_mut() {
                            Some(w) => w
                                .write_record([
                                    reject.file.as_str(),
                                    &reject.line.to_string(),
                                    &reject.field,
                                    &reject.reason,
                                ])
                                .map_err(|e| Failure::io(e.to_string()))?,
                            None if rejected <= 20 => bar.suspend(|| eprintln!("rejected: {reject}")),
                            None => {}
                        }
                    }
                }
            }
            if !batch.is_empty() {
                batch.sort_by_record_id();
                let _ = sender.send(batch);
            }
            Ok(())
        })();
        drop(sender);
        let written = match writer {
            Ok(writer) => writer.join().unwrap_or_else(|_| Err(Failure::internal("the writer thread panicked"))),
            Err(e) => Err(Failure::internal(format!("cannot start the writer thread: {e}"))),
        };
        (written, parsed)
    });
    // A store failure comes first: it is why parsing stopped early.
    let (inserted, already) = written?;
    parsed?;
    bar.finish_and_clear();
    if let Some(mut w) = reject_out {
        w.flush().map_err(|e| Failure::io(e.to_string()))?;
    }
    let summary =
        serde_json::json!({ "file": name, "inserted": inserted, "already_counted": already, "rejected": rejected });
    if cli.json {
        crate::outln!("{summary}");
    } else {
        crate::outln!("{name}: {inserted} record(s) stored, {already} already counted, {rejected} rejected");
    }
    Ok(if rejected > 0 && inserted + already == 0 { exit::INPUT } else { exit::OK })
}

fn report(cli: &Cli, window_days: u32, as_of: Option<&str>) -> Result<(), Failure> {
    let catalog = Catalog::bundled().map_err(Failure::internal)?;
    let store = open_store(cli)?;
    let as_of = match as_of {
        Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| Failure::input(format!("--as-of `{text}`: {e}")))?,
        None => jiff::Timestamp::now(),
    };
    let window = chipwarden_meter::Window::ending(as_of, window_days).map_err(Failure::input)?;
    let report = chipwarden_service::meter::report(&store, &catalog, window)?;
    if cli.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report).map_err(Failure::internal)?);
        return Ok(());
    }
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let line = |out: &mut std::io::BufWriter<std::io::Stdout>, text: String| -> Result<(), Failure> {
        writeln!(out, "{text}").map_err(|e| Failure::io(e.to_string()))
    };
    line(
        &mut out,
        format!(
            "Compute over the {window_days} days to {as_of} (low / mid / high FLOP, dense BF16 peak x utilization 0.3-0.5 unless measured)"
        ),
    )?;
    for a in &report.accounts {
        let crossed: Vec<String> = a
            .thresholds_crossed
            .iter()
            .map(|c| {
                format!(
                    "{} ({:?} estimate{})",
                    c.threshold,
                    c.basis,
                    if c.in_force { "" } else { "; no longer in force" }
                )
            })
            .collect();
        line(
            &mut out,
            format!(
                "  {}: {:.3e} / {:.3e} / {:.3e}{}",
                a.account,
                a.flop_low,
                a.flop_mid,
                a.flop_high,
                if crossed.is_empty() { String::new() } else { format!("  CROSSES {}", crossed.join(", ")) }
            ),
        )?;
    }
    for g in &report.groups {
        line(
            &mut out,
            format!(
                "  group {}: {:.3e} / {:.3e} / {:.3e}{}",
                g.accounts.join(" + "),
                g.flop_low,
                g.flop_mid,
                g.flop_high,
                if g.split_run.is_some() { "  SPLIT RUN suspected" } else { "" }
            ),
        )?;
        for l in &g.links {
            line(&mut out, format!("    link {} - {}: {} {}", l.account_a, l.account_b, l.reason.name(), l.evidence))?;
        }
    }
    for r in &report.runs {
        let crossed: Vec<String> =
            r.thresholds_crossed.iter().map(|c| format!("{} ({:?})", c.threshold, c.basis)).collect();
        line(
            &mut out,
            format!(
                "  run {} ({}): {:.3e} / {:.3e} / {:.3e}{}",
                r.run_id,
                r.accounts.join(" + "),
                r.flop_low,
                r.flop_mid,
                r.flop_high,
                if crossed.is_empty() { String::new() } else { format!("  CROSSES {}", crossed.join(", ")) }
            ),
        )?;
    }
    out.flush().map_err(|e| Failure::io(e.to_string()))
}

pub fn accounts(cli: &Cli, command: &AccountsCommand) -> Result<(), Failure> {
    match command {
        AccountsCommand::Groups => {
            let store = open_store(cli)?;
            let groups = chipwarden_service::meter::groups(&store)?;
            if cli.json {
                for g in &groups {
                    crate::outln!("{}", serde_json::to_string(g).map_err(Failure::internal)?);
                }
            } else {
                for g in &groups {
                    crate::outln!("group {}", g.accounts.join(" + "));
                    for l in &g.links {
                        crate::outln!("  {} - {}: {} ({})", l.account_a, l.account_b, l.reason.name(), l.evidence);
                    }
                }
                if groups.is_empty() {
                    crate::outln!("no linked accounts");
                }
            }
            Ok(())
        }
        AccountsCommand::Link { file } => {
            let name = file.display().to_string();
            let text = crate::commands::read(file)?;
            let mut links = Vec::new();
            for result in chipwarden_meter::parse_links(&name, text.as_bytes()) {
                links.push(result.map_err(Failure::input)?);
            }
            let mut store = open_store(cli)?;
            let added = chipwarden_service::meter::add_links(&mut store, &links)?;
            crate::outln!("{added} new link(s) from `{name}` ({} given)", links.len());
            Ok(())
        }
    }
}
