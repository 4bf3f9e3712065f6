//! An SVG map of one verdict (borders, landmarks, caps, the feasible region) in an
//! equirectangular projection, zoomed on the region. Pure: returns the document as a string.

use std::fmt::Write as _;

use crate::borders::Borders;
use crate::geo::{Cap, LatLon};
use crate::region::{CellBox, region_cells};
use crate::verify::{Landmark, Options, TargetVerdict};

const WIDTH: f64 = 1200.0;

/// The map's window in unwrapped degrees.
struct View {
    lon_min: f64,
    lat_max: f64,
    lon_span: f64,
    lat_span: f64,
    k: f64,
}

impl View {
    fn x(&self, lon: f64) -> f64 {
        (lon - self.lon_min) * self.k
    }

    fn y(&self, lat: f64) -> f64 {
        (self.lat_max - lat) * self.k
    }

    fn height(&self) -> f64 {
        self.lat_span * self.k
    }

    /// The shifts by whole turns that bring `[lo, hi]` into the window.
    fn shifts(&self, lo: f64, hi: f64) -> Vec<f64> {
        [-720.0, -360.0, 0.0, 360.0, 720.0]
            .into_iter()
            .filter(|s| hi + s >= self.lon_min && lo + s <= self.lon_min + self.lon_span)
            .collect()
    }
}

fn view_around(cells: &[CellBox], caps: &[Cap]) -> View {
    let (mut lat_lo, mut lat_hi, mut lon_lo, mut lon_hi) =
        (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for c in cells {
        lat_lo = lat_lo.min(c.lat_min);
        lat_hi = lat_hi.max(c.lat_max);
        lon_lo = lon_lo.min(c.lon_min);
        lon_hi = lon_hi.max(c.lon_max);
    }
    if cells.is_empty()
        && let Some(cap) = caps.iter().min_by(|a, b| a.radius_km.total_cmp(&b.radius_km))
    {
        for p in unwrap(&cap.outline(90)) {
            lat_lo = lat_lo.min(p.lat);
            lat_hi = lat_hi.max(p.lat);
            lon_lo = lon_lo.min(p.lon);
            lon_hi = lon_hi.max(p.lon);
        }
    }
    if !lat_lo.is_finite() {
        (lat_lo, lat_hi, lon_lo, lon_hi) = (-90.0, 90.0, -180.0, 180.0);
    }
    let pad_lon = ((lon_hi - lon_lo) * 0.4).max(8.0);
    let pad_lat = ((lat_hi - lat_lo) * 0.4).max(5.0);
    let (mut lon_min, mut lon_max) = (lon_lo - pad_lon, lon_hi + pad_lon);
    if lon_max - lon_min > 360.0 {
        let mid = (lon_min + lon_max) / 2.0;
        (lon_min, lon_max) = (mid - 180.0, mid + 180.0);
    }
    let (lat_min, lat_max) = ((lat_lo - pad_lat).max(-90.0), (lat_hi + pad_lat).min(90.0));
    let lon_span = lon_max - lon_min;
    View { lon_min, lat_max, lon_span, lat_span: lat_max - lat_min, k: WIDTH / lon_span }
}

/// Longitudes made continuous along a line.
fn unwrap(points: &[LatLon]) -> Vec<LatLon> {
    let mut out: Vec<LatLon> = Vec::with_capacity(points.len());
    for p in points {
        let lon = match out.last() {
            Some(last) => {
                let mut d = (p.lon - last.lon) % 360.0;
                if d > 180.0 {
                    d -= 360.0;
                } else if d < -180.0 {
                    d += 360.0;
                }
                last.lon + d
            }
            None => p.lon,
        };
        out.push(LatLon::new(p.lat, lon));
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Appends `M x y L ...` for a line of `(lon, lat)` points shifted by `shift`, thinning points
/// closer than a pixel.
fn path_data(out: &mut String, view: &View, points: impl Iterator<Item = (f64, f64)>, shift: f64, close: bool) {
    let mut last: Option<(f64, f64)> = None;
    for (lon, lat) in points {
        let (x, y) = (view.x(lon + shift), view.y(lat));
        match last {
            None => {
                let _ = write!(out, "M{x:.1} {y:.1}");
                last = Some((x, y));
            }
            Some((lx, ly)) if (x - lx).abs() + (y - ly).abs() >= 0.8 => {
                let _ = write!(out, "L{x:.1} {y:.1}");
                last = Some((x, y));
            }
            Some(_) => {}
        }
    }
    if close && last.is_some() {
        out.push('Z');
    }
}

/// Draws the verdict: countries possibly inside in yellow, provably outside in grey, the region
/// (cells in every cap) in red, the caps in blue, the 4/9 c display caps dashed, landmarks as
/// dots and quarantined landmarks as red crosses.
pub fn render_svg(borders: &Borders, landmarks: &[Landmark], verdict: &TargetVerdict, options: &Options) -> String {
    let caps: Vec<Cap> = verdict.caps.iter().map(|c| c.cap()).collect();
    let cells = if verdict.consistent { region_cells(&caps, options.resolution_km.max(5.0)) } else { Vec::new() };
    let view = view_around(&cells, &caps);
    let height = view.height();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="sans-serif">
<title>{}</title>
<rect width="100%" height="100%" fill="#dbe9f4"/>
"##,
        escape(&format!("location of {}", verdict.target))
    );
    // Countries.
    for country in borders.countries() {
        let possible = verdict.possible_countries.contains(&country.code());
        let fill = if possible { "#f3dd8c" } else { "#e4e4e4" };
        let mut d = String::new();
        for ring in country.rings() {
            let (lo, hi) =
                ring.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p[0]), hi.max(p[0])));
            let (la_lo, la_hi) =
                ring.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
            if la_hi < view.lat_max - view.lat_span || la_lo > view.lat_max {
                continue;
            }
            for shift in view.shifts(lo, hi) {
                path_data(&mut d, &view, ring.iter().map(|p| (p[0], p[1])), shift, true);
            }
        }
        if !d.is_empty() {
            let _ = writeln!(
                svg,
                r##"<path d="{d}" fill="{fill}" fill-rule="evenodd" stroke="#7a7a7a" stroke-width="0.6"><title>{} {}</title></path>"##,
                country.code(),
                escape(&country.names().join(", "))
            );
        }
    }
    // The region.
    let _ = writeln!(svg, r##"<g fill="#d62728" fill-opacity="0.45" stroke="none">"##);
    for cell in &cells {
        for shift in view.shifts(cell.lon_min, cell.lon_max) {
            let (x, y) = (view.x(cell.lon_min + shift), view.y(cell.lat_max));
            let (w, h) = ((cell.lon_max - cell.lon_min) * view.k, (cell.lat_max - cell.lat_min) * view.k);
            let _ = writeln!(svg, r#"<rect x="{x:.1}" y="{y:.1}" width="{:.2}" height="{:.2}"/>"#, w + 0.3, h + 0.3);
        }
    }
    svg.push_str("</g>\n");
    // Caps, exclusion and display.
    for (cap_used, style) in
        verdict.caps.iter().map(|c| (c.cap(), r##"stroke="#1f5fbf" stroke-width="1" stroke-opacity="0.7""##)).chain(
            verdict.caps.iter().map(|c| {
                (c.display_cap(), r##"stroke="#555" stroke-width="0.8" stroke-dasharray="4 3" stroke-opacity="0.6""##)
            }),
        )
    {
        if cap_used.is_whole_sphere() {
            continue;
        }
        let line = unwrap(&cap_used.outline(180));
        let (lo, hi) =
            line.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.lon), hi.max(p.lon)));
        let mut d = String::new();
        for shift in view.shifts(lo, hi) {
            path_data(&mut d, &view, line.iter().map(|p| (p.lon, p.lat)), shift, false);
        }
        if !d.is_empty() {
            let _ = writeln!(svg, r#"<path d="{d}" fill="none" {style}/>"#);
        }
    }
    // Landmarks.
    for landmark in landmarks {
        let used = verdict.caps.iter().any(|c| c.landmark == landmark.id);
        let quarantined = verdict.quarantined_landmarks.contains(&landmark.id);
        if !used && !quarantined {
            continue;
        }
        for shift in view.shifts(landmark.lon, landmark.lon) {
            let (x, y) = (view.x(landmark.lon + shift), view.y(landmark.lat));
            if !(0.0..=height).contains(&y) {
                continue;
            }
            let label = escape(&landmark.id);
            if quarantined {
                let _ = writeln!(
                    svg,
                    r##"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="#c00" stroke-width="2"><title>{label} (quarantined)</title></path>"##,
                    x - 4.0,
                    y - 4.0,
                    x + 4.0,
                    y + 4.0,
                    x - 4.0,
                    y + 4.0,
                    x + 4.0,
                    y - 4.0
                );
            } else {
                let _ = writeln!(
                    svg,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="#1f5fbf"><title>{label}</title></circle><text x="{:.1}" y="{:.1}" font-size="10" fill="#123">{label}</text>"##,
                    x + 4.0,
                    y - 4.0
                );
            }
        }
    }
    // Legend.
    let countries: Vec<String> = verdict.possible_countries.iter().take(20).map(|c| c.to_string()).collect();
    let more = verdict.possible_countries.len().saturating_sub(20);
    let lines = [
        format!(
            "target {}: {} possible countries: {}{}",
            verdict.target,
            verdict.possible_countries.len(),
            countries.join(" "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ),
        if verdict.consistent {
            "red: every point within all caps (2/3 c plus margins); yellow: possibly inside; grey: provably outside"
                .to_owned()
        } else {
            "INCONSISTENT: the caps have no common point; nothing is excluded".to_owned()
        },
        "blue: caps used to exclude; dashed: 4/9 c estimate, for display only, never used to exclude".to_owned(),
    ];
    let _ = writeln!(svg, r##"<rect x="6" y="6" width="760" height="52" fill="#fff" fill-opacity="0.85"/>"##);
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(svg, r#"<text x="12" y="{}" font-size="12">{}</text>"#, 22 + 15 * i, escape(line));
    }
    svg.push_str("</svg>\n");
    svg
}
