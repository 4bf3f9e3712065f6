//! Regression fixtures from the WonderProxy mesh (246 servers, 2020-07-19/20, copied into
//! `test_data/` with their provenance): vetting catches the servers whose coordinates are false,
//! and with vetting no server's stated country is excluded unless the server itself was caught.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chipwarden_locate::{Landmark, Measurement, Options, VettingMode, verify, vet};
use common::borders;

const GEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/test_data");

/// WonderProxy country names that are not feature names of the 1:50m borders.
const ALIASES: &[(&str, &str)] = &[("United States", "US"), ("Czech Republic", "CZ"), ("Kosovo", "XK")];

struct Mesh {
    landmarks: Vec<Landmark>,
    measurements: Vec<Measurement>,
    /// Server id to (name, stated country code).
    stated: HashMap<String, (String, String)>,
}

fn mesh() -> Mesh {
    let by_name: HashMap<String, String> = borders()
        .countries()
        .iter()
        .flat_map(|c| c.names().iter().map(move |n| (n.clone(), c.code().to_string())))
        .chain(ALIASES.iter().map(|&(n, c)| (n.to_owned(), c.to_owned())))
        .collect();
    let mut landmarks = Vec::new();
    let mut stated = HashMap::new();
    let mut servers = csv::Reader::from_path(Path::new(GEO).join("wonderproxy_servers-2020-07-19.csv"))
        .expect("the WonderProxy servers file");
    for row in servers.records() {
        let row = row.expect("row");
        let code = by_name.get(&row[5]).unwrap_or_else(|| panic!("no code for `{}`", &row[5])).clone();
        stated.insert(row[0].to_owned(), (row[1].to_owned(), code));
        landmarks.push(Landmark {
            id: row[0].to_owned(),
            lat: row[8].parse().expect("lat"),
            lon: row[9].parse().expect("lon"),
            uncertainty_km: 0.0,
        });
    }
    // Symmetrised in the test data: the smaller `min` of both directions, one row per pair.
    let mut pairs: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut pings = csv::Reader::from_path(Path::new(GEO).join("wonderproxy_pings-2020-07-19-20-min-symmetric.csv"))
        .expect("the WonderProxy pings file");
    for row in pings.records() {
        let row = row.expect("row");
        pairs.insert((row[0].to_owned(), row[1].to_owned()), row[2].parse().expect("min"));
    }
    let measurements = pairs
        .iter()
        .flat_map(|((a, b), &rtt_ms)| {
            [
                Measurement { target: a.clone(), landmark: b.clone(), rtt_ms },
                Measurement { target: b.clone(), landmark: a.clone(), rtt_ms },
            ]
        })
        .collect();
    Mesh { landmarks, measurements, stated }
}

#[test]
fn vetting_catches_the_servers_with_false_coordinates() {
    let mesh = mesh();
    assert_eq!(mesh.landmarks.len(), 246);
    let vetting = vet(&mesh.landmarks, &mesh.measurements, &Options::default());
    assert_eq!(vetting.pairs_checked, 30_107);
    // "LaCeiba, Honduras" answers like a server in the north-eastern United States: first out,
    // with dozens of violations.
    let first = &vetting.quarantined[0];
    assert_eq!(first.landmark, "220");
    assert!(first.violations.len() >= 50, "{}", first.reason);
    // "Santiago, Chile" measures impossibly fast to China and, as a target, fits only Brazil.
    assert!(vetting.is_quarantined("70"));
    assert!(vetting.quarantined.len() <= 12, "{:?}", vetting.quarantined_ids());
}

#[test]
fn with_vetting_no_stated_country_is_excluded_unless_its_server_was_caught() {
    let mesh = mesh();
    let verdicts = verify(&mesh.landmarks, &mesh.measurements, borders(), &Options::default()).expect("verify");
    assert_eq!(verdicts.len(), 246);
    let restricted = ["CN", "HK", "MO", "RU", "BY", "IR", "KP", "SY", "CU", "VE"];
    let mut china_excluded = 0;
    let mut outside_restricted = 0;
    for v in &verdicts {
        let (name, code) = &mesh.stated[&v.target];
        assert!(v.consistent, "{name}: {:?}", v.reasons);
        let possible = v.possible_countries.iter().any(|c| c.as_str() == code);
        let caught = v.quarantined_landmarks.contains(&v.target);
        assert!(possible || caught, "{name} ({code}) excluded: {:?}", v.possible_countries);
        if restricted.contains(&code.as_str()) {
            assert!(possible, "restricted {name} ({code}) excluded");
        } else {
            outside_restricted += 1;
            china_excluded += usize::from(v.provably_outside.iter().any(|c| c.as_str() == "CN"));
        }
    }
    // Usefulness: China provably excluded for most servers elsewhere (217 of 235 when written).
    assert!(china_excluded * 100 >= outside_restricted * 90, "{china_excluded} of {outside_restricted}");
}

#[test]
fn without_vetting_a_lying_server_excludes_china_for_a_server_in_china() {
    // The regression the vetting exists for: Santiago's false coordinates shrink Hangzhou's region
    // off China, and nothing looks wrong (the region is not empty).
    let mesh = mesh();
    let off = Options { vetting: VettingMode::Off, ..Options::default() };
    let verdicts = verify(&mesh.landmarks, &mesh.measurements, borders(), &off).expect("verify");
    let hangzhou = verdicts.iter().find(|v| v.target == "84").expect("Hangzhou");
    assert!(!hangzhou.possible_countries.iter().any(|c| c.as_str() == "CN"));
}
