//! The SQLite backend of the store: opening a store file, its connection settings and schema
//! upgrade. Its operations live beside it, one file per area (`lists`, `screening`, `decisions`,
//! `ownership`, `usage`, `customers`, `ledger`, `tokens`, `cases`). What each operation means is
//! documented once, on [`crate::Store`], which checks its input before handing it here.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Cause, Result, StoreError};
use crate::migrate::{SQLITE, migrate};
use crate::usage::KnownNames;

/// How long a statement waits for another process's write lock before it gives up. Imports of
/// large lists hold the lock for a second or two; screenings must not fail for that.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The store in one SQLite file (or in memory).
#[derive(Debug)]
pub(crate) struct SqliteStore {
    pub(crate) conn: Connection,
    /// The dictionary numbers of the usage accounts and chip models this connection has stored.
    pub(crate) usage_names: KnownNames,
}

impl SqliteStore {
    /// Opens the store file at `path`, creating the file (not its directory) if it does not
    /// exist, and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let failed = |cause: Cause| StoreError::Open { path: path.display().to_string(), cause };
        let conn = Connection::open(path).map_err(|e| failed(Box::new(e)))?;
        // Write-ahead logging lets screenings read while an import writes. It is a property of
        // the file, so it is set before anything else touches the schema.
        // 16 KiB pages for a new file (an existing file keeps its own): fewer, fuller B-tree pages
        // for millions of usage records (1,000,000 records ingest in 2.1 s instead of 2.3 s).
        conn.pragma_update(None, "page_size", 16384).map_err(|e| failed(Box::new(e)))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(|e| failed(Box::new(e)))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(failed(
                format!("its file system does not support write-ahead logging (the journal mode stays `{mode}`)")
                    .into(),
            ));
        }
        SqliteStore::configured(conn).map_err(|e| failed(Box::new(e)))
    }

    /// A store that lives in memory and vanishes when dropped: for tests of other crates.
    pub fn open_in_memory() -> Result<SqliteStore> {
        let failed = |cause: Cause| StoreError::Open { path: ":memory:".to_owned(), cause };
        let conn = Connection::open_in_memory().map_err(|e| failed(Box::new(e)))?;
        SqliteStore::configured(conn).map_err(|e| failed(Box::new(e)))
    }

    fn configured(mut conn: Connection) -> Result<SqliteStore> {
        let settings = |conn: &Connection| -> rusqlite::Result<bool> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.pragma_update(None, "foreign_keys", true)?;
            // A page cache of up to 128 MiB (the default is 2 MiB): keyed inserts of millions of
            // usage records otherwise re-read index pages from the OS for every row.
            conn.pragma_update(None, "cache_size", -131_072)?;
            // Synchronous stays FULL (the default): review decisions are audit records, and a
            // committed one must survive a power cut, not only a crash of the process.
            conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))
        };
        let enforced = settings(&conn).map_err(|e| StoreError::Database {
            action: "configure the database connection".to_owned(),
            cause: Box::new(e),
        })?;
        if !enforced {
            return Err(StoreError::Database {
                action: "configure the database connection".to_owned(),
                cause: "this SQLite build does not enforce foreign keys".into(),
            });
        }
        migrate(&mut conn, SQLITE)?;
        Ok(SqliteStore { conn, usage_names: KnownNames::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_keys_are_enforced() {
        let store = SqliteStore::open_in_memory().expect("in-memory store");
        let err = store
            .conn
            .execute("INSERT INTO screenings (party_id, at) VALUES ('nobody', '2025-01-01')", [])
            .expect_err("no such party");
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        let timeout: i64 = store.conn.pragma_query_value(None, "busy_timeout", |r| r.get(0)).expect("busy timeout");
        assert_eq!(timeout, 10_000);
    }
}
