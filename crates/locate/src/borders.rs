//! Country borders from TopoJSON (world-atlas, Natural Earth), prepared for sound distance
//! questions: "is any point of this country within t km of that point?".
//!
//! Decoding follows the TopoJSON specification: a quantized topology's arc positions are
//! delta-encoded integers, `x = (sum of dx) * scale + translate`; an arc index `i >= 0` is arc `i`
//! and `~i` (negative) is arc `i` reversed; a ring joins its arcs, dropping each arc's first point
//! after the first arc. A `Polygon`'s first ring is its exterior, the others holes; a
//! `MultiPolygon` is several polygons. The `topojson` crate was not used: its last release (0.5.1,
//! 2022) pins `geojson` below 0.24 and would bring an old `geojson` and `geo-types` into the tree
//! for a decoding that takes forty lines here.
//!
//! Preparation, and why each step keeps distances sound:
//! - Rings that cross the antimeridian (world-atlas stitches Russia and Fiji across it) are
//!   unwrapped to continuous longitudes, and rings that go round a pole (Antarctica) are closed
//!   along the pole, so that the planar point-in-polygon test in longitude and latitude is right.
//! - Edges are cut into pieces of at most [`MAX_PIECE_KM`], and each piece is treated as a
//!   great-circle arc. The data's edges are straight in longitude and latitude; a piece of length
//!   L at latitude φ is at most L² tan φ / 8R from its great circle, below 0.1 km up to 89°.
//!   [`SLACK_KM`] is added to every distance threshold to cover this and rounding.
//! - Pieces are grouped in chunks with a bounding cap each, so a query skips far chunks whole.

use std::collections::BTreeMap;
use std::f64::consts::FRAC_PI_2;

use chipwarden_core::country::CountryCode;
use serde::Deserialize;

use crate::error::LocateError;
use crate::geo::{COS_EPS, EARTH_RADIUS_KM, LatLon, Reach, V3, angle, arc_angle, arc_within};
use crate::iso;

/// The longest piece an edge is cut into, in km.
pub const MAX_PIECE_KM: f64 = 10.0;

/// Added to every "within t km of the country" threshold: covers the gap between the data's
/// straight edges and great-circle pieces (see the module documentation) and floating-point
/// rounding.
pub const SLACK_KM: f64 = 0.5;

/// Pieces per chunk.
const CHUNK: usize = 32;

/// All countries of a border file, one entry per ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone)]
pub struct Borders {
    origin: String,
    countries: Vec<Country>,
    notes: Vec<String>,
}

/// One country's territory: every polygon of every feature reported under its code.
#[derive(Debug, Clone)]
pub struct Country {
    code: CountryCode,
    names: Vec<String>,
    polygons: Vec<Polygon>,
    /// A cap holding every vertex; `radius >= FRAC_PI_2` means no useful bound.
    center: V3,
    radius: f64,
    cos_radius: f64,
    sin_radius: f64,
}

#[derive(Debug, Clone)]
struct Polygon {
    rings: Vec<Ring>,
    lon_min: f64,
    lon_max: f64,
}

#[derive(Debug, Clone)]
struct Ring {
    /// `(lon, lat)` in degrees, longitudes unwrapped (they may pass ±180), closed.
    points: Vec<[f64; 2]>,
    vecs: Vec<V3>,
    /// Unit normal of piece `i`'s great circle, `None` for a zero-length piece.
    normals: Vec<Option<V3>>,
    chunks: Vec<Chunk>,
}

#[derive(Debug, Clone)]
struct Chunk {
    /// Pieces `start..end`: piece `i` joins point `i` and point `i + 1`.
    start: usize,
    end: usize,
    center: V3,
    radius: f64,
    cos_radius: f64,
    sin_radius: f64,
    lat_min: f64,
    lat_max: f64,
}

// ---- TopoJSON wire format ----

#[derive(Deserialize)]
struct Topology {
    #[serde(rename = "type")]
    kind: String,
    transform: Option<Transform>,
    arcs: Vec<Vec<Vec<f64>>>,
    objects: BTreeMap<String, Object>,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Object {
    GeometryCollection {
        geometries: Vec<Object>,
    },
    Polygon {
        arcs: Vec<Vec<i64>>,
        id: Option<serde_json::Value>,
        properties: Option<Properties>,
    },
    MultiPolygon {
        arcs: Vec<Vec<Vec<i64>>>,
        id: Option<serde_json::Value>,
        properties: Option<Properties>,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Properties {
    name: Option<String>,
}

/// The bundled borders: Natural Earth 4.1.0 Admin 0 at 1:50m (public domain) as packaged by
/// `world-atlas@2.0.2` (ISC); provenance in `data/geo/README.md`.
pub const BUNDLED_BORDERS: &str = include_str!("../../../data/geo/world-atlas-2.0.2_countries-50m.topo.json");

impl Borders {
    /// The borders compiled into the binary (see [`BUNDLED_BORDERS`]).
    pub fn bundled() -> Result<Borders, LocateError> {
        Borders::from_topojson("bundled world-atlas countries-50m", BUNDLED_BORDERS)
    }

    /// Parses a TopoJSON topology whose object `countries` holds one feature per country, `id`
    /// the ISO 3166-1 numeric code and `properties.name` its name (world-atlas' layout). Features
    /// with no code are mapped by name (Kosovo to `XK` and `RS`, and so on: see
    /// [`Borders::notes`]); a feature that cannot be mapped is an error, never dropped.
    pub fn from_topojson(origin: &str, text: &str) -> Result<Borders, LocateError> {
        let topo: Topology = serde_json::from_str(text)
            .map_err(|e| LocateError::borders(origin, format!("not a TopoJSON topology: {e}")))?;
        if topo.kind != "Topology" {
            return Err(LocateError::borders(origin, format!("type is `{}`, expected `Topology`", topo.kind)));
        }
        let arcs = decode_arcs(origin, &topo)?;
        let Some(Object::GeometryCollection { geometries }) = topo.objects.get("countries") else {
            return Err(LocateError::borders(origin, "no `countries` geometry collection"));
        };
        let mut by_code: BTreeMap<CountryCode, (Vec<String>, Vec<Polygon>)> = BTreeMap::new();
        let mut notes = Vec::new();
        for (index, geometry) in geometries.iter().enumerate() {
            let (polygons, id, properties) = match geometry {
                Object::Polygon { arcs: rings, id, properties } => (vec![rings.clone()], id, properties),
                Object::MultiPolygon { arcs: polys, id, properties } => (polys.clone(), id, properties),
                _ => {
                    return Err(LocateError::borders(
                        origin,
                        format!("country feature {index} is not a Polygon or MultiPolygon"),
                    ));
                }
            };
            let name = properties.as_ref().and_then(|p| p.name.clone()).unwrap_or_default();
            let codes = feature_codes(origin, index, id.as_ref(), &name, &mut notes)?;
            let mut prepared = Vec::new();
            for rings in &polygons {
                let rings = rings.iter().map(|ring| join_ring(origin, &arcs, ring)).collect::<Result<Vec<_>, _>>()?;
                prepared.push(Polygon::new(rings));
            }
            for code in codes {
                let entry = by_code.entry(code).or_default();
                if !name.is_empty() && !entry.0.contains(&name) {
                    entry.0.push(name.clone());
                }
                entry.1.extend(prepared.iter().cloned());
            }
        }
        let countries =
            by_code.into_iter().map(|(code, (names, polygons))| Country::new(code, names, polygons)).collect();
        Ok(Borders { origin: origin.to_owned(), countries, notes })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn countries(&self) -> &[Country] {
        &self.countries
    }

    pub fn get(&self, code: &str) -> Option<&Country> {
        self.countries.iter().find(|c| c.code.as_str() == code)
    }

    /// How features without a numeric code were mapped, one sentence each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The countries whose territory (unbuffered) contains the point: usually one, none at sea,
    /// several on disputed land.
    pub fn countries_at(&self, p: LatLon) -> Vec<CountryCode> {
        self.countries.iter().filter(|c| c.contains(p)).map(|c| c.code).collect()
    }
}

fn feature_codes(
    origin: &str,
    index: usize,
    id: Option<&serde_json::Value>,
    name: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<CountryCode>, LocateError> {
    let numeric = match id {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.trim().parse::<u16>().ok()),
        Some(serde_json::Value::Number(n)) => Some(n.as_u64().and_then(|n| u16::try_from(n).ok())),
        Some(_) => Some(None),
    };
    let alpha = match numeric {
        Some(Some(n)) => iso::alpha2(n).map(|a| vec![a]).ok_or_else(|| {
            LocateError::borders(origin, format!("feature `{name}` has id `{n}`, which is no ISO 3166-1 numeric code"))
        })?,
        Some(None) => {
            return Err(LocateError::borders(
                origin,
                format!("feature `{name}` (number {index}) has an unreadable id"),
            ));
        }
        None => {
            let (codes, why) = iso::unnumbered(name).ok_or_else(|| {
                LocateError::borders(
                    origin,
                    format!("feature `{name}` (number {index}) has no id and no known code; its land would be lost"),
                )
            })?;
            notes.push(format!("`{name}` has no ISO numeric id; reported as {}: {why}", codes.join(" and ")));
            codes.to_vec()
        }
    };
    alpha.into_iter().map(|a| CountryCode::parse(a).map_err(|e| LocateError::borders(origin, e.to_string()))).collect()
}

fn decode_arcs(origin: &str, topo: &Topology) -> Result<Vec<Vec<[f64; 2]>>, LocateError> {
    let mut out = Vec::with_capacity(topo.arcs.len());
    for (i, arc) in topo.arcs.iter().enumerate() {
        let mut points = Vec::with_capacity(arc.len());
        let (mut x, mut y) = (0.0, 0.0);
        for position in arc {
            let (&[px, py, ..], true) = (position.as_slice(), position.len() >= 2) else {
                return Err(LocateError::borders(origin, format!("arc {i} has a position with fewer than 2 numbers")));
            };
            let point = match &topo.transform {
                Some(t) => {
                    x += px;
                    y += py;
                    [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]]
                }
                None => [px, py],
            };
            if !(point[0].is_finite() && point[1].is_finite() && point[1].abs() <= 90.0 + 1e-9) {
                return Err(LocateError::borders(origin, format!("arc {i} leaves the globe at {point:?}")));
            }
            points.push([point[0], point[1].clamp(-90.0, 90.0)]);
        }
        out.push(points);
    }
    Ok(out)
}

fn join_ring(origin: &str, arcs: &[Vec<[f64; 2]>], indices: &[i64]) -> Result<Vec<[f64; 2]>, LocateError> {
    let mut ring: Vec<[f64; 2]> = Vec::new();
    for &index in indices {
        let (arc_index, reversed) = if index >= 0 { (index, false) } else { (!index, true) };
        let arc = usize::try_from(arc_index)
            .ok()
            .and_then(|i| arcs.get(i))
            .ok_or_else(|| LocateError::borders(origin, format!("arc index `{index}` is out of range")))?;
        let points: Box<dyn Iterator<Item = &[f64; 2]>> =
            if reversed { Box::new(arc.iter().rev()) } else { Box::new(arc.iter()) };
        let skip = usize::from(!ring.is_empty());
        ring.extend(points.skip(skip));
    }
    if ring.len() < 4 {
        return Err(LocateError::borders(origin, format!("a ring has {} points, fewer than 4", ring.len())));
    }
    Ok(ring)
}

/// `d` in degrees, brought into (-180, 180].
fn wrap(d: f64) -> f64 {
    let mut d = d % 360.0;
    if d > 180.0 {
        d -= 360.0;
    } else if d <= -180.0 {
        d += 360.0;
    }
    d
}

impl Polygon {
    fn new(raw_rings: Vec<Vec<[f64; 2]>>) -> Polygon {
        let mut rings: Vec<Vec<[f64; 2]>> = raw_rings.into_iter().map(unwrap_ring).collect();
        // Shift every ring so that its middle longitude is nearest the exterior's: holes of a ring
        // that crosses the antimeridian must lie in the same unwrapped frame as the exterior.
        let mid = |r: &[[f64; 2]]| {
            let (lo, hi) = lon_range(r);
            (lo + hi) / 2.0
        };
        let exterior_mid = rings.first().map(|r| mid(r)).unwrap_or(0.0);
        let target = exterior_mid - 360.0 * ((exterior_mid + 180.0) / 360.0).floor();
        for ring in &mut rings {
            let shift = 360.0 * ((target - mid(ring)) / 360.0).round();
            for p in ring.iter_mut() {
                p[0] += shift;
            }
        }
        let rings: Vec<Ring> = rings.into_iter().map(|r| Ring::new(densify(&r))).collect();
        let (mut lon_min, mut lon_max) = (f64::INFINITY, f64::NEG_INFINITY);
        for ring in &rings {
            let (lo, hi) = lon_range(&ring.points);
            lon_min = lon_min.min(lo);
            lon_max = lon_max.max(hi);
        }
        Polygon { rings, lon_min, lon_max }
    }

    /// Even-odd over all rings (exterior and holes alike), trying the point at its longitude and
    /// one turn either side, since unwrapped rings may pass ±180.
    fn contains(&self, lat: f64, lon: f64) -> bool {
        [-360.0, 0.0, 360.0].iter().any(|shift| {
            let x = lon + shift;
            x >= self.lon_min
                && x <= self.lon_max
                && self.rings.iter().filter(|ring| ring.crosses_ray(lat, x)).count() % 2 == 1
        })
    }
}

/// Continuous longitudes; a ring that goes once round a pole is closed along that pole.
fn unwrap_ring(raw: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(raw.len() + 3);
    for p in raw {
        match out.last() {
            Some(last) => {
                let lon = last[0] + wrap(p[0] - last[0]);
                out.push([lon, p[1]]);
            }
            None => out.push(p),
        }
    }
    if let (Some(first), Some(last)) = (out.first().copied(), out.last().copied())
        && (last[0] - first[0]).abs() > 180.0
    {
        let mean_lat = out.iter().map(|p| p[1]).sum::<f64>() / out.len() as f64;
        let pole = if mean_lat < 0.0 { -90.0 } else { 90.0 };
        out.push([last[0], pole]);
        out.push([first[0], pole]);
        out.push(first);
    }
    out
}

fn lon_range(points: &[[f64; 2]]) -> (f64, f64) {
    points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p[0]), hi.max(p[0])))
}

/// Cuts every edge longer than [`MAX_PIECE_KM`] into equal pieces, interpolating linearly in
/// longitude and latitude (the data's own interpretation of an edge).
fn densify(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(points.len());
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        out.push(a);
        let length = angle(V3::from_degrees(a[1], a[0]), V3::from_degrees(b[1], b[0])) * EARTH_RADIUS_KM;
        // A pole closure runs along the pole itself: zero length on the sphere, but long in
        // longitude; cut it by longitude too so the planar ring stays faithful.
        let planar = ((b[0] - a[0]).abs().max((b[1] - a[1]).abs()) / 1.0).ceil();
        let pieces = (length / MAX_PIECE_KM).ceil().max(planar).max(1.0) as usize;
        for k in 1..pieces {
            let t = k as f64 / pieces as f64;
            out.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
        }
    }
    if let Some(&last) = points.last() {
        out.push(last);
    }
    out
}

impl Ring {
    fn new(points: Vec<[f64; 2]>) -> Ring {
        let vecs: Vec<V3> = points.iter().map(|p| V3::from_degrees(p[1], p[0])).collect();
        let pieces = points.len().saturating_sub(1);
        let mut chunks = Vec::new();
        let mut start = 0;
        while start < pieces {
            let end = (start + CHUNK).min(pieces);
            let members = &vecs[start..=end];
            let sum = members.iter().fold(V3 { x: 0.0, y: 0.0, z: 0.0 }, |s, v| s.add(*v));
            let center = sum.normalized().unwrap_or(members[0]);
            let radius = members.iter().map(|v| angle(center, *v)).fold(0.0, f64::max);
            let (lat_min, lat_max) = points[start..=end]
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
            chunks.push(Chunk {
                start,
                end,
                center,
                radius,
                cos_radius: radius.cos(),
                sin_radius: radius.sin(),
                lat_min,
                lat_max,
            });
            start = end;
        }
        let normals = vecs.windows(2).map(|w| w[0].cross(w[1]).normalized()).collect();
        Ring { points, vecs, normals, chunks }
    }

    /// Whether a ray from `(lat, lon)` towards growing longitude crosses this ring an odd
    /// number of times.
    fn crosses_ray(&self, lat: f64, lon: f64) -> bool {
        let mut inside = false;
        for chunk in &self.chunks {
            if lat < chunk.lat_min || lat > chunk.lat_max {
                continue;
            }
            for i in chunk.start..chunk.end {
                let ([x1, y1], [x2, y2]) = (self.points[i], self.points[i + 1]);
                if (y1 > lat) != (y2 > lat) {
                    let x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1);
                    if lon < x {
                        inside = !inside;
                    }
                }
            }
        }
        inside
    }

    /// Whether some piece of the ring is within `reach` of `p`. A chunk is skipped only when its
    /// bounding cap is beyond reach: `angle(p, centre) > t + radius`, tested as
    /// `p . centre < cos(t + radius)`.
    fn boundary_within(&self, p: V3, reach: &Reach) -> bool {
        self.chunks.iter().any(|chunk| {
            let near = match reach.cos_plus(chunk.radius, chunk.cos_radius, chunk.sin_radius) {
                Some(threshold) => p.dot(chunk.center) >= threshold - COS_EPS,
                None => true,
            };
            near && (chunk.start..chunk.end)
                .any(|i| arc_within(p, self.vecs[i], self.vecs[i + 1], self.normals[i], reach))
        })
    }

    fn boundary_angle(&self, p: V3) -> f64 {
        (0..self.vecs.len().saturating_sub(1))
            .map(|i| arc_angle(p, self.vecs[i], self.vecs[i + 1]))
            .fold(f64::INFINITY, f64::min)
    }
}

impl Country {
    fn new(code: CountryCode, names: Vec<String>, polygons: Vec<Polygon>) -> Country {
        let chunks = || polygons.iter().flat_map(|p| &p.rings).flat_map(|r| &r.chunks);
        let sum = chunks().fold(V3 { x: 0.0, y: 0.0, z: 0.0 }, |s, c| s.add(c.center));
        let (center, radius) = match sum.normalized() {
            Some(center) => (center, chunks().map(|c| angle(center, c.center) + c.radius).fold(0.0, f64::max)),
            None => (V3 { x: 0.0, y: 0.0, z: 1.0 }, std::f64::consts::PI),
        };
        Country { code, names, polygons, center, radius, cos_radius: radius.cos(), sin_radius: radius.sin() }
    }

    pub fn code(&self) -> CountryCode {
        self.code
    }

    /// The names of the features reported under this code (`Australia`, `Ashmore and Cartier Is.`).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the point lies in the territory (unbuffered).
    pub fn contains(&self, p: LatLon) -> bool {
        self.polygons.iter().any(|poly| poly.contains(p.lat, p.lon))
    }

    /// Whether some point of the territory lies within `km` of `p`, `SLACK_KM` added. Never false
    /// when the true answer is true: this is what makes exclusions sound.
    pub fn within_km(&self, p: LatLon, km: f64) -> bool {
        self.within(p.to_vec(), p, &Reach::new((km + SLACK_KM) / EARTH_RADIUS_KM))
    }

    /// Whether some point of the territory is within `reach` of `v` (which is `p`).
    pub(crate) fn within(&self, v: V3, p: LatLon, reach: &Reach) -> bool {
        // The bounding cap holds every vertex and piece; when it is smaller than a hemisphere it
        // holds the territory too (a convex cap holds the smaller side of any ring inside it).
        if self.radius < FRAC_PI_2
            && let Some(threshold) = reach.cos_plus(self.radius, self.cos_radius, self.sin_radius)
            && v.dot(self.center) < threshold - COS_EPS
        {
            return false;
        }
        self.polygons.iter().flat_map(|poly| &poly.rings).any(|ring| ring.boundary_within(v, reach)) || self.contains(p)
    }

    /// Great-circle distance in km from `p` to the territory: 0 inside.
    pub fn distance_km(&self, p: LatLon) -> f64 {
        if self.contains(p) {
            return 0.0;
        }
        let v = p.to_vec();
        self.polygons
            .iter()
            .flat_map(|poly| &poly.rings)
            .map(|ring| ring.boundary_angle(v))
            .fold(f64::INFINITY, f64::min)
            * EARTH_RADIUS_KM
    }

    /// Every ring as unwrapped `(lon, lat)` points, for drawing: longitudes may pass ±180.
    pub fn rings(&self) -> impl Iterator<Item = &[[f64; 2]]> {
        self.polygons.iter().flat_map(|p| &p.rings).map(|r| r.points.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_brings_differences_into_half_a_turn() {
        assert_eq!(wrap(360.0), 0.0);
        assert_eq!(wrap(-359.0), 1.0);
        assert_eq!(wrap(190.0), -170.0);
    }

    #[test]
    fn a_quantized_square_decodes_and_contains_its_middle() {
        let text = r#"{"type":"Topology","transform":{"scale":[0.001,0.001],"translate":[10,20]},
            "arcs":[[[0,0],[1000,0],[0,1000],[-1000,0],[0,-1000]]],
            "objects":{"countries":{"type":"GeometryCollection","geometries":[
              {"type":"Polygon","id":"250","properties":{"name":"France"},"arcs":[[0]]}]}}}"#;
        let borders = Borders::from_topojson("square.json", text).expect("parses");
        assert_eq!(borders.countries().len(), 1);
        assert_eq!(borders.countries_at(LatLon::new(20.5, 10.5)), vec![CountryCode::parse("FR").expect("code")]);
        assert!(borders.countries_at(LatLon::new(21.5, 10.5)).is_empty());
    }

    #[test]
    fn an_unknown_unnumbered_feature_is_an_error() {
        let text = r#"{"type":"Topology","arcs":[[[0,0],[1,0],[1,1],[0,1],[0,0]]],
            "objects":{"countries":{"type":"GeometryCollection","geometries":[
              {"type":"Polygon","properties":{"name":"Atlantis"},"arcs":[[0]]}]}}}"#;
        let err = Borders::from_topojson("a.json", text).expect_err("refused");
        assert!(err.to_string().contains("Atlantis"), "{err}");
    }
}
