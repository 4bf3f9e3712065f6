//! The offline verifier: with nothing but a signed checkpoint, the log's verifier key, an entry
//! and a proof, decide whether the entry is in the log (or the log only grew), or say exactly why
//! not.

use crate::checkpoint::{Checkpoint, NoteVerifier, open_checkpoint};
use crate::error::LedgerError;
use crate::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};

/// What a successful inclusion check establishes: entry `index`, with this leaf hash, is in the
/// tree the checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedInclusion {
    pub checkpoint: Checkpoint,
    pub index: u64,
    pub leaf_hash: Hash,
}

/// Checks that `entry` (the entry's bytes, as logged) is leaf `index` of the tree signed by
/// `checkpoint_note`. Fails on a bad or missing signature by `verifier`, a malformed checkpoint,
/// an index at or past the checkpoint's size, a proof of the wrong length, or a proof that leads
/// to another root.
pub fn verify_entry_inclusion(
    checkpoint_note: &str,
    verifier: &NoteVerifier,
    entry: &[u8],
    index: u64,
    proof: &[Hash],
) -> Result<VerifiedInclusion, LedgerError> {
    let checkpoint = open_checkpoint(checkpoint_note, verifier)?;
    let leaf = leaf_hash(entry);
    verify_inclusion(index, checkpoint.size, &leaf, proof, &checkpoint.root)?;
    Ok(VerifiedInclusion { checkpoint, index, leaf_hash: leaf })
}

/// Checks that the log of `new_note` extends the log of `old_note` (same origin, both signed by
/// `verifier`) by the consistency proof. Returns both checkpoints, old first.
pub fn verify_checkpoint_consistency(
    old_note: &str,
    new_note: &str,
    verifier: &NoteVerifier,
    proof: &[Hash],
) -> Result<(Checkpoint, Checkpoint), LedgerError> {
    let old = open_checkpoint(old_note, verifier)?;
    let new = open_checkpoint(new_note, verifier)?;
    if old.origin != new.origin {
        return Err(LedgerError::OriginMismatch { old: old.origin, new: new.origin });
    }
    verify_consistency(old.size, new.size, proof, &old.root, &new.root)?;
    Ok((old, new))
}
