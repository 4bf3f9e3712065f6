//! The RFC 9162 (RFC 6962) Merkle tree: leaf and node hashes, tree heads of any size, inclusion
//! and consistency proofs, their verification, and the frontier that appends in O(log n).
//!
//! Hashing is SHA-256 with domain separation: a leaf is `SHA-256(0x00 || data)`, an interior
//! node `SHA-256(0x01 || left || right)`, and the empty tree's head is `SHA-256("")`. A tree of
//! `n > 1` leaves splits at the largest power of two below `n` (RFC 9162 section 2.1.1).
//!
//! Proofs are built over any [`LeafHashes`] source, so storage can serve leaf hashes (and any
//! subtree hashes it has cached) without the engine knowing where they live. Verification
//! follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::LedgerError;

/// A SHA-256 hash: a leaf hash, a node hash or a tree head.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// A hash from bytes that must be exactly 32 long.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash, LedgerError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| LedgerError::HashLength { got: bytes.len() })?;
        Ok(Hash(array))
    }

    /// A hash from 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Hash, LedgerError> {
        let bytes = crate::hex::decode(text).ok_or_else(|| LedgerError::HashHex { text: text.to_owned() })?;
        Hash::from_slice(&bytes).map_err(|_| LedgerError::HashHex { text: text.to_owned() })
    }

    /// Lowercase hex, the form every JSON output uses.
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The head of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// Where proofs get their leaf hashes: a slice in memory, or storage.
///
/// Implementations that fail (storage) wrap their error with [`LedgerError::source`].
pub trait LeafHashes {
    /// How many leaves the log holds.
    fn size(&self) -> u64;

    /// The hash of leaf `index` (always `< size()` when the engine asks).
    fn leaf_hash(&self, index: u64) -> Result<Hash, LedgerError>;

    /// The Merkle tree hash of leaves `start..end`, if the source has it at hand (a cache of
    /// complete subtrees, for instance). The engine asks only for ranges the RFC 9162 split
    /// produces and computes anything answered with `None` from below.
    fn subtree_hash(&self, start: u64, end: u64) -> Result<Option<Hash>, LedgerError> {
        let _ = (start, end);
        Ok(None)
    }
}

impl LeafHashes for [Hash] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, LedgerError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.get(i).copied())
            .ok_or(LedgerError::IndexBeyondSize { index, size: self.len() as u64 })
    }
}

impl LeafHashes for Vec<Hash> {
    fn size(&self) -> u64 {
        self.as_slice().size()
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, LedgerError> {
        self.as_slice().leaf_hash(index)
    }
}

/// The largest power of two strictly below `n` (for `n >= 2`): where RFC 9162 splits a tree.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The Merkle tree hash of leaves `start..end` (`start < end`).
fn subtree<S: LeafHashes + ?Sized>(source: &S, start: u64, end: u64) -> Result<Hash, LedgerError> {
    if let Some(hash) = source.subtree_hash(start, end)? {
        return Ok(hash);
    }
    let n = end - start;
    if n == 1 {
        return source.leaf_hash(start);
    }
    let k = split(n);
    let left = subtree(source, start, start + k)?;
    let right = subtree(source, start + k, end)?;
    Ok(node_hash(&left, &right))
}

fn check_size<S: LeafHashes + ?Sized>(source: &S, size: u64) -> Result<(), LedgerError> {
    let log_size = source.size();
    if size > log_size {
        return Err(LedgerError::SizeBeyondLog { size, log_size });
    }
    Ok(())
}

/// The tree head (root hash) of the first `size` leaves of `source`.
pub fn root<S: LeafHashes + ?Sized>(source: &S, size: u64) -> Result<Hash, LedgerError> {
    check_size(source, size)?;
    if size == 0 {
        return Ok(empty_root());
    }
    subtree(source, 0, size)
}

/// The inclusion proof (audit path, RFC 9162 section 2.1.3.1) of leaf `index` in the tree of the
/// first `size` leaves, ordered from the leaf up.
pub fn inclusion_proof<S: LeafHashes + ?Sized>(source: &S, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
    check_size(source, size)?;
    if index >= size {
        return Err(LedgerError::IndexBeyondSize { index, size });
    }
    let mut proof = Vec::with_capacity(inclusion_proof_len(index, size));
    path(source, index, 0, size, &mut proof)?;
    Ok(proof)
}

/// PATH(m, D[start:end]) with `m` relative to `start`.
fn path<S: LeafHashes + ?Sized>(
    source: &S,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = end - start;
    if n == 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(source, m, start, start + k, out)?;
        out.push(subtree(source, start + k, end)?);
    } else {
        path(source, m - k, start + k, end, out)?;
        out.push(subtree(source, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof (RFC 9162 section 2.1.4.1) that the tree of `to` leaves extends the
/// tree of `from` leaves. Empty when `from == to`; a proof from the empty tree is refused, as
/// it proves nothing (every tree extends the empty one).
pub fn consistency_proof<S: LeafHashes + ?Sized>(source: &S, from: u64, to: u64) -> Result<Vec<Hash>, LedgerError> {
    check_size(source, to)?;
    check_consistency_sizes(from, to)?;
    if from == to {
        return Ok(Vec::new());
    }
    let mut proof = Vec::with_capacity(consistency_proof_len(from, to));
    subproof(source, from, 0, to, true, &mut proof)?;
    Ok(proof)
}

/// SUBPROOF(m, D[start:end], b) with `m` relative to `start`.
fn subproof<S: LeafHashes + ?Sized>(
    source: &S,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(subtree(source, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(source, m, start, start + k, whole, out)?;
        out.push(subtree(source, start + k, end)?);
    } else {
        subproof(source, m - k, start + k, end, false, out)?;
        out.push(subtree(source, start, start + k)?);
    }
    Ok(())
}

fn check_consistency_sizes(from: u64, to: u64) -> Result<(), LedgerError> {
    if from > to {
        return Err(LedgerError::ConsistencyRange { from, to, reason: "the old size is larger than the new one" });
    }
    if from == 0 {
        return Err(LedgerError::ConsistencyRange {
            from,
            to,
            reason: "every tree extends the empty tree, there is nothing to prove",
        });
    }
    Ok(())
}

/// How many hashes the inclusion proof of leaf `index` in a tree of `size` leaves has
/// (`index < size`): the levels below the point where the paths to `index` and to the last
/// leaf part, plus one per left sibling above it. Zero when `index >= size` (there is no proof).
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    let (inner, border) = decompose(index, size);
    inner + border
}

/// How many hashes the consistency proof from `from` to `to` leaves has (`0 < from < to`; zero
/// otherwise).
pub fn consistency_proof_len(from: u64, to: u64) -> usize {
    if from == 0 || from >= to {
        return 0;
    }
    let (inner, border) = decompose(from - 1, to);
    let shift = from.trailing_zeros() as usize;
    let seed = usize::from(from != 1 << shift);
    seed + inner - shift + border
}

fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = if inner >= 64 { 0 } else { (index >> inner).count_ones() as usize };
    (inner, border)
}

/// The root that an inclusion proof leads to, by RFC 9162 section 2.1.3.2.
pub fn root_from_inclusion_proof(index: u64, size: u64, leaf: &Hash, proof: &[Hash]) -> Result<Hash, LedgerError> {
    if index >= size {
        return Err(LedgerError::IndexBeyondSize { index, size });
    }
    let want = inclusion_proof_len(index, size);
    if proof.len() != want {
        return Err(LedgerError::ProofLength { got: proof.len(), want });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(LedgerError::ProofLength { got: proof.len(), want });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(LedgerError::ProofLength { got: proof.len(), want });
    }
    Ok(r)
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose head is `root`.
///
/// A proof binds the leaf to the root, not to the size: the size is bound to the root by the
/// signed checkpoint that carries both.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), LedgerError> {
    let computed = root_from_inclusion_proof(index, size, leaf, proof)?;
    matches("root", &computed, root)
}

fn matches(which: &'static str, computed: &Hash, expected: &Hash) -> Result<(), LedgerError> {
    if computed != expected {
        return Err(LedgerError::RootMismatch { which, computed: computed.to_hex(), expected: expected.to_hex() });
    }
    Ok(())
}

/// Checks that the tree of `to` leaves with head `to_root` extends the tree of `from` leaves
/// with head `from_root`, by RFC 9162 section 2.1.4.2. Equal sizes need an empty proof and equal
/// heads; a proof from size 0 is refused (see [`consistency_proof`]).
pub fn verify_consistency(
    from: u64,
    to: u64,
    proof: &[Hash],
    from_root: &Hash,
    to_root: &Hash,
) -> Result<(), LedgerError> {
    check_consistency_sizes(from, to)?;
    if from == to {
        if !proof.is_empty() {
            return Err(LedgerError::ProofLength { got: proof.len(), want: 0 });
        }
        return matches("new root", from_root, to_root);
    }
    let want = consistency_proof_len(from, to);
    if proof.len() != want {
        return Err(LedgerError::ProofLength { got: proof.len(), want });
    }
    // Step 2: when `from` is a power of two, the old head is itself a node on the path.
    let seeded;
    let path: &[Hash] = if from.is_power_of_two() {
        seeded = std::iter::once(*from_root).chain(proof.iter().copied()).collect::<Vec<_>>();
        &seeded
    } else {
        proof
    };
    let (mut fn_, mut sn) = (from - 1, to - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let Some((first, rest)) = path.split_first() else {
        return Err(LedgerError::ProofLength { got: proof.len(), want });
    };
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(LedgerError::ProofLength { got: proof.len(), want });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(LedgerError::ProofLength { got: proof.len(), want });
    }
    matches("old root", &fr, from_root)?;
    matches("new root", &sr, to_root)
}

/// The right border of a tree: the heads of its complete subtrees, largest first, one per set
/// bit of the size. Enough to append a leaf and to compute the tree head in O(log n), so storage
/// can keep the head current without reading old leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    // INVARIANT: `hashes.len() == size.count_ones()`, hashes[i] heads the i-th complete subtree
    // from the left.
    hashes: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// A frontier from stored parts, checked for shape (one hash per set bit of `size`).
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Frontier, LedgerError> {
        let want = size.count_ones() as usize;
        if hashes.len() != want {
            return Err(LedgerError::ProofLength { got: hashes.len(), want });
        }
        Ok(Frontier { size, hashes })
    }

    /// The frontier of the first `size` leaves of `source`.
    pub fn from_source<S: LeafHashes + ?Sized>(source: &S, size: u64) -> Result<Frontier, LedgerError> {
        check_size(source, size)?;
        let mut hashes = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0;
        for bit in (0..64).rev() {
            let width = 1u64 << bit;
            if size & width != 0 {
                hashes.push(subtree(source, start, start + width)?);
                start += width;
            }
        }
        Ok(Frontier { size, hashes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The complete-subtree heads, largest (leftmost) first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf by its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut size = self.size;
        // Each trailing set bit of the size is a complete subtree of the same width as the one
        // being carried: merge them, as binary addition carries.
        while size & 1 == 1 {
            if let Some(left) = self.hashes.pop() {
                hash = node_hash(&left, &hash);
            }
            size >>= 1;
        }
        self.hashes.push(hash);
        self.size += 1;
    }

    /// The tree head.
    pub fn root(&self) -> Hash {
        let mut iter = self.hashes.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn split_is_the_largest_power_of_two_below() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (u64::MAX, 1 << 63)] {
            assert_eq!(split(n), k, "n = {n}");
        }
    }

    #[test]
    fn frontier_matches_recomputed_heads() {
        let all = leaves(70);
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), empty_root());
        for (i, leaf) in all.iter().enumerate() {
            frontier.push(*leaf);
            let size = i as u64 + 1;
            assert_eq!(frontier.root(), root(&all, size).expect("root"), "size {size}");
            assert_eq!(frontier, Frontier::from_source(&all, size).expect("frontier"));
        }
    }

    #[test]
    fn proof_lengths_match_generated_proofs() {
        let all = leaves(40);
        for size in 1..=40 {
            for index in 0..size {
                let proof = inclusion_proof(&all, index, size).expect("proof");
                assert_eq!(proof.len(), inclusion_proof_len(index, size));
            }
            for from in 1..size {
                let proof = consistency_proof(&all, from, size).expect("proof");
                assert_eq!(proof.len(), consistency_proof_len(from, size));
            }
        }
    }

    #[test]
    fn requests_beyond_the_log_are_refused() {
        let all = leaves(5);
        assert!(matches!(inclusion_proof(&all, 5, 5), Err(LedgerError::IndexBeyondSize { index: 5, size: 5 })));
        assert!(matches!(inclusion_proof(&all, 0, 6), Err(LedgerError::SizeBeyondLog { size: 6, log_size: 5 })));
        assert!(matches!(consistency_proof(&all, 2, 6), Err(LedgerError::SizeBeyondLog { .. })));
        assert!(matches!(consistency_proof(&all, 4, 3), Err(LedgerError::ConsistencyRange { .. })));
        assert!(matches!(consistency_proof(&all, 0, 3), Err(LedgerError::ConsistencyRange { .. })));
        assert!(matches!(root(&all, 6), Err(LedgerError::SizeBeyondLog { .. })));
        let message = inclusion_proof(&all, 0, 9).expect_err("beyond").to_string();
        assert_eq!(message, "tree size 9 is beyond the log size 5");
    }
}
