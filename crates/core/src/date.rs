//! Calendar dates as the rules use them: `YYYY-MM-DD`, no time of day, no time zone.

use jiff::civil::Date;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("`{0}` is not a date of the form YYYY-MM-DD")]
    Malformed(String),
}

pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let trimmed = text.trim();
    // jiff accepts more shapes than a plain date; insist on exactly ten characters.
    if trimmed.len() != 10 {
        return Err(DateError::Malformed(text.to_owned()));
    }
    trimmed.parse::<Date>().map_err(|_| DateError::Malformed(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_plain_dates() {
        assert_eq!(parse_date("2023-11-17"), Ok(jiff::civil::date(2023, 11, 17)));
        for bad in ["2023-13-01", "2023-02-30", "17/11/2023", "2023-11-17T00:00", "2023", ""] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
