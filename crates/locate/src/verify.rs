//! The engine's entry point: landmarks, measurements and borders in, one explained verdict per
//! target out.

use std::collections::HashMap;

use chipwarden_core::country::CountryCode;
use serde::{Deserialize, Serialize};

use crate::borders::Borders;
use crate::error::LocateError;
use crate::geo::{
    Cap, DISPLAY_SPEED_KM_PER_MS, FIBRE_SPEED_KM_PER_MS, LatLon, SPEED_OF_LIGHT_KM_PER_MS, exclusion_radius_km,
};
use crate::region::{disjoint_pairs, search};
use crate::vet::{Vetting, vet};

/// The largest round trip accepted, in ms. Ten seconds is far beyond any terrestrial or
/// geostationary path (about 600 ms); a larger figure is a unit error or a broken clock.
pub const MAX_RTT_MS: f64 = 10_000.0;

/// A landmark: a measuring host whose coordinates are known (claimed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Landmark {
    pub id: String,
    pub lat: f64,
    pub lon: f64,
    /// How far the landmark may really be from its claimed coordinates, in km, on top of
    /// `Options::margin_km`.
    #[serde(default)]
    pub uncertainty_km: f64,
}

impl Landmark {
    pub fn position(&self) -> LatLon {
        LatLon::new(self.lat, self.lon)
    }
}

/// The minimum round trip a landmark measured to a target. A target that is also a landmark's
/// id makes a landmark-to-landmark measurement, used for vetting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub target: String,
    pub landmark: String,
    pub rtt_ms: f64,
}

/// Whether landmarks are vetted against each other before use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VettingMode {
    #[default]
    On,
    Off,
}

/// How verdicts are computed. The defaults are the sound ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// The fastest one-way signal speed assumed, km/ms. At least 2/3 c (the fibre bound; a
    /// slower speed would shrink the caps below what physics allows), at most c.
    pub speed_km_per_ms: f64,
    /// Added to every radius, km. The default 50 km covers landmark coordinates given at city
    /// level (a data centre is rarely more than a few tens of km from the city's point), the
    /// clock granularity of round-trip timers (microseconds: metres) and the positional error of
    /// the 1:50m borders inside the buffer.
    pub margin_km: f64,
    /// Each country's territory is grown by this much before it is judged, km. The default 25 km
    /// covers the generalisation of 1:50m borders (coastlines and small islands smoothed away)
    /// and the territorial sea (12 nautical miles, 22 km).
    pub buffer_km: f64,
    /// The region search stops cutting cells at this circumradius, km; undecided countries are
    /// then reported possibly inside. Smaller is more precise and slower; never less sound.
    pub resolution_km: f64,
    pub vetting: VettingMode,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            speed_km_per_ms: FIBRE_SPEED_KM_PER_MS,
            margin_km: 50.0,
            buffer_km: 25.0,
            resolution_km: 5.0,
            vetting: VettingMode::On,
        }
    }
}

impl Options {
    pub fn validate(&self) -> Result<(), LocateError> {
        let bad = |option, message: String| Err(LocateError::Option { option, message });
        if !(self.speed_km_per_ms >= FIBRE_SPEED_KM_PER_MS * (1.0 - 1e-12)
            && self.speed_km_per_ms <= SPEED_OF_LIGHT_KM_PER_MS)
        {
            return bad(
                "speed_km_per_ms",
                format!(
                    "`{}` km/ms is outside [{FIBRE_SPEED_KM_PER_MS:.3}, {SPEED_OF_LIGHT_KM_PER_MS:.3}]: a speed below 2/3 c \
                     could exclude where a target really is",
                    self.speed_km_per_ms
                ),
            );
        }
        for (option, value) in [("margin_km", self.margin_km), ("buffer_km", self.buffer_km)] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(option, format!("`{value}` must be a finite number of km, at least 0"));
            }
        }
        if !(self.resolution_km.is_finite() && (0.5..=1000.0).contains(&self.resolution_km)) {
            return bad("resolution_km", format!("`{}` must be between 0.5 and 1000 km", self.resolution_km));
        }
        Ok(())
    }
}

/// One cap of a verdict: the landmark, its minimum round trip and the radius it allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapUsed {
    pub landmark: String,
    pub lat: f64,
    pub lon: f64,
    pub rtt_ms: f64,
    /// At `Options::speed_km_per_ms` with every margin: the radius used to exclude.
    pub radius_km: f64,
    /// At the fitted 4/9 c with no margin: for drawing a likely area only, never used to exclude.
    pub display_radius_km: f64,
}

impl CapUsed {
    pub fn cap(&self) -> Cap {
        Cap { center: LatLon::new(self.lat, self.lon), radius_km: self.radius_km }
    }

    pub fn display_cap(&self) -> Cap {
        Cap { center: LatLon::new(self.lat, self.lon), radius_km: self.display_radius_km }
    }
}

/// The verdict on one target. The field names `target`, `possible_countries`, `consistent` and
/// `quarantined_landmarks` are an API contract: add fields freely, never rename.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetVerdict {
    pub target: String,
    /// Countries (ISO 3166-1 alpha-2) the target may be in: every country not proven outside.
    pub possible_countries: Vec<CountryCode>,
    /// Countries whose buffered territory misses the feasible region entirely.
    pub provably_outside: Vec<CountryCode>,
    /// False when the caps have no common point (or none could be found at the resolution): the
    /// measurements contradict each other, so nothing is excluded and the target is suspicious.
    pub consistent: bool,
    /// Landmarks set aside by vetting; none of their measurements was used.
    pub quarantined_landmarks: Vec<String>,
    /// A point found in every cap, if one was found.
    pub region_point: Option<LatLon>,
    pub caps: Vec<CapUsed>,
    pub reasons: Vec<String>,
}

/// Verdicts for every target of `measurements`, in order of first appearance.
///
/// Landmarks are vetted first (unless `options.vetting` is off); a quarantined landmark's caps
/// are not used for any target. Each target's caps (one per landmark, the minimum round trip)
/// bound a region; a country is provably outside only if its territory grown by
/// `options.buffer_km` misses the region (see the `region` module for why the search is sound).
/// An empty region is flagged `consistent: false` and excludes nothing.
pub fn verify(
    landmarks: &[Landmark],
    measurements: &[Measurement],
    borders: &Borders,
    options: &Options,
) -> Result<Vec<TargetVerdict>, LocateError> {
    options.validate()?;
    let by_id = check_landmarks(landmarks)?;
    check_measurements(measurements, &by_id)?;
    let vetting = match options.vetting {
        VettingMode::On => vet(landmarks, measurements, options),
        VettingMode::Off => Vetting::default(),
    };
    // Minimum round trip per (target, landmark), targets in order of first appearance.
    let mut order: Vec<&str> = Vec::new();
    let mut best: HashMap<&str, Vec<(&str, f64)>> = HashMap::new();
    let mut slot: HashMap<(&str, &str), usize> = HashMap::new();
    for m in measurements {
        let entry = best.entry(m.target.as_str()).or_insert_with(|| {
            order.push(m.target.as_str());
            Vec::new()
        });
        if m.target == m.landmark {
            continue;
        }
        match slot.get(&(m.target.as_str(), m.landmark.as_str())) {
            Some(&i) => entry[i].1 = entry[i].1.min(m.rtt_ms),
            None => {
                slot.insert((m.target.as_str(), m.landmark.as_str()), entry.len());
                entry.push((m.landmark.as_str(), m.rtt_ms));
            }
        }
    }
    let mut verdicts = Vec::with_capacity(order.len());
    for target in order {
        let rtts = best.get(target).map(Vec::as_slice).unwrap_or_default();
        if rtts.is_empty() {
            return Err(LocateError::NoMeasurements { target: target.to_owned() });
        }
        verdicts.push(judge(target, rtts, &by_id, &vetting, borders, options));
    }
    Ok(verdicts)
}

fn check_landmarks(landmarks: &[Landmark]) -> Result<HashMap<&str, &Landmark>, LocateError> {
    let mut by_id = HashMap::new();
    for l in landmarks {
        let bad = |message: String| Err(LocateError::Landmark { landmark: l.id.clone(), message });
        if l.id.trim().is_empty() {
            return bad("the id is empty".to_owned());
        }
        if !l.position().is_valid() {
            return bad(format!(
                "coordinates `{}, {}` are not a latitude in [-90, 90] and a longitude in [-180, 180]",
                l.lat, l.lon
            ));
        }
        if !(l.uncertainty_km.is_finite() && l.uncertainty_km >= 0.0) {
            return bad(format!("uncertainty `{}` km must be finite and at least 0", l.uncertainty_km));
        }
        if by_id.insert(l.id.as_str(), l).is_some() {
            return bad("the id appears twice".to_owned());
        }
    }
    Ok(by_id)
}

fn check_measurements(measurements: &[Measurement], by_id: &HashMap<&str, &Landmark>) -> Result<(), LocateError> {
    for m in measurements {
        let bad = |message: String| {
            Err(LocateError::Measurement { target: m.target.clone(), landmark: m.landmark.clone(), message })
        };
        if m.target.trim().is_empty() {
            return bad("the target is empty".to_owned());
        }
        if !by_id.contains_key(m.landmark.as_str()) {
            return bad(format!("unknown landmark `{}`", m.landmark));
        }
        if let Some(problem) = rtt_problem(m.rtt_ms) {
            return bad(problem);
        }
    }
    Ok(())
}

/// Why a round trip cannot be used, if it cannot.
pub(crate) fn rtt_problem(rtt_ms: f64) -> Option<String> {
    if rtt_ms.is_nan() {
        Some("the round trip is not a number".to_owned())
    } else if rtt_ms < 0.0 {
        Some(format!("round trip `{rtt_ms}` ms is negative"))
    } else if rtt_ms > MAX_RTT_MS {
        Some(format!("round trip `{rtt_ms}` ms is absurd (more than {MAX_RTT_MS} ms)"))
    } else {
        None
    }
}

fn judge(
    target: &str,
    rtts: &[(&str, f64)],
    by_id: &HashMap<&str, &Landmark>,
    vetting: &Vetting,
    borders: &Borders,
    options: &Options,
) -> TargetVerdict {
    let mut reasons = Vec::new();
    for q in &vetting.quarantined {
        if rtts.iter().any(|(l, _)| *l == q.landmark) {
            reasons.push(format!("landmark `{}` not used: {}", q.landmark, q.reason));
        }
    }
    let mut caps: Vec<CapUsed> = rtts
        .iter()
        .filter(|(l, _)| !vetting.is_quarantined(l))
        .filter_map(|&(l, rtt_ms)| {
            let landmark = by_id.get(l)?;
            Some(CapUsed {
                landmark: l.to_owned(),
                lat: landmark.lat,
                lon: landmark.lon,
                rtt_ms,
                radius_km: exclusion_radius_km(
                    rtt_ms,
                    options.speed_km_per_ms,
                    options.margin_km + landmark.uncertainty_km,
                ),
                display_radius_km: rtt_ms / 2.0 * DISPLAY_SPEED_KM_PER_MS,
            })
        })
        .collect();
    caps.sort_by(|a, b| a.radius_km.total_cmp(&b.radius_km).then(a.landmark.cmp(&b.landmark)));
    let all_codes = || borders.countries().iter().map(|c| c.code()).collect::<Vec<_>>();
    let verdict = |possible: Vec<CountryCode>, outside, consistent, point, caps, reasons| TargetVerdict {
        target: target.to_owned(),
        possible_countries: possible,
        provably_outside: outside,
        consistent,
        quarantined_landmarks: vetting.quarantined_ids(),
        region_point: point,
        caps,
        reasons,
    };
    if caps.is_empty() {
        reasons.push("no landmark left to measure the target: nothing can be excluded".to_owned());
        return verdict(all_codes(), Vec::new(), true, None, caps, reasons);
    }
    let geometry: Vec<Cap> = caps.iter().map(CapUsed::cap).collect();
    let found = search(borders, &geometry, options.buffer_km, options.resolution_km);
    if found.witness.is_none() && !found.any_cell {
        let pairs = disjoint_pairs(&geometry);
        let named: Vec<String> = pairs
            .iter()
            .take(5)
            .map(|&(i, j)| {
                format!(
                    "`{}` ({:.1} ms, {:.0} km) and `{}` ({:.1} ms, {:.0} km) are {:.0} km apart",
                    caps[i].landmark,
                    caps[i].rtt_ms,
                    caps[i].radius_km,
                    caps[j].landmark,
                    caps[j].rtt_ms,
                    caps[j].radius_km,
                    crate::geo::distance_km(geometry[i].center, geometry[j].center)
                )
            })
            .collect();
        reasons.push(format!(
            "the caps have no common point: the measurements contradict each other (a landmark's coordinates or a \
             round trip is false), so nothing is excluded{}",
            if named.is_empty() { String::new() } else { format!("; {}", named.join("; ")) }
        ));
        return verdict(all_codes(), Vec::new(), false, None, caps, reasons);
    }
    let mut possible = Vec::new();
    let mut outside = Vec::new();
    for (country, &is_possible) in borders.countries().iter().zip(&found.possible) {
        if is_possible { possible.push(country.code()) } else { outside.push(country.code()) }
    }
    let consistent = found.witness.is_some();
    if !consistent {
        reasons.push(format!(
            "no point common to all caps was found at a resolution of {} km: the region is at best a sliver, which \
             suggests contradicting measurements",
            options.resolution_km
        ));
    }
    reasons.push(format!(
        "{} caps at {:.1} km per ms of round trip plus {} km margin; countries buffered by {} km; {} possibly inside, {} \
         provably outside",
        caps.len(),
        options.speed_km_per_ms / 2.0,
        options.margin_km,
        options.buffer_km,
        possible.len(),
        outside.len()
    ));
    verdict(possible, outside, consistent, found.witness, caps, reasons)
}
