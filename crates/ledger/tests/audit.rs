//! Audit entries: the canonical encoding pinned by golden files (`tests/golden/audit.*.json`),
//! signatures by the log's key, and the line between audit and custody entries.
//!
//! If the golden test fails, the encoding of version 1 changed and every audit entry logged so
//! far would no longer verify: make a new version instead. A deliberate new golden case may be
//! written with `CHIPWARDEN_BLESS=1 cargo test -p chipwarden-ledger --test audit`.

use std::fs;
use std::path::PathBuf;

use chipwarden_ledger::{
    AuditDraft, Custody, EventDraft, LedgerError, LogEntry, NoteSigner, PartyKey, SignedAudit, SignedEvent,
    is_audit_entry,
};

fn log_key() -> NoteSigner {
    NoteSigner::from_seed("chipwarden.test/ledger", &[3; 32]).expect("log key")
}

fn draft() -> AuditDraft {
    AuditDraft {
        actor: "desk".to_owned(),
        action: "case.cleared".to_owned(),
        subject: "case:7".to_owned(),
        detail: "reason: a different bank, \"Banco Nacional\" of Panama".to_owned(),
        time: "2026-03-01T09:15:00.5Z".parse().expect("time"),
    }
}

fn check_golden(name: &str, actual: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
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
    let signed = draft().sign(&log_key()).expect("sign");
    check_golden("audit.event.json", &signed.event.canonical_bytes());
    check_golden("audit.entry.json", &signed.entry_bytes());
    assert_eq!(SignedAudit::from_entry(&signed.entry_bytes()).expect("read back"), signed);
}

#[test]
fn audit_entries_are_signed_by_the_log_key_and_not_custody_events() {
    let signed = draft().sign(&log_key()).expect("sign");
    assert_eq!(signed.event.signer, log_key().verifier().public_key());
    let bytes = signed.entry_bytes();
    assert!(is_audit_entry(&bytes));
    // A custody reader refuses it; the log reader tells it apart.
    assert!(SignedEvent::from_entry(&bytes).is_err());
    assert!(matches!(LogEntry::from_entry(&bytes), Ok(LogEntry::Audit(_))));
    // A signature by another key under the same signer name does not verify.
    let other = draft().sign(&NoteSigner::from_seed("chipwarden.test/ledger", &[4; 32]).expect("key")).expect("sign");
    let forged = SignedAudit { event: signed.event.clone(), signature: other.signature };
    assert!(matches!(forged.verify(), Err(LedgerError::BadAuditSignature { .. })));
}

#[test]
fn custody_entries_still_read_and_replay_beside_audit_entries() {
    let party = PartyKey::from_seed("NVIDIA", &[1; 32]).expect("key");
    let registered = party.sign_draft(
        EventDraft::from_json(
            r#"{"type":"registered","serial":"SN1","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-05T00:00:00Z"}"#,
        )
        .expect("draft"),
    );
    let audit = draft().sign(&log_key()).expect("sign");
    let log = [registered.entry_bytes(), audit.entry_bytes()];
    let mut custody = Custody::new();
    let mut audits = 0;
    for bytes in &log {
        match LogEntry::from_entry(bytes).expect("entry") {
            LogEntry::Custody(signed) => custody.apply(&signed.event).expect("replays"),
            LogEntry::Audit(_) => audits += 1,
        }
    }
    assert_eq!(audits, 1);
    assert!(custody.chip("SN1").is_some());
    assert!(!is_audit_entry(&registered.entry_bytes()));
}
