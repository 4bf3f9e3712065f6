//! The meter engine's errors: rejected rows (file, line, field, reason) and everything else.

/// One row that could not become a usage record, and why. Parsers yield these and carry on with
/// the next row, so a bad row never stops the good ones from landing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("`{file}` line {line}, field `{field}`: {reason}")]
pub struct Reject {
    pub file: String,
    /// 1-based line in the file (the header is line 1 in CSV and sacct output).
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl Reject {
    pub(crate) fn new(file: &str, line: u64, field: &str, reason: impl Into<String>) -> Reject {
        Reject { file: file.to_owned(), line, field: field.to_owned(), reason: reason.into() }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeterError {
    #[error(transparent)]
    Row(#[from] Reject),
    #[error("chip `{chip}` has no dense bf16 or fp16 rate in the catalog; its compute cannot be estimated")]
    NoPeakRate { chip: String },
    #[error("chip `{chip}` has no {figure} figure in the catalog")]
    MissingFigure { chip: String, figure: &'static str },
    #[error("unknown chip `{query}` in record `{record_id}`")]
    UnknownChip { record_id: String, query: String },
    #[error("`{file}`{line}, field `{field}`: {message}")]
    Data { file: String, line: chipwarden_core::catalog::LineSuffix, field: String, message: String },
    #[error("invalid `{parameter}`: {message}")]
    Parameter { parameter: &'static str, message: String },
}
