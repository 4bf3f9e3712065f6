//! ISO 3166-1 alpha-2 country codes, validated on the way in.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    #[error("`{0}` is not an ISO 3166-1 alpha-2 country code (two letters, such as `CN` or `MY`)")]
    Malformed(String),
}

/// An upper-case two-letter ISO 3166-1 alpha-2 code. Only the shape is checked here; whether a
/// code belongs to a country group is a question for the rule data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(text: &str) -> Result<CountryCode, CountryError> {
        let trimmed = text.trim();
        let bytes = trimmed.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(CountryError::Malformed(text.to_owned()));
        }
        Ok(CountryCode([bytes[0].to_ascii_uppercase(), bytes[1].to_ascii_uppercase()]))
    }

    pub fn as_str(&self) -> &str {
        // INVARIANT: both bytes are ASCII letters, checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for CountryCode {
    type Error = CountryError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CountryCode::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> String {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(CountryCode::parse("cn").map(|c| c.to_string()), Ok("CN".to_owned()));
        assert_eq!(CountryCode::parse(" MY ").map(|c| c.to_string()), Ok("MY".to_owned()));
        for bad in ["", "C", "CHN", "C1", "中国"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }
}
