//! The world-atlas 1:50m borders: decoding, codes, points in countries, antimeridian and poles.

mod common;

use chipwarden_locate::{Borders, LatLon};
use common::{borders, codes};

fn check_at(lat: f64, lon: f64, expected: &[&str]) {
    let found = codes(&borders().countries_at(LatLon::new(lat, lon)));
    assert_eq!(found, expected, "({lat}, {lon})");
}

#[test]
fn every_feature_is_kept_under_a_code() {
    let b = borders();
    // 241 features: 236 numbered (Australia's 036 twice), 5 unnumbered; the unnumbered add XK,
    // CX and CC and fold into SO, RS, CY, IN and PK.
    assert_eq!(b.countries().len(), 238);
    for code in ["HK", "MO", "TW", "CN", "RU", "XK", "AQ", "FR", "US", "CX", "CC"] {
        assert!(b.get(code).is_some(), "{code} missing");
    }
    assert_eq!(b.get("AU").map(|c| c.names().len()), Some(2), "Australia and Ashmore and Cartier Is.");
    assert_eq!(b.notes().len(), 5, "{:?}", b.notes());
    assert!(b.notes().iter().any(|n| n.contains("Kosovo") && n.contains("XK")));
}

#[test]
fn points_fall_in_their_countries() {
    check_at(48.8566, 2.3522, &["FR"]); // Paris
    // Shenzhen (Longhua). Futian (22.543, 114.058), 2 km from the real border, falls in Hong Kong at
    // 1:50m, whose border is generalised up to 22.565°N: what the buffer is for.
    check_at(22.62, 114.06, &["CN"]);
    check_at(22.5431, 114.0579, &["HK"]);
    check_at(22.3817, 114.1877, &["HK"]); // Sha Tin
    check_at(22.22, 113.51, &["MO"]); // Macau, as drawn at 1:50m (a few km west of the real one)
    check_at(-29.3151, 27.4869, &["LS"]); // Maseru: Lesotho is a hole in South Africa
    check_at(-28.0, 25.0, &["ZA"]);
    check_at(43.9424, 12.4578, &["SM"]); // San Marino inside Italy
    check_at(42.6629, 21.1655, &["RS", "XK"]); // Pristina: Kosovo, claimed by Serbia
    check_at(25.0330, 121.5654, &["TW"]);
    check_at(55.7558, 37.6173, &["RU"]);
    check_at(67.0, 178.0, &["RU"]); // Chukotka, west of 180° in the ring stitched across it
    check_at(65.8, -173.5, &["RU"]); // Chukotka, east of 180°
    check_at(-16.8, 179.99, &["FJ"]); // Vanua Levu, across the antimeridian
    check_at(64.8378, -147.7164, &["US"]); // Fairbanks
    check_at(-80.0, 0.0, &["AQ"]);
    check_at(-89.5, 45.0, &["AQ"]); // near the South Pole
    check_at(0.0, -30.0, &[]); // the Atlantic
    check_at(85.0, 0.0, &[]); // the Arctic Ocean
}

#[test]
fn distances_to_countries() {
    let b = borders();
    let fr = b.get("FR").expect("FR");
    assert_eq!(fr.distance_km(LatLon::new(48.8566, 2.3522)), 0.0);
    // Dover is about 35-40 km from the French coast at Cap Gris-Nez.
    let dover = LatLon::new(51.1279, 1.3134);
    let d = fr.distance_km(dover);
    assert!((25.0..45.0).contains(&d), "{d}");
    assert!(fr.within_km(dover, 45.0));
    assert!(!fr.within_km(dover, 20.0));
    // Hong Kong's border with Shenzhen is a few km from Kowloon, never more than 30.
    let cn = b.get("CN").expect("CN");
    assert!(cn.distance_km(LatLon::new(22.3193, 114.1694)) < 30.0);
}

#[test]
fn a_bad_file_is_an_error_naming_it() {
    let err = Borders::from_topojson("broken.json", "{\"type\":\"Topology\"").expect_err("refused");
    assert!(err.to_string().starts_with("`broken.json`"), "{err}");
    let err = Borders::from_topojson("fc.json", r#"{"type":"FeatureCollection","arcs":[],"objects":{}}"#)
        .expect_err("refused");
    assert!(err.to_string().contains("Topology"), "{err}");
}
