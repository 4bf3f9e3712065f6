//! Ledger benchmark (issue 5): durable appends, proof generation and verification per second,
//! each beside its floor measured in the same run on the same machine: SHA-256 throughput and a
//! plain batched SQLite insert of the same payloads with the same durability settings.
//!
//! `cargo run --release -p chipwarden --example ledger_bench -- [ENTRIES] [BATCH]`
//! (default 100000 entries, batches of 1000). Prints a Markdown table for docs/benchmarks.md.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use chipwarden_ledger::{
    Checkpoint, EventDraft, Hash, NoteSigner, PartyKey, consistency_proof, inclusion_proof, leaf_hash, root,
    verify_consistency, verify_entry_inclusion, verify_inclusion,
};
use chipwarden_store::Store;
use sha2::{Digest, Sha256};

/// A small deterministic generator: the same indices every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) % n
    }
}

fn rate(count: usize, seconds: f64) -> String {
    let r = count as f64 / seconds;
    if r >= 100.0 { format!("{:.0}", r) } else { format!("{r:.1}") }
}

fn open_plain(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    // The store's settings: write-ahead log, synchronous FULL (SQLite's default, kept).
    let _: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)).unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, entry BLOB NOT NULL)").unwrap();
    conn
}

fn plain_insert(conn: &mut rusqlite::Connection, entries: &[Vec<u8>], batch: usize, first_id: usize) -> f64 {
    let start = Instant::now();
    let mut id = first_id as i64;
    for chunk in entries.chunks(batch) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
        {
            let mut stmt = tx.prepare_cached("INSERT INTO t (id, entry) VALUES (?1, ?2)").unwrap();
            for entry in chunk {
                stmt.execute(rusqlite::params![id, entry]).unwrap();
                id += 1;
            }
        }
        tx.commit().unwrap();
    }
    start.elapsed().as_secs_f64()
}

fn ledger_append(store: &mut Store, entries: &[Vec<u8>], batch: usize) -> f64 {
    let start = Instant::now();
    for chunk in entries.chunks(batch) {
        store.ledger_append(chunk, "2026-01-01T00:00:00Z").unwrap();
    }
    start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let batch: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let single = 200usize;
    let dir = std::env::temp_dir().join(format!("chipwarden-ledger-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // Signed registrations, as `ledger append` makes them.
    let party = PartyKey::from_seed("NVIDIA", &[7u8; 32]).unwrap();
    let start = Instant::now();
    let entries: Vec<Vec<u8>> = (0..n + single)
        .map(|i| {
            let line = format!(
                r#"{{"type":"registered","serial":"SN{i:09}","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-05T00:00:00Z"}}"#
            );
            party.sign_draft(EventDraft::from_json(&line).unwrap()).entry_bytes()
        })
        .collect();
    let sign_s = start.elapsed().as_secs_f64();
    let avg = entries.iter().map(Vec::len).sum::<usize>() / entries.len();
    let (singles, bulk) = entries.split_at(single);

    // Floor: SHA-256 over the same payloads (leaf hashes), and of 65-byte interior nodes.
    let start = Instant::now();
    let mut sink = 0u8;
    for entry in bulk {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(entry);
        sink ^= h.finalize()[0];
    }
    let sha_leaf_s = start.elapsed().as_secs_f64();
    let node = [1u8; 65];
    let nodes = 1_000_000usize;
    let start = Instant::now();
    for _ in 0..nodes {
        sink ^= Sha256::digest(node)[0];
    }
    let sha_node_s = start.elapsed().as_secs_f64();
    let big = vec![0xa5u8; 64 << 20];
    let start = Instant::now();
    sink ^= Sha256::digest(&big)[0];
    let sha_mb_s = 64.0 / start.elapsed().as_secs_f64();

    // Floor: a plain batched SQLite insert of the same payloads, same durability. The ledger:
    // leaf hashes, subtree hashes, the no-duplicate index, triggers, one transaction a batch.

    // Single-entry transactions (fsync-bound) first, alternating between the two in rounds so
    // that neither gets the quieter disk; then the batches.
    let mut plain = open_plain(&dir.join("plain.sqlite"));
    let mut store = Store::open(dir.join("ledger.sqlite")).unwrap();
    let (mut plain_single_s, mut ledger_single_s) = (0.0, 0.0);
    let round = single / 4;
    for (k, part) in singles.chunks(round).enumerate() {
        plain_single_s += plain_insert(&mut plain, part, 1, k * round);
        ledger_single_s += ledger_append(&mut store, part, 1);
    }
    let plain_bulk_s = plain_insert(&mut plain, bulk, batch, single);
    drop(plain);

    // The ledger: leaf hashes, subtree hashes, no-duplicate index, triggers, one transaction a batch.
    let ledger_bulk_s = ledger_append(&mut store, bulk, batch);
    let size = store.ledger_size().unwrap();

    // Proofs from storage over the whole log.
    let leaves = store.ledger_leaves().unwrap();
    let start = Instant::now();
    let memory: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let leaf_s = start.elapsed().as_secs_f64();
    let root_hash = root(&leaves, size).unwrap();
    let mut lcg = Lcg(42);
    let proofs_n = 20_000usize;
    let indices: Vec<u64> = (0..proofs_n).map(|_| lcg.below(size)).collect();
    let start = Instant::now();
    let proofs: Vec<Vec<Hash>> = indices.iter().map(|&i| inclusion_proof(&leaves, i, size).unwrap()).collect();
    let prove_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for (i, proof) in indices.iter().zip(&proofs) {
        verify_inclusion(*i, size, &memory[*i as usize], proof, &root_hash).unwrap();
    }
    let verify_s = start.elapsed().as_secs_f64();
    let hashes_per_proof = proofs.iter().map(Vec::len).sum::<usize>() as f64 / proofs_n as f64;

    let pairs: Vec<u64> = (0..proofs_n / 4).map(|_| 1 + lcg.below(size - 1)).collect();
    let start = Instant::now();
    let cons: Vec<(Vec<Hash>, Hash)> =
        pairs.iter().map(|&m| (consistency_proof(&leaves, m, size).unwrap(), root(&leaves, m).unwrap())).collect();
    let cons_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for (m, (proof, old)) in pairs.iter().zip(&cons) {
        verify_consistency(*m, size, proof, old, &root_hash).unwrap();
    }
    let cons_verify_s = start.elapsed().as_secs_f64();

    // The offline verifier as `ledger verify-proof` runs it: open the signed checkpoint, hash the
    // entry, check the path.
    let signer = NoteSigner::from_seed("chipwarden.local/ledger", &[9u8; 32]).unwrap();
    let note = Checkpoint { origin: signer.name().to_owned(), size, root: root_hash, extensions: vec![] }
        .sign(&signer)
        .unwrap();
    let verifier = signer.verifier();
    let offline_n = 5_000usize;
    let start = Instant::now();
    for (i, proof) in indices.iter().zip(&proofs).take(offline_n) {
        verify_entry_inclusion(&note, &verifier, &entries[*i as usize], *i, proof).unwrap();
    }
    let offline_s = start.elapsed().as_secs_f64();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    println!("{n} entries of {avg} bytes on average (signed registrations), batches of {batch}; log size {size}");
    println!();
    println!("| what | per second | floor (same run) | per second | ratio |");
    println!("|---|---|---|---|---|");
    let ratio = |a: f64, b: f64| format!("{:.2}", a / b);
    let ledger_bulk = n as f64 / ledger_bulk_s;
    let plain_bulk = n as f64 / plain_bulk_s;
    println!(
        "| durable appends, batches of {batch} (`Store::ledger_append`) | {} | plain SQLite insert, same payloads, batches of {batch} | {} | {} |",
        rate(n, ledger_bulk_s),
        rate(n, plain_bulk_s),
        ratio(ledger_bulk, plain_bulk)
    );
    println!(
        "| durable appends, one entry per transaction | {} | plain SQLite insert, one row per transaction | {} | {} |",
        rate(single, ledger_single_s),
        rate(single, plain_single_s),
        ratio(single as f64 / ledger_single_s, single as f64 / plain_single_s)
    );
    println!(
        "| leaf hashes of the entries (`leaf_hash`) | {} | SHA-256 of the same bytes | {} | {} |",
        rate(n + single, leaf_s),
        rate(n, sha_leaf_s),
        ratio((n + single) as f64 / leaf_s, n as f64 / sha_leaf_s)
    );
    let node_rate = nodes as f64 / sha_node_s;
    println!(
        "| inclusion proofs from the store (size {size}, random leaves, {hashes_per_proof:.1} hashes each) | {} | SHA-256 of 65-byte nodes | {:.0} | |",
        rate(proofs_n, prove_s),
        node_rate
    );
    println!(
        "| inclusion proof verifications | {} | SHA-256 of 65-byte nodes / {hashes_per_proof:.1} | {:.0} | {} |",
        rate(proofs_n, verify_s),
        node_rate / hashes_per_proof,
        ratio(proofs_n as f64 / verify_s, node_rate / hashes_per_proof)
    );
    println!("| consistency proofs from the store (with the old root) | {} | | | |", rate(pairs.len(), cons_s));
    println!("| consistency proof verifications | {} | | | |", rate(pairs.len(), cons_verify_s));
    println!(
        "| offline verifications (`verify_entry_inclusion`: note signature, entry hash, path) | {} | | | |",
        rate(offline_n, offline_s)
    );
    println!("| event signing (Ed25519) + canonical encoding | {} | | | |", rate(n + single, sign_s));
    println!();
    println!("SHA-256 raw throughput: {sha_mb_s:.0} MB/s (64 MiB buffer); checksum {sink}");
}
