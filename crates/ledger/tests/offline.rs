//! The whole flow as storage and the CLI will drive it, with the offline verifier at the end:
//! signed events become entries, entries become leaves, a checkpoint is signed, and a holder of
//! the checkpoint, the verifier key, an entry and a proof decides alone (or learns exactly why
//! not). Also a storage-like leaf source with a subtree cache and failures.

use std::cell::Cell;

use chipwarden_ledger::{
    Checkpoint, Custody, EventDraft, Frontier, Hash, LeafHashes, LedgerError, NoteSigner, NoteVerifier, PartyKey,
    SignedEvent, consistency_proof, inclusion_proof, leaf_hash, root, verify_checkpoint_consistency,
    verify_entry_inclusion,
};

const ORIGIN: &str = "chipwarden.example/custody";

fn log_key() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &[7; 32]).expect("log key")
}

/// A little log: the entries of a chip's life, appended in order.
fn entries() -> Vec<Vec<u8>> {
    let nvidia = PartyKey::from_seed("NVIDIA", &[1; 32]).expect("key");
    let acme = PartyKey::from_seed("Acme", &[2; 32]).expect("key");
    let lines = [
        (
            &nvidia,
            r#"{"type":"registered","serial":"SN1","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-05T00:00:00Z"}"#,
        ),
        (
            &nvidia,
            r#"{"type":"shipped","serial":"SN1","from":"NVIDIA","to":"Acme","destination":"MY","time":"2026-01-06T00:00:00Z"}"#,
        ),
        (&acme, r#"{"type":"received","serial":"SN1","holder":"Acme","time":"2026-01-09T00:00:00Z"}"#),
        (&acme, r#"{"type":"installed","serial":"SN1","site":"KUL-1","country":"MY","time":"2026-01-10T00:00:00Z"}"#),
        (
            &nvidia,
            r#"{"type":"registered","serial":"SN2","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-11T00:00:00Z"}"#,
        ),
    ];
    let mut custody = Custody::new();
    lines
        .iter()
        .map(|(key, line)| {
            let signed = key.sign_draft(EventDraft::from_json(line).expect("draft"));
            custody.apply_signed(&signed).expect("possible history");
            signed.entry_bytes()
        })
        .collect()
}

fn signed_checkpoint(leaves: &[Hash], size: u64) -> String {
    let checkpoint =
        Checkpoint { origin: ORIGIN.to_owned(), size, root: root(leaves, size).expect("root"), extensions: vec![] };
    checkpoint.sign(&log_key()).expect("sign")
}

#[test]
fn an_entry_is_verified_offline_or_the_reason_is_given() {
    let entries = entries();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let size = leaves.len() as u64;
    let note = signed_checkpoint(&leaves, size);
    // The verifier holds only the vkey text.
    let verifier = NoteVerifier::from_vkey(&log_key().verifier().vkey()).expect("vkey");

    for (index, entry) in entries.iter().enumerate() {
        let index = index as u64;
        let proof = inclusion_proof(&leaves, index, size).expect("proof");
        let verified = verify_entry_inclusion(&note, &verifier, entry, index, &proof).expect("verified");
        assert_eq!((verified.index, verified.checkpoint.size), (index, size));
        assert_eq!(verified.leaf_hash, leaves[index as usize]);
        // The entry read back is the signed event, signature and all.
        SignedEvent::from_entry(entry).expect("entry");
    }

    let proof = inclusion_proof(&leaves, 2, size).expect("proof");
    let entry = &entries[2];

    // A changed entry.
    let mut altered = entry.clone();
    altered[20] ^= 1;
    let error = verify_entry_inclusion(&note, &verifier, &altered, 2, &proof).expect_err("altered entry");
    assert!(matches!(error, LedgerError::RootMismatch { which: "root", .. }), "{error}");
    assert!(error.to_string().starts_with("proof leads to root `"), "{error}");

    // Another index, an index past the checkpoint, a proof with a hash too many.
    assert!(matches!(
        verify_entry_inclusion(&note, &verifier, entry, 3, &proof),
        Err(LedgerError::RootMismatch { .. })
    ));
    let beyond = verify_entry_inclusion(&note, &verifier, entry, size, &proof).expect_err("beyond");
    assert_eq!(beyond.to_string(), "leaf index 5 is beyond the tree size 5");
    let mut longer = proof.clone();
    longer.push(leaves[0]);
    assert!(matches!(
        verify_entry_inclusion(&note, &verifier, entry, 2, &longer),
        Err(LedgerError::ProofLength { got: 4, want: 3 })
    ));

    // Another key, a forged checkpoint (size raised), garbage.
    let stranger = NoteSigner::from_seed(ORIGIN, &[8; 32]).expect("key").verifier();
    let error = verify_entry_inclusion(&note, &stranger, entry, 2, &proof).expect_err("wrong key");
    assert!(matches!(error, LedgerError::NoSignatureByKey { .. }), "{error}");
    let forged = note.replacen("\n5\n", "\n6\n", 1);
    assert!(matches!(
        verify_entry_inclusion(&forged, &verifier, entry, 2, &proof),
        Err(LedgerError::InvalidNoteSignature { .. })
    ));
    assert!(matches!(
        verify_entry_inclusion("not a note", &verifier, entry, 2, &proof),
        Err(LedgerError::MalformedNote { .. })
    ));
}

#[test]
fn checkpoints_are_checked_for_consistency_offline() {
    let leaves: Vec<Hash> = entries().iter().map(|e| leaf_hash(e)).collect();
    let verifier = log_key().verifier();
    let old = signed_checkpoint(&leaves, 3);
    let new = signed_checkpoint(&leaves, 5);
    let proof = consistency_proof(&leaves, 3, 5).expect("proof");
    let (a, b) = verify_checkpoint_consistency(&old, &new, &verifier, &proof).expect("consistent");
    assert_eq!((a.size, b.size), (3, 5));

    // A log that rewrote entry 1 after the old checkpoint.
    let mut rewritten = leaves.clone();
    rewritten[1] = leaf_hash(b"rewritten");
    let forked = signed_checkpoint(&rewritten, 5);
    let forked_proof = consistency_proof(&rewritten, 3, 5).expect("proof");
    let error = verify_checkpoint_consistency(&old, &forked, &verifier, &forked_proof).expect_err("fork");
    assert!(matches!(error, LedgerError::RootMismatch { which: "old root", .. }), "{error}");

    // Another log's checkpoint.
    let other_log = NoteSigner::from_seed(ORIGIN, &[7; 32]).expect("key");
    let other = Checkpoint {
        origin: "other.example/log".to_owned(),
        size: 5,
        root: root(&leaves, 5).expect("root"),
        extensions: vec![],
    }
    .sign(&other_log)
    .expect("sign");
    assert!(matches!(
        verify_checkpoint_consistency(&old, &other, &verifier, &proof),
        Err(LedgerError::OriginMismatch { .. })
    ));
}

/// A storage-like source: counts leaf reads, serves complete subtrees from a cache, can fail.
struct Store {
    leaves: Vec<Hash>,
    cache: Vec<(u64, u64, Hash)>,
    reads: Cell<u64>,
    broken: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("disk on fire")]
struct DiskError;

impl LeafHashes for Store {
    fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, LedgerError> {
        if self.broken {
            return Err(LedgerError::source(DiskError));
        }
        self.reads.set(self.reads.get() + 1);
        Ok(self.leaves[index as usize])
    }

    fn subtree_hash(&self, start: u64, end: u64) -> Result<Option<Hash>, LedgerError> {
        Ok(self.cache.iter().find(|(s, e, _)| (*s, *e) == (start, end)).map(|(_, _, h)| *h))
    }
}

#[test]
fn proofs_read_through_a_storage_source_and_its_cache() {
    let leaves: Vec<Hash> = (0u64..1000).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    // Cache every complete subtree of 256 leaves, as storage might.
    let cache =
        (0..3).map(|k| (k * 256, (k + 1) * 256, root(&leaves[(k * 256) as usize..], 256).expect("subtree"))).collect();
    let store = Store { leaves: leaves.clone(), cache, reads: Cell::new(0), broken: false };

    let proof = inclusion_proof(&store, 900, 1000).expect("proof");
    assert_eq!(proof, inclusion_proof(&leaves, 900, 1000).expect("proof"));
    assert!(store.reads.get() < 300, "the cache was not used: {} leaf reads", store.reads.get());
    assert_eq!(root(&store, 1000).expect("root"), root(&leaves, 1000).expect("root"));
    assert_eq!(Frontier::from_source(&store, 1000).expect("frontier").root(), root(&leaves, 1000).expect("root"));

    let broken = Store { broken: true, cache: vec![], ..store };
    let error = inclusion_proof(&broken, 1, 10).expect_err("broken");
    assert_eq!(error.to_string(), "reading the log: disk on fire");
    let error = inclusion_proof(&broken, 1, 1001).expect_err("beyond");
    assert_eq!(error.to_string(), "tree size 1001 is beyond the log size 1000");
}
