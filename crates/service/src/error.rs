//! The one error type of the service layer. Each variant says what went wrong in terms the
//! surfaces can map: the CLI to an exit code and a message naming its flags, the server to an
//! error code (internal details logged, never returned).

use chipwarden_ledger::LedgerError;
use chipwarden_meter::MeterError;
use chipwarden_store::StoreError;

use crate::ledger::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The store could not be read or written, or refused a value.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file of the data directory could not be read or written.
    #[error("{0}")]
    Io(String),
    /// There is no case with this id.
    #[error("there is no case {0}")]
    NoSuchCase(i64),
    /// A value given to a use case is refused (the message names the field in backticks).
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this to this object (an agent submitting for a chip its party does
    /// not hold).
    #[error("{0}")]
    Forbidden(String),
    /// The request contradicts the current state (a case already in the state asked for).
    #[error("{0}")]
    Conflict(String),
    /// A bug, or corrupt bundled or stored data.
    #[error("{0}")]
    Internal(String),
    /// The stored ledger does not replay through the custody state machine.
    #[error("the stored ledger does not replay at entry {index}: {cause} (run `chipwarden ledger audit`)")]
    Replay { index: u64, cause: LedgerError },
    /// Events of a batch were refused; nothing was appended.
    #[error("{} event(s) refused, nothing was appended", .0.len())]
    Refused(Vec<Refusal>),
    /// The origin given for a new log key is not a valid key name.
    #[error("{0}")]
    OriginInvalid(LedgerError),
    /// An origin was given that differs from the one the log's key was made with.
    #[error("`{given}`: this log's origin is `{origin}`, fixed when its key `{path}` was made")]
    OriginFixed { given: String, origin: String, path: String },
    /// A stored usage record cannot be estimated.
    #[error("{0}")]
    Estimate(MeterError),
    /// A line of a fleet inventory cannot be assessed.
    #[error("{chip_model}: {cause}")]
    FleetLine { index: usize, chip_model: String, cause: MeterError },
    /// The fleet as a whole cannot be assessed.
    #[error("{0}")]
    Fleet(MeterError),
}

impl ServiceError {
    pub(crate) fn internal(message: impl std::fmt::Display) -> ServiceError {
        ServiceError::Internal(message.to_string())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
