//! Geometry on the sphere: physical constants, great-circle distances, point-to-arc distances and
//! spherical caps.
//!
//! The Earth is treated as a sphere of the IUGG mean radius. WGS84 coordinates are used as if they
//! were spherical coordinates; the error this makes in a distance is below 0.5% (the textbook bound
//! for any single spherical formula, since the ellipsoid's radii of curvature range from 6,335 km to
//! 6,400 km; a direct comparison with geodesics puts the worst case nearer 0.3%, about 22 km). Every
//! radius used to exclude anything is inflated by [`SPHERE_RELATIVE_ERROR`] to cover it.

use serde::{Deserialize, Serialize};

/// Mean radius of the Earth, R1 = (2a + b) / 3 of the GRS80/WGS84 ellipsoid, in km (Moritz,
/// "Geodetic Reference System 1980", Journal of Geodesy 74 (2000), and the IUGG's recommendation).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The speed of light in vacuum in km/s: exact, since the SI fixes it by definition (BIPM, The
/// International System of Units, 9th edition, 2019).
pub const SPEED_OF_LIGHT_KM_PER_S: f64 = 299_792.458;

/// Two thirds of c in km per millisecond (199.86 km/ms), the bound this engine excludes with.
///
/// Light in silica fibre travels at c/n with a group index n of about 1.47 (about 0.68 c); 2/3 c
/// is the conservative round figure used throughout the delay-based geolocation literature
/// (Gueye, Ziviani, Crovella, Fdida, "Constraint-based geolocation of Internet hosts", IEEE/ACM
/// Transactions on Networking 14(6), 2006; Katz-Bassett et al., "Towards IP geolocation using
/// delay and topology measurements", IMC 2006). A signal that leaves fibre for free-space radio
/// (terrestrial microwave, satellite laser links) can be faster, up to c: where that is possible
/// the caller must raise `Options::speed_km_per_ms` towards [`SPEED_OF_LIGHT_KM_PER_MS`].
pub const FIBRE_SPEED_KM_PER_MS: f64 = SPEED_OF_LIGHT_KM_PER_S * 2.0 / 3.0 / 1000.0;

/// c in km per millisecond: no signal is faster, so no radius is ever computed with more.
pub const SPEED_OF_LIGHT_KM_PER_MS: f64 = SPEED_OF_LIGHT_KM_PER_S / 1000.0;

/// A speed fitted to observed Internet paths (4/9 c, Katz-Bassett et al. 2006 found most paths
/// no faster). Routes are not straight, so it gives smaller, likelier regions: for drawing an
/// estimate only. It is never used to exclude a country.
pub const DISPLAY_SPEED_KM_PER_MS: f64 = SPEED_OF_LIGHT_KM_PER_S * 4.0 / 9.0 / 1000.0;

/// Relative error of a spherical distance against the WGS84 geodesic, at most (see the module
/// documentation). Radii that exclude are multiplied by `1 + SPHERE_RELATIVE_ERROR`.
pub const SPHERE_RELATIVE_ERROR: f64 = 0.005;

/// A point given in degrees: latitude in [-90, 90], longitude in [-180, 180].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub fn new(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    /// Whether both coordinates are finite and in range.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite() && self.lon.is_finite() && self.lat.abs() <= 90.0 && self.lon.abs() <= 180.0
    }

    pub(crate) fn to_vec(self) -> V3 {
        V3::from_degrees(self.lat, self.lon)
    }
}

/// A unit vector from the centre of the Earth. Distances between vectors are angles in radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct V3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl V3 {
    pub(crate) fn from_degrees(lat: f64, lon: f64) -> V3 {
        let (lat, lon) = (lat.to_radians(), lon.to_radians());
        V3 { x: lat.cos() * lon.cos(), y: lat.cos() * lon.sin(), z: lat.sin() }
    }

    pub(crate) fn to_lat_lon(self) -> LatLon {
        let lat = self.z.atan2((self.x * self.x + self.y * self.y).sqrt()).to_degrees();
        let lon = self.y.atan2(self.x).to_degrees();
        LatLon { lat, lon }
    }

    pub(crate) fn dot(self, o: V3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    pub(crate) fn cross(self, o: V3) -> V3 {
        V3 { x: self.y * o.z - self.z * o.y, y: self.z * o.x - self.x * o.z, z: self.x * o.y - self.y * o.x }
    }

    pub(crate) fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }

    pub(crate) fn add(self, o: V3) -> V3 {
        V3 { x: self.x + o.x, y: self.y + o.y, z: self.z + o.z }
    }

    pub(crate) fn scale(self, k: f64) -> V3 {
        V3 { x: self.x * k, y: self.y * k, z: self.z * k }
    }

    /// The unit vector in this direction, or `None` for a (near) zero vector.
    pub(crate) fn normalized(self) -> Option<V3> {
        let n = self.norm();
        (n > 1e-15).then(|| self.scale(1.0 / n))
    }
}

/// The angle between two unit vectors in radians. `atan2(|a x b|, a . b)` is accurate for tiny
/// and for near-antipodal angles alike, unlike `acos` of the dot product.
pub(crate) fn angle(a: V3, b: V3) -> f64 {
    a.cross(b).norm().atan2(a.dot(b))
}

/// The smallest angle from `p` to the great-circle arc from `a` to `b` (the shorter arc).
///
/// If the foot of the perpendicular from `p` onto the arc's great circle falls between `a` and
/// `b`, the distance is the perpendicular one; otherwise it is the distance to the nearer end.
pub(crate) fn arc_angle(p: V3, a: V3, b: V3) -> f64 {
    let ends = angle(p, a).min(angle(p, b));
    let Some(n) = a.cross(b).normalized() else {
        return ends;
    };
    let off = p.dot(n);
    let foot = p.add(n.scale(-off));
    // The foot lies on the arc iff it is on the inner side of both ends.
    if a.cross(foot).dot(n) >= 0.0 && foot.cross(b).dot(n) >= 0.0 {
        off.abs().clamp(-1.0, 1.0).asin().min(ends)
    } else {
        ends
    }
}

/// Tolerance on cosines. A comparison that would exclude needs the dot product beyond its
/// threshold by at least this much (about a millimetre at the smallest angles compared), so
/// rounding can only ever err towards "within".
pub(crate) const COS_EPS: f64 = 1e-12;

/// An angle `t` in radians with its cosine and sine: "within `t`" tested by dot products, which
/// is much cheaper than computing angles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reach {
    pub t: f64,
    pub cos: f64,
    pub sin: f64,
}

impl Reach {
    pub(crate) fn new(t: f64) -> Reach {
        Reach { t, cos: t.cos(), sin: t.sin() }
    }

    /// `cos(t + r)` from `r`'s cosine and sine, or `None` when `t + r` reaches half a turn (then
    /// every point is within).
    pub(crate) fn cos_plus(&self, r: f64, cos_r: f64, sin_r: f64) -> Option<f64> {
        (self.t + r < std::f64::consts::PI).then_some(self.cos * cos_r - self.sin * sin_r)
    }
}

/// Whether the great-circle arc from `a` to `b` (with unit normal `n`, `None` for a point) comes
/// within `reach` of `p`. Same geometry as [`arc_angle`], by dot products; errs towards true.
pub(crate) fn arc_within(p: V3, a: V3, b: V3, n: Option<V3>, reach: &Reach) -> bool {
    if p.dot(a) >= reach.cos - COS_EPS || p.dot(b) >= reach.cos - COS_EPS {
        return true;
    }
    let Some(n) = n else {
        return false;
    };
    if reach.t >= std::f64::consts::FRAC_PI_2 {
        return arc_angle(p, a, b) <= reach.t + 1e-12;
    }
    let off = p.dot(n);
    if off.abs() > reach.sin + COS_EPS {
        return false;
    }
    // The foot of the perpendicular is the nearest point of the great circle; the arc's nearest
    // point is the foot if the foot lies on the arc, else an end (already tested).
    let foot = p.add(n.scale(-off));
    a.cross(foot).dot(n) >= 0.0 && foot.cross(b).dot(n) >= 0.0
}

/// Great-circle distance in km between two points on the sphere of mean radius.
pub fn distance_km(a: LatLon, b: LatLon) -> f64 {
    angle(a.to_vec(), b.to_vec()) * EARTH_RADIUS_KM
}

/// The set of points within `radius_km` (great-circle) of `center`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cap {
    pub center: LatLon,
    pub radius_km: f64,
}

impl Cap {
    pub fn contains(&self, p: LatLon) -> bool {
        distance_km(self.center, p) <= self.radius_km
    }

    /// Whether the whole sphere lies in the cap (the radius reaches the antipode).
    pub fn is_whole_sphere(&self) -> bool {
        self.radius_km >= std::f64::consts::PI * EARTH_RADIUS_KM
    }

    /// Points on the cap's edge, `n` of them, for drawing.
    pub fn outline(&self, n: usize) -> Vec<LatLon> {
        let c = self.center.to_vec();
        // Two unit vectors orthogonal to the centre span the plane of the edge circle.
        let helper = if c.z.abs() < 0.9 { V3 { x: 0.0, y: 0.0, z: 1.0 } } else { V3 { x: 1.0, y: 0.0, z: 0.0 } };
        let Some(u) = c.cross(helper).normalized() else {
            return Vec::new();
        };
        let v = c.cross(u);
        let theta = (self.radius_km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
        (0..=n)
            .map(|i| {
                let phi = std::f64::consts::TAU * i as f64 / n.max(1) as f64;
                let dir = u.scale(phi.cos()).add(v.scale(phi.sin()));
                c.scale(theta.cos()).add(dir.scale(theta.sin())).to_lat_lon()
            })
            .collect()
    }
}

/// The radius in km of the cap that must contain a target answering within `rtt_ms` at one-way
/// signal speed `speed_km_per_ms`, with the spherical error covered and `margin_km` added.
pub fn exclusion_radius_km(rtt_ms: f64, speed_km_per_ms: f64, margin_km: f64) -> f64 {
    rtt_ms / 2.0 * speed_km_per_ms * (1.0 + SPHERE_RELATIVE_ERROR) + margin_km
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arc_distance_matches_the_perpendicular_and_the_ends() {
        let a = V3::from_degrees(0.0, 0.0);
        let b = V3::from_degrees(0.0, 10.0);
        let above = V3::from_degrees(1.0, 5.0);
        assert!((arc_angle(above, a, b).to_degrees() - 1.0).abs() < 1e-9);
        let beyond = V3::from_degrees(0.0, 12.0);
        assert!((arc_angle(beyond, a, b).to_degrees() - 2.0).abs() < 1e-9);
        assert!(arc_angle(a, a, a).abs() < 1e-12);
    }

    #[test]
    fn arc_within_agrees_with_arc_angle() {
        let a = V3::from_degrees(10.0, 10.0);
        let b = V3::from_degrees(10.1, 10.05);
        let n = a.cross(b).normalized();
        for (lat, lon) in [(10.05, 10.3), (9.0, 10.0), (10.2, 10.1), (10.05, 10.02), (-10.0, -170.0)] {
            let p = V3::from_degrees(lat, lon);
            let d = arc_angle(p, a, b);
            for t in [d * 0.999, d * 1.001] {
                assert_eq!(arc_within(p, a, b, n, &Reach::new(t)), d <= t, "({lat}, {lon}) at {t}");
            }
        }
    }

    #[test]
    fn fibre_speed_is_about_100_km_per_ms_of_round_trip() {
        assert!((FIBRE_SPEED_KM_PER_MS / 2.0 - 99.93).abs() < 0.01);
    }
}
