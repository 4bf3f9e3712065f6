//! CSV parsers for `landmarks.csv` (`id,lat,lon[,uncertainty_km]`) and `measurements.csv`
//! (`target,landmark,rtt_ms`): text in, rows or the first bad row out (file, line, field).
//!
//! A bad row stops the parse: a location verdict computed without one of the caps it was given
//! could exclude less than the caller believes, or, for a landmark, more.

use std::collections::{HashMap, HashSet};

use crate::error::LocateError;
use crate::geo::LatLon;
use crate::verify::{Landmark, Measurement, rtt_problem};

struct Table {
    origin: String,
    columns: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read(origin: &str, text: &str, required: &[&str]) -> Result<Table, LocateError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| LocateError::File { file: origin.to_owned(), message: format!("unreadable header: {e}") })?
        .clone();
    let columns: HashMap<String, usize> =
        headers.iter().enumerate().map(|(i, h)| (h.trim_start_matches('\u{feff}').to_ascii_lowercase(), i)).collect();
    for name in required {
        if !columns.contains_key(*name) {
            return Err(LocateError::File {
                file: origin.to_owned(),
                message: format!("the header has no `{name}` column (expected `{}`)", required.join(",")),
            });
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            LocateError::row(origin, line, "", format!("malformed row: {e}"))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        rows.push((line, record));
    }
    if rows.is_empty() {
        return Err(LocateError::File { file: origin.to_owned(), message: "no rows after the header".to_owned() });
    }
    Ok(Table { origin: origin.to_owned(), columns, rows })
}

impl Table {
    fn text<'r>(&self, line: u64, record: &'r csv::StringRecord, field: &str) -> Result<&'r str, LocateError> {
        let value = self.columns.get(field).and_then(|&i| record.get(i)).unwrap_or("");
        if value.is_empty() {
            return Err(LocateError::row(&self.origin, line, field, "empty"));
        }
        Ok(value)
    }

    fn number(&self, line: u64, record: &csv::StringRecord, field: &str) -> Result<f64, LocateError> {
        let text = self.text(line, record, field)?;
        text.parse::<f64>()
            .map_err(|_| LocateError::row(&self.origin, line, field, format!("`{text}` is not a number")))
    }
}

/// Parses `id,lat,lon` with an optional `uncertainty_km` column (km the landmark may be from its
/// claimed point). Ids must be unique; coordinates in range.
pub fn parse_landmarks(origin: &str, text: &str) -> Result<Vec<Landmark>, LocateError> {
    let table = read(origin, text, &["id", "lat", "lon"])?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(table.rows.len());
    for (line, record) in &table.rows {
        let line = *line;
        let id = table.text(line, record, "id")?.to_owned();
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(LocateError::row(origin, line, "id", format!("landmark `{id}` already given on line {first}")));
        }
        let lat = table.number(line, record, "lat")?;
        if !(lat.is_finite() && lat.abs() <= 90.0) {
            return Err(LocateError::row(origin, line, "lat", format!("`{lat}` is not a latitude in [-90, 90]")));
        }
        let lon = table.number(line, record, "lon")?;
        if !(lon.is_finite() && lon.abs() <= 180.0) {
            return Err(LocateError::row(origin, line, "lon", format!("`{lon}` is not a longitude in [-180, 180]")));
        }
        let uncertainty_km = match table.columns.get("uncertainty_km").and_then(|&i| record.get(i)) {
            None | Some("") => 0.0,
            Some(_) => {
                let u = table.number(line, record, "uncertainty_km")?;
                if !(u.is_finite() && u >= 0.0) {
                    return Err(LocateError::row(
                        origin,
                        line,
                        "uncertainty_km",
                        format!("`{u}` km must be at least 0"),
                    ));
                }
                u
            }
        };
        debug_assert!(LatLon::new(lat, lon).is_valid());
        out.push(Landmark { id, lat, lon, uncertainty_km });
    }
    Ok(out)
}

/// Parses `target,landmark,rtt_ms` against the landmarks they name. Unknown landmarks, round
/// trips that are not numbers, negative or above `MAX_RTT_MS`, and targets measured only by
/// themselves are errors naming the row.
pub fn parse_measurements(origin: &str, text: &str, landmarks: &[Landmark]) -> Result<Vec<Measurement>, LocateError> {
    let table = read(origin, text, &["target", "landmark", "rtt_ms"])?;
    let known: HashSet<&str> = landmarks.iter().map(|l| l.id.as_str()).collect();
    let mut out = Vec::with_capacity(table.rows.len());
    // First line of each target, and whether any landmark other than itself measured it.
    let mut targets: HashMap<String, (u64, bool)> = HashMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        let target = table.text(line, record, "target")?.to_owned();
        let landmark = table.text(line, record, "landmark")?.to_owned();
        if !known.contains(landmark.as_str()) {
            return Err(LocateError::row(origin, line, "landmark", format!("unknown landmark `{landmark}`")));
        }
        let rtt_ms = table.number(line, record, "rtt_ms")?;
        if let Some(problem) = rtt_problem(rtt_ms) {
            return Err(LocateError::row(origin, line, "rtt_ms", problem));
        }
        let entry = targets.entry(target.clone()).or_insert((line, false));
        entry.1 |= target != landmark;
        out.push(Measurement { target, landmark, rtt_ms });
    }
    if let Some((target, (line, _))) =
        targets.iter().filter(|(_, (_, measured))| !measured).min_by_key(|(_, (line, _))| *line)
    {
        return Err(LocateError::row(
            origin,
            *line,
            "target",
            format!("target `{target}` has no measurement by any landmark other than itself"),
        ));
    }
    Ok(out)
}
