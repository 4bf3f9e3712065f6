//! Evaluates the locate engine on the WonderProxy mesh (246 servers, 2020-07-19/20): each server in
//! turn is the target and all the others its landmarks, with and without vetting; then times
//! verdicts with 50 landmarks per target.
//!
//! `cargo run --release -p chipwarden-locate --example wonderproxy_eval [GEO_DIR] [SVG_DIR]`
//! (GEO_DIR defaults to `../shared/data/geo` beside the repository; with SVG_DIR it also writes a
//! map per target there).

#![allow(clippy::print_stdout, reason = "an evaluation report")]

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use chipwarden_locate::{Borders, Landmark, Measurement, Options, TargetVerdict, VettingMode, render_svg, verify, vet};

const DEFAULT_GEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/geo");
const BORDERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/geo/world-atlas-2.0.2_countries-50m.topo.json");

/// Export-control destinations treated as restricted here: China with Hong Kong and Macau, and
/// the embargoed or Country Group D:5/E countries.
const RESTRICTED: &[&str] = &["CN", "HK", "MO", "RU", "BY", "IR", "KP", "SY", "CU", "VE"];

/// WonderProxy country names that are not a feature name of the 1:50m borders.
const ALIASES: &[(&str, &str)] =
    &[("United States", "US"), ("Czech Republic", "CZ"), ("Kosovo", "XK"), ("Macedonia", "MK"), ("Bosnia", "BA")];

struct Server {
    id: String,
    name: String,
    country: String,
    code: String,
    region: &'static str,
    lat: f64,
    lon: f64,
}

fn region(continent: &str, lon: f64) -> &'static str {
    match continent {
        "1" => "North and Central America",
        "2" => "South America",
        "3" if lon < 60.0 => "Europe and Middle East",
        "3" => "Asia",
        "4" => "Oceania",
        "5" => "Africa",
        _ => "other",
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let geo = PathBuf::from(args.get(1).map(String::as_str).unwrap_or(DEFAULT_GEO));
    let svg_dir = args.get(2).map(PathBuf::from);
    let started = Instant::now();
    let borders = Borders::from_topojson("countries-50m", &std::fs::read_to_string(BORDERS)?)?;
    println!("borders: {} codes parsed in {:.2?}", borders.countries().len(), started.elapsed());

    let by_name: HashMap<&str, String> = borders
        .countries()
        .iter()
        .flat_map(|c| c.names().iter().map(move |n| (n.as_str(), c.code().to_string())))
        .chain(ALIASES.iter().map(|&(n, c)| (n, c.to_owned())))
        .collect();
    let mut servers = Vec::new();
    let mut reader = csv::Reader::from_path(geo.join("wonderproxy_servers-2020-07-19.csv"))?;
    for row in reader.records() {
        let row = row?;
        let (lat, lon): (f64, f64) = (row[8].parse()?, row[9].parse()?);
        let country = row[5].to_owned();
        let code = by_name.get(country.as_str()).cloned().ok_or(format!("no code for `{country}`"))?;
        servers.push(Server {
            id: row[0].to_owned(),
            name: row[1].to_owned(),
            region: region(&row[7], lon),
            country,
            code,
            lat,
            lon,
        });
    }
    let landmarks: Vec<Landmark> =
        servers.iter().map(|s| Landmark { id: s.id.clone(), lat: s.lat, lon: s.lon, uncertainty_km: 0.0 }).collect();
    let known: HashMap<&str, &Server> = servers.iter().map(|s| (s.id.as_str(), s)).collect();

    // Symmetrise: the smaller `min` of the two directions per pair.
    let mut pairs: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut rows = 0;
    let mut reader = csv::Reader::from_path(geo.join("wonderproxy_pings-2020-07-19-2020-07-20-grouped.csv"))?;
    for row in reader.records() {
        let row = row?;
        rows += 1;
        let (a, b, rtt): (&str, &str, f64) = (&row[0], &row[1], row[2].parse()?);
        if a == b || !known.contains_key(a) || !known.contains_key(b) {
            continue;
        }
        let key = if a < b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) };
        let entry = pairs.entry(key).or_insert(f64::INFINITY);
        *entry = entry.min(rtt);
    }
    let mut measurements = Vec::with_capacity(pairs.len() * 2);
    for ((a, b), &rtt_ms) in &pairs {
        measurements.push(Measurement { target: a.clone(), landmark: b.clone(), rtt_ms });
        measurements.push(Measurement { target: b.clone(), landmark: a.clone(), rtt_ms });
    }
    println!("servers: {}; ping rows: {rows}; undirected pairs between known servers: {}", servers.len(), pairs.len());
    let geo_mismatch: Vec<String> = servers
        .iter()
        .filter_map(|s| {
            let at: Vec<String> = borders
                .countries_at(chipwarden_locate::LatLon::new(s.lat, s.lon))
                .iter()
                .map(|c| c.to_string())
                .collect();
            (!at.contains(&s.code))
                .then(|| format!("{} ({}, {}): coordinates fall in {:?}", s.name, s.code, s.country, at))
        })
        .collect();
    println!("servers whose claimed coordinates are not inside their stated country at 1:50m: {}", geo_mismatch.len());
    for line in &geo_mismatch {
        println!("  {line}");
    }

    let options = Options::default();
    let vetting = vet(&landmarks, &measurements, &options);
    println!(
        "\nvetting: {} pairs checked, {} violate the 2/3 c bound (+{} km, +0.5%), {} landmarks quarantined:",
        vetting.pairs_checked,
        vetting.violations.len(),
        options.margin_km,
        vetting.quarantined.len()
    );
    for q in &vetting.quarantined {
        let s = known[q.landmark.as_str()];
        println!("  {} {} ({}, {}): {}", s.id, s.name, s.code, s.region, q.reason);
    }

    for mode in [VettingMode::On, VettingMode::Off] {
        let options = Options { vetting: mode, ..Options::default() };
        let started = Instant::now();
        let verdicts = verify(&landmarks, &measurements, &borders, &options)?;
        let elapsed = started.elapsed();
        println!(
            "\n## vetting {mode:?}: {} verdicts in {elapsed:.2?} ({:.1} per second)",
            verdicts.len(),
            verdicts.len() as f64 / elapsed.as_secs_f64()
        );
        report(&verdicts, &known, &vetting);
        if mode == VettingMode::On {
            println!("where the quarantined servers can be, measured as targets by the others:");
            for q in &vetting.quarantined {
                if let Some(v) = verdicts.iter().find(|v| v.target == q.landmark) {
                    let s = known[v.target.as_str()];
                    let list: Vec<String> = v.possible_countries.iter().take(12).map(|c| c.to_string()).collect();
                    let more = v.possible_countries.len().saturating_sub(12);
                    let suffix = if more > 0 { format!(" and {more} more") } else { String::new() };
                    println!("  {} {} (claims {}): {}{suffix}", s.id, s.name, s.code, list.join(" "));
                }
            }
        }
        if let (Some(dir), VettingMode::On) = (&svg_dir, mode) {
            std::fs::create_dir_all(dir)?;
            for v in &verdicts {
                let name = known.get(v.target.as_str()).map(|s| s.name.as_str()).unwrap_or("target");
                std::fs::write(
                    dir.join(format!("{}-{name}.svg", v.target)),
                    render_svg(&borders, &landmarks, v, &options),
                )?;
            }
        }
    }
    benchmark(&landmarks, &measurements, &borders, &vetting)?;
    Ok(())
}

fn median(mut values: Vec<usize>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 { values[n / 2] as f64 } else { (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0 }
}

fn report(verdicts: &[TargetVerdict], known: &HashMap<&str, &Server>, vetting: &chipwarden_locate::Vetting) {
    let possible = |v: &TargetVerdict, code: &str| v.possible_countries.iter().any(|c| c.as_str() == code);
    let sound = verdicts.iter().filter(|v| possible(v, &known[v.target.as_str()].code)).count();
    let inconsistent: Vec<&TargetVerdict> = verdicts.iter().filter(|v| !v.consistent).collect();
    println!(
        "soundness: stated country possible for {sound} of {} targets ({:.1}%); {} inconsistent (flagged, nothing excluded)",
        verdicts.len(),
        100.0 * sound as f64 / verdicts.len() as f64,
        inconsistent.len()
    );
    for v in verdicts.iter().filter(|v| !possible(v, &known[v.target.as_str()].code)) {
        let s = known[v.target.as_str()];
        let quarantined = if vetting.is_quarantined(&v.target) { " (itself quarantined by vetting)" } else { "" };
        println!("  excluded: {} {} ({}){quarantined}", s.id, s.name, s.code);
    }
    for v in &inconsistent {
        let s = known[v.target.as_str()];
        println!(
            "  inconsistent: {} {} ({}): {}",
            s.id,
            s.name,
            s.code,
            v.reasons.last().map(String::as_str).unwrap_or("")
        );
    }
    let restricted: Vec<&TargetVerdict> =
        verdicts.iter().filter(|v| RESTRICTED.contains(&known[v.target.as_str()].code.as_str())).collect();
    let wrongly = restricted.iter().filter(|v| !possible(v, &known[v.target.as_str()].code)).count();
    println!(
        "restricted targets ({}): {} — own country wrongly excluded for {wrongly}",
        restricted.len(),
        restricted
            .iter()
            .map(|v| format!("{} {}", known[v.target.as_str()].name, known[v.target.as_str()].code))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut by_region: BTreeMap<&str, (usize, usize, Vec<usize>)> = BTreeMap::new();
    for v in verdicts.iter().filter(|v| !RESTRICTED.contains(&known[v.target.as_str()].code.as_str())) {
        let s = known[v.target.as_str()];
        let entry = by_region.entry(s.region).or_default();
        entry.0 += 1;
        if v.provably_outside.iter().any(|c| c.as_str() == "CN") {
            entry.1 += 1;
        }
        entry.2.push(v.possible_countries.len());
    }
    let all: Vec<usize> = by_region.values().flat_map(|e| e.2.iter().copied()).collect();
    let (n, cn): (usize, usize) = by_region.values().fold((0, 0), |(n, c), e| (n + e.0, c + e.1));
    println!("| region | targets | China provably excluded | median possible countries |");
    println!("|---|---:|---:|---:|");
    for (region, (n, cn, counts)) in &by_region {
        println!("| {region} | {n} | {cn} ({:.0}%) | {} |", 100.0 * *cn as f64 / *n as f64, median(counts.clone()));
    }
    println!(
        "| all outside restricted countries | {n} | {cn} ({:.0}%) | {} |",
        100.0 * cn as f64 / n as f64,
        median(all)
    );
}

/// Verdicts per second with 50 landmarks per target: for each target, 50 of the other servers
/// chosen by a fixed stride, vetting already done.
fn benchmark(
    landmarks: &[Landmark],
    measurements: &[Measurement],
    borders: &Borders,
    vetting: &chipwarden_locate::Vetting,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut chosen = Vec::new();
    let mut per_target: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
    for m in measurements {
        if !vetting.is_quarantined(&m.landmark) {
            per_target.entry(m.target.as_str()).or_default().push(m);
        }
    }
    for list in per_target.values() {
        let stride = (list.len() / 50).max(1);
        chosen.extend(list.iter().step_by(stride).take(50).map(|m| (*m).clone()));
    }
    let options = Options { vetting: VettingMode::Off, ..Options::default() };
    let started = Instant::now();
    let verdicts = verify(landmarks, &chosen, borders, &options)?;
    let elapsed = started.elapsed();
    println!(
        "\nbenchmark: {} targets x 50 landmarks: {elapsed:.2?}, {:.1} verdicts per second (one core)",
        verdicts.len(),
        verdicts.len() as f64 / elapsed.as_secs_f64()
    );
    let median_possible = median(verdicts.iter().map(|v| v.possible_countries.len()).collect());
    println!("  median possible countries with 50 landmarks: {median_possible}");
    Ok(())
}
