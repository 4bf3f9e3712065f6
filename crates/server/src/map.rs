//! The chip registry's world map: the bundled country borders (Natural Earth through
//! `chipwarden_locate::Borders::bundled`) in an equirectangular projection, each country shaded
//! by the number of chips the custody ledger places in it, with a title per country for screen
//! readers and a legend. Pure: counts in, an SVG document out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use chipwarden_locate::{Borders, LocateError};

/// Pixels per degree.
const SCALE: f64 = 2.5;
/// Points closer than this (degrees) to the last point kept are dropped: the map is an
/// overview, and the full 1:50m outlines would make a document of several megabytes.
const STEP: f64 = 0.3;
/// Fill of a country with no chip, then the shades from one chip to the most.
const EMPTY: &str = "#e8ecf0";
const SHADES: [&str; 4] = ["#b6d4f2", "#6fa8dc", "#2f74c0", "#0b3d91"];

static BORDERS: OnceLock<Result<Borders, String>> = OnceLock::new();

/// The bundled borders, decoded once.
pub fn borders() -> Result<&'static Borders, String> {
    BORDERS.get_or_init(|| Borders::bundled().map_err(|e: LocateError| e.to_string())).as_ref().map_err(Clone::clone)
}

fn shade(count: usize, most: usize) -> &'static str {
    if count == 0 || most == 0 {
        return EMPTY;
    }
    // Linear in the count: 1 chip is the lightest shade, the most chips the darkest.
    let step = ((count - 1) * (SHADES.len() - 1)).div_ceil((most - 1).max(1));
    SHADES[step.min(SHADES.len() - 1)]
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Outlines of a region the location checks drew: its chip agrees with the ledger's country, or
/// does not.
const AGREES: &str = "#1a7f37";
const DISAGREES: &str = "#cf222e";

/// A measured chip's region as the map draws it.
#[derive(Debug, Clone)]
pub struct RegionMark {
    pub serial: String,
    /// The countries (alpha-2) it may be in.
    pub possible_countries: Vec<String>,
    /// The country the custody ledger gives, if any.
    pub declared_country: Option<String>,
    /// Whether the declared country is among the possible ones (and the measurements agree).
    pub agrees: bool,
    /// A point in every cap, `(lat, lon)`.
    pub point: Option<(f64, f64)>,
}

/// The SVG path of a country's rings, thinned to the map's scale.
fn outline(country: &chipwarden_locate::Country) -> String {
    let mut d = String::new();
    for ring in country.rings() {
        let mut last: Option<[f64; 2]> = None;
        let mut kept = 0;
        for (i, &[lon, lat]) in ring.iter().enumerate() {
            let far = last.is_none_or(|[a, b]| (lon - a).abs() >= STEP || (lat - b).abs() >= STEP);
            if !far && i + 1 != ring.len() {
                continue;
            }
            let (x, y) = ((lon + 180.0) * SCALE, (90.0 - lat) * SCALE);
            let _ = write!(d, "{}{x:.1},{y:.1}", if kept == 0 { "M" } else { "L" });
            last = Some([lon, lat]);
            kept += 1;
        }
        if kept > 0 {
            d.push('Z');
        }
    }
    d
}

/// The map of `counts` (chips by ISO alpha-2 country code), with the location `regions` of
/// measured chips drawn over it.
pub fn chips_map(counts: &BTreeMap<String, usize>, regions: &[RegionMark]) -> Result<String, String> {
    let borders = borders()?;
    let (width, height) = (360.0 * SCALE, 180.0 * SCALE);
    let most = counts.values().copied().max().unwrap_or(0);
    let total: usize = counts.values().sum();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" role="img" aria-labelledby="map-title map-desc">"#,
        h = height + 40.0
    );
    let _ = write!(
        svg,
        r#"<title id="map-title">Chips by country</title><desc id="map-desc">{total} chips located in {} countries; {}</desc>"#,
        counts.len(),
        escape(&counts.iter().map(|(c, n)| format!("{c}: {n}")).collect::<Vec<_>>().join(", "))
    );
    let _ = write!(svg, r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#f7fbff"/>"##);
    for country in borders.countries() {
        let code = country.code().to_string();
        let count = counts.get(&code).copied().unwrap_or(0);
        let d = outline(country);
        if d.is_empty() {
            continue;
        }
        let name = country.names().first().map_or(code.as_str(), String::as_str);
        let chips = if count == 1 { "1 chip".to_owned() } else { format!("{count} chips") };
        let _ = write!(
            svg,
            r##"<path d="{d}" fill="{fill}" stroke="#8c959f" stroke-width="0.4" data-country="{code}" data-chips="{count}"><title>{name} ({code}): {chips}</title></path>"##,
            fill = shade(count, most),
            name = escape(name),
        );
    }
    // Location regions: the countries each measured chip may be in, outlined, and a point of its
    // region marked with its serial.
    // Disagreeing regions last, so that they are drawn on top.
    let mut ordered: Vec<&RegionMark> = regions.iter().collect();
    ordered.sort_by_key(|r| !r.agrees);
    // Labels of regions that share a point are stacked, not written over each other.
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for region in ordered {
        let colour = if region.agrees { AGREES } else { DISAGREES };
        let possible = region.possible_countries.join(", ");
        let _ = write!(
            svg,
            r#"<g data-region-chip="{serial}" data-agrees="{agrees}"><title>{serial}: possibly in {possible}; on record in {declared}</title>"#,
            serial = escape(&region.serial),
            agrees = region.agrees,
            possible = escape(&possible),
            declared = escape(region.declared_country.as_deref().unwrap_or("no country")),
        );
        for country in borders.countries().iter().filter(|c| region.possible_countries.contains(&c.code().to_string()))
        {
            let _ = write!(
                svg,
                r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.6" stroke-dasharray="4 2"/>"#,
                d = outline(country)
            );
        }
        if let Some((lat, lon)) = region.point {
            let (x, y) = ((lon + 180.0) * SCALE, (90.0 - lat) * SCALE);
            let below = placed.iter().filter(|(px, py)| (px - x).abs() < 1.0 && (py - y).abs() < 1.0).count();
            placed.push((x, y));
            let _ = write!(
                svg,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{colour}" stroke="#ffffff"/><text x="{tx:.1}" y="{ty:.1}" font-family="system-ui, sans-serif" font-size="11" fill="{colour}">{serial}</text>"##,
                tx = x + 6.0,
                ty = y + 4.0 + 13.0 * below as f64,
                serial = escape(&region.serial),
            );
        }
        svg.push_str("</g>");
    }
    // The legend: the empty shade and each shade with the counts it stands for.
    let y = height + 12.0;
    let _ = write!(svg, r##"<g font-family="system-ui, sans-serif" font-size="13" fill="#1b1f24">"##);
    let mut x = 10.0;
    let mut entries: Vec<(&str, String)> = vec![(EMPTY, "no chip".to_owned())];
    let mut seen: Vec<&str> = Vec::new();
    for n in 1..=most {
        let fill = shade(n, most);
        if !seen.contains(&fill) {
            seen.push(fill);
            let upto = (n..=most).take_while(|m| shade(*m, most) == fill).last().unwrap_or(n);
            let label = if upto == n { format!("{n}") } else { format!("{n}–{upto}") };
            entries.push((fill, format!("{label} chip{}", if upto == 1 { "" } else { "s" })));
        }
    }
    for (fill, label) in entries {
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{y}" width="18" height="14" fill="{fill}" stroke="#8c959f"/><text x="{tx}" y="{ty}">{label}</text>"##,
            tx = x + 24.0,
            ty = y + 12.0
        );
        x += 40.0 + 8.0 * label.len() as f64;
    }
    svg.push_str("</g></svg>");
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_shaded_by_their_chips() {
        let counts: BTreeMap<String, usize> = [("US".to_owned(), 2), ("MY".to_owned(), 1)].into_iter().collect();
        let svg = chips_map(&counts, &[]).expect("bundled borders");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"data-country="US" data-chips="2""#), "the US carries its count");
        assert!(svg.contains("Malaysia (MY): 1 chip"));
        assert!(svg.contains(r#"data-country="FR" data-chips="0""#));
        assert!(svg.len() < 1_500_000, "the map stays light: {} bytes", svg.len());
    }

    #[test]
    fn regions_are_outlined_and_marked() {
        let counts: BTreeMap<String, usize> = [("US".to_owned(), 2)].into_iter().collect();
        let region = RegionMark {
            serial: "SN<2>".to_owned(),
            possible_countries: vec!["MY".to_owned(), "SG".to_owned()],
            declared_country: Some("US".to_owned()),
            agrees: false,
            point: Some((3.1, 101.7)),
        };
        let svg = chips_map(&counts, &[region]).expect("bundled borders");
        assert!(svg.contains(r#"data-region-chip="SN&lt;2&gt;" data-agrees="false""#), "escaped and marked");
        assert!(svg.contains("possibly in MY, SG; on record in US"));
        let group = &svg[svg.find("data-region-chip").expect("region")..];
        let group = &group[..group.find("</g>").expect("end of the region")];
        assert_eq!(group.matches("stroke-dasharray").count(), 2, "one outline per possible country");
        assert!(group.contains(DISAGREES) && !group.contains(AGREES));
        // 101.7 E, 3.1 N in the projection.
        assert!(group.contains(r#"cx="704.2" cy="217.2""#), "{group}");
    }

    #[test]
    fn shades_run_from_light_to_dark() {
        assert_eq!(shade(0, 5), EMPTY);
        assert_eq!(shade(1, 5), SHADES[0]);
        assert_eq!(shade(5, 5), SHADES[3]);
        assert_eq!(shade(1, 1), SHADES[0]);
    }
}
