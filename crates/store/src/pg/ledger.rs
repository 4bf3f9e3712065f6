//! PostgreSQL: the custody ledger (`ledger.rs` in SQLite). Every append holds [`WRITE_LOCK`]
//! from before it reads the log's size until it commits, so appenders on several servers are
//! sequenced into one tree without gaps or forks; the schema refuses a gap in any case.

use std::collections::HashMap;

use chipwarden_ledger::{Hash, leaf_hash};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{GenericClient, Row, Transaction};

use super::{PgStore, lock_writes};
use crate::error::{Result, StoreError, db};
use crate::ledger::{
    LedgerLeaves, StoredCheckpoint, check_checkpoint, from_i64, frontier_from, hash, push_leaf, to_i64,
};

fn log_size(c: &mut impl GenericClient) -> Result<u64> {
    let size: i64 = c
        .query_one("SELECT coalesce(max(leaf_index) + 1, 0) FROM ledger_entries", &[])
        .and_then(|row| row.try_get(0))
        .map_err(db("read the ledger size"))?;
    from_i64(size, "ledger size")
}

fn find_leaf(c: &mut impl GenericClient, leaf: &Hash) -> Result<Option<u64>> {
    let found: Option<i64> = c
        .query_opt("SELECT leaf_index FROM ledger_entries WHERE leaf_hash = $1", &[&&leaf.0[..]])
        .map_err(db("look up a ledger entry by its leaf hash"))?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(db("look up a ledger entry by its leaf hash"))?;
    found.map(|index| from_i64(index, "ledger entry index")).transpose()
}

fn stored_leaf_hash(c: &mut impl GenericClient, index: u64) -> Result<Hash> {
    let action = "read a ledger leaf hash";
    let row = c
        .query_opt("SELECT leaf_hash FROM ledger_entries WHERE leaf_index = $1", &[&to_i64(index)?])
        .map_err(db(action))?
        .ok_or_else(|| StoreError::Corrupt {
            what: "ledger".to_owned(),
            cause: format!("entry {index} is missing").into(),
        })?;
    hash(row.try_get(0).map_err(db(action))?, "ledger leaf hash")
}

fn stored_subtree(c: &mut impl GenericClient, level: u32, start: u64) -> Result<Option<Hash>> {
    let action = "read a ledger subtree hash";
    let level = i32::try_from(level).map_err(|_| StoreError::Invalid(format!("subtree level {level} is too large")))?;
    let row = c
        .query_opt("SELECT hash FROM ledger_subtrees WHERE level = $1 AND start = $2", &[&level, &to_i64(start)?])
        .map_err(db(action))?;
    row.map(|row| hash(row.try_get(0).map_err(db(action))?, "ledger subtree hash")).transpose()
}

/// Appends `entries` inside the caller's transaction `tx` and returns the leaf index of the
/// first; the caller commits. Takes [`super::WRITE_LOCK`] first (again, if the caller holds it).
pub(super) fn append_in<E: AsRef<[u8]>>(
    tx: &mut Transaction<'_>,
    expected_size: Option<u64>,
    entries: &[E],
    at: &str,
) -> Result<u64> {
    let action = "append to the ledger";
    lock_writes(tx)?;
    let first = log_size(tx)?;
    if let Some(expected) = expected_size.filter(|expected| *expected != first) {
        return Err(StoreError::LogGrew { expected, size: first });
    }
    let mut frontier = {
        let tx = &mut *tx;
        let cell = std::cell::RefCell::new(tx);
        frontier_from(
            first,
            |index| stored_leaf_hash(&mut **cell.borrow_mut(), index),
            |level, start| stored_subtree(&mut **cell.borrow_mut(), level, start),
        )?
    };
    // A failed statement ends a PostgreSQL transaction, so duplicates are found before inserting:
    // in the log, or earlier in this batch.
    let mut batch: HashMap<Hash, u64> = HashMap::new();
    let (mut indices, mut blobs, mut leaves) = (Vec::new(), Vec::new(), Vec::new());
    let (mut levels, mut starts, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
    for (position, entry) in entries.iter().enumerate() {
        let index = first + position as u64;
        let leaf = leaf_hash(entry.as_ref());
        let existing = match batch.get(&leaf) {
            Some(&earlier) => Some(earlier),
            None => find_leaf(tx, &leaf)?,
        };
        if let Some(existing) = existing {
            return Err(StoreError::Invalid(format!(
                "entry {position} of the batch is already in the ledger as entry {existing}; nothing was appended"
            )));
        }
        batch.insert(leaf, index);
        indices.push(to_i64(index)?);
        blobs.push(entry.as_ref());
        leaves.push(leaf.0.to_vec());
        for (level, start, hash) in push_leaf(&mut frontier, index, leaf) {
            levels.push(i32::try_from(level).unwrap_or(i32::MAX));
            starts.push(to_i64(start)?);
            hashes.push(hash.0.to_vec());
        }
    }
    // One statement per table for the whole batch, in leaf order (the schema's trigger checks
    // each row follows the last).
    let params: [&(dyn ToSql + Sync); 4] = [&indices, &blobs, &leaves, &at];
    tx.execute(
        "INSERT INTO ledger_entries (leaf_index, entry, leaf_hash, appended_at)
         SELECT i, e, h, $4 FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS x (i, e, h) ORDER BY i",
        &params,
    )
    .map_err(db(action))?;
    tx.execute(
        "INSERT INTO ledger_subtrees (level, start, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])",
        &[&levels, &starts, &hashes],
    )
    .map_err(db(action))?;
    Ok(first)
}

fn checkpoint_from_row(row: &Row) -> Result<StoredCheckpoint> {
    let action = "read the ledger checkpoints";
    let size: i64 = row.try_get(1).map_err(db(action))?;
    Ok(StoredCheckpoint {
        id: row.try_get(0).map_err(db(action))?,
        tree_size: from_i64(size, "checkpoint tree size")?,
        root: hash(row.try_get(2).map_err(db(action))?, "checkpoint root hash")?,
        note: row.try_get(3).map_err(db(action))?,
        signed_at: row.try_get(4).map_err(db(action))?,
    })
}

impl PgStore {
    /// A leaf hash for [`LedgerLeaves`].
    pub(crate) fn ledger_leaf_hash(&self, index: u64) -> Result<Hash> {
        stored_leaf_hash(&mut *self.client()?, index)
    }

    /// A stored subtree hash for [`LedgerLeaves`].
    pub(crate) fn ledger_subtree(&self, level: u32, start: u64) -> Result<Option<Hash>> {
        stored_subtree(&mut *self.client()?, level, start)
    }

    pub fn ledger_size(&self) -> Result<u64> {
        log_size(&mut *self.client()?)
    }

    pub fn ledger_append<E: AsRef<[u8]>>(&mut self, entries: &[E], at: &str) -> Result<u64> {
        self.append(None, entries, at)
    }

    pub fn ledger_append_after<E: AsRef<[u8]>>(&mut self, expected_size: u64, entries: &[E], at: &str) -> Result<u64> {
        self.append(Some(expected_size), entries, at)
    }

    fn append<E: AsRef<[u8]>>(&mut self, expected_size: Option<u64>, entries: &[E], at: &str) -> Result<u64> {
        let mut tx = self.client_mut()?.transaction().map_err(db("append to the ledger"))?;
        let first = append_in(&mut tx, expected_size, entries, at)?;
        tx.commit().map_err(db("commit an append to the ledger"))?;
        Ok(first)
    }

    pub fn ledger_entry(&self, index: u64) -> Result<Option<Vec<u8>>> {
        let action = "read a ledger entry";
        self.client()?
            .query_opt("SELECT entry FROM ledger_entries WHERE leaf_index = $1", &[&to_i64(index)?])
            .map_err(db(action))?
            .map(|row| row.try_get(0))
            .transpose()
            .map_err(db(action))
    }

    pub fn ledger_latest_with_prefix(&self, prefix: &[u8], limit: u64) -> Result<Vec<(u64, Vec<u8>)>> {
        let action = "read the latest ledger entries";
        let width = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
        let rows = self
            .client()?
            .query(
                "SELECT leaf_index, entry FROM ledger_entries WHERE substr(entry, 1, $1) = $2
                 ORDER BY leaf_index DESC LIMIT $3",
                &[&width, &prefix, &to_i64(limit)?],
            )
            .map_err(db(action))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let index: i64 = row.try_get(0).map_err(db(action))?;
            out.push((from_i64(index, "ledger entry index")?, row.try_get(1).map_err(db(action))?));
        }
        Ok(out)
    }

    pub fn ledger_find(&self, leaf: &Hash) -> Result<Option<u64>> {
        find_leaf(&mut *self.client()?, leaf)
    }

    pub fn ledger_leaves(&self) -> Result<LedgerLeaves<'_>> {
        Ok(LedgerLeaves::postgres(self, self.ledger_size()?))
    }

    pub fn for_each_ledger_entry<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(u64, &[u8], &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let action = "read the ledger entries";
        let mut client = self.client()?;
        let mut rows = client
            .query_raw(
                "SELECT leaf_index, entry, leaf_hash FROM ledger_entries ORDER BY leaf_index",
                std::iter::empty::<&dyn ToSql>(),
            )
            .map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            let index: i64 = row.try_get(0).map_err(db(action))?;
            let blob = |i: usize| -> Result<&[u8]> { row.try_get(i).map_err(db(action)) };
            f(from_i64(index, "ledger entry index")?, blob(1)?, blob(2)?)?;
        }
        Ok(())
    }

    pub fn ledger_entries_for_serials(&self, serials: &[&str]) -> Result<Vec<(u64, Vec<u8>)>> {
        let action = "read the ledger entries of some chips";
        let rows = self
            .client()?
            .query(
                "SELECT e.leaf_index, e.entry FROM ledger_serials s JOIN ledger_entries e USING (leaf_index)
                 WHERE s.serial = ANY($1) ORDER BY e.leaf_index",
                &[&serials],
            )
            .map_err(db(action))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let index: i64 = row.try_get(0).map_err(db(action))?;
            out.push((from_i64(index, "ledger entry index")?, row.try_get(1).map_err(db(action))?));
        }
        Ok(out)
    }

    pub fn for_each_ledger_subtree<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(u32, u64, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let action = "read the ledger subtree hashes";
        let mut client = self.client()?;
        let mut rows = client
            .query_raw(
                "SELECT level, start, hash FROM ledger_subtrees ORDER BY level, start",
                std::iter::empty::<&dyn ToSql>(),
            )
            .map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            let level: i32 = row.try_get(0).map_err(db(action))?;
            let start: i64 = row.try_get(1).map_err(db(action))?;
            let hash: &[u8] = row.try_get(2).map_err(db(action))?;
            let level = u32::try_from(level).map_err(|_| StoreError::Corrupt {
                what: "ledger subtree level".to_owned(),
                cause: format!("negative value {level}").into(),
            })?;
            f(level, from_i64(start, "ledger subtree start")?, hash)?;
        }
        Ok(())
    }

    pub fn ledger_record_checkpoint(&mut self, tree_size: u64, root: &Hash, note: &str, at: &str) -> Result<i64> {
        let action = "record a ledger checkpoint";
        let mut tx = self.client_mut()?.transaction().map_err(db(action))?;
        lock_writes(&mut tx)?;
        let size = log_size(&mut tx)?;
        check_checkpoint(tree_size, size)?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO ledger_checkpoints (tree_size, root_hash, note, signed_at) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[&to_i64(tree_size)?, &&root.0[..], &note, &at],
            )
            .and_then(|row| row.try_get(0))
            .map_err(db(action))?;
        tx.commit().map_err(db(action))?;
        Ok(id)
    }

    pub fn ledger_latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        Ok(self.checkpoints("ORDER BY id DESC LIMIT 1")?.pop())
    }

    pub fn ledger_checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        self.checkpoints("ORDER BY id")
    }

    fn checkpoints(&self, order: &str) -> Result<Vec<StoredCheckpoint>> {
        let rows = self
            .client()?
            .query(&format!("SELECT id, tree_size, root_hash, note, signed_at FROM ledger_checkpoints {order}"), &[])
            .map_err(db("read the ledger checkpoints"))?;
        rows.iter().map(checkpoint_from_row).collect()
    }
}
