//! Shared helpers for the locate tests: the 1:50m borders (parsed once) and landmark builders.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::OnceLock;

use chipwarden_locate::geo::FIBRE_SPEED_KM_PER_MS;
use chipwarden_locate::{Borders, Landmark, LatLon, Measurement, distance_km};

pub const BORDERS_50M: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/geo/world-atlas-2.0.2_countries-50m.topo.json");

pub fn borders() -> &'static Borders {
    static BORDERS: OnceLock<Borders> = OnceLock::new();
    BORDERS.get_or_init(|| {
        let text = std::fs::read_to_string(BORDERS_50M).expect("bundled borders file");
        Borders::from_topojson("countries-50m.topo.json", &text).expect("borders parse")
    })
}

pub fn landmark(id: &str, lat: f64, lon: f64) -> Landmark {
    Landmark { id: id.to_owned(), lat, lon, uncertainty_km: 0.0 }
}

/// The smallest round trip physics allows between two points at 2/3 c, times `1 + extra`.
pub fn rtt_ms(a: LatLon, b: LatLon, extra: f64) -> f64 {
    2.0 * distance_km(a, b) / FIBRE_SPEED_KM_PER_MS * (1.0 + extra)
}

pub fn measure(target: &str, at: LatLon, landmark: &Landmark, extra: f64) -> Measurement {
    Measurement {
        target: target.to_owned(),
        landmark: landmark.id.clone(),
        rtt_ms: rtt_ms(at, landmark.position(), extra),
    }
}

pub fn codes(list: &[chipwarden_core::country::CountryCode]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}
