//! The feasible region (the intersection of caps) and which countries it can meet: a
//! branch-and-bound over longitude-latitude cells that only ever errs towards "possibly inside".
//!
//! A cell is a box of longitude and latitude with a centre `c` and a circumradius `ρ` (the
//! farthest corner: along a parallel the distance from `c` grows with the difference in longitude,
//! and along a meridian it is a sinusoid in latitude whose minimum lies beyond the poles while a
//! cell spans at most 90° of longitude, so no point of the cell is farther than a corner).
//!
//! For each cell:
//! 1. if some cap has `d(c, landmark) - ρ > radius`, no point of the cell is in that cap, so none
//!    is in the region: the cell is dropped;
//! 2. a country is dropped for this cell when no point of its territory lies within
//!    `buffer + ρ` of `c` (then no point of the cell is within `buffer` of the country);
//! 3. if `c` itself is in every cap and within `buffer` of a country, that country is possibly
//!    inside (a witness point);
//! 4. otherwise the cell is cut in four, down to a cell radius of `resolution_km`, where every
//!    country still undecided is reported possibly inside.
//!
//! Soundness: take any point `p` of the region within `buffer` of country `K`. The top-level
//! cells cover the smallest cap, which holds the region, so `p` lies in a top-level cell; by (1)
//! that cell is not dropped, by (2) `K` is not dropped for it, and the same holds for the child
//! cell that holds `p`, down to a leaf where (3) or (4) reports `K`. So `K` can be reported
//! provably outside only if its buffered territory misses the region entirely. The only
//! approximations are in the distance to a country, which `Country::within` never overstates.

use std::f64::consts::PI;

use crate::borders::{Borders, Country, SLACK_KM};
use crate::geo::{COS_EPS, Cap, EARTH_RADIUS_KM, LatLon, Reach, V3, angle};

/// A cap prepared for the search: centre vector and radius in radians.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchCap {
    center: V3,
    radius: f64,
    cos_radius: f64,
    sin_radius: f64,
}

impl SearchCap {
    pub(crate) fn new(cap: &Cap) -> SearchCap {
        // Beyond half a turn a cap is the whole sphere; its cosine must stay at -1.
        let radius = (cap.radius_km / EARTH_RADIUS_KM).min(PI);
        SearchCap { center: cap.center.to_vec(), radius, cos_radius: radius.cos(), sin_radius: radius.sin() }
    }
}

/// A box of latitude and longitude (longitudes may pass ±180; the vector maths is periodic).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CellBox {
    pub lat_min: f64,
    pub lat_max: f64,
    pub lon_min: f64,
    pub lon_max: f64,
}

impl CellBox {
    fn center(&self) -> LatLon {
        LatLon::new((self.lat_min + self.lat_max) / 2.0, (self.lon_min + self.lon_max) / 2.0)
    }

    /// Centre vector and circumradius in radians, rounded up a little against rounding error.
    fn bounds(&self) -> (LatLon, V3, f64) {
        let c = self.center();
        let v = V3::from_degrees(c.lat, c.lon);
        let corners = [
            (self.lat_min, self.lon_min),
            (self.lat_min, self.lon_max),
            (self.lat_max, self.lon_min),
            (self.lat_max, self.lon_max),
        ];
        let rho = corners.iter().map(|&(lat, lon)| angle(v, V3::from_degrees(lat, lon))).fold(0.0, f64::max);
        (c, v, rho * (1.0 + 1e-9) + 1e-12)
    }

    fn children(&self) -> [CellBox; 4] {
        let lat = (self.lat_min + self.lat_max) / 2.0;
        let lon = (self.lon_min + self.lon_max) / 2.0;
        [
            CellBox { lat_min: self.lat_min, lat_max: lat, lon_min: self.lon_min, lon_max: lon },
            CellBox { lat_min: self.lat_min, lat_max: lat, lon_min: lon, lon_max: self.lon_max },
            CellBox { lat_min: lat, lat_max: self.lat_max, lon_min: self.lon_min, lon_max: lon },
            CellBox { lat_min: lat, lat_max: self.lat_max, lon_min: lon, lon_max: self.lon_max },
        ]
    }
}

/// Top-level cells of at most 10° x 10° covering the smallest cap (or the globe).
fn top_cells(caps: &[Cap]) -> Vec<CellBox> {
    let smallest = caps.iter().filter(|c| !c.is_whole_sphere()).min_by(|a, b| a.radius_km.total_cmp(&b.radius_km));
    let (lat_min, lat_max, lon_min, lon_max) = match smallest {
        None => (-90.0, 90.0, -180.0, 180.0),
        Some(cap) => {
            let r = (cap.radius_km / EARTH_RADIUS_KM).to_degrees();
            let (lat_min, lat_max) = (cap.center.lat - r, cap.center.lat + r);
            if lat_max >= 90.0 || lat_min <= -90.0 {
                (lat_min.max(-90.0), lat_max.min(90.0), -180.0, 180.0)
            } else {
                // The widest longitude span of a cap not holding a pole: asin(sin r / cos lat).
                let ratio = (cap.radius_km / EARTH_RADIUS_KM).sin() / cap.center.lat.to_radians().cos();
                let half = if ratio >= 1.0 { 180.0 } else { ratio.asin().to_degrees() + 1e-6 };
                if half >= 180.0 {
                    (lat_min, lat_max, -180.0, 180.0)
                } else {
                    (lat_min, lat_max, cap.center.lon - half, cap.center.lon + half)
                }
            }
        }
    };
    let rows = ((lat_max - lat_min) / 10.0).ceil().max(1.0) as usize;
    let cols = ((lon_max - lon_min) / 10.0).ceil().max(1.0) as usize;
    let (dlat, dlon) = ((lat_max - lat_min) / rows as f64, (lon_max - lon_min) / cols as f64);
    let mut cells = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            cells.push(CellBox {
                lat_min: lat_min + dlat * i as f64,
                lat_max: if i + 1 == rows { lat_max } else { lat_min + dlat * (i + 1) as f64 },
                lon_min: lon_min + dlon * j as f64,
                lon_max: if j + 1 == cols { lon_max } else { lon_min + dlon * (j + 1) as f64 },
            });
        }
    }
    cells
}

/// Where a cell stands against the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Some cap misses the whole cell.
    Outside,
    /// Every cap holds the centre.
    CenterInside,
    /// Neither is known.
    Unsure,
}

/// Step (1) of the search: a cap misses the cell when `angle(c, centre) > radius + ρ`, tested as
/// `c . centre < cos(radius + ρ)` (less a tolerance, so rounding never drops a cell wrongly).
fn standing(caps: &[SearchCap], v: V3, rho: f64) -> Standing {
    let reach = Reach::new(rho);
    let mut center_inside = true;
    for cap in caps {
        let dot = v.dot(cap.center);
        if let Some(threshold) = reach.cos_plus(cap.radius, cap.cos_radius, cap.sin_radius)
            && dot < threshold - COS_EPS
        {
            return Standing::Outside;
        }
        center_inside &= cap.radius >= PI || dot >= cap.cos_radius;
    }
    if center_inside { Standing::CenterInside } else { Standing::Unsure }
}

/// What the search found.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    /// Per country of the borders, in order: possibly inside.
    pub possible: Vec<bool>,
    /// A point found in every cap, if any.
    pub witness: Option<LatLon>,
    /// Whether any cell survived the cap tests down to the resolution (if none did and no
    /// witness was found, the region is provably empty).
    pub any_cell: bool,
}

struct Searcher<'a> {
    caps: &'a [SearchCap],
    countries: &'a [Country],
    buffer: f64,
    min_rho: f64,
    possible: Vec<bool>,
    witness: Option<LatLon>,
    any_cell: bool,
}

/// Which countries the region (intersection of `caps`) may meet, each buffered by `buffer_km`;
/// cells stop shrinking at a circumradius of `resolution_km`.
pub(crate) fn search(borders: &Borders, caps: &[Cap], buffer_km: f64, resolution_km: f64) -> Search {
    let mut prepared: Vec<SearchCap> = caps.iter().map(SearchCap::new).collect();
    // Smallest caps first: they drop most cells.
    prepared.sort_by(|a, b| a.radius.total_cmp(&b.radius));
    let countries = borders.countries();
    let mut searcher = Searcher {
        caps: &prepared,
        countries,
        buffer: (buffer_km + SLACK_KM) / EARTH_RADIUS_KM,
        min_rho: resolution_km / EARTH_RADIUS_KM,
        possible: vec![false; countries.len()],
        witness: None,
        any_cell: false,
    };
    let all: Vec<usize> = (0..countries.len()).collect();
    for cell in top_cells(caps) {
        searcher.explore(cell, &all);
    }
    Search { possible: searcher.possible, witness: searcher.witness, any_cell: searcher.any_cell }
}

impl Searcher<'_> {
    fn explore(&mut self, cell: CellBox, candidates: &[usize]) {
        let (c, v, rho) = cell.bounds();
        let standing = standing(self.caps, v, rho);
        if standing == Standing::Outside {
            return;
        }
        if standing == Standing::CenterInside && self.witness.is_none() {
            self.witness = Some(normalize(c));
        }
        let small = rho <= self.min_rho;
        if small {
            self.any_cell = true;
        }
        let normalized = normalize(c);
        let reach = Reach::new(self.buffer + rho);
        let mut remaining: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&k| !self.possible[k] && self.countries[k].within(v, normalized, &reach))
            .collect();
        if remaining.is_empty() && self.witness.is_some() {
            return;
        }
        if standing == Standing::CenterInside {
            let buffer = Reach::new(self.buffer);
            remaining.retain(|&k| {
                let hit = self.countries[k].within(v, normalized, &buffer);
                if hit {
                    self.possible[k] = true;
                }
                !hit
            });
            if remaining.is_empty() && self.witness.is_some() {
                return;
            }
        }
        if small {
            for k in remaining {
                self.possible[k] = true;
            }
            return;
        }
        for child in cell.children() {
            self.explore(child, &remaining);
        }
    }
}

/// Longitude brought into [-180, 180).
fn normalize(p: LatLon) -> LatLon {
    let lon = (p.lon + 180.0).rem_euclid(360.0) - 180.0;
    LatLon::new(p.lat, lon)
}

/// Cells covering the region, for drawing: each cell is either wholly inside every cap or has
/// reached the given resolution on the region's edge.
pub fn region_cells(caps: &[Cap], resolution_km: f64) -> Vec<CellBox> {
    let prepared: Vec<SearchCap> = caps.iter().map(SearchCap::new).collect();
    let min_rho = resolution_km / EARTH_RADIUS_KM;
    let mut out = Vec::new();
    let mut stack = top_cells(caps);
    while let Some(cell) = stack.pop() {
        let (_, v, rho) = cell.bounds();
        if standing(&prepared, v, rho) == Standing::Outside {
            continue;
        }
        let whole = prepared.iter().all(|cap| angle(v, cap.center) + rho <= cap.radius);
        if whole || rho <= min_rho || out.len() > 200_000 {
            out.push(cell);
        } else {
            stack.extend(cell.children());
        }
    }
    out
}

/// Pairs of caps that cannot meet at all (`d(centres) > r1 + r2`), by index: the plainest
/// evidence that a region is empty.
pub(crate) fn disjoint_pairs(caps: &[Cap]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..caps.len() {
        for j in i + 1..caps.len() {
            let d = crate::geo::distance_km(caps[i].center, caps[j].center);
            if d > caps[i].radius_km + caps[j].radius_km && d < PI * EARTH_RADIUS_KM {
                out.push((i, j));
            }
        }
    }
    out
}
