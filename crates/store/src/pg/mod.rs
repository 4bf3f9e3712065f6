//! The PostgreSQL backend of the store: connecting to a `postgres://` URL, its schema upgrade,
//! and the operations of every area, with the same meaning as the SQLite backend's (one
//! conformance suite runs against both).
//!
//! Several servers may share one database. Writes that read before they write (an import that
//! reads the current version, a case opened unless its key exists, a ledger append that numbers
//! its entries after the last) take one transaction-level advisory lock, [`WRITE_LOCK`], which
//! serializes them across processes as SQLite's IMMEDIATE transactions do; usage ingest needs no
//! lock, since `INSERT ... ON CONFLICT DO NOTHING` counts a record id once whoever sends it.
//!
//! The `postgres` client blocks on a runtime of its own: it must be called from blocking code
//! (a server calls the store from `spawn_blocking`), and it is dropped on a thread of its own, so
//! that dropping a store inside an async task is safe.

mod cases;
mod ledger;
mod lists;
mod locations;
mod usage;

use std::cell::{RefCell, RefMut};
use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, NoTls, Transaction};

use crate::error::{Cause, DriverError, Result, StoreError, db};
use crate::migrate::{POSTGRES, migrate_postgres};

/// The advisory lock key of writes that read before they write, and of ledger appends: held to
/// the end of the transaction, so writers on several servers are serialized into one history.
pub(crate) const WRITE_LOCK: i64 = 0x6368_6970_7772_6974; // "chipwrit"

/// How long connecting waits for the server when the URL does not say (`connect_timeout=`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `location` is a PostgreSQL URL rather than a path.
pub(crate) fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// `url` without its password (in the user part or as a `password=` parameter), for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => format!("{user}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| if p.starts_with("password=") { "password=***".to_owned() } else { p.to_owned() })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The store in one PostgreSQL database.
pub(crate) struct PgStore {
    /// `None` only while the store is being dropped.
    client: RefCell<Option<Client>>,
    /// How to connect again when the connection was lost (the server restarted).
    config: postgres::Config,
    /// The URL without its password.
    url: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // The client owns a runtime, which panics if dropped inside an async task: drop it on a
        // thread of its own, wherever the store is dropped.
        if let Some(client) = self.client.get_mut().take() {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

impl PgStore {
    /// Connects to `url` and brings the database's schema up to date.
    pub(crate) fn open(url: &str) -> Result<PgStore> {
        let shown = redact(url);
        let failed = |cause: Cause| StoreError::Open { path: shown.clone(), cause };
        let mut config = postgres::Config::from_str(url).map_err(|e| failed(e.into_cause()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("chipwarden");
        }
        let mut client = config.connect(NoTls).map_err(|e| failed(e.into_cause()))?;
        let migrated = migrate_postgres(&mut client, POSTGRES);
        let store = PgStore { client: RefCell::new(Some(client)), config, url: shown.clone() };
        migrated.map_err(|e| failed(Box::new(e)))?;
        Ok(store)
    }

    /// The connection, for one operation at a time (the store is not re-entered from its own
    /// callbacks). A connection known to be closed (the server restarted) is opened again; a
    /// read that finds it closed first fails, and the next one goes through.
    pub(crate) fn client(&self) -> Result<RefMut<'_, Client>> {
        let mut slot = self.client.borrow_mut();
        reconnect(&mut slot, &self.config, false)?;
        Ok(RefMut::map(slot, |c| c.as_mut().expect("the client is only taken when the store drops")))
    }

    /// The connection for a write (`&mut self`: no borrow can be outstanding), checked with a
    /// round trip first and opened again if the server closed it: a write after a restart goes
    /// through instead of failing once more.
    pub(crate) fn client_mut(&mut self) -> Result<&mut Client> {
        let slot = self.client.get_mut();
        reconnect(slot, &self.config, true)?;
        Ok(slot.as_mut().expect("the client is only taken when the store drops"))
    }
}

/// How long the check of a connection before a write waits for the server's answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

fn reconnect(slot: &mut Option<Client>, config: &postgres::Config, probe: bool) -> Result<()> {
    let lost = slot.as_mut().is_some_and(|c| c.is_closed() || (probe && c.is_valid(PROBE_TIMEOUT).is_err()));
    if lost {
        let client = config.connect(NoTls).map_err(db("connect to the database again"))?;
        if let Some(old) = slot.replace(client) {
            let _ = std::thread::spawn(move || drop(old)).join();
        }
    }
    Ok(())
}

/// Takes [`WRITE_LOCK`] for the rest of the transaction `tx`.
pub(crate) fn lock_writes(tx: &mut Transaction<'_>) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]).map_err(db("wait for the other writers"))?;
    Ok(())
}

/// Whether `error` is PostgreSQL's refusal of a duplicate key.
pub(crate) fn is_unique_violation(error: &postgres::Error) -> bool {
    error.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out_of_urls() {
        assert_eq!(redact("postgres://cw:secret@db.example:5432/cw"), "postgres://cw:***@db.example:5432/cw");
        assert_eq!(redact("postgresql://cw@db/cw?sslmode=disable"), "postgresql://cw@db/cw?sslmode=disable");
        assert_eq!(
            redact("postgres://db/cw?user=cw&password=secret&sslmode=disable"),
            "postgres://db/cw?user=cw&password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://a:b@c"), "postgres://a:***@c");
        assert!(is_postgres_url("postgresql://x") && is_postgres_url("postgres://x") && !is_postgres_url("/tmp/x"));
    }
}
