//! Use cases over the store and the engines, shared by the CLI and the server: recording
//! screenings, onboarding customers, the usage report, checking and appending ledger batches,
//! the log's key, cases and the audit trail (every decision appended to the log), API tokens, a chip's device key for location checks, and the small pieces of
//! classification and capacity both surfaces assemble.
//!
//! Each function takes ready inputs (a store, the bundled facts, parsed records) and returns
//! values or a [`ServiceError`]. Nothing here prints, speaks HTTP or picks an exit code: the
//! CLI maps a `ServiceError` to its exit codes, the server to its error codes.

pub mod audit;
pub mod capacity;
pub mod cases;
pub mod classify;
pub mod config;
pub mod customers;
pub mod ledger;
pub mod locate;
pub mod measurements;
pub mod meter;
pub mod registry;
pub mod screening;
pub mod tokens;

mod error;

pub use error::{ServiceError, ServiceResult};

/// Now, as RFC 3339 text (UTC), for what the store records.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}
