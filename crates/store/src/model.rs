//! The records the store holds and hands back: list versions, parties, hits, review decisions
//! and ownership edges.

use chipwarden_lists::{ListCode, ListDiff, ListEntry};
use serde::Serialize;

/// One imported snapshot of a list source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListVersion {
    pub id: i64,
    /// The list source name (e.g. `ofac-sdn`, `csl`, `bis-el`, `dpl`, `un`, `fr-2023-03929`).
    pub source: String,
    /// The format the file was read as (e.g. `ofac-csv`).
    pub format: String,
    /// The publication date the file states, if any.
    pub published: Option<String>,
    /// SHA-256 of the input bytes, hex, as the parser computed it.
    pub content_hash: String,
    pub imported_at: String,
    pub entry_count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// A new version was stored and is now current.
    Imported,
    /// The content hash equals the current version's: nothing was written.
    Unchanged,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportOutcome {
    pub status: ImportStatus,
    /// The version now current for the source: the new one, or the existing one when unchanged.
    pub version: ListVersion,
    /// The version that was current before the import, if any (the same as `version` when
    /// unchanged).
    pub previous_version_id: Option<i64>,
    /// The new version against the previous current one (everything added for a first import,
    /// empty when unchanged).
    pub diff: ListDiff,
}

/// An entry of a current list version, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEntry {
    pub source: String,
    pub version_id: i64,
    pub entry: ListEntry,
}

/// A party that is screened (a customer, a consignee, an end user), keyed by the caller's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub country: Option<String>,
    pub address: Option<String>,
    /// Date of birth or incorporation, as written.
    pub date: Option<String>,
    /// Identifiers (passport, registration, IMO numbers).
    pub identifiers: Vec<String>,
}

/// One hit of a screening, as the matcher explained it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredHit {
    pub list: ListCode,
    pub entry_id: String,
    /// The name of the entry (primary or alias) that matched.
    pub matched_name: String,
    pub score: f64,
    /// The matcher's explanation, kept as it gave it.
    pub explanation: serde_json::Value,
    pub matcher_version: String,
}

/// One screening of a party: when it ran and against which list versions. A screening with no
/// hits is still recorded: it is the evidence that the party was screened clean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Screening {
    pub id: i64,
    pub party_id: String,
    pub at: String,
    pub version_ids: Vec<i64>,
}

/// A hit as recorded: which screening found it and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedHit {
    pub screening_id: i64,
    pub party_id: String,
    pub screened_at: String,
    pub hit: StoredHit,
}

/// Whose hit a review decision is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A stored party, by id.
    Party(String),
    /// A free-text query that was screened without being stored as a party, by its exact text.
    Query(String),
}

/// What a review decision is about: one entry name matched for one subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct HitKey {
    pub subject: Subject,
    pub list: ListCode,
    pub entry_id: String,
    pub matched_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The subject is not the listed party; the hit is suppressed on later screenings.
    FalsePositive,
    /// The subject is the listed party.
    ConfirmedMatch,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::FalsePositive => "false_positive",
            Verdict::ConfirmedMatch => "confirmed_match",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Verdict> {
        match text {
            "false_positive" => Some(Verdict::FalsePositive),
            "confirmed_match" => Some(Verdict::ConfirmedMatch),
            _ => None,
        }
    }
}

/// A reviewer's decision on a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub key: HitKey,
    pub verdict: Verdict,
    pub reviewer: String,
    /// When the reviewer decided: an RFC 3339 timestamp or a `YYYY-MM-DD` date.
    pub at: String,
    /// Why, in the reviewer's words. Required: an auditor must be able to read it.
    pub reason: String,
}

/// A decision as recorded, with its place in the append-only history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedDecision {
    /// Sequence number: a higher one was recorded later and supersedes a lower one for the same
    /// hit key.
    pub seq: i64,
    pub decision: Decision,
}

/// `owner` holds `share` of `owned`, as `source` stated it on `date`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnershipEdge {
    pub owner: String,
    pub owned: String,
    /// A fraction from 0 to 1 (a 50 % holding is 0.5).
    pub share: f64,
    pub source: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}
