//! The challenge-response protocol between a landmark and the agent beside a chip, as pure data
//! and checks: what is signed, by whom, and why a replayed, forged or stale answer is worthless.
//!
//! 1. The landmark sends a [`Challenge`]: its id, the chip's serial and a fresh random nonce
//!    (the caller draws it; this crate does no I/O and holds no randomness).
//! 2. The agent answers with an [`Answer`] signed by the chip's device key (registered in the
//!    custody ledger) over the nonce, the landmark id, the serial and its clock's time.
//! 3. The landmark times each round trip, checks each answer ([`check_answer`]), keeps the minimum
//!    of several rounds and signs a [`MeasurementRecord`] with its own key.
//! 4. Whoever verifies locations checks the record ([`verify_record`]): the landmark's signature,
//!    and its age (old measurements expire: a chip can move).
//!
//! A replayed answer carries an old nonce and fails step 3; a forged one fails the device-key
//! signature; a relay (the key in one place, the answers sent from another) can only add delay,
//! which widens the region around the key holder and never excludes where it really is.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::verify::{MAX_RTT_MS, Measurement};

/// What an agent signs, before the answer's canonical bytes.
pub const ANSWER_CONTEXT: &[u8] = b"chipwarden-locate-answer/v1\n";
/// What a landmark signs, before the measurement record's canonical bytes.
pub const RECORD_CONTEXT: &[u8] = b"chipwarden-locate-measurement/v1\n";
/// Measurements older than this are not used by default: chips move.
pub const DEFAULT_MAX_AGE: SignedDuration = SignedDuration::from_hours(24);
/// How far ahead of the verifier's clock a landmark's clock may run (NTP keeps well-run clocks
/// within milliseconds; this allows for a poorly kept one without accepting a record from the
/// future in earnest).
pub const CLOCK_SKEW_TOLERANCE: SignedDuration = SignedDuration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the answer is for nonce {got}, not the challenge's {expected}: a replayed or stray answer")]
    WrongNonce { expected: String, got: String },
    #[error("the answer names {field} `{got}`, the challenge `{expected}`")]
    WrongParty { field: &'static str, expected: String, got: String },
    #[error("the {what} signature does not verify with the {key} key")]
    BadSignature { what: &'static str, key: &'static str },
    #[error("the measurement of {measured_at} is {age_s} s old, older than the {max_s} s allowed")]
    Expired { measured_at: Timestamp, age_s: i64, max_s: i64 },
    #[error("the measurement is dated {measured_at}, after the time of checking {now}")]
    FromTheFuture { measured_at: Timestamp, now: Timestamp },
    #[error("the record is malformed: {0}")]
    Malformed(String),
}

/// A landmark's challenge to a chip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub landmark: String,
    pub serial: String,
    /// 32 random bytes as 64 lowercase hex digits.
    pub nonce: String,
}

impl Challenge {
    pub fn new(landmark: &str, serial: &str, nonce: &[u8; 32]) -> Challenge {
        Challenge { landmark: landmark.to_owned(), serial: serial.to_owned(), nonce: hex(nonce) }
    }
}

/// The agent's signed answer to one challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub landmark: String,
    pub serial: String,
    pub nonce: String,
    /// The agent's clock when it answered (informative: the landmark's clock times the round).
    pub agent_time: Timestamp,
    /// Ed25519 signature by the device key, 128 lowercase hex digits.
    pub signature: String,
}

/// The bytes the device key signs: the context, then the fields in a fixed order, one per line.
fn answer_message(landmark: &str, serial: &str, nonce: &str, agent_time: Timestamp) -> Vec<u8> {
    let mut m = ANSWER_CONTEXT.to_vec();
    for field in [landmark, serial, nonce, &agent_time.to_string()] {
        m.extend_from_slice(field.as_bytes());
        m.push(b'\n');
    }
    m
}

/// The agent's answer to `challenge`, signed with the chip's device key.
pub fn answer(challenge: &Challenge, device_key: &SigningKey, now: Timestamp) -> Answer {
    let message = answer_message(&challenge.landmark, &challenge.serial, &challenge.nonce, now);
    Answer {
        landmark: challenge.landmark.clone(),
        serial: challenge.serial.clone(),
        nonce: challenge.nonce.clone(),
        agent_time: now,
        signature: hex(&device_key.sign(&message).to_bytes()),
    }
}

/// Whether `answer` answers exactly `challenge` and is signed by the chip's device key.
pub fn check_answer(challenge: &Challenge, answer: &Answer, device_key: &VerifyingKey) -> Result<(), ProtocolError> {
    if answer.nonce != challenge.nonce {
        return Err(ProtocolError::WrongNonce { expected: challenge.nonce.clone(), got: answer.nonce.clone() });
    }
    for (field, expected, got) in
        [("landmark", &challenge.landmark, &answer.landmark), ("serial", &challenge.serial, &answer.serial)]
    {
        if expected != got {
            return Err(ProtocolError::WrongParty { field, expected: expected.clone(), got: got.clone() });
        }
    }
    let message = answer_message(&answer.landmark, &answer.serial, &answer.nonce, answer.agent_time);
    let signature =
        signature(&answer.signature).ok_or(ProtocolError::BadSignature { what: "answer", key: "chip's device" })?;
    device_key
        .verify_strict(&message, &signature)
        .map_err(|_| ProtocolError::BadSignature { what: "answer", key: "chip's device" })
}

/// A landmark's signed statement: these round trips to this chip, from here, at this time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementRecord {
    pub landmark: String,
    pub lat: f64,
    pub lon: f64,
    pub serial: String,
    /// Every round's round-trip time, ms, in order; each round had its own nonce.
    pub rtts_ms: Vec<f64>,
    /// The minimum of `rtts_ms`: the only figure used (delay can be added, never removed).
    pub min_rtt_ms: f64,
    pub measured_at: Timestamp,
    /// Ed25519 signature by the landmark's key, 128 lowercase hex digits.
    pub signature: String,
}

fn record_message(r: &MeasurementRecord) -> Vec<u8> {
    let mut m = RECORD_CONTEXT.to_vec();
    let rtts: Vec<String> = r.rtts_ms.iter().map(|x| format!("{x:?}")).collect();
    for field in [
        r.landmark.clone(),
        format!("{:?}", r.lat),
        format!("{:?}", r.lon),
        r.serial.clone(),
        rtts.join(","),
        format!("{:?}", r.min_rtt_ms),
        r.measured_at.to_string(),
    ] {
        m.extend_from_slice(field.as_bytes());
        m.push(b'\n');
    }
    m
}

/// The landmark's signed record of the rounds it timed (at least one).
pub fn sign_record(
    landmark: &str,
    (lat, lon): (f64, f64),
    serial: &str,
    rtts_ms: &[f64],
    measured_at: Timestamp,
    landmark_key: &SigningKey,
) -> Result<MeasurementRecord, ProtocolError> {
    let min = rtts_ms.iter().copied().fold(f64::INFINITY, f64::min);
    if !min.is_finite() || min < 0.0 {
        return Err(ProtocolError::Malformed("a record needs at least one finite, non-negative round trip".into()));
    }
    let mut record = MeasurementRecord {
        landmark: landmark.to_owned(),
        lat,
        lon,
        serial: serial.to_owned(),
        rtts_ms: rtts_ms.to_vec(),
        min_rtt_ms: min,
        measured_at,
        signature: String::new(),
    };
    record.signature = hex(&landmark_key.sign(&record_message(&record)).to_bytes());
    Ok(record)
}

/// Checks a record's signature with the landmark's key, its consistency and its age at `now`,
/// and gives the measurement the locate engine uses.
pub fn verify_record(
    record: &MeasurementRecord,
    landmark_key: &VerifyingKey,
    now: Timestamp,
    max_age: SignedDuration,
) -> Result<Measurement, ProtocolError> {
    let signature = signature(&record.signature)
        .ok_or(ProtocolError::BadSignature { what: "measurement record", key: "landmark's" })?;
    landmark_key
        .verify_strict(&record_message(record), &signature)
        .map_err(|_| ProtocolError::BadSignature { what: "measurement record", key: "landmark's" })?;
    let min = record.rtts_ms.iter().copied().fold(f64::INFINITY, f64::min);
    if record.rtts_ms.is_empty() || min != record.min_rtt_ms || !(0.0..=MAX_RTT_MS).contains(&min) {
        return Err(ProtocolError::Malformed(format!(
            "min_rtt_ms {} is not the minimum of the rounds {:?} within 0..={MAX_RTT_MS} ms",
            record.min_rtt_ms, record.rtts_ms
        )));
    }
    let ahead = record.measured_at.duration_since(now);
    if ahead > CLOCK_SKEW_TOLERANCE {
        return Err(ProtocolError::FromTheFuture { measured_at: record.measured_at, now });
    }
    let age = now.duration_since(record.measured_at).max(SignedDuration::ZERO);
    if age > max_age {
        return Err(ProtocolError::Expired {
            measured_at: record.measured_at,
            age_s: age.as_secs(),
            max_s: max_age.as_secs(),
        });
    }
    Ok(Measurement { target: record.serial.clone(), landmark: record.landmark.clone(), rtt_ms: record.min_rtt_ms })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn signature(text: &str) -> Option<Signature> {
    if text.len() != 128 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 64];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(Signature::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn an_answer_verifies_once_and_only_for_its_challenge() {
        let device = key(7);
        let challenge = Challenge::new("L1", "SN1", &[1; 32]);
        let a = answer(&challenge, &device, at("2026-11-29T10:00:00Z"));
        assert_eq!(check_answer(&challenge, &a, &device.verifying_key()), Ok(()));
        // Replayed against a fresh challenge: the nonce differs.
        let fresh = Challenge::new("L1", "SN1", &[2; 32]);
        assert!(matches!(check_answer(&fresh, &a, &device.verifying_key()), Err(ProtocolError::WrongNonce { .. })));
        // Signed by another key (a forged chip).
        let forged = answer(&challenge, &key(8), at("2026-11-29T10:00:00Z"));
        assert!(matches!(
            check_answer(&challenge, &forged, &device.verifying_key()),
            Err(ProtocolError::BadSignature { .. })
        ));
        // A field changed after signing.
        let mut changed = a.clone();
        changed.agent_time = at("2026-11-29T10:00:01Z");
        assert!(check_answer(&challenge, &changed, &device.verifying_key()).is_err());
        // Another chip's serial.
        let other = Challenge::new("L1", "SN2", &[1; 32]);
        assert!(matches!(
            check_answer(&other, &a, &device.verifying_key()),
            Err(ProtocolError::WrongParty { field: "serial", .. })
        ));
    }

    #[test]
    fn records_are_signed_and_expire() {
        let landmark = key(3);
        let measured = at("2026-11-29T10:00:00Z");
        let record = sign_record("L1", (3.139, 101.687), "SN1", &[4.2, 3.9, 5.0], measured, &landmark).expect("record");
        assert_eq!(record.min_rtt_ms, 3.9);
        let m = verify_record(&record, &landmark.verifying_key(), at("2026-11-29T11:00:00Z"), DEFAULT_MAX_AGE)
            .expect("fresh");
        assert_eq!((m.target.as_str(), m.landmark.as_str(), m.rtt_ms), ("SN1", "L1", 3.9));
        let late = at("2026-11-30T10:00:01Z");
        assert!(matches!(
            verify_record(&record, &landmark.verifying_key(), late, DEFAULT_MAX_AGE),
            Err(ProtocolError::Expired { .. })
        ));
        // A landmark clock a few seconds ahead is tolerated; a minute ahead is not.
        assert!(verify_record(&record, &landmark.verifying_key(), at("2026-11-29T09:59:50Z"), DEFAULT_MAX_AGE).is_ok());
        let early = at("2026-11-29T09:59:00Z");
        assert!(matches!(
            verify_record(&record, &landmark.verifying_key(), early, DEFAULT_MAX_AGE),
            Err(ProtocolError::FromTheFuture { .. })
        ));
        // A faster round written in afterwards breaks the landmark's signature.
        let mut tampered = record.clone();
        tampered.rtts_ms.push(0.5);
        tampered.min_rtt_ms = 0.5;
        assert!(matches!(
            verify_record(&tampered, &landmark.verifying_key(), at("2026-11-29T11:00:00Z"), DEFAULT_MAX_AGE),
            Err(ProtocolError::BadSignature { .. })
        ));
        assert!(verify_record(&record, &key(4).verifying_key(), at("2026-11-29T11:00:00Z"), DEFAULT_MAX_AGE).is_err());
        assert!(sign_record("L1", (0.0, 0.0), "SN1", &[], measured, &landmark).is_err());
    }

    /// A record travels as JSON (files, the server's API): the figures it was signed over must
    /// come back bit for bit. The first two round trips are from the WonderProxy data; records of
    /// them failed their signature check after a trip through the server's API until serde_json's
    /// `float_roundtrip` was enabled.
    #[test]
    fn a_record_survives_json() {
        let landmark = key(5);
        let measured = at("2026-11-29T10:00:00Z");
        for rtt in [27.430500000000002, 249.10750000000002, 0.1 + 0.2] {
            let record = sign_record("L1", (41.85, -87.65), "SN1", &[rtt], measured, &landmark).expect("record");
            let text = serde_json::to_string(&record).expect("JSON");
            let back: MeasurementRecord = serde_json::from_str(&text).expect("parse");
            assert_eq!(back.min_rtt_ms.to_bits(), rtt.to_bits(), "{text}");
            verify_record(&back, &landmark.verifying_key(), measured, DEFAULT_MAX_AGE).expect("still verifies");
        }
    }
}
