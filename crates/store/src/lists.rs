//! List versions: importing a parsed list as a snapshot in one transaction, and reading
//! versions, their entries and the differences between them.

use chipwarden_lists::{ListDiff, ListEntry, ParsedList, diff};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior};

use crate::error::{Result, StoreError, db};
use crate::model::{ImportOutcome, ListVersion, StoredEntry};
use crate::sqlite::SqliteStore;

const VERSION_COLUMNS: &str = "id, source, format, published, content_hash, imported_at, entry_count";

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<ListVersion> {
    Ok(ListVersion {
        id: row.get(0)?,
        source: row.get(1)?,
        format: row.get(2)?,
        published: row.get(3)?,
        content_hash: row.get(4)?,
        imported_at: row.get(5)?,
        entry_count: u64::try_from(row.get::<_, i64>(6)?)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, Type::Integer, Box::new(e)))?,
    })
}

fn decode_entry(version_id: i64, json: &str) -> Result<ListEntry> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt { what: format!("entry of list version {version_id}"), cause: Box::new(e) })
}

/// The version of `source` with the highest id, if the source was ever imported.
fn current_version(conn: &Connection, source: &str) -> Result<Option<ListVersion>> {
    conn.query_row(
        &format!("SELECT {VERSION_COLUMNS} FROM list_versions WHERE source = ?1 ORDER BY id DESC LIMIT 1"),
        [source],
        version_from_row,
    )
    .optional()
    .map_err(db("read the current version of a list"))
}

pub(crate) fn version_by_id(conn: &Connection, id: i64) -> Result<ListVersion> {
    conn.query_row(&format!("SELECT {VERSION_COLUMNS} FROM list_versions WHERE id = ?1"), [id], version_from_row)
        .optional()
        .map_err(db("read a list version"))?
        .ok_or(StoreError::UnknownVersion(id))
}

/// A version's entries in the order of the file they were imported from.
fn entries_of(conn: &Connection, version_id: i64) -> Result<Vec<ListEntry>> {
    let action = "read the entries of a list version";
    let mut stmt =
        conn.prepare_cached("SELECT entry FROM list_entries WHERE version_id = ?1 ORDER BY id").map_err(db(action))?;
    let rows = stmt.query_map([version_id], |row| row.get::<_, String>(0)).map_err(db(action))?;
    let mut entries = Vec::new();
    for json in rows {
        entries.push(decode_entry(version_id, &json.map_err(db(action))?)?);
    }
    Ok(entries)
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

impl SqliteStore {
    pub fn import_list(&mut self, source: &str, parsed: &ParsedList, imported_at: &str) -> Result<ImportOutcome> {
        let entry_count = i64::try_from(parsed.entries.len())
            .map_err(|_| StoreError::Invalid(format!("list `{source}` has too many entries to store")))?;
        // Taken for writing up front, so that the current version read here is still current
        // when the new one is written, whatever other processes do.
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("start the list import"))?;
        let previous = current_version(&tx, source)?;
        if let Some(current) = previous.as_ref().filter(|v| v.content_hash == parsed.content_hash) {
            return Ok(ImportOutcome::unchanged(current));
        }
        let old_entries = match &previous {
            Some(version) => entries_of(&tx, version.id)?,
            None => Vec::new(),
        };
        tx.execute(
            "INSERT INTO list_versions (source, format, published, content_hash, imported_at, entry_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            (source, &parsed.format, &parsed.published, &parsed.content_hash, imported_at, entry_count),
        )
        .map_err(db("store the new list version"))?;
        let version_id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO list_entries (version_id, source, list, entry_id, primary_name, entry)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(db("store the entries of the new list version"))?;
            for entry in &parsed.entries {
                let json = serde_json::to_string(entry).map_err(|e| {
                    StoreError::Invalid(format!(
                        "entry `{}` of list `{}` cannot be written as JSON: {e}",
                        entry.entry_id, entry.list
                    ))
                })?;
                insert
                    .execute((version_id, source, &entry.list.0, &entry.entry_id, entry.primary_name(), json))
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::DuplicateEntry {
                                list_source: source.to_owned(),
                                list: entry.list.0.clone(),
                                entry_id: entry.entry_id.clone(),
                            }
                        } else {
                            StoreError::Database {
                                action: format!("store entry `{}` of list `{}`", entry.entry_id, entry.list),
                                cause: Box::new(e),
                            }
                        }
                    })?;
            }
        }
        let diff = diff(&old_entries, &parsed.entries);
        tx.commit().map_err(db("commit the list import"))?;
        Ok(ImportOutcome::imported(version_id, source, parsed, imported_at, previous, diff))
    }

    pub fn current_versions(&self) -> Result<Vec<ListVersion>> {
        let action = "read the current list versions";
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM list_versions v
                 WHERE id = (SELECT max(id) FROM list_versions WHERE source = v.source)
                 ORDER BY source"
            ))
            .map_err(db(action))?;
        let rows = stmt.query_map([], version_from_row).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }

    pub fn versions(&self, source: &str) -> Result<Vec<ListVersion>> {
        let action = "read the versions of a list";
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {VERSION_COLUMNS} FROM list_versions WHERE source = ?1 ORDER BY id"))
            .map_err(db(action))?;
        let rows = stmt.query_map([source], version_from_row).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }

    pub fn entries(&self, version_id: i64) -> Result<Vec<ListEntry>> {
        version_by_id(&self.conn, version_id)?;
        entries_of(&self.conn, version_id)
    }

    pub fn current_entries(&self) -> Result<Vec<StoredEntry>> {
        let action = "read the entries of the current list versions";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.source, e.version_id, e.entry
                 FROM list_entries e
                 JOIN (SELECT max(id) AS id FROM list_versions GROUP BY source) c ON e.version_id = c.id
                 ORDER BY e.source, e.id",
            )
            .map_err(db(action))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?)))
            .map_err(db(action))?;
        let mut out = Vec::new();
        for row in rows {
            let (source, version_id, json) = row.map_err(db(action))?;
            out.push(StoredEntry { entry: decode_entry(version_id, &json)?, source, version_id });
        }
        Ok(out)
    }

    pub fn list_codes(&self, version_id: i64) -> Result<std::collections::BTreeSet<String>> {
        let action = "read the list codes of a version";
        let mut stmt =
            self.conn.prepare("SELECT DISTINCT list FROM list_entries WHERE version_id = ?1").map_err(db(action))?;
        let rows = stmt.query_map([version_id], |row| row.get(0)).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }

    pub fn diff_versions(&self, a: i64, b: i64) -> Result<ListDiff> {
        let (version_a, version_b) = (version_by_id(&self.conn, a)?, version_by_id(&self.conn, b)?);
        if version_a.source != version_b.source {
            return Err(StoreError::DifferentSources { a, a_source: version_a.source, b, b_source: version_b.source });
        }
        Ok(diff(&entries_of(&self.conn, a)?, &entries_of(&self.conn, b)?))
    }
}
