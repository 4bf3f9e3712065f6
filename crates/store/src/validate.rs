//! Checks on what callers hand the store, made before anything is written. They belong to no
//! database dialect, so every backend runs the same ones; the schema's constraints are the
//! backstop, not the first line.

use std::collections::HashMap;

use chipwarden_lists::ParsedList;

use crate::error::{Result, StoreError};
use crate::model::{Decision, OwnershipEdge, Party, StoredHit, Subject};
use crate::tokens::TOKEN_ROLES;

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

/// `what` names the value in the message, e.g. "the list source name".
pub(crate) fn required(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    Ok(())
}

/// A plain `YYYY-MM-DD` date. jiff accepts more shapes than that, so the length is checked too.
pub(crate) fn date(what: &str, value: &str) -> Result<()> {
    if value.len() == 10 && value.parse::<jiff::civil::Date>().is_ok() {
        return Ok(());
    }
    Err(invalid(format!("{what} `{value}` is not a date of the form YYYY-MM-DD")))
}

/// An RFC 3339 timestamp with an offset (`2025-01-31T09:30:00Z`) or a plain date. Times are
/// stored as given; this only keeps out text that no reader could place in time.
pub(crate) fn moment(what: &str, value: &str) -> Result<()> {
    if value.parse::<jiff::Timestamp>().is_ok() || date(what, value).is_ok() {
        return Ok(());
    }
    Err(invalid(format!(
        "{what} `{value}` is neither an RFC 3339 timestamp (e.g. `2025-01-31T09:30:00Z`) nor a date of the form YYYY-MM-DD"
    )))
}

/// A new API token: a name, a known role, and the token's SHA-256 as 64 lowercase hex digits.
pub(crate) fn token(name: &str, role: &str, token_hash: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(invalid("a token needs a name".to_owned()));
    }
    if !TOKEN_ROLES.contains(&role) {
        return Err(invalid(format!("role `{role}` is not one of {}", TOKEN_ROLES.join(", "))));
    }
    if !is_hash(token_hash) {
        return Err(invalid("a token hash is 64 lowercase hex digits".to_owned()));
    }
    Ok(())
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn import(source: &str, parsed: &ParsedList, imported_at: &str) -> Result<()> {
    required("the list source name", source)?;
    required(&format!("the format of list `{source}`"), &parsed.format)?;
    required(&format!("the content hash of list `{source}`"), &parsed.content_hash)?;
    moment(&format!("the import time of list `{source}`"), imported_at)?;
    for (index, entry) in parsed.entries.iter().enumerate() {
        let n = index + 1;
        required(&format!("the list code of entry {n} of list `{source}`"), &entry.list.0)?;
        required(&format!("the entry id of entry {n} of list `{source}`"), &entry.entry_id)?;
    }
    Ok(())
}

pub(crate) fn party(party: &Party) -> Result<()> {
    required("the party id", &party.id)?;
    required(&format!("the name of party `{}`", party.id), &party.name)
}

/// Hits of one screening; one hit per (list, entry id, matched name).
pub(crate) fn hits(party_id: &str, hits: &[StoredHit], version_ids: &[i64], at: &str) -> Result<()> {
    required("the party id", party_id)?;
    moment(&format!("the screening time of party `{party_id}`"), at)?;
    if version_ids.is_empty() {
        return Err(invalid(format!(
            "the screening of party `{party_id}` names no list versions; a screening must say which lists it ran against"
        )));
    }
    let mut seen = HashMap::new();
    for (index, hit) in hits.iter().enumerate() {
        let n = index + 1;
        let what = |field: &str| format!("the {field} of hit {n} of party `{party_id}`");
        required(&what("list code"), &hit.list.0)?;
        required(&what("entry id"), &hit.entry_id)?;
        required(&what("matched name"), &hit.matched_name)?;
        required(&what("matcher version"), &hit.matcher_version)?;
        if !hit.score.is_finite() {
            return Err(invalid(format!("{} is not a finite number", what("score"))));
        }
        let key = (&hit.list, hit.entry_id.as_str(), hit.matched_name.as_str());
        if let Some(first) = seen.insert(key, n) {
            return Err(invalid(format!(
                "hits {first} and {n} of party `{party_id}` are both on `{}` of entry `{}` of list `{}`; a screening records each once",
                hit.matched_name, hit.entry_id, hit.list
            )));
        }
    }
    Ok(())
}

pub(crate) fn decision(decision: &Decision) -> Result<()> {
    let key = &decision.key;
    match &key.subject {
        Subject::Party(id) => required("the party id of a review decision", id)?,
        Subject::Query(text) => required("the query text of a review decision", text)?,
    }
    let about = format!("the review decision on entry `{}` of list `{}`", key.entry_id, key.list);
    required(&format!("the list code of {about}"), &key.list.0)?;
    required(&format!("the entry id of {about}"), &key.entry_id)?;
    required(&format!("the matched name of {about}"), &key.matched_name)?;
    required(&format!("the reviewer of {about}"), &decision.reviewer)?;
    required(&format!("the reason of {about}"), &decision.reason)?;
    moment(&format!("the time of {about}"), &decision.at)
}

/// Every row, numbered from 1 in messages; the first bad row stops the import.
pub(crate) fn ownership(edges: &[OwnershipEdge]) -> Result<()> {
    let mut seen: HashMap<(&str, &str, &str, &str), (usize, f64)> = HashMap::new();
    for (index, edge) in edges.iter().enumerate() {
        let row = index + 1;
        let prefix = |message: String| invalid(format!("ownership row {row}: {message}"));
        required("the owner", &edge.owner).map_err(|e| prefix(e.to_string()))?;
        required("the owned party", &edge.owned).map_err(|e| prefix(e.to_string()))?;
        required("the source", &edge.source).map_err(|e| prefix(e.to_string()))?;
        date("the date", &edge.date).map_err(|e| prefix(e.to_string()))?;
        if edge.owner == edge.owned {
            return Err(prefix(format!("`{}` cannot own itself", edge.owner)));
        }
        if !(0.0..=1.0).contains(&edge.share) {
            let hint = if edge.share > 1.0 && edge.share <= 100.0 {
                format!(" (shares are fractions: {}% is written {})", edge.share, edge.share / 100.0)
            } else {
                String::new()
            };
            return Err(prefix(format!("share `{}` is not a fraction from 0 to 1{hint}", edge.share)));
        }
        let key = (edge.owner.as_str(), edge.owned.as_str(), edge.source.as_str(), edge.date.as_str());
        if let Some((first, share)) = seen.insert(key, (row, edge.share))
            && share != edge.share
        {
            return Err(prefix(format!(
                "row {first} gives `{}` a share of {share} in `{}` from the same source and date, this row {}",
                edge.owner, edge.owned, edge.share
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_moments() {
        for good in ["2024-02-29", "2025-01-31"] {
            assert!(date("d", good).is_ok(), "{good}");
            assert!(moment("m", good).is_ok(), "{good}");
        }
        for good in ["2025-01-31T09:30:00Z", "2025-01-31T09:30:00.123+01:00"] {
            assert!(moment("m", good).is_ok(), "{good}");
        }
        for bad in ["2023-02-29", "2023-02-30", "31/01/2025", "2025-01-31T09:30:00", "yesterday", ""] {
            assert!(moment("m", bad).is_err(), "{bad}");
        }
        for bad in ["2025-01-31T09:30:00Z", "2025-1-31", ""] {
            assert!(date("d", bad).is_err(), "{bad}");
        }
    }
}
