//! The PostgreSQL half's own tests, beyond the conformance suite: several processes' worth of
//! connections appending to one ledger and ingesting the same usage records, a connection lost
//! in the middle of an ingest, and clear errors for a wrong URL or password. Skipped (with a
//! message) when `CHIPWARDEN_TEST_POSTGRES_URL` is unset, except under CI, where that fails.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use chipwarden_ledger::{LeafHashes, leaf_hash, root};
use chipwarden_store::testing::{TestDb, postgres_url};
use chipwarden_store::{Store, StoreError, StoredUsage};

fn database() -> Option<TestDb> {
    postgres_url().map(|url| TestDb::postgres(&url))
}

fn usage(id: &str) -> StoredUsage {
    StoredUsage {
        record_id: id.to_owned(),
        account: "acct".to_owned(),
        chip_model: "H100".to_owned(),
        chip_id: "nvidia-h100-sxm5-80gb".to_owned(),
        chips: 8.0,
        start_ns: 1_000_000_000,
        end_ns: 2_000_000_000,
        utilization: Some(0.5),
        tensor_active: None,
        run_id: Some("run-1".to_owned()),
    }
}

/// Threads with a connection each (as servers would have) append batches at once: the log is one
/// tree, numbered without gaps, every batch contiguous, every entry once, and its root and stored
/// subtree hashes are those of the entries in log order.
#[test]
fn concurrent_appenders_make_one_gap_free_tree() {
    let Some(db) = database() else { return };
    drop(db.open());
    const THREADS: usize = 4;
    const BATCHES: usize = 8;
    const BATCH: usize = 5;
    let barrier = Arc::new(Barrier::new(THREADS));
    let firsts: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (barrier, db) = (Arc::clone(&barrier), &db);
                scope.spawn(move || {
                    let mut store = db.open();
                    barrier.wait();
                    (0..BATCHES)
                        .map(|b| {
                            let batch: Vec<Vec<u8>> =
                                (0..BATCH).map(|i| format!("thread {t} batch {b} entry {i}").into_bytes()).collect();
                            store.ledger_append(&batch, "2026-01-01T00:00:00Z").expect("append")
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("appender")).collect()
    });
    let store = db.open();
    let total = (THREADS * BATCHES * BATCH) as u64;
    assert_eq!(store.ledger_size().expect("size"), total);
    // Every batch got its own contiguous run of indices.
    let mut starts: Vec<u64> = firsts.concat();
    starts.sort_unstable();
    assert_eq!(starts, (0..total).step_by(BATCH).collect::<Vec<_>>());
    let mut entries = Vec::new();
    store
        .for_each_ledger_entry(|index, bytes, stored| {
            assert_eq!(index, entries.len() as u64, "numbered without gaps");
            assert_eq!(stored, &leaf_hash(bytes).0[..]);
            entries.push(bytes.to_vec());
            Ok::<_, StoreError>(())
        })
        .expect("entries");
    assert_eq!(entries.iter().collect::<HashSet<_>>().len(), entries.len(), "every entry once");
    // Each batch's entries sit together, in order.
    for &first in &starts {
        let text = String::from_utf8(entries[first as usize].clone()).expect("utf-8");
        let prefix = text.rsplit_once(' ').expect("entry number").0.rsplit_once(' ').expect("entry word").0.to_owned();
        for i in 0..BATCH {
            assert_eq!(entries[first as usize + i], format!("{prefix} entry {i}").into_bytes());
        }
    }
    let memory: Vec<_> = entries.iter().map(|e| leaf_hash(e)).collect();
    let leaves = store.ledger_leaves().expect("leaves");
    for size in [1, 7, 64, 100, total] {
        assert_eq!(root(&leaves, size).expect("root"), root(&memory, size).expect("root"), "size {size}");
    }
    assert_eq!(leaves.size(), total);
}

/// Appends checked against a size that another connection has since grown are refused, so a
/// batch checked against an old log never lands.
#[test]
fn a_stale_append_is_refused_across_connections() {
    let Some(db) = database() else { return };
    let (mut a, mut b) = (db.open(), db.open());
    a.ledger_append(&[b"one".to_vec()], "t").expect("append");
    let seen = b.ledger_size().expect("size");
    a.ledger_append(&[b"two".to_vec()], "t").expect("append");
    let err = b.ledger_append_after(seen, &[b"three".to_vec()], "t").expect_err("stale");
    assert!(err.to_string().contains("grew from 1 to 2 entries"), "{err}");
    assert_eq!(b.ledger_append_after(2, &[b"three".to_vec()], "t").expect("fresh"), 2);
}

/// Two servers ingesting overlapping batches at the same time count each record id once.
#[test]
fn the_same_records_sent_to_two_servers_count_once() {
    let Some(db) = database() else { return };
    drop(db.open());
    let ids: Vec<String> = (0..400).map(|i| format!("rec-{i:04}")).collect();
    let barrier = Arc::new(Barrier::new(2));
    let inserted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = [0usize, 1]
            .into_iter()
            .map(|server| {
                let (barrier, db, ids) = (Arc::clone(&barrier), &db, &ids);
                scope.spawn(move || {
                    let mut store = db.open();
                    barrier.wait();
                    // Each sends everything in batches, the second in the reverse order.
                    let mut order: Vec<&String> = ids.iter().collect();
                    if server == 1 {
                        order.reverse();
                    }
                    let mut inserted = 0;
                    for chunk in order.chunks(50) {
                        let batch: Vec<StoredUsage> = chunk.iter().map(|id| usage(id)).collect();
                        let done = store.ingest_usage(&batch, &format!("server-{server}.csv"), "t").expect("ingest");
                        assert_eq!(done.inserted + done.already_counted, batch.len());
                        inserted += done.inserted;
                    }
                    inserted
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("ingest")).sum()
    });
    assert_eq!(inserted, ids.len(), "each record inserted by exactly one server");
    let store = db.open();
    assert_eq!(store.usage().expect("usage").len(), ids.len());
}

/// The connection dies in the middle of an ingest (the server restarted, or an operator ended
/// it): that ingest fails or lands whole, the store connects again, and sending the records again
/// counts none twice.
#[test]
fn a_lost_connection_loses_nothing_acknowledged_and_counts_nothing_twice() {
    let Some(db) = database() else { return };
    let mut store = db.open();
    let first: Vec<StoredUsage> = (0..100).map(|i| usage(&format!("a-{i}"))).collect();
    assert_eq!(store.ingest_usage(&first, "a.csv", "t1").expect("ingest").inserted, 100);
    db.raw_execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .expect("end the store's connection");
    let second: Vec<StoredUsage> = (0..100).map(|i| usage(&format!("b-{i}"))).collect();
    match store.ingest_usage(&second, "b.csv", "t2") {
        Ok(done) => assert_eq!(done.inserted, 100),
        Err(err) => {
            assert!(matches!(err, StoreError::Database { .. }), "{err}");
            assert_eq!(db.count("usage_records"), 100, "a failed ingest leaves nothing behind");
        }
    }
    // Sent again (the operator re-runs the ingest): the rest lands, nothing counts twice.
    let all: Vec<StoredUsage> = first.iter().chain(&second).cloned().collect();
    let again = store.ingest_usage(&all, "retry.csv", "t3").expect("the store connected again");
    assert_eq!(again.inserted + again.already_counted, 200);
    assert_eq!(store.usage().expect("usage").len(), 200);
    assert_eq!(db.count("usage_records"), 200);
}

/// A wrong password or an unreachable server is a clear error at start-up, naming the URL
/// without the password.
#[test]
fn a_wrong_password_or_server_is_a_clear_error() {
    let Some(url) = postgres_url() else { return };
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let user = rest.split_once('@').map_or("postgres", |(user, _)| user.split(':').next().unwrap_or("postgres"));
    let wrong = format!("{scheme}://{user}:not-the-password-42@{host}");
    let err = Store::open_url(&wrong).expect_err("wrong password");
    let message = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{message}");
    assert!(!message.contains("not-the-password-42"), "{message}");
    assert!(message.contains(&format!("{user}:***@")), "{message}");
    assert!(message.contains("password authentication failed"), "{message}");

    let err =
        Store::open_url(&format!("{scheme}://{user}:secret@127.0.0.1:1/none")).expect_err("nothing listens there");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot open the store at `{scheme}://{user}:***@127.0.0.1:1/none`: ")),
        "{message}"
    );
    assert!(message.contains("error connecting to server"), "{message}");
    assert!(!message.contains("secret"), "{message}");
}

/// Servers starting at once on a new database apply each migration once (the upgrade holds an
/// advisory lock).
#[test]
fn stores_opened_at_once_on_a_new_database_migrate_it_once() {
    let Some(db) = database() else { return };
    let stores: Vec<Store> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3).map(|_| scope.spawn(|| db.open())).collect();
        handles.into_iter().map(|h| h.join().expect("open")).collect()
    });
    assert_eq!(db.count("schema_migrations"), 12, "each of the 12 migrations once");
    assert!(stores.iter().all(|s| s.dialect() == "postgres"));
}

/// The `postgres` client owns a runtime, which panics if dropped inside an async task; a server
/// may drop its last handle to a store there (at shutdown), so the store drops its client on a
/// thread of its own.
#[test]
fn a_store_dropped_inside_an_async_task_does_not_panic() {
    let Some(db) = database() else { return };
    let mut store = db.open();
    store.ledger_append(&[b"before the drop".to_vec()], "t").expect("append");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().expect("runtime");
    runtime.block_on(async move { drop(store) });
    assert_eq!(db.open().ledger_size().expect("size"), 1);
}
