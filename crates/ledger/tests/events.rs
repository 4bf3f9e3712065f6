//! Custody events: the canonical encoding pinned by golden files, parsing from JSON, and
//! signatures (good, bad, wrong key, tampered, domain-separated).
//!
//! The golden files in `tests/golden/` are the bytes of version 1. If this test fails, the
//! encoding changed and every signature and leaf hash made so far would no longer match: make a
//! new version instead. Only a deliberate new golden case may be written with
//! `CHIPWARDEN_BLESS=1 cargo test -p chipwarden-ledger --test events`.

use std::fs;
use std::path::PathBuf;

use chipwarden_ledger::{
    CustodyEvent, EventDraft, EventKind, LedgerError, PartyKey, SIGNING_CONTEXT, SignedEvent, signing_message,
};
use ed25519_dalek::Signer as _;

/// One draft per event type, with every optional field in at least one of them.
const CASES: &[(&str, &str)] = &[
    (
        "registered",
        r#"{"type":"registered","serial":"SN1","model":"H100 SXM","manufacturer":"NVIDIA","holder":"NVIDIA","country":"TW","device_public_key":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a","time":"2026-01-05T00:00:00Z"}"#,
    ),
    (
        "registered-minimal",
        r#"{"type":"registered","serial":"SN1","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-05T00:00:00Z"}"#,
    ),
    (
        "shipped",
        r#"{"type":"shipped","serial":"SN1","from":"NVIDIA","to":"Acme Cloud","destination":"MY","export_license":"D123456","time":"2026-01-06T08:30:00Z"}"#,
    ),
    ("received", r#"{"type":"received","serial":"SN1","holder":"Acme Cloud","time":"2026-01-09T10:00:00.25Z"}"#),
    (
        "installed",
        r#"{"type":"installed","serial":"SN1","site":"KUL-1","country":"MY","cluster":"pod-7","time":"2026-01-10T00:00:00Z"}"#,
    ),
    (
        "transferred",
        r#"{"type":"transferred","serial":"SN1","from":"Acme Cloud","to":"Borneo AI Sdn Bhd","time":"2026-02-01T00:00:00Z"}"#,
    ),
    (
        "location_verified",
        r#"{"type":"location_verified","serial":"SN1","verifier":"LatencyCheck","region":"Klang Valley, \"within 200 km\"","possible_countries":["SG","MY"],"measured_at":"2026-02-02T00:00:00Z","time":"2026-02-02T01:00:00Z"}"#,
    ),
    ("decommissioned", r#"{"type":"decommissioned","serial":"SN1","time":"2027-01-01T00:00:00Z"}"#),
    ("destroyed", r#"{"type":"destroyed","serial":"SN1","time":"2027-02-01T00:00:00Z"}"#),
    ("reported_lost", r#"{"type":"reported_lost","serial":"SN 2/β","time":"2026-03-01T00:00:00Z"}"#),
];

fn key() -> PartyKey {
    PartyKey::from_seed("NVIDIA", &[1; 32]).expect("key")
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn check_golden(name: &str, actual: &[u8]) {
    let path = golden(name);
    if std::env::var_os("CHIPWARDEN_BLESS").is_some() && !path.exists() {
        fs::write(&path, actual).expect("write golden file");
    }
    let expected = fs::read(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
    assert_eq!(
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(&expected),
        "{name}: the canonical encoding changed; version 1 bytes must never change"
    );
}

#[test]
fn canonical_encoding_matches_the_golden_files() {
    for (name, line) in CASES {
        let signed = key().sign_draft(EventDraft::from_json(line).expect(name));
        let bytes = signed.event.canonical_bytes();
        check_golden(&format!("{name}.event.json"), &bytes);
        check_golden(&format!("{name}.entry.json"), &signed.entry_bytes());
        // The golden bytes read back to the same event and entry.
        assert_eq!(CustodyEvent::from_canonical(&bytes).expect(name), signed.event);
        assert_eq!(SignedEvent::from_entry(&signed.entry_bytes()).expect(name), signed);
    }
}

#[test]
fn one_golden_file_spelled_out() {
    // What version 1 looks like, for a reader of this test.
    let bytes = fs::read_to_string(golden("shipped.event.json")).expect("golden");
    assert_eq!(
        bytes,
        concat!(
            r#"{"destination":"MY","export_license":"D123456","from":"NVIDIA","serial":"SN1","#,
            r#""submitter":{"party":"NVIDIA","public_key":"8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"},"#,
            r#""time":"2026-01-06T08:30:00Z","to":"Acme Cloud","type":"shipped","version":1}"#
        )
    );
}

#[test]
fn the_same_event_written_differently_encodes_the_same() {
    let variants = [
        (
            r#"{"type":"shipped","serial":"SN1","from":"NVIDIA","to":"Acme Cloud","destination":"MY","export_license":"D123456","time":"2026-01-06T08:30:00Z"}"#,
            r#"{ "time" : "2026-01-06T16:30:00+08:00", "destination":"my", "export_license":"D123456", "to":"Acme Cloud", "from":"NVIDIA", "serial":"SN1", "type":"shipped", "version": 1 }"#,
        ),
        (
            r#"{"type":"transferred","serial":"SN1","from":"A","to":"B","time":"2026-01-06T08:30:00Z"}"#,
            r#"{"type":"resold","serial":"SN1","from":"A","to":"B","time":"2026-01-06T08:30:00.000Z"}"#,
        ),
        (
            r#"{"type":"location_verified","serial":"SN1","verifier":"V","region":"R","possible_countries":["MY","SG"],"measured_at":"2026-01-01T00:00:00Z","time":"2026-01-01T00:00:00Z"}"#,
            r#"{"type":"location_verified","serial":"SN1","verifier":"V","region":"R","possible_countries":["sg","MY","SG"],"measured_at":"2026-01-01T00:00:00Z","time":"2026-01-01T00:00:00Z"}"#,
        ),
        (
            r#"{"type":"installed","serial":"SN1","site":"KUL-1","country":"MY","time":"2026-01-10T00:00:00Z"}"#,
            r#"{"type":"installed","serial":"SN1","site":"KUL-1","country":"MY","cluster":null,"time":"2026-01-10T00:00:00Z"}"#,
        ),
    ];
    for (a, b) in variants {
        let a = EventDraft::from_json(a).expect("a").into_event(key().submitter());
        let b = EventDraft::from_json(b).expect("b").into_event(key().submitter());
        assert_eq!(a.canonical_bytes(), b.canonical_bytes());
    }
}

#[test]
fn non_canonical_bytes_are_refused() {
    let event = key().sign_draft(EventDraft::from_json(CASES[2].1).expect("draft")).event;
    let canonical = String::from_utf8(event.canonical_bytes()).expect("utf-8");
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&canonical).expect("json"))
        .expect("pretty");
    let fraction = canonical.replace("08:30:00Z", "08:30:00.000Z");
    let lower = canonical.replace("\"MY\"", "\"my\"");
    for text in [pretty, fraction, lower] {
        assert!(
            matches!(CustodyEvent::from_canonical(text.as_bytes()), Err(LedgerError::NotCanonical { .. })),
            "accepted: {text}"
        );
        // Still a readable event, just not the canonical bytes of one.
        assert_eq!(CustodyEvent::from_json(&text).expect("lenient"), event);
    }
}

#[test]
fn every_event_type_round_trips() {
    let kinds: Vec<&str> =
        CASES.iter().map(|(_, line)| line).map(|l| EventDraft::from_json(l).expect("draft").kind.name()).collect();
    for kind in [
        "registered",
        "shipped",
        "received",
        "installed",
        "transferred",
        "location_verified",
        "decommissioned",
        "destroyed",
        "reported_lost",
    ] {
        assert!(kinds.contains(&kind), "no golden case for `{kind}`");
    }
    let draft = EventDraft::from_json(CASES[0].1).expect("draft");
    let EventKind::Registered { device_public_key, country, .. } = &draft.kind else { panic!("registered") };
    assert!(device_public_key.is_some() && country.is_some());
}

#[test]
fn a_good_signature_verifies_and_a_bad_one_does_not() {
    let signed = key().sign_draft(EventDraft::from_json(CASES[2].1).expect("draft"));
    signed.verify().expect("verifies");

    let mut flipped = signed.clone();
    flipped.signature[10] ^= 0x01;
    let error = flipped.verify().expect_err("flipped signature");
    assert_eq!(error.to_string(), "signature of the `shipped` event for chip `SN1` by `NVIDIA` does not verify");

    // The event changed after signing.
    let mut tampered = signed.clone();
    tampered.event.serial = "SN2".to_owned();
    assert!(matches!(tampered.verify(), Err(LedgerError::BadSignature { .. })));

    // Signed with another key than the one the event names.
    let other = PartyKey::from_seed("NVIDIA", &[2; 32]).expect("key");
    let forged = SignedEvent {
        event: signed.event.clone(),
        signature: other.sign_draft(EventDraft::from_json(CASES[2].1).expect("draft")).signature,
    };
    assert!(matches!(forged.verify(), Err(LedgerError::BadSignature { .. })));
    assert!(matches!(other.sign(signed.event.clone()), Err(LedgerError::KeyMismatch { .. })));

    // A signature over the bare canonical bytes (no domain prefix) is not an event signature.
    let raw = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let bare =
        SignedEvent { event: signed.event.clone(), signature: raw.sign(&signed.event.canonical_bytes()).to_bytes() };
    assert!(matches!(bare.verify(), Err(LedgerError::BadSignature { .. })));
    assert!(signing_message(&signed.event).starts_with(SIGNING_CONTEXT));
    assert_eq!(SIGNING_CONTEXT, b"chipwarden-custody-event/v1\n");
}

#[test]
fn entries_with_bad_signatures_or_extra_bytes_are_refused() {
    let signed = key().sign_draft(EventDraft::from_json(CASES[3].1).expect("draft"));
    let entry = String::from_utf8(signed.entry_bytes()).expect("utf-8");
    let signature_hex = entry.rsplit('"').nth(1).expect("signature").to_owned();
    let mut bad_hex = signature_hex.clone().into_bytes();
    bad_hex[0] = if bad_hex[0] == b'0' { b'1' } else { b'0' };
    let bad = entry.replace(&signature_hex, std::str::from_utf8(&bad_hex).expect("hex"));
    assert!(matches!(SignedEvent::from_entry(bad.as_bytes()), Err(LedgerError::BadSignature { .. })));

    let tampered = entry.replace("Acme Cloud", "Acme Cloud2");
    assert!(matches!(SignedEvent::from_entry(tampered.as_bytes()), Err(LedgerError::BadSignature { .. })));

    let spaced = entry.replacen("{", "{ ", 1);
    assert!(matches!(SignedEvent::from_entry(spaced.as_bytes()), Err(LedgerError::NotCanonical { .. })));

    let extra = entry.replacen("{", r#"{"comment":"x","#, 1);
    assert!(matches!(SignedEvent::from_entry(extra.as_bytes()), Err(LedgerError::Field { .. })));
    assert!(matches!(SignedEvent::from_entry(b"\xff"), Err(LedgerError::Json { .. })));
}

#[test]
fn party_keys_are_checked() {
    assert!(PartyKey::from_seed("", &[1; 32]).is_err());
    assert!(PartyKey::from_seed(" NVIDIA", &[1; 32]).is_err());
    let key = key();
    assert_eq!(PartyKey::from_seed("NVIDIA", &key.seed()).expect("same").public_key(), key.public_key());
    assert!(!format!("{key:?}").contains(&format!("{:?}", key.seed())), "debug output shows the secret");
    let bad = r#"{"type":"registered","serial":"SN1","model":"M","holder":"H","device_public_key":"abc","time":"2026-01-05T00:00:00Z"}"#;
    match EventDraft::from_json(bad) {
        Err(LedgerError::Field { field, .. }) => assert_eq!(field, "device_public_key"),
        other => panic!("{other:?}"),
    }
}
