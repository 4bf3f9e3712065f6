//! Location verification over the store and signed records: the device key a chip was
//! registered with (the only key whose answers a landmark may time for that chip), landmarks'
//! public keys, and signed measurement records checked into the measurements the locate engine
//! judges.

use std::collections::HashMap;

use chipwarden_ledger::{ChipRecord, Custody, NoteVerifier, PublicKey, SignedEvent};
use chipwarden_locate::protocol::{MeasurementRecord, verify_record};
use chipwarden_locate::{Landmark, Measurement};
use chipwarden_store::Store;
use ed25519_dalek::VerifyingKey;
use jiff::{SignedDuration, Timestamp};

use crate::{ServiceError, ServiceResult};

/// Why the ledger gives no device key for a chip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoDeviceKey {
    #[error("chip `{0}` is not in the custody ledger")]
    UnknownChip(String),
    #[error("chip `{0}` was registered without a `device_public_key`")]
    NotRegistered(String),
}

/// The device public key of chip `serial` as its `registered` event in the custody ledger gives
/// it. A chip the ledger does not know, or registered without a device key, gives no key: a
/// landmark must never time answers signed by a key nobody vouched for.
pub fn device_key(store: &Store, serial: &str) -> ServiceResult<Result<PublicKey, NoDeviceKey>> {
    Ok(match chip_record(store, serial)? {
        None => Err(NoDeviceKey::UnknownChip(serial.to_owned())),
        Some(chip) => chip.device_public_key.ok_or_else(|| NoDeviceKey::NotRegistered(serial.to_owned())),
    })
}

/// Chip `serial` as the custody ledger has it now (its own events replayed), or `None` when the
/// ledger does not know it.
pub fn chip_record(store: &Store, serial: &str) -> ServiceResult<Option<ChipRecord>> {
    let size = store.ledger_size()?;
    let mut custody = Custody::new();
    for (index, bytes) in store.ledger_entries_for_serials(&[serial])? {
        // Entries appended after the size was read belong to a later view of the log.
        if index >= size {
            continue;
        }
        let broken = |cause| ServiceError::Replay { index, cause };
        let stored = SignedEvent::from_entry(&bytes).map_err(broken)?;
        custody.apply(&stored.event).map_err(broken)?;
    }
    Ok(custody.chip(serial).cloned())
}

/// A line of a records or keys file that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line of the file.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Parses a CSV with a header `landmark,key`: each landmark's Ed25519 public key as 64 hex
/// digits or as a note verifier key (`NAME+HASH+BASE64`, what `keys generate` writes to
/// `KEY.pub`). Every bad line is reported; a landmark named twice is an error.
pub fn parse_landmark_keys(text: &str) -> Result<HashMap<String, VerifyingKey>, Vec<BadLine>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![BadLine { line: 1, reason: format!("unreadable header: {e}") }]),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(id_col), Some(key_col)) = (column("landmark"), column("key")) else {
        return Err(vec![BadLine { line: 1, reason: "the header must name the columns `landmark,key`".to_owned() }]);
    };
    let mut keys = HashMap::new();
    let mut bad = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                bad.push(BadLine { line, reason: format!("malformed row: {e}") });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let (id, key) = (record.get(id_col).unwrap_or(""), record.get(key_col).unwrap_or(""));
        if id.is_empty() || key.is_empty() {
            bad.push(BadLine { line, reason: "field `landmark` and `key` must not be empty".to_owned() });
            continue;
        }
        match public_key(key) {
            Err(reason) => bad.push(BadLine { line, reason: format!("field `key`: {reason}") }),
            Ok(key) => {
                if keys.insert(id.to_owned(), key).is_some() {
                    bad.push(BadLine { line, reason: format!("landmark `{id}` has a key already") });
                }
            }
        }
    }
    if keys.is_empty() && bad.is_empty() {
        bad.push(BadLine { line: 1, reason: "no keys after the header".to_owned() });
    }
    if bad.is_empty() { Ok(keys) } else { Err(bad) }
}

/// An Ed25519 public key from 64 hex digits or a note verifier key.
pub fn public_key(text: &str) -> Result<VerifyingKey, String> {
    let key = if text.len() == 64 && !text.contains('+') {
        PublicKey::from_hex(text).map_err(|e| e.to_string())?
    } else {
        NoteVerifier::from_vkey(text).map_err(|e| e.to_string())?.public_key()
    };
    VerifyingKey::from_bytes(&key.0).map_err(|_| format!("`{text}` is not an Ed25519 public key"))
}

/// The measurements of signed records (JSON Lines, one [`MeasurementRecord`] per line), each
/// checked: the landmark's signature with its key in `keys`, the record's age at `now`, and
/// the coordinates it claims against the landmark's in `landmarks` (a landmark that signs other
/// coordinates than those it is judged by is refused: the caps would be drawn around the wrong
/// place). Any bad line refuses the whole file, every bad line named.
pub fn measurements_from_records(
    text: &str,
    keys: &HashMap<String, VerifyingKey>,
    landmarks: &[Landmark],
    now: Timestamp,
    max_age: SignedDuration,
) -> Result<Vec<Measurement>, Vec<BadLine>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match measurement_from_record(line, keys, landmarks, now, max_age) {
            Ok(m) => out.push(m),
            Err(reason) => bad.push(BadLine { line: i + 1, reason }),
        }
    }
    if out.is_empty() && bad.is_empty() {
        bad.push(BadLine { line: 1, reason: "no records".to_owned() });
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}

/// The largest difference in degrees between a record's coordinates and the landmark file's that
/// still counts as the same place (about 0.1 m): the same figures written twice.
const SAME_PLACE_DEG: f64 = 1e-6;

fn measurement_from_record(
    line: &str,
    keys: &HashMap<String, VerifyingKey>,
    landmarks: &[Landmark],
    now: Timestamp,
    max_age: SignedDuration,
) -> Result<Measurement, String> {
    let record: MeasurementRecord = serde_json::from_str(line).map_err(|e| format!("not a measurement record: {e}"))?;
    check_record(&record, keys, landmarks, now, max_age)
}

/// The measurement of a signed record, checked: its landmark has a key in `keys` and a place in
/// `landmarks`, its signature verifies, it is not older than `max_age` at `now` nor from the
/// future, and the coordinates it was signed with are the landmark's (a landmark that signs other
/// coordinates than those it is judged by would have its caps drawn around the wrong place).
pub fn check_record(
    record: &MeasurementRecord,
    keys: &HashMap<String, VerifyingKey>,
    landmarks: &[Landmark],
    now: Timestamp,
    max_age: SignedDuration,
) -> Result<Measurement, String> {
    let key = keys
        .get(&record.landmark)
        .ok_or_else(|| format!("no key for landmark `{}` in the landmark keys", record.landmark))?;
    let measurement = verify_record(record, key, now, max_age)
        .map_err(|e| format!("landmark `{}`, chip `{}`: {e}", record.landmark, record.serial))?;
    let landmark = landmarks
        .iter()
        .find(|l| l.id == record.landmark)
        .ok_or_else(|| format!("landmark `{}` is not in the landmarks file", record.landmark))?;
    if (landmark.lat - record.lat).abs() > SAME_PLACE_DEG || (landmark.lon - record.lon).abs() > SAME_PLACE_DEG {
        return Err(format!(
            "landmark `{}` signed coordinates ({}, {}) but the landmarks file puts it at ({}, {})",
            record.landmark, record.lat, record.lon, landmark.lat, landmark.lon
        ));
    }
    Ok(measurement)
}
