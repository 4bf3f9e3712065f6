//! The ledger engine (issue 5): a tamper-evident chain of custody for chips.
//!
//! Parties submit signed custody events (`event`, `signature`); the custody state machine refuses
//! impossible histories and shows the gaps (`custody`); the log is an RFC 9162 Merkle tree with
//! inclusion and consistency proofs (`merkle`), whose heads are published as signed C2SP
//! checkpoints (`checkpoint`) that anyone can check offline (`verify`). The same log carries
//! audit entries (`audit`): decisions and administrative actions, signed by the log's own key,
//! which the custody replay skips.
//!
//! Pure: bytes and values in, values out. No storage, no clock, no randomness: keys are made
//! from seeds the caller draws, times come with the events, and proofs read leaf hashes through
//! the [`LeafHashes`] trait that storage implements.

pub mod audit;
pub mod checkpoint;
pub mod custody;
pub mod error;
pub mod event;
mod hex;
pub mod merkle;
pub mod signature;
pub mod verify;

pub use audit::{
    AUDIT_SIGNING_CONTEXT, AUDIT_VERSION, AuditDraft, AuditEvent, LogEntry, SignedAudit, audit_signing_message,
    is_audit_entry,
};
pub use checkpoint::{
    Checkpoint, NoteSignature, NoteSigner, NoteVerifier, SignedNote, key_hash, open_checkpoint, open_note,
};
pub use custody::{ChipRecord, ChipStatus, Custody, Gap, GapKind, LocationCheck, Rejection};
pub use error::LedgerError;
pub use event::{CustodyEvent, EVENT_VERSION, EventDraft, EventKind, Submitter, format_time};
pub use merkle::{
    Frontier, Hash, LeafHashes, consistency_proof, consistency_proof_len, empty_root, inclusion_proof,
    inclusion_proof_len, leaf_hash, node_hash, root, root_from_inclusion_proof, verify_consistency, verify_inclusion,
};
pub use signature::{PartyKey, PublicKey, SIGNING_CONTEXT, SignedEvent, signing_message};
pub use verify::{VerifiedInclusion, verify_checkpoint_consistency, verify_entry_inclusion};
