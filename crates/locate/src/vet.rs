//! Landmark vetting: landmarks measure each other, and a measurement faster than physics allows
//! for their claimed coordinates proves that one of the two lies (or is misconfigured).
//!
//! The bound between landmarks `a` and `b`,
//! `rtt/2 x speed x (1 + 0.5%) + margin + uncertainty(a) + uncertainty(b)`, is the same as a cap's radius with the other end's uncertainty added. A
//! violation implicates one of the two, and which one is a matter of evidence: the landmark with
//! the most violations still standing is quarantined first (ties broken by the total excess in
//! km, then by id), and so on until none stands. A pair that is the only evidence against either
//! of its ends cannot be settled: both are set aside. Removing a landmark only removes a cap, so
//! vetting can make a region larger, never exclude a country that was possible.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::geo::{LatLon, distance_km, exclusion_radius_km};
use crate::verify::{Landmark, Measurement, Options};

/// A landmark-to-landmark measurement that breaks the physical bound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub a: String,
    pub b: String,
    /// The smaller round trip of the two directions, in ms.
    pub rtt_ms: f64,
    /// Great-circle distance between the claimed coordinates.
    pub distance_km: f64,
    /// The farthest the two can be apart given `rtt_ms`.
    pub bound_km: f64,
}

impl Violation {
    fn excess_km(&self) -> f64 {
        self.distance_km - self.bound_km
    }

    fn other(&self, id: &str) -> &str {
        if self.a == id { &self.b } else { &self.a }
    }
}

/// A landmark set aside, with the measurements that condemned it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quarantine {
    pub landmark: String,
    pub reason: String,
    pub violations: Vec<Violation>,
}

/// What vetting found.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Vetting {
    /// Landmark pairs measured (either direction counts once).
    pub pairs_checked: usize,
    /// Every violation before any landmark was set aside.
    pub violations: Vec<Violation>,
    /// In the order they were set aside.
    pub quarantined: Vec<Quarantine>,
}

impl Vetting {
    pub fn is_quarantined(&self, landmark: &str) -> bool {
        self.quarantined.iter().any(|q| q.landmark == landmark)
    }

    pub fn quarantined_ids(&self) -> Vec<String> {
        self.quarantined.iter().map(|q| q.landmark.clone()).collect()
    }
}

/// Checks every landmark-to-landmark measurement against the physical bound and quarantines the
/// landmarks that best explain the violations. Inputs are assumed validated (`verify` does it).
pub fn vet(landmarks: &[Landmark], measurements: &[Measurement], options: &Options) -> Vetting {
    let by_id: HashMap<&str, &Landmark> = landmarks.iter().map(|l| (l.id.as_str(), l)).collect();
    // The smaller round trip of both directions per unordered pair.
    let mut pairs: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for m in measurements {
        if m.target == m.landmark || !by_id.contains_key(m.target.as_str()) || !by_id.contains_key(m.landmark.as_str())
        {
            continue;
        }
        let key = if m.target < m.landmark {
            (m.target.as_str(), m.landmark.as_str())
        } else {
            (m.landmark.as_str(), m.target.as_str())
        };
        let rtt = pairs.entry(key).or_insert(f64::INFINITY);
        *rtt = rtt.min(m.rtt_ms);
    }
    let mut violations = Vec::new();
    for (&(a, b), &rtt_ms) in &pairs {
        let (la, lb) = (by_id[a], by_id[b]);
        let distance = distance_km(LatLon::new(la.lat, la.lon), LatLon::new(lb.lat, lb.lon));
        let bound = exclusion_radius_km(
            rtt_ms,
            options.speed_km_per_ms,
            options.margin_km + la.uncertainty_km + lb.uncertainty_km,
        );
        if distance > bound {
            violations.push(Violation {
                a: a.to_owned(),
                b: b.to_owned(),
                rtt_ms,
                distance_km: distance,
                bound_km: bound,
            });
        }
    }
    let quarantined = quarantine(&violations);
    Vetting { pairs_checked: pairs.len(), violations, quarantined }
}

fn quarantine(violations: &[Violation]) -> Vec<Quarantine> {
    let mut out: Vec<Quarantine> = Vec::new();
    loop {
        let gone = |id: &str| out.iter().any(|q| q.landmark == id);
        let standing: Vec<&Violation> = violations.iter().filter(|v| !gone(&v.a) && !gone(&v.b)).collect();
        if standing.is_empty() {
            return out;
        }
        // (count, total excess) per landmark.
        let mut score: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
        for v in &standing {
            for id in [v.a.as_str(), v.b.as_str()] {
                let entry = score.entry(id).or_insert((0, 0.0));
                entry.0 += 1;
                entry.1 += v.excess_km();
            }
        }
        let best = score
            .iter()
            .max_by(|x, y| x.1.0.cmp(&y.1.0).then(x.1.1.total_cmp(&y.1.1)).then(y.0.cmp(x.0)))
            .map(|(id, s)| (id.to_string(), *s));
        let Some((id, (count, _))) = best else {
            return out;
        };
        if count >= 2 {
            let own: Vec<Violation> =
                standing.iter().filter(|v| v.a == id || v.b == id).map(|v| (*v).clone()).collect();
            let others: Vec<String> = own.iter().map(|v| format!("`{}`", v.other(&id))).collect();
            let worst = own.iter().map(Violation::excess_km).fold(0.0, f64::max);
            out.push(Quarantine {
                reason: format!(
                    "measured faster than light in fibre allows for its claimed coordinates with {} landmarks ({}); \
                     up to {worst:.0} km too close",
                    own.len(),
                    others.join(", ")
                ),
                landmark: id,
                violations: own,
            });
        } else {
            // Every standing violation is an isolated pair: nothing tells which end lies.
            for v in standing {
                for (me, other) in [(&v.a, &v.b), (&v.b, &v.a)] {
                    if !out.iter().any(|q| &q.landmark == me) {
                        out.push(Quarantine {
                            landmark: me.clone(),
                            reason: format!(
                                "its measurement with `{other}` breaks the physical bound by {:.0} km and no other \
                                 measurement tells which of the two is wrong; both are set aside",
                                v.excess_km()
                            ),
                            violations: vec![v.clone()],
                        });
                    }
                }
            }
        }
    }
}
