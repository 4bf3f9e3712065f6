//! Schema migrations: versioned SQL files per dialect, applied in order and recorded in the
//! `schema_migrations` table of the store they were applied to.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{DriverError, Result, StoreError, db};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// INVARIANT: numbered from 1 without gaps, in the order of the files in `migrations/sqlite`
/// (a unit test below holds the list to the directory). A shipped migration is never edited.
pub(crate) const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "initial", sql: include_str!("../migrations/sqlite/0001_initial.sql") },
    Migration {
        version: 2,
        name: "party_qualifiers",
        sql: include_str!("../migrations/sqlite/0002_party_qualifiers.sql"),
    },
    Migration { version: 3, name: "usage", sql: include_str!("../migrations/sqlite/0003_usage.sql") },
    Migration { version: 4, name: "customers", sql: include_str!("../migrations/sqlite/0004_customers.sql") },
    Migration {
        version: 5,
        name: "usage_account_index",
        sql: include_str!("../migrations/sqlite/0005_usage_account_index.sql"),
    },
    Migration { version: 6, name: "ledger", sql: include_str!("../migrations/sqlite/0006_ledger.sql") },
    Migration { version: 7, name: "ledger_serials", sql: include_str!("../migrations/sqlite/0007_ledger_serials.sql") },
    Migration { version: 8, name: "api_tokens", sql: include_str!("../migrations/sqlite/0008_api_tokens.sql") },
    Migration { version: 9, name: "usage_compact", sql: include_str!("../migrations/sqlite/0009_usage_compact.sql") },
    Migration { version: 10, name: "cases", sql: include_str!("../migrations/sqlite/0010_cases.sql") },
    Migration { version: 11, name: "locations", sql: include_str!("../migrations/sqlite/0011_locations.sql") },
    Migration {
        version: 12,
        name: "usage_dictionaries",
        sql: include_str!("../migrations/sqlite/0012_usage_dictionaries.sql"),
    },
];

/// INVARIANT: the same versions and names as [`SQLITE`], one file per SQLite migration in
/// `migrations/postgres`, giving an equivalent schema in PostgreSQL's dialect.
pub(crate) const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "initial", sql: include_str!("../migrations/postgres/0001_initial.sql") },
    Migration {
        version: 2,
        name: "party_qualifiers",
        sql: include_str!("../migrations/postgres/0002_party_qualifiers.sql"),
    },
    Migration { version: 3, name: "usage", sql: include_str!("../migrations/postgres/0003_usage.sql") },
    Migration { version: 4, name: "customers", sql: include_str!("../migrations/postgres/0004_customers.sql") },
    Migration {
        version: 5,
        name: "usage_account_index",
        sql: include_str!("../migrations/postgres/0005_usage_account_index.sql"),
    },
    Migration { version: 6, name: "ledger", sql: include_str!("../migrations/postgres/0006_ledger.sql") },
    Migration {
        version: 7,
        name: "ledger_serials",
        sql: include_str!("../migrations/postgres/0007_ledger_serials.sql"),
    },
    Migration { version: 8, name: "api_tokens", sql: include_str!("../migrations/postgres/0008_api_tokens.sql") },
    Migration { version: 9, name: "usage_compact", sql: include_str!("../migrations/postgres/0009_usage_compact.sql") },
    Migration { version: 10, name: "cases", sql: include_str!("../migrations/postgres/0010_cases.sql") },
    Migration { version: 11, name: "locations", sql: include_str!("../migrations/postgres/0011_locations.sql") },
    Migration {
        version: 12,
        name: "usage_dictionaries",
        sql: include_str!("../migrations/postgres/0012_usage_dictionaries.sql"),
    },
];

/// The advisory lock key a PostgreSQL schema upgrade holds, so that two processes opening a new
/// database at once apply each migration once.
const PG_MIGRATION_LOCK: i64 = 0x6368_6970_6d69_6772; // "chipmigr"

/// Brings the schema up to this build's latest version. The whole upgrade is one transaction,
/// taken for writing up front, so two processes opening a new store at once cannot both apply
/// a migration, and a failing migration leaves the store as it was.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("start the schema upgrade"))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .map_err(db("create the table of schema migrations"))?;
    let applied: Vec<(i64, String)> = {
        let mut stmt = tx
            .prepare("SELECT version, name FROM schema_migrations ORDER BY version")
            .map_err(db("read the applied schema migrations"))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(db("read the applied schema migrations"))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db("read the applied schema migrations"))?
    };
    check_applied(&applied, migrations)?;
    for migration in migrations.iter().filter(|m| !applied.iter().any(|(version, _)| *version == m.version)) {
        let failed = |e: rusqlite::Error| StoreError::Migrate {
            version: migration.version,
            name: migration.name.to_owned(),
            cause: Box::new(e),
        };
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            (migration.version, migration.name),
        )
        .map_err(failed)?;
    }
    tx.commit().map_err(db("commit the schema upgrade"))
}

/// Refuses a store that a newer build migrated, or whose recorded migrations this build calls by
/// other names.
fn check_applied(applied: &[(i64, String)], migrations: &[Migration]) -> Result<()> {
    let known = migrations.last().map_or(0, |m| m.version);
    if let Some((found, _)) = applied.iter().find(|(version, _)| *version > known) {
        return Err(StoreError::NewerSchema { found: *found, known });
    }
    for (version, recorded) in applied {
        let expected = migrations.iter().find(|m| m.version == *version).map_or("", |m| m.name);
        if recorded != expected {
            return Err(StoreError::MigrationMismatch {
                version: *version,
                recorded: recorded.clone(),
                expected: expected.to_owned(),
            });
        }
    }
    Ok(())
}

/// [`migrate`] on PostgreSQL: one transaction holding an advisory lock, so that two processes
/// opening a new database at once cannot both apply a migration, and a failing migration leaves
/// the database as it was.
pub(crate) fn migrate_postgres(client: &mut postgres::Client, migrations: &[Migration]) -> Result<()> {
    let mut tx = client.transaction().map_err(db("start the schema upgrade"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PG_MIGRATION_LOCK]).map_err(db("lock the schema upgrade"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    BIGINT PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .map_err(db("create the table of schema migrations"))?;
    let applied: Vec<(i64, String)> = tx
        .query("SELECT version, name FROM schema_migrations ORDER BY version", &[])
        .map_err(db("read the applied schema migrations"))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    check_applied(&applied, migrations)?;
    for migration in migrations.iter().filter(|m| !applied.iter().any(|(version, _)| *version == m.version)) {
        let failed = |e: postgres::Error| StoreError::Migrate {
            version: migration.version,
            name: migration.name.to_owned(),
            cause: e.into_cause(),
        };
        tx.batch_execute(migration.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES ($1, $2, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
            &[&migration.version, &migration.name],
        )
        .map_err(failed)?;
    }
    tx.commit().map_err(db("commit the schema upgrade"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file in `migrations/sqlite` is listed, in order, under its own number and name,
    /// with its own text.
    #[test]
    fn the_list_matches_the_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("migrations directory")
            .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), SQLITE.len(), "{files:?}");
        for (index, (file, migration)) in files.iter().zip(SQLITE).enumerate() {
            assert_eq!(migration.version, i64::try_from(index + 1).expect("small"));
            assert_eq!(file, &format!("{:04}_{}.sql", migration.version, migration.name));
            let text = std::fs::read_to_string(dir.join(file)).expect("migration file");
            assert_eq!(text, migration.sql, "{file}");
        }
    }

    /// Every file in `migrations/postgres` is listed in order with its own text, under the same
    /// number and name as the SQLite migration it stands for.
    #[test]
    fn the_postgres_list_matches_its_directory_and_the_sqlite_list() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("migrations directory")
            .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), POSTGRES.len(), "{files:?}");
        assert_eq!(POSTGRES.len(), SQLITE.len());
        for ((file, migration), sqlite) in files.iter().zip(POSTGRES).zip(SQLITE) {
            assert_eq!((migration.version, migration.name), (sqlite.version, sqlite.name));
            assert_eq!(file, &format!("{:04}_{}.sql", migration.version, migration.name));
            let text = std::fs::read_to_string(dir.join(file)).expect("migration file");
            assert_eq!(text, migration.sql, "{file}");
        }
    }

    #[test]
    fn applies_once_and_refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        migrate(&mut conn, SQLITE).expect("first run");
        migrate(&mut conn, SQLITE).expect("second run is a no-op");
        let count: i64 =
            conn.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0)).expect("count migrations");
        assert_eq!(count, i64::try_from(SQLITE.len()).expect("small"));

        let err = migrate(&mut conn, &[]).expect_err("a build that knows fewer migrations");
        assert!(matches!(err, StoreError::NewerSchema { found: 1, known: 0 }), "{err}");
        let err = migrate(&mut conn, &SQLITE[..1]).expect_err("a build that knows only the first migration");
        assert!(matches!(err, StoreError::NewerSchema { found: 2, known: 1 }), "{err}");

        let mut renamed = SQLITE.to_vec();
        renamed[0] = Migration { version: 1, name: "other", sql: "" };
        let err = migrate(&mut conn, &renamed).expect_err("a migration renamed");
        assert!(matches!(err, StoreError::MigrationMismatch { .. }), "{err}");
    }

    /// Migration 11 rebuilds the case tables: every case and note keeps its id, the notes keep
    /// their foreign key and the rebuilt tables their triggers.
    #[test]
    fn the_case_rebuild_keeps_cases_notes_and_rules() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        conn.pragma_update(None, "foreign_keys", true).expect("foreign keys");
        migrate(&mut conn, &SQLITE[..10]).expect("up to 10");
        conn.execute_batch(
            "INSERT INTO cases (id, kind, case_key, subject, title, evidence, fingerprint, state, created_at, updated_at)
             VALUES (7, 'meter', 'k7', 'account:a', 'a crossed', '{}', 'f', 'open', 't', 't');
             INSERT INTO case_notes (case_id, author, at, text) VALUES (7, 'ann', 't', 'looked');",
        )
        .expect("a case and a note");
        migrate(&mut conn, SQLITE).expect("up to the latest");
        let kept: (i64, String, i64) = conn
            .query_row("SELECT c.id, c.kind, n.seq FROM cases c JOIN case_notes n ON n.case_id = c.id", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("the case and its note");
        assert_eq!(kept, (7, "meter".to_owned(), 1));
        conn.execute(
            "INSERT INTO cases (kind, case_key, subject, title, evidence, fingerprint, state, created_at, updated_at)
             VALUES ('location', 'k8', 'chip:SN1', 'outside', '{}', 'f', 'open', 't', 't')",
            [],
        )
        .expect("the new kind");
        let err = conn
            .execute("INSERT INTO case_notes (case_id, author, at, text) VALUES (99, 'ann', 't', 'x')", [])
            .expect_err("a note without its case");
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        let err = conn.execute("DELETE FROM cases", []).expect_err("never deleted");
        assert!(err.to_string().contains("never deleted"), "{err}");
        let err = conn.execute("UPDATE case_notes SET text = 'y'", []).expect_err("append-only");
        assert!(err.to_string().contains("append-only"), "{err}");
        let err = conn.execute("UPDATE cases SET kind = 'foundry'", []).expect_err("kind kept");
        assert!(err.to_string().contains("keeps its kind"), "{err}");
        let next: i64 = conn
            .query_row(
                "INSERT INTO case_notes (case_id, author, at, text) VALUES (7, 'bob', 't', 'again') RETURNING seq",
                [],
                |r| r.get(0),
            )
            .expect("a new note");
        assert_eq!(next, 2, "note numbering goes on");
    }

    #[test]
    fn a_failing_migration_leaves_the_store_as_it_was() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        let broken = [
            Migration { version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);" },
            Migration { version: 2, name: "two", sql: "CREATE TABLE b (x INTEGER); THIS IS NOT SQL;" },
        ];
        let err = migrate(&mut conn, &broken).expect_err("broken migration");
        assert!(err.to_string().starts_with("cannot apply schema migration 2 `two`: "), "{err}");
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')", [], |r| r.get(0))
            .expect("count tables");
        assert_eq!(tables, 0);
    }
}
