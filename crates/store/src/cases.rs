//! Cases (migration 0010): screening hits and meter alerts to decide, one per case key, with
//! state, assignee, evidence and append-only notes.
//!
//! Every write that changes a case appends, in the same transaction, the audit entries its caller
//! makes for each change (the store keeps their bytes and does not read them): a case never
//! changes without the log saying so, and the log never says so of a change that did not happen.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;

use crate::decisions::insert_decision;
use crate::error::{Result, StoreError, db};
use crate::ledger::append_in;
use crate::model::Decision;
use crate::sqlite::SqliteStore;
use crate::validate;

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Open,
    UnderReview,
    Cleared,
    Escalated,
}

impl CaseState {
    pub const ALL: [CaseState; 4] = [CaseState::Open, CaseState::UnderReview, CaseState::Cleared, CaseState::Escalated];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Open => "open",
            CaseState::UnderReview => "under_review",
            CaseState::Cleared => "cleared",
            CaseState::Escalated => "escalated",
        }
    }

    pub fn parse(text: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A case to open, or to update if its key is already a case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    /// `screening` or `meter`.
    pub kind: &'static str,
    /// One case per key: for a hit, its subject, list and entry id.
    pub key: String,
    pub subject: String,
    pub list: Option<String>,
    pub entry_id: Option<String>,
    pub matched_name: Option<String>,
    pub title: String,
    pub evidence: serde_json::Value,
    /// What the case was opened on (list version, score); a different one is a changed hit.
    pub fingerprint: String,
}

/// A note on a case: who wrote it, when, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseNote {
    pub author: String,
    pub at: String,
    pub text: String,
}

/// A case as stored, with its notes in the order they were written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub list: Option<String>,
    pub entry_id: Option<String>,
    pub matched_name: Option<String>,
    pub title: String,
    pub evidence: serde_json::Value,
    pub fingerprint: String,
    pub state: CaseState,
    pub assignee: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub notes: Vec<CaseNote>,
}

/// One change to a case, as the audit entry of it describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseChange {
    pub case_id: i64,
    /// `opened`, `reopened`, `updated`, `assigned`, `noted`, or the new state.
    pub action: &'static str,
    pub detail: String,
}

/// What happened to a case handed to [`Store::record_cases`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    Opened,
    /// The same hit again: nothing changed.
    Unchanged,
    /// The hit changed; the case was not cleared, so it only took the new evidence.
    Updated,
    /// The hit changed and the case was cleared: it is open again.
    Reopened,
}

/// Makes the audit entry of one change (the caller signs it); an error refuses the whole write.
pub type AuditEntries<'a> = &'a dyn Fn(&CaseChange) -> std::result::Result<Vec<u8>, String>;

/// Changes to one case, made by `author`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseUpdate {
    pub author: String,
    pub assignee: Option<String>,
    /// The new state, with the reason (written as a note).
    pub state: Option<(CaseState, String)>,
    pub note: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, kind, subject, list, entry_id, matched_name, title, evidence, fingerprint, state, assignee, \
     created_at, updated_at";

fn case_row(row: &Row<'_>) -> rusqlite::Result<Case> {
    let unreadable =
        |column: usize, message: String| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, message.into());
    let evidence: String = row.get(7)?;
    let evidence = serde_json::from_str(&evidence).map_err(|e| unreadable(7, e.to_string()))?;
    let state: String = row.get(9)?;
    let state = CaseState::parse(&state).ok_or_else(|| unreadable(9, format!("unknown case state `{state}`")))?;
    Ok(Case {
        id: row.get(0)?,
        kind: row.get(1)?,
        subject: row.get(2)?,
        list: row.get(3)?,
        entry_id: row.get(4)?,
        matched_name: row.get(5)?,
        title: row.get(6)?,
        evidence,
        fingerprint: row.get(8)?,
        state,
        assignee: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
        notes: Vec::new(),
    })
}

fn load(conn: &Connection, id: i64) -> Result<Option<Case>> {
    let action = "read a case";
    let case = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM cases WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id], case_row).optional())
        .map_err(db(action))?;
    let Some(mut case) = case else { return Ok(None) };
    let mut stmt = conn
        .prepare_cached("SELECT author, at, text FROM case_notes WHERE case_id = ?1 ORDER BY seq")
        .map_err(db(action))?;
    let notes = stmt
        .query_map([id], |row| Ok(CaseNote { author: row.get(0)?, at: row.get(1)?, text: row.get(2)? }))
        .map_err(db(action))?;
    case.notes = notes.collect::<rusqlite::Result<_>>().map_err(db(action))?;
    Ok(Some(case))
}

fn add_note(conn: &Connection, case_id: i64, author: &str, at: &str, text: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO case_notes (case_id, author, at, text) VALUES (?1, ?2, ?3, ?4)",
        (case_id, author, at, text),
    )
    .map_err(db("add a note to a case"))?;
    Ok(())
}

fn audit(tx: &Connection, changes: &[CaseChange], entries: AuditEntries<'_>, at: &str) -> Result<()> {
    let bytes = audit_entries(changes, entries)?;
    if !bytes.is_empty() {
        append_in(tx, None, &bytes, at)?;
    }
    Ok(())
}

/// The audit entry of every change, made by the caller's `entries`; the first it cannot make
/// refuses the whole write.
pub(crate) fn audit_entries(changes: &[CaseChange], entries: AuditEntries<'_>) -> Result<Vec<Vec<u8>>> {
    changes
        .iter()
        .map(|c| {
            entries(c)
                .map_err(|e| StoreError::Invalid(format!("cannot make the audit entry of case {}: {e}", c.case_id)))
        })
        .collect()
}

fn nonempty(what: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(StoreError::Invalid(format!("a case's {what} must not be empty")));
    }
    Ok(())
}

/// The state of a row of [`Store::case_counts`]; one the store does not know is corruption.
pub(crate) fn counted_state(state: &str) -> Result<CaseState> {
    CaseState::parse(state).ok_or_else(|| StoreError::Corrupt {
        what: "case".to_owned(),
        cause: format!("unknown state `{state}`").into(),
    })
}

/// The checks on cases to record, made before anything is read or written.
pub(crate) fn check_new(cases: &[NewCase]) -> Result<()> {
    for new in cases {
        nonempty("key", &new.key)?;
        nonempty("subject", &new.subject)?;
    }
    Ok(())
}

/// The check on an update made before anything is read or written: who makes it.
pub(crate) fn check_author(update: &CaseUpdate) -> Result<()> {
    nonempty("author", &update.author)
}

/// What a known case whose hit changed (stored `fingerprint` and `state`) becomes: open again,
/// with a note saying why, if it was cleared; otherwise it only takes the new evidence.
pub(crate) struct Refresh {
    pub reopen: bool,
    pub note: String,
    pub outcome: CaseOutcome,
    pub action: &'static str,
}

impl Refresh {
    pub(crate) fn of(fingerprint: &str, state: &str, new: &NewCase) -> Refresh {
        let reopen = state == CaseState::Cleared.as_str();
        let why = format!("the hit changed ({fingerprint} -> {})", new.fingerprint);
        if reopen {
            Refresh { reopen, note: format!("reopened: {why}"), outcome: CaseOutcome::Reopened, action: "reopened" }
        } else {
            Refresh {
                reopen,
                note: format!("evidence updated: {why}"),
                outcome: CaseOutcome::Updated,
                action: "updated",
            }
        }
    }
}

/// What `update` does to `case`, checked, with the audit changes it makes, in the order the
/// backend applies it: the assignee, the author's note, then the state with its note.
pub(crate) struct UpdatePlan<'a> {
    pub assignee: Option<&'a str>,
    pub note: Option<&'a str>,
    /// The new state and the note that records it.
    pub state: Option<(CaseState, String)>,
    pub changes: Vec<CaseChange>,
}

impl<'a> UpdatePlan<'a> {
    /// Checks `update` (and the review `decision` it implies, if any) against the loaded `case`.
    pub(crate) fn of(case: &Case, update: &'a CaseUpdate, decision: Option<&Decision>) -> Result<UpdatePlan<'a>> {
        let id = case.id;
        let mut plan = UpdatePlan { assignee: None, note: None, state: None, changes: Vec::new() };
        if let Some(assignee) = &update.assignee {
            nonempty("assignee", assignee)?;
            let was = case.assignee.as_deref().map_or_else(String::new, |a| format!(" (was {a})"));
            plan.changes.push(CaseChange { case_id: id, action: "assigned", detail: format!("to {assignee}{was}") });
            plan.assignee = Some(assignee);
        }
        if let Some(text) = &update.note {
            nonempty("note", text)?;
            plan.changes.push(CaseChange { case_id: id, action: "noted", detail: text.clone() });
            plan.note = Some(text);
        }
        if let Some((state, reason)) = &update.state {
            nonempty("reason", reason)?;
            let text = format!("{} (was {}): {reason}", state.as_str(), case.state.as_str());
            plan.changes.push(CaseChange { case_id: id, action: state.as_str(), detail: text.clone() });
            plan.state = Some((*state, text));
        }
        if let Some(decision) = decision {
            validate::decision(decision)?;
        }
        Ok(plan)
    }
}

impl SqliteStore {
    pub fn record_cases(
        &mut self,
        cases: &[NewCase],
        author: &str,
        at: &str,
        entries: AuditEntries<'_>,
    ) -> Result<Vec<(i64, CaseOutcome)>> {
        let action = "record cases";
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db(action))?;
        let mut out = Vec::with_capacity(cases.len());
        let mut changes = Vec::new();
        for new in cases {
            let existing: Option<(i64, String, String)> = tx
                .prepare_cached("SELECT id, fingerprint, state FROM cases WHERE case_key = ?1")
                .and_then(|mut stmt| stmt.query_row([&new.key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
                .map_err(db(action))?;
            let evidence = new.evidence.to_string();
            match existing {
                None => {
                    tx.execute(
                        "INSERT INTO cases (kind, case_key, subject, list, entry_id, matched_name, title, evidence,
                                            fingerprint, state, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?10)",
                        rusqlite::params![
                            new.kind,
                            new.key,
                            new.subject,
                            new.list,
                            new.entry_id,
                            new.matched_name,
                            new.title,
                            evidence,
                            new.fingerprint,
                            at
                        ],
                    )
                    .map_err(db(action))?;
                    let id = tx.last_insert_rowid();
                    changes.push(CaseChange { case_id: id, action: "opened", detail: new.title.clone() });
                    out.push((id, CaseOutcome::Opened));
                }
                Some((id, fingerprint, _)) if fingerprint == new.fingerprint => out.push((id, CaseOutcome::Unchanged)),
                Some((id, fingerprint, state)) => {
                    let Refresh { reopen, note, outcome, action: change } = Refresh::of(&fingerprint, &state, new);
                    tx.execute(
                        "UPDATE cases SET evidence = ?2, fingerprint = ?3, matched_name = ?4, title = ?5,
                                state = CASE WHEN ?6 THEN 'open' ELSE state END, updated_at = ?7
                         WHERE id = ?1",
                        rusqlite::params![id, evidence, new.fingerprint, new.matched_name, new.title, reopen, at],
                    )
                    .map_err(db(action))?;
                    add_note(&tx, id, author, at, &note)?;
                    changes.push(CaseChange { case_id: id, action: change, detail: note });
                    out.push((id, outcome));
                }
            }
        }
        audit(&tx, &changes, entries, at)?;
        tx.commit().map_err(db("commit cases"))?;
        Ok(out)
    }

    pub fn update_case(
        &mut self,
        id: i64,
        update: &CaseUpdate,
        decision: Option<&Decision>,
        at: &str,
        entries: AuditEntries<'_>,
    ) -> Result<Option<Case>> {
        let action = "update a case";
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db(action))?;
        let Some(case) = load(&tx, id)? else { return Ok(None) };
        let plan = UpdatePlan::of(&case, update, decision)?;
        if let Some(assignee) = plan.assignee {
            tx.execute("UPDATE cases SET assignee = ?2, updated_at = ?3 WHERE id = ?1", (id, assignee, at))
                .map_err(db(action))?;
        }
        if let Some(text) = plan.note {
            add_note(&tx, id, &update.author, at, text)?;
        }
        if let Some((state, text)) = &plan.state {
            tx.execute("UPDATE cases SET state = ?2, updated_at = ?3 WHERE id = ?1", (id, state.as_str(), at))
                .map_err(db(action))?;
            add_note(&tx, id, &update.author, at, text)?;
        }
        if let Some(decision) = decision {
            insert_decision(&tx, decision)?;
        }
        audit(&tx, &plan.changes, entries, at)?;
        let updated = load(&tx, id)?;
        tx.commit().map_err(db("commit a case update"))?;
        Ok(updated)
    }

    pub fn case(&self, id: i64) -> Result<Option<Case>> {
        load(&self.conn, id)
    }

    pub fn cases(&self, state: Option<CaseState>) -> Result<Vec<Case>> {
        let action = "read the cases";
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM cases WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC"))
            .map_err(db(action))?;
        let rows = stmt.query_map([state.map(CaseState::as_str)], case_row).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }

    pub fn case_counts(&self) -> Result<Vec<(String, CaseState, u64)>> {
        let action = "count the cases";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT kind, state, count(*) FROM cases GROUP BY kind, state ORDER BY kind, state")
            .map_err(db(action))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)))
            .map_err(db(action))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, state, count) = row.map_err(db(action))?;
            let state = counted_state(&state)?;
            out.push((kind, state, u64::try_from(count).unwrap_or(0)));
        }
        Ok(out)
    }

    pub fn record_decision_audited(&mut self, decision: &Decision, audit_entry: &[u8], at: &str) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("record a review"))?;
        let seq = insert_decision(&tx, decision)?;
        append_in(&tx, None, &[audit_entry], at)?;
        tx.commit().map_err(db("commit a review"))?;
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(key: &str, fingerprint: &str) -> NewCase {
        NewCase {
            kind: "screening",
            key: key.to_owned(),
            subject: "query:Banco Nacional de Cuba".to_owned(),
            list: Some("SDN".to_owned()),
            entry_id: Some("306".to_owned()),
            matched_name: Some("BANCO NACIONAL DE CUBA".to_owned()),
            title: "Banco Nacional de Cuba ~ BANCO NACIONAL DE CUBA (SDN 306)".to_owned(),
            evidence: serde_json::json!({"score": 1.0}),
            fingerprint: fingerprint.to_owned(),
        }
    }

    fn entries(change: &CaseChange) -> std::result::Result<Vec<u8>, String> {
        Ok(format!("audit {} {} {}", change.case_id, change.action, change.detail).into_bytes())
    }

    #[test]
    fn a_repeat_changes_nothing_and_a_changed_hit_reopens_a_cleared_case() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            let first = store.record_cases(&[hit("k", "v1")], "api", "t1", &entries).expect("open");
            let id = first[0].0;
            assert_eq!(first[0].1, CaseOutcome::Opened);
            let again = store.record_cases(&[hit("k", "v1")], "api", "t2", &entries).expect("again");
            assert_eq!(again, vec![(id, CaseOutcome::Unchanged)]);
            assert_eq!(store.ledger_size().expect("size"), 1, "only the opening is logged");

            let clear = CaseUpdate {
                author: "desk".to_owned(),
                assignee: Some("desk".to_owned()),
                state: Some((CaseState::Cleared, "a different bank".to_owned())),
                note: None,
            };
            let cleared = store.update_case(id, &clear, None, "t3", &entries).expect("update").expect("case");
            assert_eq!(cleared.state, CaseState::Cleared);
            assert_eq!(cleared.assignee.as_deref(), Some("desk"));
            assert_eq!(store.ledger_size().expect("size"), 3, "assignment and decision logged");

            let reopened = store.record_cases(&[hit("k", "v2")], "rescreen", "t4", &entries).expect("reopen");
            assert_eq!(reopened, vec![(id, CaseOutcome::Reopened)]);
            let case = store.case(id).expect("read").expect("case");
            assert_eq!(case.state, CaseState::Open);
            let last = case.notes.last().expect("note");
            assert!(last.text.starts_with("reopened: the hit changed (v1 -> v2)"), "{last:?}");
            assert_eq!(store.cases(Some(CaseState::Open)).expect("cases").len(), 1);
            assert_eq!(store.case_counts().expect("counts"), vec![("screening".to_owned(), CaseState::Open, 1)]);
            let logged = store.ledger_latest_with_prefix(b"audit ", 10).expect("latest");
            assert_eq!(logged.len(), 4);
            assert_eq!(logged[0].0, 3);
            assert!(String::from_utf8_lossy(&logged[0].1).contains("reopened"));
        });
    }

    #[test]
    fn a_failing_audit_entry_leaves_the_case_as_it_was() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            let refuse = |_: &CaseChange| -> std::result::Result<Vec<u8>, String> { Err("no key".to_owned()) };
            assert!(store.record_cases(&[hit("k", "v1")], "api", "t1", &refuse).is_err());
            assert!(store.cases(None).expect("cases").is_empty());
            let id = store.record_cases(&[hit("k", "v1")], "api", "t1", &entries).expect("open")[0].0;
            let update =
                CaseUpdate { author: "desk".to_owned(), assignee: None, state: None, note: Some("looked".to_owned()) };
            assert!(store.update_case(id, &update, None, "t2", &refuse).is_err());
            assert!(store.case(id).expect("read").expect("case").notes.is_empty());
            assert_eq!(store.update_case(99, &update, None, "t2", &entries).expect("no such case"), None);
            let err = db.raw_execute("DELETE FROM cases").expect_err("never deleted");
            assert!(err.to_string().contains("never deleted"), "{err}");
            store.update_case(id, &update, None, "t2", &entries).expect("note");
            let err = db.raw_execute("UPDATE case_notes SET text = 'x'").expect_err("append-only");
            assert!(err.to_string().contains("append-only"), "{err}");
        });
    }
}
