//! `chipwarden locate`: landmark and measurement files (or signed measurement records and the
//! landmarks' keys) in, the locate engine's verdicts out (one JSON object per target, or lines
//! for people), and an SVG map of one target's region.

use std::path::Path;

use chipwarden_locate::protocol::DEFAULT_MAX_AGE;
use chipwarden_locate::{Borders, Landmark, Measurement, Options, TargetVerdict, VettingMode};
use chipwarden_service::locate::{BadLine, measurements_from_records, parse_landmark_keys};
use jiff::SignedDuration;

use crate::Failure;
use crate::args::{Cli, LocateArgs, LocateCommand};
use crate::commands::read;
use crate::exit;

pub fn locate(cli: &Cli, command: &LocateCommand) -> Result<u8, Failure> {
    match command {
        LocateCommand::Verify(args) => {
            let (_, verdicts) = verdicts(args)?;
            for v in &verdicts {
                if cli.json {
                    crate::outln!("{}", serde_json::to_string(v).map_err(Failure::internal)?);
                } else {
                    print_verdict(v);
                }
            }
            if let Some(key) = &args.ledger_key {
                record_in_ledger(cli, key, &verdicts)?;
            }
            // A region that is empty or contradicts itself is suspicious: it needs a person.
            Ok(if verdicts.iter().all(|v| v.consistent) { exit::OK } else { exit::HITS })
        }
        LocateCommand::Map { args, target } => {
            let (landmarks, verdicts) = verdicts(args)?;
            let verdict = match target {
                Some(t) => verdicts.iter().find(|v| &v.target == t).ok_or_else(|| {
                    let known: Vec<&str> = verdicts.iter().map(|v| v.target.as_str()).collect();
                    Failure::input(format!("--target `{t}` has no measurements; targets: {}", known.join(", ")))
                })?,
                None => match verdicts.as_slice() {
                    [only] => only,
                    _ => {
                        let known: Vec<&str> = verdicts.iter().map(|v| v.target.as_str()).collect();
                        return Err(Failure::input(format!(
                            "the measurements hold {} targets; choose one with --target ({})",
                            verdicts.len(),
                            known.join(", ")
                        )));
                    }
                },
            };
            let borders = Borders::bundled().map_err(Failure::internal)?;
            crate::outln!("{}", chipwarden_locate::render_svg(&borders, &landmarks, verdict, &options(args)));
            Ok(exit::OK)
        }
    }
}

fn options(args: &LocateArgs) -> Options {
    let mut options = Options::default();
    if let Some(m) = args.margin_km {
        options.margin_km = m;
    }
    if let Some(b) = args.buffer_km {
        options.buffer_km = b;
    }
    if args.no_vetting {
        options.vetting = VettingMode::Off;
    }
    options
}

fn verdicts(args: &LocateArgs) -> Result<(Vec<chipwarden_locate::Landmark>, Vec<TargetVerdict>), Failure> {
    let name = |p: &Path| p.display().to_string();
    let landmarks =
        chipwarden_locate::parse_landmarks(&name(&args.landmarks), &read(&args.landmarks)?).map_err(Failure::input)?;
    let measurements = measurements(args, &landmarks)?;
    let borders = Borders::bundled().map_err(Failure::internal)?;
    let verdicts =
        chipwarden_locate::verify(&landmarks, &measurements, &borders, &options(args)).map_err(Failure::input)?;
    Ok((landmarks, verdicts))
}

/// The measurements of `--measurements`, or those of the signed `--records` checked against the
/// landmarks' keys, their age and the landmarks file's coordinates (every bad line named).
fn measurements(args: &LocateArgs, landmarks: &[Landmark]) -> Result<Vec<Measurement>, Failure> {
    let name = |p: &Path| p.display().to_string();
    match (&args.measurements, &args.records, &args.landmark_keys) {
        (Some(path), _, _) => {
            chipwarden_locate::parse_measurements(&name(path), &read(path)?, landmarks).map_err(Failure::input)
        }
        (None, Some(records), Some(keys)) => {
            let bad = |file: &Path, lines: Vec<BadLine>| {
                let lines: Vec<String> = lines.iter().map(|l| format!("`{}` {l}", file.display())).collect();
                Failure::input(lines.join("\n"))
            };
            let keys_by_id = parse_landmark_keys(&read(keys)?).map_err(|lines| bad(keys, lines))?;
            let max_age = args.max_age_hours.map_or(DEFAULT_MAX_AGE, |h| SignedDuration::from_hours(i64::from(h)));
            measurements_from_records(&read(records)?, &keys_by_id, landmarks, jiff::Timestamp::now(), max_age)
                .map_err(|lines| bad(records, lines))
        }
        _ => Err(Failure::input("give --measurements FILE, or --records FILE with --landmark-keys FILE")),
    }
}

fn print_verdict(v: &TargetVerdict) {
    let codes = |c: &[chipwarden_core::CountryCode]| c.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
    crate::outln!(
        "{}: {} — possibly in {} ({} countries provably outside){}",
        v.target,
        if v.consistent { "consistent" } else { "SUSPICIOUS: the measurements contradict each other" },
        codes(&v.possible_countries),
        v.provably_outside.len(),
        if v.quarantined_landmarks.is_empty() {
            String::new()
        } else {
            format!("; quarantined landmarks: {}", v.quarantined_landmarks.join(", "))
        }
    );
    for reason in &v.reasons {
        crate::outln!("    {reason}");
    }
}

/// Appends a `location_verified` event for every consistent verdict about a chip the custody
/// ledger knows, signed with the verifier's party key, checked like `ledger append` (all or
/// nothing). Targets the ledger does not know are named and left out; an inconsistent verdict is
/// never recorded as a verification.
fn record_in_ledger(cli: &Cli, key: &Path, verdicts: &[TargetVerdict]) -> Result<(), Failure> {
    let key = crate::ledger::party_key(key)?;
    let mut store = crate::screening::open_store(cli)?;
    let mut chosen = Vec::new();
    for v in verdicts {
        if !v.consistent {
            eprintln!("ledger: `{}` not recorded: its measurements contradict each other", v.target);
        } else if v.possible_countries.is_empty() {
            eprintln!("ledger: `{}` not recorded: its region meets no country's land", v.target);
        } else if store.ledger_entries_for_serials(&[v.target.as_str()])?.is_empty() {
            eprintln!("ledger: `{}` is not a chip registered in the custody ledger; not recorded", v.target);
        } else {
            chosen.push(v);
        }
    }
    let appended =
        chipwarden_service::measurements::record_in_ledger(&mut store, &key, &chosen, jiff::Timestamp::now())?;
    for a in appended {
        eprintln!("ledger: leaf {} (location_verified `{}`)", a.leaf_index, a.serial);
    }
    Ok(())
}
