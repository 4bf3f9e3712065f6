//! Published test vectors: the RFC 6962 example tree and every transparency-dev inclusion and
//! consistency probe (happy paths and corruptions) from `test_data/` (see its README).

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chipwarden_ledger::{
    Hash, LedgerError, consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};
use serde_json::Value;

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir).expect("test data folder").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("vector file")).expect("vector JSON")
}

/// A base64 hash as the engine would read it: 32 bytes, or refused.
fn hash(value: &Value) -> Result<Hash, LedgerError> {
    let bytes = STANDARD.decode(value.as_str().expect("base64 string")).expect("valid base64");
    Hash::from_slice(&bytes)
}

fn hashes(value: &Value) -> Result<Vec<Hash>, LedgerError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(hash).collect(),
        other => panic!("proof is not an array: {other}"),
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

#[test]
fn rfc6962_example_tree_heads() {
    let vectors = read_json(&test_data().join("rfc6962_vectors.json"));
    let leaves: Vec<Hash> = vectors["leaf_inputs_hex"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|l| leaf_hash(&hex(l.as_str().expect("hex"))))
        .collect();
    let roots = vectors["root_hash_by_tree_size_hex"].as_array().expect("roots");
    assert_eq!(roots.len(), leaves.len() + 1);
    for (size, expected) in roots.iter().enumerate() {
        let expected = Hash::from_hex(expected.as_str().expect("hex")).expect("hash");
        assert_eq!(root(&leaves, size as u64).expect("root"), expected, "tree size {size}");
    }
    // Every proof over the example tree verifies against these heads.
    for size in 1..=leaves.len() as u64 {
        let head = root(&leaves, size).expect("root");
        for index in 0..size {
            let proof = inclusion_proof(&leaves, index, size).expect("proof");
            verify_inclusion(index, size, &leaves[index as usize], &proof, &head).expect("inclusion verifies");
        }
        for from in 1..=size {
            let proof = consistency_proof(&leaves, from, size).expect("proof");
            let old = root(&leaves, from).expect("root");
            verify_consistency(from, size, &proof, &old, &head).expect("consistency verifies");
        }
    }
}

/// The RFC 6962 example tree's leaves, to rebuild the vectors' happy-path proofs.
fn example_leaves() -> Vec<Hash> {
    let vectors = read_json(&test_data().join("rfc6962_vectors.json"));
    vectors["leaf_inputs_hex"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|l| leaf_hash(&hex(l.as_str().expect("hex"))))
        .collect()
}

#[test]
fn transparency_dev_inclusion_vectors() {
    let mut files = Vec::new();
    json_files(&test_data().join("transparency-dev/inclusion"), &mut files);
    assert!(files.len() >= 90, "only {} inclusion vectors", files.len());
    let leaves = example_leaves();
    let (mut accepted, mut refused, mut rebuilt) = (0, 0, 0);
    for path in &files {
        let v = read_json(path);
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        let index = v["leafIdx"].as_u64().expect("leafIdx");
        let size = v["treeSize"].as_u64().expect("treeSize");
        let outcome = (|| {
            let (leaf, proof, head) = (hash(&v["leafHash"])?, hashes(&v["proof"])?, hash(&v["root"])?);
            verify_inclusion(index, size, &leaf, &proof, &head)
        })();
        assert_eq!(outcome.is_err(), want_err, "{}: {} -> {outcome:?}", path.display(), v["desc"]);
        if want_err {
            refused += 1;
        } else {
            accepted += 1;
            // The engine builds the same proof for the same leaf, whenever the leaf is one of the
            // example tree's.
            let proof = hashes(&v["proof"]).expect("proof");
            if size <= leaves.len() as u64 && leaves.get(index as usize) == Some(&hash(&v["leafHash"]).expect("leaf")) {
                assert_eq!(inclusion_proof(&leaves, index, size).expect("proof"), proof, "{}", path.display());
                rebuilt += 1;
            }
        }
    }
    assert!(accepted >= 5 && refused >= 80, "accepted {accepted}, refused {refused}");
    assert!(rebuilt >= 4, "only {rebuilt} happy paths rebuilt from the example tree");
}

/// The one vector this engine cannot take as written (see `test_data/README.md`).
const TWELVE_BYTE_ROOTS: &str = "sizes-are-equal-one-and-proof-is-empty.json";

#[test]
fn transparency_dev_consistency_vectors() {
    let mut files = Vec::new();
    json_files(&test_data().join("transparency-dev/consistency"), &mut files);
    assert!(files.len() >= 90, "only {} consistency vectors", files.len());
    let leaves = example_leaves();
    let (mut accepted, mut refused) = (0, 0);
    for path in &files {
        let v = read_json(path);
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        let from = v["size1"].as_u64().expect("size1");
        let to = v["size2"].as_u64().expect("size2");
        let read = (|| Ok::<_, LedgerError>((hash(&v["root1"])?, hash(&v["root2"])?, hashes(&v["proof"])?)))();
        if path.file_name().is_some_and(|n| n == TWELVE_BYTE_ROOTS) {
            assert!(!want_err);
            assert!(matches!(read, Err(LedgerError::HashLength { got: 12 })), "{read:?}");
            continue;
        }
        let outcome = read.and_then(|(old, new, proof)| verify_consistency(from, to, &proof, &old, &new));
        assert_eq!(outcome.is_err(), want_err, "{}: {} -> {outcome:?}", path.display(), v["desc"]);
        if want_err {
            refused += 1;
        } else {
            accepted += 1;
            let proof = hashes(&v["proof"]).expect("proof");
            assert_eq!(consistency_proof(&leaves, from, to).expect("proof"), proof, "{}", path.display());
        }
    }
    assert!(accepted >= 5 && refused >= 80, "accepted {accepted}, refused {refused}");
}
