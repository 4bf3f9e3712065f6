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

// What both backends build the same way from what their SQL returned.

impl ImportOutcome {
    /// An import whose content hash is the current version's: nothing was written.
    pub(crate) fn unchanged(current: &ListVersion) -> ImportOutcome {
        ImportOutcome {
            status: ImportStatus::Unchanged,
            version: current.clone(),
            previous_version_id: Some(current.id),
            diff: ListDiff::default(),
        }
    }

    /// `parsed` stored as version `id` of `source`, after `previous` (if any).
    pub(crate) fn imported(
        id: i64,
        source: &str,
        parsed: &chipwarden_lists::ParsedList,
        imported_at: &str,
        previous: Option<ListVersion>,
        diff: ListDiff,
    ) -> ImportOutcome {
        ImportOutcome {
            status: ImportStatus::Imported,
            version: ListVersion {
                id,
                source: source.to_owned(),
                format: parsed.format.clone(),
                published: parsed.published.clone(),
                content_hash: parsed.content_hash.clone(),
                imported_at: imported_at.to_owned(),
                entry_count: parsed.entries.len() as u64,
            },
            previous_version_id: previous.map(|v| v.id),
            diff,
        }
    }
}

impl Subject {
    /// The `party_id` and `query` columns of a decision on this subject: one of them is set.
    pub(crate) fn columns(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Subject::Party(id) => (Some(id), None),
            Subject::Query(text) => (None, Some(text)),
        }
    }
}

impl Screening {
    /// Adds a row `(id, at, version_id)` of a party's screenings, read in screening order, to
    /// `out`: a new screening, or one more list version of the last.
    pub(crate) fn push_row(out: &mut Vec<Screening>, party_id: &str, id: i64, at: String, version_id: i64) {
        match out.last_mut() {
            Some(last) if last.id == id => last.version_ids.push(version_id),
            _ => out.push(Screening { id, party_id: party_id.to_owned(), at, version_ids: vec![version_id] }),
        }
    }
}

/// The explanation of a hit of `party_id`, as stored (JSON text).
pub(crate) fn decode_explanation(party_id: &str, text: &str) -> crate::error::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| crate::error::StoreError::Corrupt {
        what: format!("explanation of a hit of party `{party_id}`"),
        cause: Box::new(e),
    })
}

/// Of a re-screening's `hits`, those [`crate::Store::new_hits`] keeps, in order, each key
/// (list code, entry id, matched name) once: not `recorded` for the party already, and not
/// dismissed by the `latest` decision on the key. Both read the backend's `db`.
pub(crate) fn new_hits<D>(
    db: &mut D,
    party_id: &str,
    hits: &[StoredHit],
    mut recorded: impl FnMut(&mut D, &StoredHit) -> crate::error::Result<bool>,
    mut latest: impl FnMut(&mut D, &Subject, &StoredHit) -> crate::error::Result<Option<RecordedDecision>>,
) -> crate::error::Result<Vec<StoredHit>> {
    let subject = Subject::Party(party_id.to_owned());
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for hit in hits {
        if !seen.insert((&hit.list, hit.entry_id.as_str(), hit.matched_name.as_str())) {
            continue;
        }
        if recorded(db, hit)? {
            continue;
        }
        if latest(db, &subject, hit)?.is_some_and(|d| d.decision.verdict == Verdict::FalsePositive) {
            continue;
        }
        out.push(hit.clone());
    }
    Ok(out)
}

/// Whether ownership row `row` (numbered from 1), whose edge is stored with `stored` share if at
/// all, is new: the same share is already stored, another share refuses the import.
pub(crate) fn ownership_edge_is_new(
    row: usize,
    edge: &OwnershipEdge,
    stored: Option<f64>,
) -> crate::error::Result<bool> {
    match stored {
        Some(share) if share == edge.share => Ok(false),
        Some(share) => Err(crate::error::StoreError::ConflictingOwnership {
            row,
            owner: edge.owner.clone(),
            owned: edge.owned.clone(),
            source_name: edge.source.clone(),
            date: edge.date.clone(),
            stored: share,
            share: edge.share,
        }),
        None => Ok(true),
    }
}
