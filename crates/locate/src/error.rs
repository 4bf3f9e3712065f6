//! The locate engine's errors: bad rows (file, line, field), bad border files, bad options.

/// Everything that can go wrong. Messages are lowercase, name the file, line and field where
/// there is one, and put user values in backticks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LocateError {
    #[error("`{file}` line {line}, field `{field}`: {message}")]
    Row { file: String, line: u64, field: String, message: String },
    #[error("`{file}`: {message}")]
    File { file: String, message: String },
    #[error("`{origin}`: {message}")]
    Borders { origin: String, message: String },
    #[error("landmark `{landmark}`: {message}")]
    Landmark { landmark: String, message: String },
    #[error("measurement of target `{target}` by landmark `{landmark}`: {message}")]
    Measurement { target: String, landmark: String, message: String },
    #[error("target `{target}` has no measurement by any landmark other than itself")]
    NoMeasurements { target: String },
    #[error("invalid option `{option}`: {message}")]
    Option { option: &'static str, message: String },
}

impl LocateError {
    pub(crate) fn row(file: &str, line: u64, field: &str, message: impl Into<String>) -> LocateError {
        LocateError::Row { file: file.to_owned(), line, field: field.to_owned(), message: message.into() }
    }

    pub(crate) fn borders(origin: &str, message: impl Into<String>) -> LocateError {
        LocateError::Borders { origin: origin.to_owned(), message: message.into() }
    }
}
