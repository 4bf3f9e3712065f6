//! The one error type of the store: what failed, in words a user can act on.

/// The cause under a store error. Boxed so that the public type does not tie callers to one
/// database driver: each backend puts its own driver's errors here.
///
/// A cause is part of its error's message and is deliberately not reported as its `source()`,
/// so that printing the chain of an error (as anyhow's `{:#}` does) says it once.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at `{path}`: {cause}")]
    Open { path: String, cause: Cause },

    #[error(
        "the store was written by a newer ChipWarden (schema version {found}; this build knows versions up to {known})"
    )]
    NewerSchema { found: i64, known: i64 },

    #[error("the store's schema migration {version} is recorded as `{recorded}`, but this build calls it `{expected}`")]
    MigrationMismatch { version: i64, recorded: String, expected: String },

    #[error("cannot apply schema migration {version} `{name}`: {cause}")]
    Migrate { version: i64, name: String, cause: Cause },

    /// A value handed to the store breaks a rule of its kind (an empty name, a share above 1, a
    /// malformed date). Nothing was written.
    #[error("{0}")]
    Invalid(String),

    /// A batch checked against a log of `expected` entries met a log of `size`: another writer
    /// appended in between. Nothing was appended; check the batch again.
    #[error(
        "the ledger grew from {expected} to {size} entries while this batch was being checked; nothing was appended, check it again"
    )]
    LogGrew { expected: u64, size: u64 },

    #[error(
        "cannot import list `{list_source}`: entry `{entry_id}` of list `{list}` appears more than once; nothing was imported"
    )]
    DuplicateEntry { list_source: String, list: String, entry_id: String },

    #[error("there is no list version {0}")]
    UnknownVersion(i64),

    #[error("there is no party `{0}`; add it before recording its screenings or decisions")]
    UnknownParty(String),

    #[error(
        "the hit on entry `{entry_id}` of list `{list}` names no entry of the list versions the screening ran against"
    )]
    UnknownEntry { list: String, entry_id: String },

    #[error(
        "list versions {a} (`{a_source}`) and {b} (`{b_source}`) are of different list sources and cannot be compared"
    )]
    DifferentSources { a: i64, a_source: String, b: i64, b_source: String },

    #[error(
        "ownership row {row}: the store already says `{owner}` owns {stored} of `{owned}` according to `{source_name}` on {date}, not {share}; nothing was imported"
    )]
    ConflictingOwnership {
        row: usize,
        owner: String,
        owned: String,
        source_name: String,
        date: String,
        stored: f64,
        share: f64,
    },

    /// What the store holds cannot be read back (a hand-edited row, a foreign file).
    #[error("the store holds an unreadable {what}: {cause}")]
    Corrupt { what: String, cause: Cause },

    /// [`crate::Store::copy_into`] was given a target that already holds data; nothing was copied.
    #[error("the target store is not empty (table `{table}` has rows): copy only into a new, empty store")]
    TargetNotEmpty { table: String },

    /// The two stores of a copy do not have the same schema (migrations, tables or columns), or
    /// a column's type is one the copy does not know; nothing was copied.
    #[error("cannot copy between these stores: {0}")]
    SchemaDiffers(String),

    #[error("cannot {action}: {cause}")]
    Database { action: String, cause: Cause },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A database driver's error, made into a [`Cause`] whose message says everything.
pub(crate) trait DriverError {
    fn into_cause(self) -> Cause;
}

impl DriverError for rusqlite::Error {
    fn into_cause(self) -> Cause {
        Box::new(self)
    }
}

impl DriverError for postgres::Error {
    /// The `postgres` crate's message is its kind alone ("db error"); what the server said is
    /// its source, so the whole chain goes into the message.
    fn into_cause(self) -> Cause {
        let mut message = self.to_string();
        let mut source = std::error::Error::source(&self);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message.into()
    }
}

/// Wraps a driver error with what the store was doing, e.g. `db("read the list versions")`.
pub(crate) fn db<E: DriverError>(action: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError::Database { action: action.to_owned(), cause: e.into_cause() }
}
