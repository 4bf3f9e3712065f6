//! Screening over the store: the index of the current list versions, hits as the store keeps
//! them, suppression by review decisions, and parties screened and recorded in one step.

use chipwarden_lists::ListCode;
use chipwarden_screen::{Hit, Lexicon, Listed, Query, Screener};
use chipwarden_store::{CaseOutcome, Decision, HitKey, Party, Store, StoredHit, Subject, Verdict};

use crate::audit::Auditor;

use crate::{ServiceError, ServiceResult};

/// Parties are screened and recorded in chunks of this many: each chunk is one transaction, and
/// memory stays bounded however many parties there are.
pub const CHUNK: usize = 5_000;

/// The query of a party, every qualifier included.
pub fn query(party: &Party) -> Query {
    Query {
        id: Some(party.id.clone()),
        name: party.name.clone(),
        country: party.country.clone(),
        address: party.address.clone(),
        date: party.date.clone(),
        identifiers: party.identifiers.clone(),
    }
}

/// Every entry of the current list versions, and those versions (sorted, each once).
pub fn listed(store: &Store) -> ServiceResult<(Vec<Listed>, Vec<i64>)> {
    let entries = store.current_entries()?;
    let mut versions: Vec<i64> = entries.iter().map(|e| e.version_id).collect();
    versions.sort_unstable();
    versions.dedup();
    let listed =
        entries.into_iter().map(|e| Listed { entry: e.entry, source: e.source, version: Some(e.version_id) }).collect();
    Ok((listed, versions))
}

/// The index over every current list version in the store, and the versions it holds.
pub fn screener(store: &Store, lexicon: Lexicon) -> ServiceResult<(Screener, Vec<i64>)> {
    let (listed, versions) = listed(store)?;
    Ok((Screener::build(lexicon, listed), versions))
}

/// A hit as the store records it, with the whole explanation.
pub fn stored(hit: &Hit) -> ServiceResult<StoredHit> {
    Ok(StoredHit {
        list: ListCode::new(&hit.list),
        entry_id: hit.entry_id.clone(),
        matched_name: hit.matched_name.clone(),
        score: hit.score,
        explanation: serde_json::to_value(hit).map_err(ServiceError::internal)?,
        matcher_version: hit.matcher_version.to_owned(),
    })
}

/// The key a review decision about `hit` of `subject` is recorded under.
pub fn key(subject: Subject, hit: &Hit) -> HitKey {
    HitKey {
        subject,
        list: ListCode::new(&hit.list),
        entry_id: hit.entry_id.clone(),
        matched_name: hit.matched_name.clone(),
    }
}

/// Drops hits a reviewer marked as false positives; returns how many were dropped.
pub fn suppress(store: &Store, subject: &Subject, hits: &mut Vec<Hit>) -> ServiceResult<usize> {
    let before = hits.len();
    let mut kept = Vec::with_capacity(hits.len());
    for hit in hits.drain(..) {
        let decision = store.decision_for(&key(subject.clone(), &hit))?;
        if decision.is_some_and(|d| d.decision.verdict == Verdict::FalsePositive) {
            continue;
        }
        kept.push(hit);
    }
    *hits = kept;
    Ok(before - hits.len())
}

/// Screens the parties on every core; results come back in the parties' order. `on_each` is
/// called once per party screened (a progress bar).
pub fn screen_all(
    screener: &Screener,
    parties: &[&Party],
    threshold: f64,
    on_each: &(dyn Fn() + Sync),
) -> Vec<Result<Vec<Hit>, String>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let chunk = parties.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = parties
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| {
                            let result = screener.screen(&query(p), threshold).map_err(|e| e.to_string());
                            on_each();
                            result
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// Parties screened and recorded: per party, in order, its hits left after review decisions,
/// or why it could not be screened (such a party is not recorded).
#[derive(Debug)]
pub struct Recorded {
    pub results: Vec<Result<Vec<Hit>, String>>,
    /// Hits dropped because a reviewer marked them false positives.
    pub suppressed: usize,
    /// Cases opened, and cleared cases reopened because their hit changed.
    pub cases_opened: usize,
    pub cases_reopened: usize,
}

/// Screens `parties` (at most [`CHUNK`] of them: one transaction), drops the hits review
/// decisions dismissed, records each screened party with its hits against `versions`, and opens
/// (or, for a changed hit, reopens) the case of every hit, suppressed ones included: a list
/// update that changes a dismissed hit must come back to a person.
#[allow(clippy::too_many_arguments)]
pub fn screen_and_record(
    store: &mut Store,
    screener: &Screener,
    versions: &[i64],
    parties: &[&Party],
    threshold: f64,
    at: &str,
    auditor: &Auditor,
    on_each: &(dyn Fn() + Sync),
) -> ServiceResult<Recorded> {
    let mut results = screen_all(screener, parties, threshold, on_each);
    let mut suppressed = 0;
    let mut batch: Vec<(Party, Vec<StoredHit>)> = Vec::with_capacity(parties.len());
    let mut all_hits: Vec<(Subject, Hit)> = Vec::new();
    for (party, result) in parties.iter().zip(results.iter_mut()) {
        let Ok(hits) = result else { continue };
        let subject = Subject::Party(party.id.clone());
        all_hits.extend(hits.iter().map(|h| (subject.clone(), h.clone())));
        suppressed += suppress(store, &subject, hits)?;
        batch.push(((*party).clone(), hits.iter().map(stored).collect::<ServiceResult<_>>()?));
    }
    store.record_batch(&batch, versions, at)?;
    let refs: Vec<(Subject, &Hit)> = all_hits.iter().map(|(s, h)| (s.clone(), h)).collect();
    let outcomes = crate::cases::record_hits(store, auditor, &refs)?;
    let count = |o: CaseOutcome| outcomes.iter().filter(|(_, x)| *x == o).count();
    Ok(Recorded {
        results,
        suppressed,
        cases_opened: count(CaseOutcome::Opened),
        cases_reopened: count(CaseOutcome::Reopened),
    })
}

/// A free-text query's hits (not stored as a party): their cases opened or reopened, then the
/// hits review decisions dismissed dropped. Returns the hits kept, each with its case id, and
/// how many were dropped.
pub fn query_cases(
    store: &mut Store,
    auditor: &Auditor,
    query: &str,
    hits: Vec<Hit>,
) -> ServiceResult<(Vec<(Hit, i64)>, usize)> {
    let subject = Subject::Query(query.to_owned());
    let refs: Vec<(Subject, &Hit)> = hits.iter().map(|h| (subject.clone(), h)).collect();
    let outcomes = crate::cases::record_hits(store, auditor, &refs)?;
    let mut kept = Vec::with_capacity(hits.len());
    let mut dropped = 0;
    for (hit, (case_id, _)) in hits.into_iter().zip(outcomes) {
        let decision = store.decision_for(&key(subject.clone(), &hit))?;
        if decision.is_some_and(|d| d.decision.verdict == Verdict::FalsePositive) {
            dropped += 1;
        } else {
            kept.push((hit, case_id));
        }
    }
    Ok((kept, dropped))
}

/// Records a reviewer's decision on a hit with its audit entry, in one transaction; returns the
/// decision's sequence number.
pub fn review(store: &mut Store, auditor: &Auditor, decision: &Decision) -> ServiceResult<i64> {
    let k = &decision.key;
    let entry = auditor.entry(
        &format!("review.{}", verdict_name(decision.verdict)),
        &crate::cases::subject_text(&k.subject),
        &format!("{} {} ({}) by {}: {}", k.list.0, k.entry_id, k.matched_name, decision.reviewer, decision.reason),
    )?;
    Ok(store.record_decision_audited(decision, &entry, &crate::now())?)
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::FalsePositive => "false_positive",
        Verdict::ConfirmedMatch => "confirmed_match",
    }
}
