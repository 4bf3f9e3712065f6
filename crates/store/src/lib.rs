//! ChipWarden storage: list versions, screened parties, review decisions, ownership, usage,
//! customers, the custody ledger, API tokens and cases, in SQLite or PostgreSQL.
//!
//! Everything goes through [`Store`]; no SQL lives outside this crate. A store is on SQLite (a
//! file, [`Store::open`], or memory) or on PostgreSQL ([`Store::open_url`] with a `postgres://`
//! URL); the two backends (`sqlite.rs` with one file per area, `pg/`) give every method the same
//! meaning, held by one conformance suite run against both (`testing`, `tests/store.rs`). The
//! schema is built by versioned SQL files per dialect (`migrations/sqlite/NNNN_name.sql`,
//! `migrations/postgres/NNNN_name.sql`: the same numbers and names, an equivalent schema),
//! applied in order when a store is opened and recorded in its `schema_migrations` table.
//!
//! What must always hold:
//! - every write is one transaction: a failed import or screening leaves nothing behind, and the
//!   previous list version stays current;
//! - list versions and their entries, screenings and hits are records: the schema refuses to
//!   update them;
//! - review decisions are append-only: the schema refuses to update or delete them, and the
//!   latest decision on a hit key is the one in force;
//! - usage records and customer records are never rewritten: a changed customer record is a new
//!   version, and the latest version of an account is the one in force;
//! - the custody ledger is append-only: entries are numbered from 0 without gaps, a batch is
//!   appended in one transaction or not at all, and the schema refuses to update or delete
//!   entries, subtree hashes or checkpoints; on PostgreSQL, appenders on several servers are
//!   serialized by a transaction-level advisory lock into one tree, without gaps or forks;
//! - a usage record id counts once, however often and to however many servers it is sent
//!   (`INSERT ... ON CONFLICT DO NOTHING` on PostgreSQL);
//! - cases are never deleted and their notes are append-only; every change to a case is one
//!   transaction with the audit entries of the change, appended to the ledger;
//! - API tokens are stored as SHA-256 hashes only, are never deleted, and change only once:
//!   when they are revoked; an agent token's party is bound with it and never changes;
//! - location measurement records are stored once each and never rewritten or deleted.

mod cases;
mod copy;
mod customers;
mod decisions;
mod error;
mod ledger;
mod lists;
mod locations;
mod migrate;
mod model;
mod ownership;
mod pg;
mod screening;
mod sqlite;
mod store;
mod tokens;
mod usage;
mod validate;

#[doc(hidden)]
pub mod testing;

pub use cases::{AuditEntries, Case, CaseChange, CaseNote, CaseOutcome, CaseState, CaseUpdate, NewCase};
pub use copy::{CopyReport, LedgerComparison, TableCount};
pub use customers::{CustomerRecord, CustomersRecorded, StoredCustomer};
pub use error::{Cause, Result, StoreError};
pub use ledger::{LedgerLeaves, StoredCheckpoint};
pub use locations::{NewMeasurement, StoredMeasurement};
pub use model::{
    Decision, HitKey, ImportOutcome, ImportStatus, ListVersion, OwnershipEdge, Party, RecordedDecision, RecordedHit,
    Screening, StoredEntry, StoredHit, Subject, Verdict,
};
pub use store::Store;
pub use tokens::{StoredToken, TOKEN_ROLES};
pub use usage::{CodedUsage, Ingested, StoredLink, StoredUsage, UsageBatch, UsageModel, UsageNames, UsageRow};
