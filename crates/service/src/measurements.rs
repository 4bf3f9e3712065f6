//! Measurements submitted to the server: landmark-signed records checked against the server's
//! landmarks and their keys, an agent held to the chips its party holds, the records stored, each
//! chip's location judged from its recent records, and the answer acted on: a verdict that agrees
//! with the custody ledger is recorded in the ledger as `location_verified`; a chip measured
//! outside the country the ledger gives, or whose measurements contradict each other, opens a
//! location case.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chipwarden_ledger::{EventDraft, EventKind, PartyKey};
use chipwarden_locate::protocol::MeasurementRecord;
use chipwarden_locate::{Borders, Landmark, Measurement, Options, TargetVerdict};
use chipwarden_store::{CaseOutcome, NewCase, NewMeasurement, Store};
use ed25519_dalek::VerifyingKey;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::audit::Auditor;
use crate::locate::{BadLine, check_record, chip_record, parse_landmark_keys};
use crate::{ServiceError, ServiceResult};

/// The landmarks file in a server's data directory (`id,lat,lon`, as `locate verify` reads it).
pub const LANDMARKS_FILE: &str = "landmarks.csv";
/// The landmarks' public keys in a server's data directory (`landmark,key`).
pub const LANDMARK_KEYS_FILE: &str = "landmark_keys.csv";

/// A time as the store keeps measurement times: RFC 3339 in UTC with all nine fractional digits,
/// so that text order is time order (`…06Z` would sort after `…06.5Z`).
fn sortable(t: Timestamp) -> String {
    format!("{t:.9}")
}

/// The landmarks a server judges records by: where each is, and the key it signs with.
#[derive(Debug, Clone)]
pub struct LandmarkSet {
    pub landmarks: Vec<Landmark>,
    pub keys: HashMap<String, VerifyingKey>,
}

impl LandmarkSet {
    /// The landmarks and keys in `data_dir`; `None` when neither file is there. One file
    /// without the other, or a landmark without a key, is an error naming the file.
    pub fn load(data_dir: &Path) -> ServiceResult<Option<LandmarkSet>> {
        let (places, keys) = (data_dir.join(LANDMARKS_FILE), data_dir.join(LANDMARK_KEYS_FILE));
        match (places.exists(), keys.exists()) {
            (false, false) => return Ok(None),
            (true, true) => {}
            _ => {
                return Err(ServiceError::Invalid(format!(
                    "`{}` and `{}` go together: give both or neither",
                    places.display(),
                    keys.display()
                )));
            }
        }
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| ServiceError::Io(format!("cannot read `{}`: {e}", path.display())))
        };
        let landmarks = chipwarden_locate::parse_landmarks(&places.display().to_string(), &read(&places)?)
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let keys_by_id = parse_landmark_keys(&read(&keys)?).map_err(|lines| {
            let lines: Vec<String> = lines.iter().map(|l| format!("`{}` {l}", keys.display())).collect();
            ServiceError::Invalid(lines.join("\n"))
        })?;
        if let Some(missing) = landmarks.iter().find(|l| !keys_by_id.contains_key(&l.id)) {
            return Err(ServiceError::Invalid(format!(
                "`{}`: landmark `{}` has no key in `{}`",
                places.display(),
                missing.id,
                keys.display()
            )));
        }
        Ok(Some(LandmarkSet { landmarks, keys: keys_by_id }))
    }

    fn landmark(&self, id: &str) -> Option<&Landmark> {
        self.landmarks.iter().find(|l| l.id == id)
    }
}

/// Who submits: the token's name, and for an agent the party whose chips it may report.
#[derive(Debug, Clone, Copy)]
pub struct Submitter<'a> {
    pub name: &'a str,
    /// `Some(party)`: only chips that party holds; `None`: any chip (an administrator).
    pub party: Option<&'a str>,
}

/// How a chip's location came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The country the ledger gives is among the possible ones.
    Consistent,
    /// Measured where the ledger's country cannot be: a case.
    OutsideDeclaredCountry,
    /// The measurements contradict each other (no point lies in every cap): a case.
    Contradictory,
    /// The ledger gives no country now (in transit, lost or destroyed): reported, nothing decided.
    NoDeclaredCountry,
}

/// One chip's location after a submission.
#[derive(Debug, Clone, Serialize)]
pub struct ChipLocation {
    pub serial: String,
    pub holder: String,
    pub declared_country: Option<String>,
    pub outcome: Outcome,
    /// Records used: the latest from each landmark, measured within the maximum age.
    pub measurements: usize,
    pub verdict: TargetVerdict,
    /// The location case this opened or updated, if any.
    pub case_id: Option<i64>,
    pub case_outcome: Option<CaseOutcome>,
    /// The `location_verified` entry this appended to the custody ledger, if any.
    pub ledger_index: Option<u64>,
}

/// What a submission did.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub stored: usize,
    pub already_stored: usize,
    pub chips: Vec<ChipLocation>,
}

/// Checks every record (landmark known, signature, age, coordinates, chip in the ledger and, for
/// an agent, held by its party); any bad record refuses the whole submission, every one named
/// as `records[i]`. Then stores them, judges each chip they are about, records the verdicts that
/// can be recorded in the ledger (signed by `verifier`) and opens cases (audited by `auditor`).
#[allow(clippy::too_many_arguments)]
pub fn submit(
    store: &mut Store,
    set: &LandmarkSet,
    borders: &Borders,
    records: &[MeasurementRecord],
    who: Submitter<'_>,
    auditor: &Auditor,
    verifier: &PartyKey,
    now: Timestamp,
    max_age: SignedDuration,
) -> ServiceResult<Submitted> {
    if records.is_empty() {
        return Err(ServiceError::Invalid("`records`: no records".to_owned()));
    }
    let mut bad: Vec<BadLine> = Vec::new();
    let mut forbidden: Vec<String> = Vec::new();
    let mut holders: BTreeMap<String, Option<chipwarden_ledger::ChipRecord>> = BTreeMap::new();
    let mut new = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let refuse = |reason: String| BadLine { line: i, reason };
        if let Err(reason) = check_record(record, &set.keys, &set.landmarks, now, max_age) {
            bad.push(refuse(reason));
            continue;
        }
        if !holders.contains_key(&record.serial) {
            holders.insert(record.serial.clone(), chip_record(store, &record.serial)?);
        }
        match (&holders[&record.serial], who.party) {
            (None, _) => {
                bad.push(refuse(format!("chip `{}` is not in the custody ledger", record.serial)));
                continue;
            }
            (Some(chip), Some(party)) if chip.holder != party => {
                forbidden.push(format!(
                    "`records[{i}]`: chip `{}` is held by `{}`, not by `{party}`, for whom this agent token acts",
                    record.serial, chip.holder
                ));
                continue;
            }
            _ => {}
        }
        new.push(NewMeasurement {
            serial: record.serial.clone(),
            landmark: record.landmark.clone(),
            rtt_ms: record.min_rtt_ms,
            measured_at: sortable(record.measured_at),
            record: serde_json::to_string(record).map_err(ServiceError::internal)?,
        });
    }
    if !forbidden.is_empty() {
        return Err(ServiceError::Forbidden(forbidden.join("\n")));
    }
    if !bad.is_empty() {
        let lines: Vec<String> = bad.iter().map(|b| format!("`records[{}]`: {}", b.line, b.reason)).collect();
        return Err(ServiceError::Invalid(lines.join("\n")));
    }
    let at = now.to_string();
    let stored = store.record_measurements(&new, who.name, &at)?;
    let mut chips = Vec::new();
    for chip in holders.into_values().flatten() {
        chips.push(judge(store, set, borders, &chip, auditor, verifier, now, max_age)?);
    }
    Ok(Submitted { stored, already_stored: new.len() - stored, chips })
}

/// The verdict on one chip from its stored records measured within `max_age` of `now` (the
/// latest from each landmark), and what follows from it.
#[allow(clippy::too_many_arguments)]
fn judge(
    store: &mut Store,
    set: &LandmarkSet,
    borders: &Borders,
    chip: &chipwarden_ledger::ChipRecord,
    auditor: &Auditor,
    verifier: &PartyKey,
    now: Timestamp,
    max_age: SignedDuration,
) -> ServiceResult<ChipLocation> {
    let since = sortable(now.checked_sub(max_age).map_err(ServiceError::internal)?);
    let (verdict, used) = recent_verdict(store, set, borders, &chip.serial, &since)?
        .ok_or_else(|| ServiceError::internal("a chip just measured has no recent measurement"))?;
    let declared = chip.current_country();
    let outcome = match declared {
        _ if !verdict.consistent => Outcome::Contradictory,
        None => Outcome::NoDeclaredCountry,
        Some(c) if verdict.possible_countries.contains(&c) => Outcome::Consistent,
        Some(_) => Outcome::OutsideDeclaredCountry,
    };
    let mut location = ChipLocation {
        serial: chip.serial.clone(),
        holder: chip.holder.clone(),
        declared_country: declared.map(|c| c.to_string()),
        outcome,
        measurements: used,
        verdict,
        case_id: None,
        case_outcome: None,
        ledger_index: None,
    };
    if location.verdict.consistent && !location.verdict.possible_countries.is_empty() {
        location.ledger_index =
            record_in_ledger(store, verifier, &[&location.verdict], now)?.first().map(|a| a.leaf_index);
    }
    if matches!(outcome, Outcome::OutsideDeclaredCountry | Outcome::Contradictory) {
        let case = location_case(&location)?;
        let recorded = store.record_cases(&[case], auditor.actor(), &crate::now(), &|c| auditor.case_entry(c))?;
        if let Some((id, what)) = recorded.into_iter().next() {
            location.case_id = Some(id);
            location.case_outcome = Some(what);
        }
    }
    Ok(location)
}

fn codes(countries: &[chipwarden_core::CountryCode]) -> String {
    countries.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The case of a chip measured outside its declared country, or with contradictory
/// measurements: one per chip; what it was measured as is its fingerprint, so a new finding
/// reopens a cleared case.
fn location_case(location: &ChipLocation) -> ServiceResult<NewCase> {
    let declared = location.declared_country.as_deref().unwrap_or("no country");
    let possible = codes(&location.verdict.possible_countries);
    let title = match location.outcome {
        Outcome::Contradictory => {
            format!("chip {}: its measurements contradict each other (ledger: {declared})", location.serial)
        }
        _ => format!("chip {} measured outside {declared}: possibly in {possible}", location.serial),
    };
    Ok(NewCase {
        kind: "location",
        key: format!("location|chip:{}", location.serial),
        subject: format!("chip:{}", location.serial),
        list: None,
        entry_id: None,
        matched_name: None,
        title,
        evidence: serde_json::to_value(location).map_err(ServiceError::internal)?,
        fingerprint: format!("declared {declared}; possible {possible}; consistent {}", location.verdict.consistent),
    })
}

/// Appends a `location_verified` event for each verdict (consistent ones about chips the ledger
/// knows: the caller's to choose), signed by `verifier` and checked like `ledger append`: all or
/// nothing. Returns what was appended, in order.
pub fn record_in_ledger(
    store: &mut Store,
    verifier: &PartyKey,
    verdicts: &[&TargetVerdict],
    now: Timestamp,
) -> ServiceResult<Vec<crate::ledger::Appended>> {
    let mut parsed = Vec::with_capacity(verdicts.len());
    for (i, verdict) in verdicts.iter().enumerate() {
        let region = format!(
            "{} caps at 2/3 c plus margins; quarantined landmarks: {}",
            verdict.caps.len(),
            if verdict.quarantined_landmarks.is_empty() {
                "none".to_owned()
            } else {
                verdict.quarantined_landmarks.join(", ")
            }
        );
        let draft = EventDraft {
            serial: verdict.target.clone(),
            time: now,
            kind: EventKind::LocationVerified {
                verifier: verifier.party().to_owned(),
                region,
                possible_countries: verdict.possible_countries.clone(),
                measured_at: now,
            },
        };
        parsed.push((i + 1, Ok(verifier.sign_draft(draft))));
    }
    if parsed.is_empty() {
        return Ok(Vec::new());
    }
    crate::ledger::check_and_append(store, parsed, &now.to_string())
}

/// A measured chip's current location beside the country the custody ledger gives.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub serial: String,
    pub declared_country: Option<String>,
    /// The measurements agree with each other and the declared country is among the possible
    /// ones.
    pub agrees: bool,
    /// Records used: the latest from each landmark.
    pub measurements: usize,
    pub verdict: TargetVerdict,
}

/// The location of every chip with records measured within `max_age` of `now`, judged as a
/// submission judges it but acting on nothing: what the registry shows and its map draws.
pub fn current(
    store: &Store,
    set: &LandmarkSet,
    borders: &Borders,
    now: Timestamp,
    max_age: SignedDuration,
) -> ServiceResult<Vec<Located>> {
    let since = sortable(now.checked_sub(max_age).map_err(ServiceError::internal)?);
    let mut out = Vec::new();
    for serial in store.measured_chips(&since)? {
        if let Some((verdict, measurements)) = recent_verdict(store, set, borders, &serial, &since)? {
            let declared = chip_record(store, &serial)?.and_then(|c| c.current_country());
            let agrees = verdict.consistent && declared.is_some_and(|d| verdict.possible_countries.contains(&d));
            out.push(Located {
                serial,
                declared_country: declared.map(|c| c.to_string()),
                agrees,
                measurements,
                verdict,
            });
        }
    }
    Ok(out)
}

/// The verdict on chip `serial` from the latest record of each of the set's landmarks measured
/// at or after `since`, and how many records that is; `None` without any.
fn recent_verdict(
    store: &Store,
    set: &LandmarkSet,
    borders: &Borders,
    serial: &str,
    since: &str,
) -> ServiceResult<Option<(TargetVerdict, usize)>> {
    let mut latest: BTreeMap<String, f64> = BTreeMap::new();
    // Oldest first: a later record of the same landmark replaces an earlier one.
    for m in store.measurements_since(serial, since)? {
        if set.landmark(&m.landmark).is_some() {
            latest.insert(m.landmark, m.rtt_ms);
        }
    }
    let measurements: Vec<Measurement> = latest
        .into_iter()
        .map(|(landmark, rtt_ms)| Measurement { target: serial.to_owned(), landmark, rtt_ms })
        .collect();
    if measurements.is_empty() {
        return Ok(None);
    }
    let verdict = chipwarden_locate::verify(&set.landmarks, &measurements, borders, &Options::default())
        .map_err(|e| ServiceError::Invalid(e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::internal("the locate engine gave no verdict for a measured chip"))?;
    Ok(Some((verdict, measurements.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_sort_as_times() {
        let whole: Timestamp = "2026-11-29T20:17:06Z".parse().expect("time");
        let half: Timestamp = "2026-11-29T20:17:06.5Z".parse().expect("time");
        assert_eq!(sortable(whole), "2026-11-29T20:17:06.000000000Z");
        assert!(sortable(whole) < sortable(half));
        assert!(whole.to_string() > half.to_string(), "what plain text would have got wrong");
    }
}
