//! The CSV parsers: good files, and every bad row named by file, line and field.

use chipwarden_locate::{Landmark, parse_landmarks, parse_measurements};

const LANDMARKS: &str = "id,lat,lon\nparis,48.8566,2.3522\nberlin,52.52,13.405\n";

fn landmarks() -> Vec<Landmark> {
    parse_landmarks("landmarks.csv", LANDMARKS).expect("landmarks")
}

fn check_landmarks_error(text: &str, expected: &str) {
    let err = parse_landmarks("landmarks.csv", text).expect_err("refused");
    assert_eq!(err.to_string(), expected);
}

fn check_measurements_error(text: &str, expected: &str) {
    let err = parse_measurements("measurements.csv", text, &landmarks()).expect_err("refused");
    assert_eq!(err.to_string(), expected);
}

#[test]
fn good_files_parse() {
    let l = landmarks();
    assert_eq!(l.len(), 2);
    assert_eq!((l[1].id.as_str(), l[1].lat, l[1].lon, l[1].uncertainty_km), ("berlin", 52.52, 13.405, 0.0));
    let with_uncertainty =
        parse_landmarks("l.csv", "\u{feff}id,lat,lon,uncertainty_km\na,1,2,30\nb,3,4,\n").expect("parse");
    assert_eq!(with_uncertainty[0].uncertainty_km, 30.0);
    assert_eq!(with_uncertainty[1].uncertainty_km, 0.0);
    let m = parse_measurements("m.csv", "target,landmark,rtt_ms\nchip1,paris,12.5\nparis,berlin, 9.1\n\n", &l)
        .expect("measurements");
    assert_eq!(m.len(), 2);
    assert_eq!((m[1].target.as_str(), m[1].landmark.as_str(), m[1].rtt_ms), ("paris", "berlin", 9.1));
}

#[test]
fn bad_landmark_rows_are_named() {
    check_landmarks_error(
        "id,lat,lon\na,91,0\n",
        "`landmarks.csv` line 2, field `lat`: `91` is not a latitude in [-90, 90]",
    );
    check_landmarks_error(
        "id,lat,lon\na,0,0\nb,10,-180.5\n",
        "`landmarks.csv` line 3, field `lon`: `-180.5` is not a longitude in [-180, 180]",
    );
    check_landmarks_error("id,lat,lon\na,north,0\n", "`landmarks.csv` line 2, field `lat`: `north` is not a number");
    check_landmarks_error(
        "id,lat,lon\na,NaN,0\n",
        "`landmarks.csv` line 2, field `lat`: `NaN` is not a latitude in [-90, 90]",
    );
    check_landmarks_error(
        "id,lat,lon\na,1,1\na,2,2\n",
        "`landmarks.csv` line 3, field `id`: landmark `a` already given on line 2",
    );
    check_landmarks_error("id,lat,lon\n,1,1\n", "`landmarks.csv` line 2, field `id`: empty");
    check_landmarks_error("id,lat\na,1\n", "`landmarks.csv`: the header has no `lon` column (expected `id,lat,lon`)");
    check_landmarks_error("id,lat,lon\n", "`landmarks.csv`: no rows after the header");
    check_landmarks_error(
        "id,lat,lon,uncertainty_km\na,1,1,-5\n",
        "`landmarks.csv` line 2, field `uncertainty_km`: `-5` km must be at least 0",
    );
    let err = parse_landmarks("landmarks.csv", "id,lat,lon\na,1,1,9\n").expect_err("refused");
    assert!(err.to_string().starts_with("`landmarks.csv` line 2"), "{err}");
}

#[test]
fn bad_measurement_rows_are_named() {
    check_measurements_error(
        "target,landmark,rtt_ms\nc,paris,3\nc,tokyo,4\n",
        "`measurements.csv` line 3, field `landmark`: unknown landmark `tokyo`",
    );
    check_measurements_error(
        "target,landmark,rtt_ms\nc,paris,-3\n",
        "`measurements.csv` line 2, field `rtt_ms`: round trip `-3` ms is negative",
    );
    check_measurements_error(
        "target,landmark,rtt_ms\nc,paris,NaN\n",
        "`measurements.csv` line 2, field `rtt_ms`: the round trip is not a number",
    );
    check_measurements_error(
        "target,landmark,rtt_ms\nc,paris,10000.5\n",
        "`measurements.csv` line 2, field `rtt_ms`: round trip `10000.5` ms is absurd (more than 10000 ms)",
    );
    check_measurements_error("target,landmark,rtt_ms\nc,paris,\n", "`measurements.csv` line 2, field `rtt_ms`: empty");
    check_measurements_error(
        "target,landmark,rtt_ms\nc,paris,3\nberlin,berlin,0.02\n",
        "`measurements.csv` line 3, field `target`: target `berlin` has no measurement by any landmark other than itself",
    );
    check_measurements_error(
        "target,rtt_ms\nc,3\n",
        "`measurements.csv`: the header has no `landmark` column (expected `target,landmark,rtt_ms`)",
    );
}
