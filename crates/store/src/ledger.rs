//! The custody ledger's storage (issue 5): the append-only log of entry bytes with their leaf
//! hashes, the hashes of its complete subtrees (so proofs read O(log n) rows), and the signed
//! checkpoints issued over it.
//!
//! The store keeps bytes and hashes; it does not read events. Deciding what may be appended
//! (signatures, the custody state machine) is the ledger engine's job, done by the caller before
//! [`Store::ledger_append_after`], which refuses the batch if the log grew in between.

use chipwarden_ledger::{Hash, LeafHashes, LedgerError, leaf_hash, node_hash};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Result, StoreError, db};
use crate::sqlite::SqliteStore;

/// A signed checkpoint as issued and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub id: i64,
    pub tree_size: u64,
    /// The root hash the checkpoint was issued for, as stored beside the note.
    pub root: Hash,
    /// The whole signed note.
    pub note: String,
    pub signed_at: String,
}

/// The leaf hashes of the stored log, as the ledger engine reads them to build proofs, fixed at
/// the log's size when it was taken (later appends do not change what it answers).
#[derive(Debug)]
pub struct LedgerLeaves<'a> {
    source: Leaves<'a>,
    size: u64,
}

/// Where a [`LedgerLeaves`] reads its hashes.
#[derive(Debug)]
enum Leaves<'a> {
    Sqlite(&'a Connection),
    Postgres(&'a crate::pg::PgStore),
}

impl<'a> LedgerLeaves<'a> {
    pub(crate) fn postgres(store: &'a crate::pg::PgStore, size: u64) -> LedgerLeaves<'a> {
        LedgerLeaves { source: Leaves::Postgres(store), size }
    }
}

impl LeafHashes for LedgerLeaves<'_> {
    fn size(&self) -> u64 {
        self.size
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, LedgerError> {
        if index >= self.size {
            return Err(LedgerError::IndexBeyondSize { index, size: self.size });
        }
        match self.source {
            Leaves::Sqlite(conn) => stored_leaf_hash(conn, index),
            Leaves::Postgres(store) => store.ledger_leaf_hash(index),
        }
        .map_err(LedgerError::source)
    }

    fn subtree_hash(&self, start: u64, end: u64) -> Result<Option<Hash>, LedgerError> {
        let width = end.saturating_sub(start);
        if width < 2 || !width.is_power_of_two() || !start.is_multiple_of(width) || end > self.size {
            return Ok(None);
        }
        match self.source {
            Leaves::Sqlite(conn) => stored_subtree(conn, width.trailing_zeros(), start),
            Leaves::Postgres(store) => store.ledger_subtree(width.trailing_zeros(), start),
        }
        .map_err(LedgerError::source)
    }
}

impl SqliteStore {
    pub fn ledger_size(&self) -> Result<u64> {
        log_size(&self.conn)
    }

    pub fn ledger_append<E: AsRef<[u8]>>(&mut self, entries: &[E], at: &str) -> Result<u64> {
        self.append(None, entries, at)
    }

    pub fn ledger_append_after<E: AsRef<[u8]>>(&mut self, expected_size: u64, entries: &[E], at: &str) -> Result<u64> {
        self.append(Some(expected_size), entries, at)
    }

    fn append<E: AsRef<[u8]>>(&mut self, expected_size: Option<u64>, entries: &[E], at: &str) -> Result<u64> {
        let action = "append to the ledger";
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db(action))?;
        let first = append_in(&tx, expected_size, entries, at)?;
        tx.commit().map_err(db("commit an append to the ledger"))?;
        Ok(first)
    }

    pub fn ledger_entry(&self, index: u64) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row("SELECT entry FROM ledger_entries WHERE leaf_index = ?1", [to_i64(index)?], |row| row.get(0))
            .optional()
            .map_err(db("read a ledger entry"))
    }

    pub fn ledger_latest_with_prefix(&self, prefix: &[u8], limit: u64) -> Result<Vec<(u64, Vec<u8>)>> {
        let action = "read the latest ledger entries";
        let width = i64::try_from(prefix.len()).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT leaf_index, entry FROM ledger_entries WHERE substr(entry, 1, ?1) = ?2
                 ORDER BY leaf_index DESC LIMIT ?3",
            )
            .map_err(db(action))?;
        let rows = stmt
            .query_map(rusqlite::params![width, prefix, to_i64(limit)?], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .map_err(db(action))?;
        let mut out = Vec::new();
        for row in rows {
            let (index, entry) = row.map_err(db(action))?;
            out.push((from_i64(index, "ledger entry index")?, entry));
        }
        Ok(out)
    }

    pub fn ledger_find(&self, leaf: &Hash) -> Result<Option<u64>> {
        find_leaf(&self.conn, leaf)
    }

    pub fn ledger_leaves(&self) -> Result<LedgerLeaves<'_>> {
        Ok(LedgerLeaves { source: Leaves::Sqlite(&self.conn), size: self.ledger_size()? })
    }

    pub fn for_each_ledger_entry<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(u64, &[u8], &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let action = "read the ledger entries";
        let mut stmt = self
            .conn
            .prepare("SELECT leaf_index, entry, leaf_hash FROM ledger_entries ORDER BY leaf_index")
            .map_err(db(action))?;
        let mut rows = stmt.query([]).map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            let index: i64 = row.get(0).map_err(db(action))?;
            let blob = |i: usize| row.get_ref(i).and_then(|v| v.as_blob().map_err(Into::into)).map_err(db(action));
            f(from_i64(index, "ledger entry index")?, blob(1)?, blob(2)?)?;
        }
        Ok(())
    }

    pub fn ledger_entries_for_serials(&self, serials: &[&str]) -> Result<Vec<(u64, Vec<u8>)>> {
        let action = "read the ledger entries of some chips";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.leaf_index, e.entry FROM ledger_serials s JOIN ledger_entries e USING (leaf_index)
                 WHERE s.serial = ?1",
            )
            .map_err(db(action))?;
        let mut out = Vec::new();
        for serial in serials {
            let rows = stmt
                .query_map([serial], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)))
                .map_err(db(action))?;
            for row in rows {
                let (index, entry) = row.map_err(db(action))?;
                out.push((from_i64(index, "ledger entry index")?, entry));
            }
        }
        out.sort_by_key(|(index, _)| *index);
        out.dedup_by_key(|(index, _)| *index);
        Ok(out)
    }

    pub fn for_each_ledger_subtree<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(u32, u64, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let action = "read the ledger subtree hashes";
        let mut stmt = self
            .conn
            .prepare("SELECT level, start, hash FROM ledger_subtrees ORDER BY level, start")
            .map_err(db(action))?;
        let mut rows = stmt.query([]).map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            let level: u32 = row.get(0).map_err(db(action))?;
            let start: i64 = row.get(1).map_err(db(action))?;
            let hash = row.get_ref(2).and_then(|v| v.as_blob().map_err(Into::into)).map_err(db(action))?;
            f(level, from_i64(start, "ledger subtree start")?, hash)?;
        }
        Ok(())
    }

    pub fn ledger_record_checkpoint(&mut self, tree_size: u64, root: &Hash, note: &str, at: &str) -> Result<i64> {
        let size = self.ledger_size()?;
        check_checkpoint(tree_size, size)?;
        self.conn
            .execute(
                "INSERT INTO ledger_checkpoints (tree_size, root_hash, note, signed_at) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![to_i64(tree_size)?, &root.0[..], note, at],
            )
            .map_err(db("record a ledger checkpoint"))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn ledger_latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        Ok(self.checkpoints("ORDER BY id DESC LIMIT 1")?.pop())
    }

    pub fn ledger_checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        self.checkpoints("ORDER BY id")
    }

    fn checkpoints(&self, order: &str) -> Result<Vec<StoredCheckpoint>> {
        let action = "read the ledger checkpoints";
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id, tree_size, root_hash, note, signed_at FROM ledger_checkpoints {order}"))
            .map_err(db(action))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })
            .map_err(db(action))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, size, root, note, signed_at) = row.map_err(db(action))?;
            out.push(StoredCheckpoint {
                id,
                tree_size: from_i64(size, "checkpoint tree size")?,
                root: hash(&root, "checkpoint root hash")?,
                note,
                signed_at,
            });
        }
        Ok(out)
    }
}

/// Appends `entries` inside the caller's transaction `tx` (which must have been taken for
/// writing) and returns the leaf index of the first; the caller commits. Used by the ledger's
/// own appends and by writes that log an audit entry with what they change, all or nothing.
pub(crate) fn append_in<E: AsRef<[u8]>>(
    tx: &Connection,
    expected_size: Option<u64>,
    entries: &[E],
    at: &str,
) -> Result<u64> {
    let action = "append to the ledger";
    let first = log_size(tx)?;
    if let Some(expected) = expected_size.filter(|expected| *expected != first) {
        return Err(StoreError::LogGrew { expected, size: first });
    }
    let mut frontier = frontier(tx, first)?;
    {
        let mut insert_entry = tx
            .prepare_cached(
                "INSERT INTO ledger_entries (leaf_index, entry, leaf_hash, appended_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(db(action))?;
        let mut insert_subtree = tx
            .prepare_cached("INSERT INTO ledger_subtrees (level, start, hash) VALUES (?1, ?2, ?3)")
            .map_err(db(action))?;
        for (position, entry) in entries.iter().enumerate() {
            let index = first + position as u64;
            let leaf = leaf_hash(entry.as_ref());
            // The unique index on leaf hashes refuses a duplicate; only then is it looked up,
            // to say which entry it repeats.
            let inserted = insert_entry.execute(rusqlite::params![to_i64(index)?, entry.as_ref(), &leaf.0[..], at]);
            if let Err(e) = inserted {
                return Err(match find_leaf(tx, &leaf)? {
                    Some(existing) => StoreError::Invalid(format!(
                        "entry {position} of the batch is already in the ledger as entry {existing}; nothing was appended"
                    )),
                    None => db(action)(e),
                });
            }
            for (level, start, hash) in push_leaf(&mut frontier, index, leaf) {
                insert_subtree.execute(rusqlite::params![level, to_i64(start)?, &hash.0[..]]).map_err(db(action))?;
            }
        }
    }
    Ok(first)
}

fn log_size(conn: &Connection) -> Result<u64> {
    let size: i64 = conn
        .query_row("SELECT coalesce(max(leaf_index) + 1, 0) FROM ledger_entries", [], |row| row.get(0))
        .map_err(db("read the ledger size"))?;
    from_i64(size, "ledger size")
}

fn find_leaf(conn: &Connection, leaf: &Hash) -> Result<Option<u64>> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT leaf_index FROM ledger_entries WHERE leaf_hash = ?1")
        .and_then(|mut stmt| stmt.query_row([&leaf.0[..]], |row| row.get(0)).optional())
        .map_err(db("look up a ledger entry by its leaf hash"))?;
    found.map(|index| from_i64(index, "ledger entry index")).transpose()
}

fn stored_leaf_hash(conn: &Connection, index: u64) -> Result<Hash> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT leaf_hash FROM ledger_entries WHERE leaf_index = ?1")
        .and_then(|mut stmt| stmt.query_row([to_i64(index).unwrap_or(i64::MAX)], |row| row.get(0)).optional())
        .map_err(db("read a ledger leaf hash"))?;
    let bytes = bytes.ok_or_else(|| StoreError::Corrupt {
        what: "ledger".to_owned(),
        cause: format!("entry {index} is missing").into(),
    })?;
    hash(&bytes, "ledger leaf hash")
}

fn stored_subtree(conn: &Connection, level: u32, start: u64) -> Result<Option<Hash>> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT hash FROM ledger_subtrees WHERE level = ?1 AND start = ?2")
        .and_then(|mut stmt| {
            stmt.query_row(rusqlite::params![level, to_i64(start).unwrap_or(i64::MAX)], |row| row.get(0)).optional()
        })
        .map_err(db("read a ledger subtree hash"))?;
    bytes.map(|bytes| hash(&bytes, "ledger subtree hash")).transpose()
}

/// The complete subtrees of a log of `size` leaves, largest first, as `(level, start, hash)`:
/// what an append merges its new leaves into.
fn frontier(conn: &Connection, size: u64) -> Result<Vec<(u32, u64, Hash)>> {
    frontier_from(size, |index| stored_leaf_hash(conn, index), |level, start| stored_subtree(conn, level, start))
}

/// [`frontier`] over any backend: `leaf` reads a leaf hash, `subtree` a stored subtree hash.
pub(crate) fn frontier_from(
    size: u64,
    mut leaf: impl FnMut(u64) -> Result<Hash>,
    mut subtree: impl FnMut(u32, u64) -> Result<Option<Hash>>,
) -> Result<Vec<(u32, u64, Hash)>> {
    let mut out = Vec::with_capacity(size.count_ones() as usize);
    let mut start = 0;
    for level in (0..64u32).rev() {
        let width = 1u64 << level;
        if size & width == 0 {
            continue;
        }
        let hash = if level == 0 {
            leaf(start)?
        } else {
            subtree(level, start)?.ok_or_else(|| StoreError::Corrupt {
                what: "ledger".to_owned(),
                cause: format!("the hash of leaves {start}..{} is missing", start + width).into(),
            })?
        };
        out.push((level, start, hash));
        start += width;
    }
    Ok(out)
}

/// Adds the leaf `(index, leaf)` to `frontier` and returns the complete subtrees it closes, as
/// `(level, start, hash)`: each merge of two equal widths is a new complete subtree, stored once,
/// never changed (binary addition's carries).
pub(crate) fn push_leaf(frontier: &mut Vec<(u32, u64, Hash)>, index: u64, leaf: Hash) -> Vec<(u32, u64, Hash)> {
    let mut closed = Vec::new();
    let mut node = (0u32, index, leaf);
    while let Some(&(level, start, left)) = frontier.last().filter(|(level, ..)| *level == node.0) {
        frontier.pop();
        node = (level + 1, start, node_hash(&left, &node.2));
        closed.push(node);
    }
    frontier.push(node);
    closed
}

/// A checkpoint over `tree_size` entries must not reach past the `size` entries the log holds.
pub(crate) fn check_checkpoint(tree_size: u64, size: u64) -> Result<()> {
    if tree_size > size {
        return Err(StoreError::Invalid(format!(
            "a checkpoint of tree size {tree_size} is beyond the ledger's {size} entries"
        )));
    }
    Ok(())
}

pub(crate) fn hash(bytes: &[u8], what: &str) -> Result<Hash> {
    Hash::from_slice(bytes).map_err(|e| StoreError::Corrupt { what: what.to_owned(), cause: Box::new(e) })
}

pub(crate) fn to_i64(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| StoreError::Invalid(format!("ledger index {value} is too large")))
}

pub(crate) fn from_i64(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value)
        .map_err(|_| StoreError::Corrupt { what: what.to_owned(), cause: format!("negative value {value}").into() })
}

#[cfg(test)]
mod tests {
    use chipwarden_ledger::{consistency_proof, inclusion_proof, root, verify_consistency, verify_inclusion};

    use super::*;

    fn entries(range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
        range.map(|i| format!("entry {i}").into_bytes()).collect()
    }

    #[test]
    fn appends_in_batches_give_the_same_tree_as_memory() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            let all = entries(0..37);
            let mut appended = 0;
            for batch in [1usize, 2, 5, 8, 13, 8] {
                let first = store.ledger_append(&all[appended..appended + batch], "t").expect("append");
                assert_eq!(first, appended as u64);
                appended += batch;
            }
            let memory: Vec<Hash> = all.iter().map(|e| leaf_hash(e)).collect();
            let leaves = store.ledger_leaves().expect("leaves");
            assert_eq!(leaves.size(), 37);
            for size in 1..=37u64 {
                assert_eq!(root(&leaves, size).expect("root"), root(&memory, size).expect("root"), "size {size}");
                for index in 0..size {
                    let proof = inclusion_proof(&leaves, index, size).expect("proof");
                    assert_eq!(proof, inclusion_proof(&memory, index, size).expect("proof"));
                    verify_inclusion(index, size, &memory[index as usize], &proof, &root(&memory, size).expect("root"))
                        .expect("verifies");
                }
                let proof = consistency_proof(&leaves, size, 37).expect("consistency");
                verify_consistency(size, 37, &proof, &root(&memory, size).expect("r"), &root(&memory, 37).expect("r"))
                    .expect("consistent");
            }
            // Every complete subtree of two leaves or more is cached: 37 leaves close 18 + 9 + 4 + 2 + 1.
            let mut cached = 0;
            store
                .for_each_ledger_subtree(|_, _, _| {
                    cached += 1;
                    Ok::<_, StoreError>(())
                })
                .expect("subtrees");
            assert_eq!(cached, 34);
            assert_eq!(store.ledger_entry(36).expect("read"), Some(b"entry 36".to_vec()));
            assert_eq!(store.ledger_entry(37).expect("read"), None);
        });
    }

    #[test]
    fn duplicates_and_stale_checks_append_nothing() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            store.ledger_append(&entries(0..3), "t").expect("append");
            let err = store.ledger_append(&entries(2..5), "t").expect_err("duplicate");
            assert_eq!(
                err.to_string(),
                "entry 0 of the batch is already in the ledger as entry 2; nothing was appended"
            );
            let err = store.ledger_append(&[b"x".to_vec(), b"x".to_vec()], "t").expect_err("twice in the batch");
            assert!(err.to_string().contains("already in the ledger as entry 3"), "{err}");
            let err = store.ledger_append_after(2, &entries(10..11), "t").expect_err("grew");
            assert!(err.to_string().contains("grew from 2 to 3 entries"), "{err}");
            assert_eq!(store.ledger_size().expect("size"), 3);
            assert_eq!(store.ledger_append_after(3, &entries(10..11), "t").expect("append"), 3);
            assert_eq!(store.ledger_find(&leaf_hash(b"entry 10")).expect("find"), Some(3));
        });
    }

    #[test]
    fn the_schema_refuses_rewrites_and_gaps() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            store.ledger_append(&entries(0..4), "t").expect("append");
            let root_hash = root(&store.ledger_leaves().expect("leaves"), 4).expect("root");
            store.ledger_record_checkpoint(4, &root_hash, "note\n", "t").expect("checkpoint");
            // The same statements in each dialect: a byte and 32 zero bytes written as each writes them.
            let (byte, zeros) = if db.is_postgres() {
                ("'\\x00'::bytea", "decode(repeat('00', 32), 'hex')")
            } else {
                ("x'00'", "zeroblob(32)")
            };
            let mut refused = vec![
                format!("UPDATE ledger_entries SET entry = {byte} WHERE leaf_index = 1"),
                "DELETE FROM ledger_entries WHERE leaf_index = 3".to_owned(),
                format!("UPDATE ledger_subtrees SET hash = {zeros}"),
                "DELETE FROM ledger_subtrees".to_owned(),
                "UPDATE ledger_checkpoints SET tree_size = 3".to_owned(),
                "DELETE FROM ledger_checkpoints".to_owned(),
                format!(
                    "INSERT INTO ledger_entries (leaf_index, entry, leaf_hash, appended_at) VALUES (9, {byte}, {zeros}, 't')"
                ),
                "UPDATE ledger_serials SET serial = 'x'".to_owned(),
            ];
            if db.is_postgres() {
                // TRUNCATE skips row triggers; the statement triggers refuse it.
                refused.extend(
                    ["TRUNCATE ledger_entries CASCADE", "TRUNCATE ledger_subtrees", "TRUNCATE ledger_checkpoints"]
                        .map(str::to_owned),
                );
            }
            for sql in &refused {
                let err = db.raw_execute(sql).expect_err(sql);
                assert!(err.contains("ledger"), "{sql}: {err}");
            }
            assert_eq!(store.ledger_size().expect("size"), 4);
            let err = store.ledger_record_checkpoint(5, &root_hash, "note\n", "t").expect_err("beyond");
            assert!(err.to_string().contains("beyond the ledger's 4 entries"), "{err}");
            // Appends are acknowledged durable: SQLite commits with synchronous FULL, PostgreSQL
            // with synchronous_commit on.
            match &store.backend {
                crate::store::Backend::Sqlite(s) => {
                    let synchronous: i64 =
                        s.conn.pragma_query_value(None, "synchronous", |r| r.get(0)).expect("pragma");
                    assert_eq!(synchronous, 2);
                }
                crate::store::Backend::Postgres(p) => {
                    let row = p.client().expect("client").query_one("SHOW synchronous_commit", &[]).expect("show");
                    assert_eq!(row.get::<_, String>(0), "on");
                }
            }
            let latest = store.ledger_latest_checkpoint().expect("latest").expect("one");
            assert_eq!((latest.tree_size, latest.root), (4, root_hash));
        });
    }
}
