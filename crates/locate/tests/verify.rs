//! Verdicts end to end: exclusions, contradictions, vetting, relays, options, the JSON contract.

mod common;

use chipwarden_locate::geo::{FIBRE_SPEED_KM_PER_MS, SPEED_OF_LIGHT_KM_PER_MS};
use chipwarden_locate::{Landmark, LatLon, Measurement, Options, VettingMode, distance_km, render_svg, verify};
use common::{borders, codes, landmark, measure};

fn european_landmarks() -> Vec<Landmark> {
    vec![
        landmark("paris", 48.8566, 2.3522),
        landmark("frankfurt", 50.1109, 8.6821),
        landmark("madrid", 40.4168, -3.7038),
        landmark("london", 51.5074, -0.1278),
        landmark("milan", 45.4642, 9.19),
    ]
}

fn verdict_for(at: LatLon, landmarks: &[Landmark], extra: f64) -> chipwarden_locate::TargetVerdict {
    let measurements: Vec<Measurement> = landmarks.iter().map(|l| measure("chip", at, l, extra)).collect();
    let mut verdicts = verify(landmarks, &measurements, borders(), &Options::default()).expect("verify");
    verdicts.remove(0)
}

#[test]
fn a_chip_in_lyon_is_possibly_in_france_and_provably_not_in_china() {
    let v = verdict_for(LatLon::new(45.764, 4.8357), &european_landmarks(), 0.0);
    let possible = codes(&v.possible_countries);
    assert!(v.consistent);
    assert!(possible.contains(&"FR".to_owned()), "{possible:?}");
    assert!(codes(&v.provably_outside).contains(&"CN".to_owned()));
    assert!(!possible.contains(&"US".to_owned()) && !possible.contains(&"RU".to_owned()), "{possible:?}");
    assert_eq!(v.caps.len(), 5);
    assert!(v.region_point.is_some());
    assert!(v.quarantined_landmarks.is_empty());
}

#[test]
fn a_chip_in_shenzhen_keeps_china_and_hong_kong_possible() {
    let landmarks = vec![
        landmark("hongkong", 22.3193, 114.1694),
        landmark("guangzhou", 23.1291, 113.2644),
        landmark("singapore", 1.3521, 103.8198),
        landmark("tokyo", 35.6762, 139.6503),
    ];
    let v = verdict_for(LatLon::new(22.62, 114.06), &landmarks, 0.05);
    let possible = codes(&v.possible_countries);
    for code in ["CN", "HK", "MO"] {
        assert!(possible.contains(&code.to_owned()), "{code} not in {possible:?}");
    }
    assert!(codes(&v.provably_outside).contains(&"SG".to_owned()));
    assert!(codes(&v.provably_outside).contains(&"JP".to_owned()));
}

#[test]
fn more_delay_never_excludes_more() {
    let at = LatLon::new(52.37, 4.89); // Amsterdam
    let tight = verdict_for(at, &european_landmarks(), 0.0);
    let loose = verdict_for(at, &european_landmarks(), 0.8);
    for code in &tight.possible_countries {
        assert!(loose.possible_countries.contains(code), "{code} dropped by added delay");
    }
    assert!(loose.possible_countries.len() >= tight.possible_countries.len());
    assert!(codes(&tight.possible_countries).contains(&"NL".to_owned()));
}

#[test]
fn a_relay_bounds_the_key_holder() {
    // The key is in Shanghai; answers are relayed through Singapore, so every round trip is the
    // landmark-relay path plus the relay-holder path, there and back.
    let holder = LatLon::new(31.2304, 121.4737);
    let relay = LatLon::new(1.3521, 103.8198);
    let landmarks = vec![
        landmark("singapore", 1.29, 103.85),
        landmark("jakarta", -6.2088, 106.8456),
        landmark("kualalumpur", 3.139, 101.6869),
    ];
    let measurements: Vec<Measurement> = landmarks
        .iter()
        .map(|l| Measurement {
            target: "chip".into(),
            landmark: l.id.clone(),
            rtt_ms: 2.0 * (distance_km(l.position(), relay) + distance_km(relay, holder)) / FIBRE_SPEED_KM_PER_MS,
        })
        .collect();
    let v = verify(&landmarks, &measurements, borders(), &Options::default()).expect("verify").remove(0);
    assert!(v.consistent);
    assert!(codes(&v.possible_countries).contains(&"CN".to_owned()), "the key holder's country must stay possible");
}

#[test]
fn contradicting_caps_are_flagged_and_exclude_nothing() {
    let landmarks = vec![landmark("paris", 48.8566, 2.3522), landmark("sydney", -33.8688, 151.2093)];
    let measurements = vec![
        Measurement { target: "chip".into(), landmark: "paris".into(), rtt_ms: 1.0 },
        Measurement { target: "chip".into(), landmark: "sydney".into(), rtt_ms: 1.0 },
    ];
    let v = verify(&landmarks, &measurements, borders(), &Options::default()).expect("verify").remove(0);
    assert!(!v.consistent);
    assert!(v.provably_outside.is_empty());
    assert_eq!(v.possible_countries.len(), borders().countries().len());
    assert!(v.reasons.iter().any(|r| r.contains("no common point") && r.contains("`paris`")), "{:?}", v.reasons);
}

#[test]
fn a_landmark_with_false_coordinates_is_caught_and_not_used() {
    // "tegucigalpa" claims Honduras but sits in New York: it answers New York landmarks in 1 ms.
    let mut landmarks = vec![
        landmark("newyork", 40.7128, -74.006),
        landmark("newark", 40.7357, -74.1724),
        landmark("philadelphia", 39.9526, -75.1652),
        landmark("boston", 42.3601, -71.0589),
        landmark("mexico", 19.4326, -99.1332),
    ];
    let liar = landmark("tegucigalpa", 14.0723, -87.1921);
    let truly_at = LatLon::new(40.75, -73.99);
    let mut measurements = Vec::new();
    for l in &landmarks {
        for other in &landmarks {
            if l.id != other.id {
                measurements.push(measure(&l.id, l.position(), other, 0.1));
            }
        }
        measurements.push(measure(&liar.id, truly_at, l, 0.1));
        measurements.push(measure(
            &l.id,
            l.position(),
            &Landmark { lat: truly_at.lat, lon: truly_at.lon, ..liar.clone() },
            0.1,
        ));
    }
    // A chip in New Jersey measured by everyone, the liar included: the liar's cap, drawn around
    // Tegucigalpa, would exclude the United States.
    let chip = LatLon::new(40.9, -74.3);
    landmarks.push(liar.clone());
    for l in &landmarks {
        let really = if l.id == liar.id { truly_at } else { l.position() };
        measurements.push(Measurement {
            target: "chip".into(),
            landmark: l.id.clone(),
            rtt_ms: 2.0 * distance_km(chip, really) / FIBRE_SPEED_KM_PER_MS * 1.1,
        });
    }
    let verdicts = verify(&landmarks, &measurements, borders(), &Options::default()).expect("verify");
    let v = verdicts.iter().find(|v| v.target == "chip").expect("chip");
    assert_eq!(v.quarantined_landmarks, vec!["tegucigalpa".to_owned()]);
    assert!(v.caps.iter().all(|c| c.landmark != "tegucigalpa"));
    assert!(v.consistent);
    assert!(codes(&v.possible_countries).contains(&"US".to_owned()));
    assert!(v.reasons.iter().any(|r| r.contains("`tegucigalpa` not used")), "{:?}", v.reasons);

    // Without vetting the liar's small cap around Tegucigalpa misses the New York caps: the
    // region is empty, which is flagged, and nothing is excluded.
    let off = Options { vetting: VettingMode::Off, ..Options::default() };
    let unvetted = verify(&landmarks, &measurements, borders(), &off).expect("verify");
    let u = unvetted.iter().find(|v| v.target == "chip").expect("chip");
    assert!(!u.consistent);
    assert!(u.provably_outside.is_empty());
}

#[test]
fn options_that_could_exclude_wrongly_are_refused() {
    let landmarks = european_landmarks();
    let measurements = vec![Measurement { target: "chip".into(), landmark: "paris".into(), rtt_ms: 5.0 }];
    let check = |options: Options, needle: &str| {
        let err = verify(&landmarks, &measurements, borders(), &options).expect_err("refused");
        assert!(err.to_string().contains(needle), "{err}");
    };
    check(Options { speed_km_per_ms: FIBRE_SPEED_KM_PER_MS * 4.0 / 6.0, ..Options::default() }, "speed_km_per_ms");
    check(Options { speed_km_per_ms: SPEED_OF_LIGHT_KM_PER_MS * 1.01, ..Options::default() }, "speed_km_per_ms");
    check(Options { margin_km: -1.0, ..Options::default() }, "margin_km");
    check(Options { buffer_km: f64::NAN, ..Options::default() }, "buffer_km");
    check(Options { resolution_km: 0.0, ..Options::default() }, "resolution_km");
    // The speed of light itself is allowed: larger caps, fewer exclusions.
    let at_c = Options { speed_km_per_ms: SPEED_OF_LIGHT_KM_PER_MS, ..Options::default() };
    assert!(verify(&landmarks, &measurements, borders(), &at_c).is_ok());
}

#[test]
fn bad_measurements_given_directly_are_refused() {
    let landmarks = european_landmarks();
    let check = |m: Measurement, needle: &str| {
        let err = verify(&landmarks, &[m], borders(), &Options::default()).expect_err("refused");
        assert!(err.to_string().contains(needle), "{err}");
    };
    check(Measurement { target: "c".into(), landmark: "tokyo".into(), rtt_ms: 5.0 }, "unknown landmark `tokyo`");
    check(Measurement { target: "c".into(), landmark: "paris".into(), rtt_ms: -1.0 }, "negative");
    check(Measurement { target: "c".into(), landmark: "paris".into(), rtt_ms: f64::NAN }, "not a number");
    check(Measurement { target: "c".into(), landmark: "paris".into(), rtt_ms: 20_000.0 }, "absurd");
    check(Measurement { target: "paris".into(), landmark: "paris".into(), rtt_ms: 0.1 }, "no measurement");
    let bad = vec![landmark("x", 91.0, 0.0)];
    let m = Measurement { target: "c".into(), landmark: "x".into(), rtt_ms: 1.0 };
    assert!(verify(&bad, &[m], borders(), &Options::default()).is_err());
}

#[test]
fn the_json_carries_the_contract_fields() {
    let v = verdict_for(LatLon::new(45.764, 4.8357), &european_landmarks(), 0.0);
    let json = serde_json::to_value(&v).expect("json");
    assert_eq!(json["target"], "chip");
    assert!(json["possible_countries"].as_array().is_some_and(|a| a.iter().any(|c| c == "FR")));
    assert_eq!(json["consistent"], true);
    assert!(json["quarantined_landmarks"].is_array());
    assert!(json["caps"][0]["radius_km"].is_number() && json["caps"][0]["display_radius_km"].is_number());
}

#[test]
fn the_map_draws_borders_caps_region_and_landmarks() {
    let landmarks = european_landmarks();
    let v = verdict_for(LatLon::new(45.764, 4.8357), &landmarks, 0.0);
    let svg = render_svg(borders(), &landmarks, &v, &Options::default());
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("<title>FR France</title>"));
    assert!(svg.contains("fill=\"#d62728\""), "the region");
    assert!(svg.contains(">paris</text>"));
    assert!(svg.contains("stroke-dasharray"), "display caps");
    assert!(svg.len() < 3_000_000, "{} bytes", svg.len());
}
