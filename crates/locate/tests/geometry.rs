//! Distances, caps and radii on the sphere against known figures.

use chipwarden_locate::geo::{
    DISPLAY_SPEED_KM_PER_MS, EARTH_RADIUS_KM, FIBRE_SPEED_KM_PER_MS, SPEED_OF_LIGHT_KM_PER_MS, exclusion_radius_km,
};
use chipwarden_locate::{Cap, LatLon, distance_km};

fn check_distance(a: (f64, f64), b: (f64, f64), expected_km: f64, tolerance_km: f64) {
    let d = distance_km(LatLon::new(a.0, a.1), LatLon::new(b.0, b.1));
    assert!((d - expected_km).abs() <= tolerance_km, "{a:?} to {b:?}: {d:.1} km, expected {expected_km} km");
}

#[test]
fn known_distances() {
    // London (51.5074, -0.1278) to New York (40.7128, -74.0060): about 5,570 km.
    check_distance((51.5074, -0.1278), (40.7128, -74.0060), 5570.0, 5.0);
    // Paris to Berlin: about 878 km.
    check_distance((48.8566, 2.3522), (52.5200, 13.4050), 878.0, 3.0);
    // A quarter of the equator and pole to pole.
    check_distance((0.0, 0.0), (0.0, 90.0), EARTH_RADIUS_KM * std::f64::consts::FRAC_PI_2, 1e-6);
    check_distance((90.0, 0.0), (-90.0, 0.0), EARTH_RADIUS_KM * std::f64::consts::PI, 1e-6);
    // Across the antimeridian: one degree of longitude at the equator.
    check_distance((0.0, 179.5), (0.0, -179.5), 111.195, 0.01);
    check_distance((10.0, 20.0), (10.0, 20.0), 0.0, 1e-9);
}

#[test]
fn constants_follow_from_c() {
    assert_eq!(SPEED_OF_LIGHT_KM_PER_MS, 299.792458);
    assert!((FIBRE_SPEED_KM_PER_MS - 199.861638).abs() < 1e-6);
    assert!((DISPLAY_SPEED_KM_PER_MS - 133.241092).abs() < 1e-6);
    // 10 ms of round trip: 999.3 km at 2/3 c, 0.5% for the sphere, plus the margin.
    let r = exclusion_radius_km(10.0, FIBRE_SPEED_KM_PER_MS, 50.0);
    assert!((r - (999.308 * 1.005 + 50.0)).abs() < 0.01, "{r}");
}

#[test]
fn caps_hold_their_inside_and_their_outline_is_on_the_edge() {
    let cap = Cap { center: LatLon::new(48.8566, 2.3522), radius_km: 500.0 };
    assert!(cap.contains(LatLon::new(50.85, 4.35))); // Brussels, 264 km
    assert!(!cap.contains(LatLon::new(52.52, 13.40))); // Berlin, 878 km
    for p in cap.outline(36) {
        assert!((distance_km(cap.center, p) - 500.0).abs() < 1e-6);
    }
    assert!(Cap { center: LatLon::new(0.0, 0.0), radius_km: 20_100.0 }.is_whole_sphere());
}
