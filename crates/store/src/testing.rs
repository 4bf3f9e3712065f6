//! Test support for the conformance suite: a fresh, empty database on every backend a test
//! should run against. SQLite always (a file in a new temporary directory); PostgreSQL when
//! `CHIPWARDEN_TEST_POSTGRES_URL` names a server and a role that may create databases (each test
//! gets a new database of its own, dropped afterwards, so tests run in parallel). Without the
//! variable the PostgreSQL half is skipped with a message, unless `CI` is set: then it fails, so
//! CI never skips it silently.
//!
//! Public (and hidden from the docs) so that the crate's integration tests and other crates'
//! tests can use it; nothing in a running ChipWarden calls it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Store;

/// The variable that names the PostgreSQL server for tests: a URL whose role may create and drop
/// databases, e.g. `postgres://chipwarden:chipwarden@127.0.0.1:5432/chipwarden`.
pub const POSTGRES_URL_VAR: &str = "CHIPWARDEN_TEST_POSTGRES_URL";

/// One fresh database; removed when dropped (close every store on it first).
#[derive(Debug)]
pub struct TestDb {
    target: Target,
}

#[derive(Debug)]
enum Target {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, name: String, url: String },
}

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{nanos}_{n}", std::process::id())
}

/// The PostgreSQL URL for tests, if any. Panics when it is missing under CI.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "{POSTGRES_URL_VAR} is not set, and CI must run the PostgreSQL half of the store's conformance suite"
            )
        }
        _ => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{POSTGRES_URL_VAR} is not set: skipping the PostgreSQL half of this test");
            }
            None
        }
    }
}

/// A fresh database on every backend to test: SQLite, then PostgreSQL when configured.
pub fn backends() -> Vec<TestDb> {
    let mut out = vec![TestDb::sqlite()];
    if let Some(admin) = postgres_url() {
        out.push(TestDb::postgres(&admin));
    }
    out
}

/// Runs `test` on a fresh database of every backend, naming the backend if it panics.
pub fn each_backend(mut test: impl FnMut(&TestDb)) {
    for db in backends() {
        let name = db.dialect();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&db)));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("on {name}: {message}");
        }
    }
}

impl TestDb {
    /// A new SQLite file in a new temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("chipwarden-store-test"));
        std::fs::create_dir(&dir).expect("create a temporary directory");
        TestDb { target: Target::Sqlite { dir } }
    }

    /// A new database on the server of `admin_url` (whose role may create databases).
    pub fn postgres(admin_url: &str) -> TestDb {
        let name = unique("chipwarden_test");
        let mut admin = postgres::Client::connect(admin_url, postgres::NoTls).unwrap_or_else(|e| {
            panic!("cannot connect to {POSTGRES_URL_VAR} {}: {}", crate::pg::redact(admin_url), chain(&e))
        });
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("create database: {}", chain(&e)));
        drop(admin);
        // The URL of the new database: the admin URL with its database name replaced.
        let url = replace_dbname(admin_url, &name);
        TestDb { target: Target::Postgres { admin_url: admin_url.to_owned(), name, url } }
    }

    /// `sqlite` or `postgres`.
    pub fn dialect(&self) -> &'static str {
        match self.target {
            Target::Sqlite { .. } => "sqlite",
            Target::Postgres { .. } => "postgres",
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.target, Target::Postgres { .. })
    }

    /// What [`Store::open_url`] opens: the file's path or the database's URL.
    pub fn location(&self) -> String {
        match &self.target {
            Target::Sqlite { dir } => dir.join("chipwarden.sqlite").display().to_string(),
            Target::Postgres { url, .. } => url.clone(),
        }
    }

    /// A new store on this database (several may be open at once).
    pub fn open(&self) -> Store {
        Store::open_url(&self.location()).unwrap_or_else(|e| panic!("open the {} store: {e}", self.dialect()))
    }

    /// Runs `sql` on a connection of its own that goes around the store, as any client of the
    /// database could; the error's whole message when the database refuses it.
    pub fn raw_execute(&self, sql: &str) -> Result<(), String> {
        match &self.target {
            Target::Sqlite { .. } => {
                let conn = rusqlite::Connection::open(self.location()).map_err(|e| e.to_string())?;
                conn.execute_batch(sql).map_err(|e| e.to_string())
            }
            Target::Postgres { url, .. } => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(|e| chain(&e))?;
                client.batch_execute(sql).map_err(|e| chain(&e))
            }
        }
    }

    /// The one integer that `sql` selects, read around the store.
    pub fn raw_query_i64(&self, sql: &str) -> i64 {
        match &self.target {
            Target::Sqlite { .. } => {
                let conn = rusqlite::Connection::open(self.location()).expect("open the store file directly");
                conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            Target::Postgres { url, .. } => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect directly");
                let row = client.query_one(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {}", chain(&e)));
                row.try_get::<_, i64>(0).unwrap_or_else(|e| panic!("{sql}: {}", chain(&e)))
            }
        }
    }

    /// How many rows `table` holds.
    pub fn count(&self, table: &str) -> i64 {
        self.raw_query_i64(&format!("SELECT count(*) FROM {table}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort: a leftover directory or database is harmless, and a panic here would hide
        // the test's own.
        match &self.target {
            Target::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Target::Postgres { admin_url, name, .. } => {
                if let Ok(mut admin) = postgres::Client::connect(admin_url, postgres::NoTls) {
                    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

/// `url` with its database name (the path) replaced by `name`.
fn replace_dbname(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.split_once('?').map_or(String::new(), |(_, q)| format!("?{q}"));
    format!("{scheme}://{authority}/{name}{query}")
}

/// A `postgres` error with its sources, as the store reports it.
pub fn chain(error: &postgres::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
