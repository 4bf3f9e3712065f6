//! Cases: screening hits and meter alerts become cases to decide, one per (subject, list, entry
//! id) for hits; a changed hit (a new list version, a new score) reopens a cleared case. Every
//! change is logged as an audit entry (see [`crate::audit`]), and clearing a screening case
//! records the review decision (false positive) that suppresses the hit later, as `screen
//! review` does.

use chipwarden_lists::ListCode;
use chipwarden_meter::{Basis, Crossing, Report};
use chipwarden_screen::Hit;
use chipwarden_store::{Case, CaseOutcome, CaseState, CaseUpdate, Decision, HitKey, NewCase, Store, Subject, Verdict};

use crate::audit::Auditor;
use crate::{ServiceError, ServiceResult};

/// A subject as cases name it: `party:<id>` or `query:<text>`.
pub fn subject_text(subject: &Subject) -> String {
    match subject {
        Subject::Party(id) => format!("party:{id}"),
        Subject::Query(text) => format!("query:{text}"),
    }
}

fn subject_of(text: &str) -> Option<Subject> {
    if let Some(id) = text.strip_prefix("party:") {
        return Some(Subject::Party(id.to_owned()));
    }
    text.strip_prefix("query:").map(|q| Subject::Query(q.to_owned()))
}

/// The case a hit of `subject` opens: keyed by subject, list and entry id; its fingerprint is
/// the list version and the score, so a list update that changes the hit shows.
pub fn hit_case(subject: &Subject, hit: &Hit) -> ServiceResult<NewCase> {
    let subject = subject_text(subject);
    let version = hit.list_version.map_or_else(|| "none".to_owned(), |v| v.to_string());
    Ok(NewCase {
        kind: "screening",
        key: format!("screening|{subject}|{}|{}", hit.list, hit.entry_id),
        title: format!("{} ~ {} ({} {})", hit.query, hit.matched_name, hit.list, hit.entry_id),
        subject,
        list: Some(hit.list.clone()),
        entry_id: Some(hit.entry_id.clone()),
        matched_name: Some(hit.matched_name.clone()),
        evidence: serde_json::to_value(hit).map_err(ServiceError::internal)?,
        fingerprint: format!("list version {version}, score {:.4}", hit.score),
    })
}

/// Opens or updates the cases of `hits` (one transaction with their audit entries); returns each
/// hit's case id and what happened to it, in order.
pub fn record_hits(
    store: &mut Store,
    auditor: &Auditor,
    hits: &[(Subject, &Hit)],
) -> ServiceResult<Vec<(i64, CaseOutcome)>> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let cases = hits.iter().map(|(subject, hit)| hit_case(subject, hit)).collect::<ServiceResult<Vec<_>>>()?;
    Ok(store.record_cases(&cases, auditor.actor(), &crate::now(), &|c| auditor.case_entry(c))?)
}

fn crossing_cases(scope: &str, name: &str, crossings: &[Crossing], evidence: &serde_json::Value) -> Vec<NewCase> {
    crossings
        .iter()
        // A threshold no longer in force (the revoked executive order's) stays in the report as
        // history but asks nobody to decide anything.
        .filter(|c| c.basis == Basis::High && c.in_force)
        .map(|c| NewCase {
            kind: "meter",
            key: format!("meter|{scope}:{name}|{}", c.threshold),
            subject: format!("{scope}:{name}"),
            list: None,
            entry_id: None,
            matched_name: None,
            title: format!("{scope} {name} crossed {} on the high estimate", c.threshold),
            evidence: evidence.clone(),
            fingerprint: format!("threshold {}", c.threshold),
        })
        .collect()
}

/// The case a foundry assessment opens when it raises red flags or the foundry due-diligence
/// presumption applies unrebutted: one per design; the rule set, the presumption and the flags
/// are its fingerprint, so a new finding reopens a cleared case. `None` when there is nothing to
/// decide.
pub fn foundry_case(assessment: &chipwarden_classify::FoundryAssessment) -> ServiceResult<Option<NewCase>> {
    let presumed = assessment.presumption_applies && assessment.overcome_by.is_none();
    if assessment.red_flags.is_empty() && !presumed {
        return Ok(None);
    }
    let flags: Vec<&str> = assessment.red_flags.iter().map(|f| f.id.as_str()).collect();
    let mut title = format!("design {}:", assessment.design);
    if presumed {
        title.push_str(&format!(
            " presumed {} (foundry due diligence)",
            assessment.presumed_eccn.as_deref().unwrap_or("controlled")
        ));
    }
    if !flags.is_empty() {
        title.push_str(&format!(" red flags {}", flags.join(", ")));
    }
    Ok(Some(NewCase {
        kind: "foundry",
        key: format!("foundry|design:{}", assessment.design),
        subject: format!("design:{}", assessment.design),
        list: None,
        entry_id: None,
        matched_name: None,
        title,
        evidence: serde_json::to_value(assessment).map_err(ServiceError::internal)?,
        fingerprint: format!("{}; presumed {presumed}; flags {}", assessment.ruleset, flags.join(",")),
    }))
}

/// Opens or updates the case of a foundry assessment (see [`foundry_case`]); its id and what
/// happened to it, or `None` when the assessment leaves nothing to decide.
pub fn record_foundry(
    store: &mut Store,
    auditor: &Auditor,
    assessment: &chipwarden_classify::FoundryAssessment,
) -> ServiceResult<Option<(i64, CaseOutcome)>> {
    let Some(case) = foundry_case(assessment)? else { return Ok(None) };
    Ok(store.record_cases(&[case], auditor.actor(), &crate::now(), &|c| auditor.case_entry(c))?.into_iter().next())
}

/// Opens cases for the alerts of a usage report: thresholds in force crossed on the high estimate
/// by an account, a group or a run, and split runs. A repeat opens nothing.
pub fn record_alerts(store: &mut Store, auditor: &Auditor, report: &Report) -> ServiceResult<Vec<(i64, CaseOutcome)>> {
    let mut cases = Vec::new();
    for a in &report.accounts {
        cases.extend(crossing_cases("account", &a.account, &a.thresholds_crossed, &json(a)?));
    }
    for g in &report.groups {
        let name = g.accounts.join("+");
        let evidence = json(g)?;
        cases.extend(crossing_cases("group", &name, &g.thresholds_crossed, &evidence));
        if g.split_run.is_some() {
            cases.push(NewCase {
                kind: "meter",
                key: format!("meter|group:{name}|split_run"),
                subject: format!("group:{name}"),
                list: None,
                entry_id: None,
                matched_name: None,
                title: format!("split run across {name}"),
                evidence,
                fingerprint: "split run".to_owned(),
            });
        }
    }
    for r in &report.runs {
        cases.extend(crossing_cases("run", &r.run_id, &r.thresholds_crossed, &json(r)?));
    }
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.record_cases(&cases, auditor.actor(), &crate::now(), &|c| auditor.case_entry(c))?)
}

fn json<T: serde::Serialize>(value: &T) -> ServiceResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ServiceError::internal)
}

fn case(store: &Store, id: i64) -> ServiceResult<Case> {
    store.case(id)?.ok_or(ServiceError::NoSuchCase(id))
}

/// Cases in `state` (all when `None`), newest first.
pub fn list(store: &Store, state: Option<CaseState>) -> ServiceResult<Vec<Case>> {
    Ok(store.cases(state)?)
}

/// Case `id` with its notes.
pub fn show(store: &Store, id: i64) -> ServiceResult<Case> {
    case(store, id)
}

fn apply(
    store: &mut Store,
    auditor: &Auditor,
    id: i64,
    update: CaseUpdate,
    decision: Option<Decision>,
) -> ServiceResult<Case> {
    let at = crate::now();
    store
        .update_case(id, &update, decision.as_ref(), &at, &|c| auditor.case_entry(c))?
        .ok_or(ServiceError::NoSuchCase(id))
}

/// Assigns case `id` to `assignee`; an open case goes under review.
pub fn assign(store: &mut Store, auditor: &Auditor, id: i64, assignee: &str) -> ServiceResult<Case> {
    let current = case(store, id)?;
    let assignee = assignee.trim();
    if assignee.is_empty() {
        return Err(ServiceError::Invalid("`assignee`: must not be empty".to_owned()));
    }
    let state = (current.state == CaseState::Open).then(|| (CaseState::UnderReview, format!("assigned to {assignee}")));
    let update =
        CaseUpdate { author: auditor.actor().to_owned(), assignee: Some(assignee.to_owned()), state, note: None };
    apply(store, auditor, id, update, None)
}

/// Adds a note to case `id` (notes are never changed or removed).
pub fn note(store: &mut Store, auditor: &Auditor, id: i64, text: &str) -> ServiceResult<Case> {
    case(store, id)?;
    if text.trim().is_empty() {
        return Err(ServiceError::Invalid("`text`: must not be empty".to_owned()));
    }
    let update =
        CaseUpdate { author: auditor.actor().to_owned(), assignee: None, state: None, note: Some(text.to_owned()) };
    apply(store, auditor, id, update, None)
}

/// Decides case `id`: `cleared` or `escalated`, with a reason. Clearing a screening case also
/// records the review decision (false positive) on its hit, so that later screenings suppress it.
pub fn decide(store: &mut Store, auditor: &Auditor, id: i64, state: CaseState, reason: &str) -> ServiceResult<Case> {
    let current = case(store, id)?;
    if !matches!(state, CaseState::Cleared | CaseState::Escalated) {
        return Err(ServiceError::Invalid(format!(
            "`state`: `{}` is not a decision (cleared or escalated)",
            state.as_str()
        )));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::Invalid("`reason`: a decision needs a reason an auditor can read".to_owned()));
    }
    if current.state == state {
        return Err(ServiceError::Conflict(format!("case {id} is already {}", state.as_str())));
    }
    let decision = match (state, &current.list, &current.entry_id, &current.matched_name) {
        (CaseState::Cleared, Some(list), Some(entry_id), Some(matched_name)) if current.kind == "screening" => {
            let subject = subject_of(&current.subject).ok_or_else(|| {
                ServiceError::internal(format!("case {id} names an unknown subject `{}`", current.subject))
            })?;
            Some(Decision {
                key: HitKey {
                    subject,
                    list: ListCode::new(list),
                    entry_id: entry_id.clone(),
                    matched_name: matched_name.clone(),
                },
                verdict: Verdict::FalsePositive,
                reviewer: auditor.actor().to_owned(),
                at: crate::now(),
                reason: reason.to_owned(),
            })
        }
        _ => None,
    };
    let update = CaseUpdate {
        author: auditor.actor().to_owned(),
        assignee: None,
        state: Some((state, reason.to_owned())),
        note: None,
    };
    apply(store, auditor, id, update, decision)
}
