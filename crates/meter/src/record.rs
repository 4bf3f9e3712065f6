//! The usage record: one account's use of some chips of one model over one interval.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One row of usage after validation. `chip_model` is what the file said; `chip_id` is the
/// catalog id it resolved to, so that estimates never depend on how a model was spelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// The operator's id for the row; the store counts a record id once, across re-runs too.
    pub record_id: String,
    pub account: String,
    pub chip_model: String,
    pub chip_id: String,
    /// Chips held, possibly fractional (a pod with half a GPU holds 0.5).
    pub chips: f64,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Measured utilization as a fraction (0..=1), e.g. the share of time a kernel ran.
    pub utilization: Option<f64>,
    /// Measured tensor-core activity as a fraction (0..=1), e.g. DCGM `PROF_PIPE_TENSOR_ACTIVE`.
    pub tensor_active: Option<f64>,
    pub run_id: Option<String>,
    /// The line of the source file the record came from (1-based).
    pub source_line: u64,
}

impl UsageRecord {
    /// Seconds between start and end. Positive for every record a parser yields.
    pub fn duration_seconds(&self) -> f64 {
        seconds_between(self.start, self.end)
    }

    /// Chips x hours held.
    pub fn chip_hours(&self) -> f64 {
        chip_hours(self.chips, self.start, self.end)
    }
}

/// `chips` x the hours from `start` to `end`: [`UsageRecord::chip_hours`] without a record.
pub fn chip_hours(chips: f64, start: Timestamp, end: Timestamp) -> f64 {
    chips * seconds_between(start, end) / 3600.0
}

/// `end - start` in seconds, as a float (negative when `end` is earlier).
pub fn seconds_between(start: Timestamp, end: Timestamp) -> f64 {
    // i128 nanoseconds to f64 loses precision only beyond ~100 days at the nanosecond, which
    // is far below any figure we report.
    (end.as_nanosecond() - start.as_nanosecond()) as f64 / 1e9
}

/// A time as usage records are stored: nanoseconds since 1970-01-01T00:00:00Z in 64 bits, which
/// covers the years 1677 to 2262. A time outside is refused with the reason.
pub fn storable_nanos(t: Timestamp) -> Result<i64, String> {
    i64::try_from(t.as_nanosecond())
        .map_err(|_| format!("`{t}` is outside the years 1677 to 2262 that usage records may cover"))
}

/// The time of a stored nanosecond count (every `i64` is a valid time).
pub fn from_nanos(ns: i64) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(ns)).unwrap_or(Timestamp::UNIX_EPOCH)
}
