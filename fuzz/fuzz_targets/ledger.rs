//! Fuzz target: custody events, signed entries, checkpoints, signed notes and verifier keys
//! parse or return an error on any input, never panic; what parses re-encodes to itself.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(event) = chipwarden_ledger::CustodyEvent::from_canonical(data) {
        assert_eq!(event.canonical_bytes(), data, "canonical bytes round-trip");
    }
    let _ = chipwarden_ledger::SignedEvent::from_entry(data);
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = chipwarden_ledger::EventDraft::from_json(text);
    if let Ok(event) = chipwarden_ledger::CustodyEvent::from_json(text) {
        let again = chipwarden_ledger::CustodyEvent::from_canonical(&event.canonical_bytes());
        assert_eq!(again.as_ref().ok(), Some(&event), "json -> canonical -> event");
    }
    let _ = chipwarden_ledger::Checkpoint::parse(text);
    let _ = chipwarden_ledger::SignedNote::parse(text);
    let _ = chipwarden_ledger::NoteVerifier::from_vkey(text);
});
