//! The ledger engine's one error type: malformed input, bad signatures, impossible custody
//! histories, proofs that do not verify and notes that do not open.

use crate::custody::Rejection;

/// Everything the ledger engine can refuse, each with the reason a person can act on.
///
/// Messages are lowercase, name the field or value in backticks, and never name Rust types.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    // --- events ---
    /// The text is not JSON, or not a JSON object.
    #[error("malformed event: {message}")]
    Json { message: String },
    /// A field of an event is missing, of the wrong type, or holds a bad value.
    #[error("field `{field}`: {message}")]
    Field { field: String, message: String },
    /// The event's `type` is not one this version knows.
    #[error("field `type`: unknown event type `{found}` (expected one of {expected})")]
    UnknownEventType { found: String, expected: &'static str },
    /// The event's `version` is not one this engine can read.
    #[error("field `version`: unsupported event version `{found}` (this engine reads version 1)")]
    UnsupportedVersion { found: String },
    /// Bytes that parse as an event or entry but are not its canonical encoding: the same
    /// content would have been written differently, so these bytes were not produced by us.
    #[error("{what} is not in canonical form (re-encoding it gives different bytes)")]
    NotCanonical { what: &'static str },

    // --- keys and signatures ---
    /// A key (party key, verifier key, signer key) could not be read.
    #[error("malformed key: {message}")]
    Key { message: String },
    /// An event's signature does not verify against its submitter's public key.
    #[error("signature of the `{kind}` event for chip `{serial}` by `{party}` does not verify")]
    BadSignature { serial: String, kind: &'static str, party: String },
    /// An event was to be signed with a key that is not the submitter's.
    #[error("signature of the audit entry `{action}` on `{subject}` does not verify")]
    BadAuditSignature { action: String, subject: String },

    #[error("event names submitter `{party}` with a different public key than the signing key")]
    KeyMismatch { party: String },

    // --- custody ---
    /// An event that would make the chip's history impossible.
    #[error("chip `{serial}`: {reason}")]
    Custody { serial: String, reason: Rejection },

    // --- Merkle tree ---
    /// A value presented as a hash is not 32 bytes.
    #[error("a SHA-256 hash is 32 bytes, got {got}")]
    HashLength { got: usize },
    /// A value presented as a hex hash is not 64 hex digits.
    #[error("`{text}` is not a hash (64 hex digits)")]
    HashHex { text: String },
    /// A leaf index at or past the tree size.
    #[error("leaf index {index} is beyond the tree size {size}")]
    IndexBeyondSize { index: u64, size: u64 },
    /// A proof or root was asked for a tree larger than the log.
    #[error("tree size {size} is beyond the log size {log_size}")]
    SizeBeyondLog { size: u64, log_size: u64 },
    /// A consistency proof between sizes that do not allow one.
    #[error("no consistency proof from size {from} to size {to}: {reason}")]
    ConsistencyRange { from: u64, to: u64, reason: &'static str },
    /// A proof with the wrong number of hashes for its index and sizes.
    #[error("proof has {got} hashes, a proof for these sizes has {want}")]
    ProofLength { got: usize, want: usize },
    /// A proof whose hashes lead to another root than the one expected.
    #[error("proof leads to {which} `{computed}`, expected `{expected}`")]
    RootMismatch { which: &'static str, computed: String, expected: String },
    /// A source of leaf hashes (storage) failed.
    #[error("reading the log: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),

    // --- signed notes and checkpoints ---
    /// The text is not a signed note.
    #[error("malformed note: {reason}")]
    MalformedNote { reason: String },
    /// The note text is not a checkpoint.
    #[error("malformed checkpoint, line {line}: {reason}")]
    MalformedCheckpoint { line: usize, reason: String },
    /// The note carries no signature by the key it was checked against.
    #[error("note has no signature by key `{name}+{key_hash:08x}`")]
    NoSignatureByKey { name: String, key_hash: u32 },
    /// Two checkpoints from different logs were compared.
    #[error("the checkpoints come from different logs: `{old}` and `{new}`")]
    OriginMismatch { old: String, new: String },
    /// A signature by the expected key that does not verify.
    #[error("invalid signature for key `{name}+{key_hash:08x}`")]
    InvalidNoteSignature { name: String, key_hash: u32 },
}

impl LedgerError {
    pub(crate) fn field(field: &str, message: impl Into<String>) -> LedgerError {
        LedgerError::Field { field: field.to_owned(), message: message.into() }
    }

    pub(crate) fn note(reason: impl Into<String>) -> LedgerError {
        LedgerError::MalformedNote { reason: reason.into() }
    }

    pub(crate) fn checkpoint(line: usize, reason: impl Into<String>) -> LedgerError {
        LedgerError::MalformedCheckpoint { line, reason: reason.into() }
    }

    pub(crate) fn key(message: impl Into<String>) -> LedgerError {
        LedgerError::Key { message: message.into() }
    }

    /// Wraps a storage error so that proofs can be built over any source of leaf hashes.
    pub fn source(error: impl std::error::Error + Send + Sync + 'static) -> LedgerError {
        LedgerError::Source(Box::new(error))
    }
}
