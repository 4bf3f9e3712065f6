//! Property tests over random trees: every inclusion and consistency proof verifies, and every
//! altered one (a flipped byte, a wrong index, a wrong size, a hash added or removed) fails.
//!
//! One subtlety: a proof binds a leaf to a root, not to a tree size. Some wrong sizes walk the
//! proof exactly as the true size does (index 0 of 5 leaves and of 6 leaves both hash the leaf
//! with three right siblings), so they compute the same root. The signed checkpoint is what ties
//! the size to the root. For altered sizes the test therefore uses a symbolic model of the RFC
//! 9162 algorithms: an alteration must fail exactly when it makes the algorithm combine the
//! hashes into a different expression.

use chipwarden_ledger::{
    Frontier, Hash, consistency_proof, inclusion_proof, inclusion_proof_len, leaf_hash, root,
    root_from_inclusion_proof, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

fn tree(seed: u64, size: u64) -> Vec<Hash> {
    (0..size).map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat())).collect()
}

/// The expression RFC 9162 section 2.1.3.2 computes from leaf `x` and proof hashes `p0, p1, ...`,
/// or `None` where it fails before comparing roots.
fn inclusion_expression(index: u64, size: u64, len: usize) -> Option<String> {
    if index >= size || len != inclusion_proof_len(index, size) {
        return None;
    }
    let (mut fn_, mut sn, mut r) = (index, size - 1, "x".to_owned());
    for k in 0..len {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = format!("(p{k},{r})");
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = format!("({r},p{k})");
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

/// The two expressions RFC 9162 section 2.1.4.2 computes (old root, new root) from old root `o`
/// and proof hashes, or `None` where it fails before comparing roots.
fn consistency_expression(from: u64, to: u64, len: usize) -> Option<(String, String)> {
    if from == 0 || from > to {
        return None;
    }
    if from == to {
        return (len == 0).then(|| ("o".to_owned(), "o".to_owned()));
    }
    if len == 0 {
        return None;
    }
    let mut path: Vec<String> = (0..len).map(|k| format!("p{k}")).collect();
    if from.is_power_of_two() {
        path.insert(0, "o".to_owned());
    }
    let (mut fn_, mut sn) = (from - 1, to - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0].clone(), path[0].clone());
    for c in &path[1..] {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = format!("({c},{fr})");
            sr = format!("({c},{sr})");
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = format!("({sr},{c})");
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some((fr, sr))
}

fn flip(hash: &Hash, byte: usize, bit: u8) -> Hash {
    let mut altered = *hash;
    altered.0[byte % 32] ^= 1 << (bit % 8);
    altered
}

/// A size and an index in it.
fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
    (1u64..300).prop_flat_map(|size| (Just(size), 0..size))
}

/// Two sizes, `from <= to`.
fn two_sizes() -> impl Strategy<Value = (u64, u64)> {
    (1u64..300).prop_flat_map(|to| (1..=to, Just(to)))
}

proptest! {
    #[test]
    fn inclusion_proofs_verify_and_alterations_fail(
        seed in any::<u64>(),
        (size, index) in size_and_index(),
        other in any::<u64>(),
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        let leaves = tree(seed, size);
        let head = root(&leaves, size).expect("root");
        let leaf = leaves[index as usize];
        let proof = inclusion_proof(&leaves, index, size).expect("proof");
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &head).is_ok());
        prop_assert_eq!(root_from_inclusion_proof(index, size, &leaf, &proof).expect("root"), head);

        // A flipped bit anywhere: in a proof hash, the leaf, or the root.
        if !proof.is_empty() {
            let mut altered = proof.clone();
            let k = (other as usize) % altered.len();
            altered[k] = flip(&altered[k], byte, bit);
            prop_assert!(verify_inclusion(index, size, &leaf, &altered, &head).is_err());
        }
        prop_assert!(verify_inclusion(index, size, &flip(&leaf, byte, bit), &proof, &head).is_err());
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &flip(&head, byte, bit)).is_err());

        // Another leaf's hash, or another index in the same tree.
        if size > 1 {
            let wrong = (index + 1 + other % (size - 1)) % size;
            prop_assert!(verify_inclusion(index, size, &leaves[wrong as usize], &proof, &head).is_err());
            prop_assert!(verify_inclusion(wrong, size, &leaf, &proof, &head).is_err(), "index {} for {}", wrong, index);
        }
        prop_assert!(verify_inclusion(size, size, &leaf, &proof, &head).is_err());

        // A hash added or removed.
        let mut longer = proof.clone();
        longer.push(head);
        prop_assert!(verify_inclusion(index, size, &leaf, &longer, &head).is_err());
        if !proof.is_empty() {
            prop_assert!(verify_inclusion(index, size, &leaf, &proof[1..], &head).is_err());
        }

        // Wrong sizes fail unless the algorithm walks them exactly as the true size.
        let truth = inclusion_expression(index, size, proof.len());
        prop_assert!(truth.is_some());
        for wrong in [size + 1, size.saturating_sub(1), size * 2, size / 2, index + 1 + other % 600] {
            if wrong == size {
                continue;
            }
            let passes = verify_inclusion(index, wrong, &leaf, &proof, &head).is_ok();
            prop_assert_eq!(passes, inclusion_expression(index, wrong, proof.len()) == truth, "size {} for {}", wrong, size);
        }
    }

    #[test]
    fn consistency_proofs_verify_and_alterations_fail(
        seed in any::<u64>(),
        (from, to) in two_sizes(),
        other in any::<u64>(),
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        let leaves = tree(seed, to);
        let old = root(&leaves, from).expect("old root");
        let new = root(&leaves, to).expect("new root");
        let proof = consistency_proof(&leaves, from, to).expect("proof");
        prop_assert!(verify_consistency(from, to, &proof, &old, &new).is_ok());

        // A flipped bit in a proof hash or either root.
        if !proof.is_empty() {
            let mut altered = proof.clone();
            let k = (other as usize) % altered.len();
            altered[k] = flip(&altered[k], byte, bit);
            prop_assert!(verify_consistency(from, to, &altered, &old, &new).is_err());
        }
        prop_assert!(verify_consistency(from, to, &proof, &flip(&old, byte, bit), &new).is_err());
        prop_assert!(verify_consistency(from, to, &proof, &old, &flip(&new, byte, bit)).is_err());
        if from < to {
            prop_assert!(verify_consistency(from, to, &proof, &new, &old).is_err(), "swapped roots");
            // A tree that is not an extension: same old leaves, one new leaf changed.
            let mut forked = leaves.clone();
            let changed = (from + other % (to - from)) as usize;
            forked[changed] = flip(&forked[changed], byte, bit);
            let forked_root = root(&forked, to).expect("root");
            prop_assert!(verify_consistency(from, to, &proof, &old, &forked_root).is_err());
        }
        if from > 1 {
            // An old tree that differs in one leaf.
            let mut forked = leaves.clone();
            let changed = (other % from) as usize;
            forked[changed] = flip(&forked[changed], byte, bit);
            let forked_old = root(&forked, from).expect("root");
            prop_assert!(verify_consistency(from, to, &proof, &forked_old, &new).is_err());
        }

        // A hash added or removed.
        let mut longer = proof.clone();
        longer.push(new);
        prop_assert!(verify_consistency(from, to, &longer, &old, &new).is_err());
        if !proof.is_empty() {
            prop_assert!(verify_consistency(from, to, &proof[..proof.len() - 1], &old, &new).is_err());
        }

        // Wrong sizes fail unless the algorithm combines the same hashes the same way.
        let truth = consistency_expression(from, to, proof.len());
        prop_assert!(truth.is_some());
        let shift = 1 + other % 600;
        for (f, t) in [
            (from + 1, to), (from - 1, to), (from ^ 2, to), (from, to + 1), (from, to - 1), (from, to * 2),
            (from, to / 2), (from + shift, to + shift), (from, to + shift),
        ] {
            if (f, t) == (from, to) {
                continue;
            }
            let passes = verify_consistency(f, t, &proof, &old, &new).is_ok();
            prop_assert_eq!(passes, consistency_expression(f, t, proof.len()) == truth, "sizes {}..{} for {}..{}", f, t, from, to);
        }
    }

    #[test]
    fn the_frontier_keeps_the_head(seed in any::<u64>(), size in 0u64..400) {
        let leaves = tree(seed, size);
        let mut frontier = Frontier::new();
        for leaf in &leaves {
            frontier.push(*leaf);
        }
        prop_assert_eq!(frontier.root(), root(&leaves, size).expect("root"));
        prop_assert_eq!(Frontier::from_parts(size, frontier.hashes().to_vec()).expect("parts"), frontier);
    }
}
