//! Property tests of soundness: whatever the geometry and whatever delay is added, the country a
//! target is really in is never reported provably outside, and honest measurements are never
//! reported inconsistent.

mod common;

use chipwarden_locate::geo::FIBRE_SPEED_KM_PER_MS;
use chipwarden_locate::{Landmark, LatLon, Measurement, Options, distance_km, verify};
use common::{borders, codes, landmark};
use proptest::prelude::*;

/// The point `km` from `p` along `bearing` degrees.
fn destination(p: LatLon, bearing: f64, km: f64) -> LatLon {
    let (lat, lon, b, d) = (p.lat.to_radians(), p.lon.to_radians(), bearing.to_radians(), km / 6371.0088);
    let lat2 = (lat.sin() * d.cos() + lat.cos() * d.sin() * b.cos()).asin();
    let lon2 = lon + (b.sin() * d.sin() * lat.cos()).atan2(d.cos() - lat.sin() * lat2.sin());
    LatLon::new(lat2.to_degrees(), (lon2.to_degrees() + 540.0) % 360.0 - 180.0)
}

/// Landmarks at the given (bearing, distance) from the target, each with its extra delay.
fn scenario(target: LatLon, placements: &[(f64, f64, f64)]) -> (Vec<Landmark>, Vec<Measurement>) {
    let mut landmarks = Vec::new();
    let mut measurements = Vec::new();
    for (i, &(bearing, km, extra)) in placements.iter().enumerate() {
        let at = destination(target, bearing, km);
        let l = landmark(&format!("l{i}"), at.lat, at.lon);
        measurements.push(Measurement {
            target: "chip".into(),
            landmark: l.id.clone(),
            rtt_ms: 2.0 * distance_km(target, at) / FIBRE_SPEED_KM_PER_MS * (1.0 + extra),
        });
        landmarks.push(l);
    }
    (landmarks, measurements)
}

fn check_sound(target: LatLon, placements: &[(f64, f64, f64)]) -> Result<(), TestCaseError> {
    let truth = codes(&borders().countries_at(target));
    prop_assume!(!truth.is_empty());
    let (landmarks, measurements) = scenario(target, placements);
    let v = verify(&landmarks, &measurements, borders(), &Options::default()).expect("verify").remove(0);
    prop_assert!(v.consistent, "honest measurements flagged inconsistent at {target:?}: {:?}", v.reasons);
    let outside = codes(&v.provably_outside);
    for code in &truth {
        prop_assert!(!outside.contains(code), "{code} wrongly excluded for a target at {target:?}");
    }
    Ok(())
}

fn placements(max_km: f64) -> impl Strategy<Value = Vec<(f64, f64, f64)>> {
    // Extra delay: none for a third of the landmarks, up to 3x the minimum for the rest.
    let extra = prop_oneof![Just(0.0), 0.0..0.3f64, 0.0..3.0f64];
    prop::collection::vec((0.0..360.0f64, 0.0..max_km, extra), 1..9)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, max_global_rejects: 4096, ..ProptestConfig::default() })]

    /// A uniformly random point on land, landmarks up to 3,000 km away.
    #[test]
    fn the_true_country_is_never_excluded(
        z in -1.0..1.0f64,
        lon in -180.0..180.0f64,
        placements in placements(3000.0),
    ) {
        check_sound(LatLon::new(z.asin().to_degrees(), lon), &placements)?;
    }

    /// A point within 15 km of a border vertex (coasts and land borders, Hong Kong and Shenzhen
    /// alike), landmarks close by so that the caps are tight.
    #[test]
    fn near_borders_the_true_country_is_never_excluded(
        country in 0usize..238,
        vertex in 0.0..1.0f64,
        bearing in 0.0..360.0f64,
        offset in 0.0..15.0f64,
        placements in placements(800.0),
    ) {
        let countries = borders().countries();
        let c = &countries[country % countries.len()];
        let ring: Vec<[f64; 2]> = c.rings().flat_map(|r| r.iter().copied()).collect();
        let p = ring[((vertex * ring.len() as f64) as usize).min(ring.len() - 1)];
        let base = LatLon::new(p[1].clamp(-90.0, 90.0), (p[0] + 540.0) % 360.0 - 180.0);
        check_sound(destination(base, bearing, offset), &placements)?;
    }

    /// Landmarks anywhere on the globe (caps of any size, some holding a pole or most of the
    /// Earth), the target on land.
    #[test]
    fn far_landmarks_never_exclude_the_true_country(
        z in -1.0..1.0f64,
        lon in -180.0..180.0f64,
        placements in placements(19_000.0),
    ) {
        check_sound(LatLon::new(z.asin().to_degrees(), lon), &placements)?;
    }
}

#[test]
fn hong_kong_and_shenzhen_targets_keep_their_country() {
    // Targets on both sides of the Shenzhen River with landmarks a few ms away.
    let landmarks_at = [(0.0, 40.0, 0.0), (120.0, 150.0, 0.1), (240.0, 400.0, 0.0), (300.0, 1200.0, 0.5)];
    for target in [LatLon::new(22.62, 114.06), LatLon::new(22.3817, 114.1877), LatLon::new(22.5, 114.1)] {
        let (landmarks, measurements) = scenario(target, &landmarks_at);
        let v = verify(&landmarks, &measurements, borders(), &Options::default()).expect("verify").remove(0);
        let possible = codes(&v.possible_countries);
        assert!(possible.contains(&"CN".to_owned()) && possible.contains(&"HK".to_owned()), "{target:?}: {possible:?}");
    }
}
