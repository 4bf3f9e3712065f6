//! PostgreSQL: cases (`cases.rs` in SQLite) and API tokens (`tokens.rs`), each change in one
//! transaction with its audit entries, which [`super::ledger::append_in`] appends under the
//! write lock that the change took first.

use postgres::{GenericClient, Row, Transaction};

use super::ledger::append_in;
use super::lists::insert_decision;
use super::{PgStore, lock_writes};
use crate::cases::{
    AuditEntries, COLUMNS, Case, CaseChange, CaseNote, CaseOutcome, CaseState, CaseUpdate, NewCase, Refresh,
    UpdatePlan, audit_entries, counted_state,
};
use crate::error::{Result, StoreError, db};
use crate::model::Decision;
use crate::tokens::{COLUMNS as TOKEN_COLUMNS, StoredToken};

fn case_from_row(row: &Row) -> Result<Case> {
    let action = "read a case";
    let unreadable = |message: String| StoreError::Corrupt { what: "case".to_owned(), cause: message.into() };
    let evidence: &str = row.try_get(7).map_err(db(action))?;
    let evidence = serde_json::from_str(evidence).map_err(|e| unreadable(e.to_string()))?;
    let state: &str = row.try_get(9).map_err(db(action))?;
    let state = CaseState::parse(state).ok_or_else(|| unreadable(format!("unknown case state `{state}`")))?;
    let text = |i: usize| -> Result<String> { row.try_get(i).map_err(db(action)) };
    let optional = |i: usize| -> Result<Option<String>> { row.try_get(i).map_err(db(action)) };
    Ok(Case {
        id: row.try_get(0).map_err(db(action))?,
        kind: text(1)?,
        subject: text(2)?,
        list: optional(3)?,
        entry_id: optional(4)?,
        matched_name: optional(5)?,
        title: text(6)?,
        evidence,
        fingerprint: text(8)?,
        state,
        assignee: optional(10)?,
        created_at: text(11)?,
        updated_at: text(12)?,
        notes: Vec::new(),
    })
}

fn load(c: &mut impl GenericClient, id: i64) -> Result<Option<Case>> {
    let action = "read a case";
    let Some(row) = c.query_opt(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1"), &[&id]).map_err(db(action))?
    else {
        return Ok(None);
    };
    let mut case = case_from_row(&row)?;
    let rows = c
        .query("SELECT author, at, text FROM case_notes WHERE case_id = $1 ORDER BY seq", &[&id])
        .map_err(db(action))?;
    for row in &rows {
        case.notes.push(CaseNote {
            author: row.try_get(0).map_err(db(action))?,
            at: row.try_get(1).map_err(db(action))?,
            text: row.try_get(2).map_err(db(action))?,
        });
    }
    Ok(Some(case))
}

fn add_note(c: &mut impl GenericClient, case_id: i64, author: &str, at: &str, text: &str) -> Result<()> {
    c.execute(
        "INSERT INTO case_notes (case_id, author, at, text) VALUES ($1, $2, $3, $4)",
        &[&case_id, &author, &at, &text],
    )
    .map_err(db("add a note to a case"))?;
    Ok(())
}

fn audit(tx: &mut Transaction<'_>, changes: &[CaseChange], entries: AuditEntries<'_>, at: &str) -> Result<()> {
    let bytes = audit_entries(changes, entries)?;
    if !bytes.is_empty() {
        append_in(tx, None, &bytes, at)?;
    }
    Ok(())
}

fn token_from_row(row: &Row) -> Result<StoredToken, postgres::Error> {
    Ok(StoredToken {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        role: row.try_get(2)?,
        token_hash: row.try_get(3)?,
        created_at: row.try_get(4)?,
        revoked_at: row.try_get(5)?,
    })
}

impl PgStore {
    pub fn record_cases(
        &mut self,
        cases: &[NewCase],
        author: &str,
        at: &str,
        entries: AuditEntries<'_>,
    ) -> Result<Vec<(i64, CaseOutcome)>> {
        let action = "record cases";
        let mut tx = self.client_mut()?.transaction().map_err(db(action))?;
        lock_writes(&mut tx)?;
        let mut out = Vec::with_capacity(cases.len());
        let mut changes = Vec::new();
        for new in cases {
            let existing = tx
                .query_opt("SELECT id, fingerprint, state FROM cases WHERE case_key = $1", &[&new.key])
                .map_err(db(action))?;
            let existing: Option<(i64, String, String)> = existing
                .map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .transpose()
                .map_err(db(action))?;
            let evidence = new.evidence.to_string();
            match existing {
                None => {
                    let id: i64 = tx
                        .query_one(
                            "INSERT INTO cases (kind, case_key, subject, list, entry_id, matched_name, title, evidence,
                                                fingerprint, state, created_at, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10) RETURNING id",
                            &[
                                &new.kind,
                                &new.key,
                                &new.subject,
                                &new.list,
                                &new.entry_id,
                                &new.matched_name,
                                &new.title,
                                &evidence,
                                &new.fingerprint,
                                &at,
                            ],
                        )
                        .and_then(|row| row.try_get(0))
                        .map_err(db(action))?;
                    changes.push(CaseChange { case_id: id, action: "opened", detail: new.title.clone() });
                    out.push((id, CaseOutcome::Opened));
                }
                Some((id, fingerprint, _)) if fingerprint == new.fingerprint => out.push((id, CaseOutcome::Unchanged)),
                Some((id, fingerprint, state)) => {
                    let Refresh { reopen, note, outcome, action: change } = Refresh::of(&fingerprint, &state, new);
                    tx.execute(
                        "UPDATE cases SET evidence = $2, fingerprint = $3, matched_name = $4, title = $5,
                                state = CASE WHEN $6 THEN 'open' ELSE state END, updated_at = $7
                         WHERE id = $1",
                        &[&id, &evidence, &new.fingerprint, &new.matched_name, &new.title, &reopen, &at],
                    )
                    .map_err(db(action))?;
                    add_note(&mut tx, id, author, at, &note)?;
                    changes.push(CaseChange { case_id: id, action: change, detail: note });
                    out.push((id, outcome));
                }
            }
        }
        audit(&mut tx, &changes, entries, at)?;
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
        let mut tx = self.client_mut()?.transaction().map_err(db(action))?;
        lock_writes(&mut tx)?;
        let Some(case) = load(&mut tx, id)? else { return Ok(None) };
        let plan = UpdatePlan::of(&case, update, decision)?;
        if let Some(assignee) = plan.assignee {
            tx.execute("UPDATE cases SET assignee = $2, updated_at = $3 WHERE id = $1", &[&id, &assignee, &at])
                .map_err(db(action))?;
        }
        if let Some(text) = plan.note {
            add_note(&mut tx, id, &update.author, at, text)?;
        }
        if let Some((state, text)) = &plan.state {
            tx.execute("UPDATE cases SET state = $2, updated_at = $3 WHERE id = $1", &[&id, &state.as_str(), &at])
                .map_err(db(action))?;
            add_note(&mut tx, id, &update.author, at, text)?;
        }
        if let Some(decision) = decision {
            insert_decision(&mut tx, decision)?;
        }
        audit(&mut tx, &plan.changes, entries, at)?;
        let updated = load(&mut tx, id)?;
        tx.commit().map_err(db("commit a case update"))?;
        Ok(updated)
    }

    pub fn case(&self, id: i64) -> Result<Option<Case>> {
        load(&mut *self.client()?, id)
    }

    pub fn cases(&self, state: Option<CaseState>) -> Result<Vec<Case>> {
        let state = state.map(CaseState::as_str);
        let rows = self
            .client()?
            .query(
                &format!("SELECT {COLUMNS} FROM cases WHERE $1::text IS NULL OR state = $1 ORDER BY id DESC"),
                &[&state],
            )
            .map_err(db("read the cases"))?;
        rows.iter().map(case_from_row).collect()
    }

    pub fn case_counts(&self) -> Result<Vec<(String, CaseState, u64)>> {
        let action = "count the cases";
        let rows = self
            .client()?
            .query(
                "SELECT kind, state, count(*) FROM cases GROUP BY kind, state
                 ORDER BY kind COLLATE \"C\", state COLLATE \"C\"",
                &[],
            )
            .map_err(db(action))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let state: &str = row.try_get(1).map_err(db(action))?;
            let state = counted_state(state)?;
            let count: i64 = row.try_get(2).map_err(db(action))?;
            out.push((row.try_get(0).map_err(db(action))?, state, u64::try_from(count).unwrap_or(0)));
        }
        Ok(out)
    }

    pub fn record_decision_audited(&mut self, decision: &Decision, audit_entry: &[u8], at: &str) -> Result<i64> {
        let mut tx = self.client_mut()?.transaction().map_err(db("record a review"))?;
        let seq = insert_decision(&mut tx, decision)?;
        append_in(&mut tx, None, &[audit_entry], at)?;
        tx.commit().map_err(db("commit a review"))?;
        Ok(seq)
    }

    pub fn token_party(&self, token_id: i64) -> Result<Option<String>> {
        let action = "look up an agent token's party";
        let row = self
            .client()?
            .query_opt("SELECT party FROM agent_parties WHERE token_id = $1", &[&token_id])
            .map_err(db(action))?;
        row.map(|r| r.try_get(0)).transpose().map_err(db(action))
    }

    pub fn create_token(
        &mut self,
        name: &str,
        role: &str,
        token_hash: &str,
        at: &str,
        audit_entry: Option<&[u8]>,
        party: Option<&str>,
    ) -> Result<i64> {
        let mut tx = self.client_mut()?.transaction().map_err(db("create a token"))?;
        lock_writes(&mut tx)?;
        let live = tx
            .query_opt("SELECT id FROM api_tokens WHERE name = $1 AND revoked_at IS NULL", &[&name])
            .map_err(db("look up a token name"))?;
        if live.is_some() {
            return Err(StoreError::Invalid(format!(
                "a live token is already named `{name}`; revoke it first or choose another name"
            )));
        }
        let known = tx
            .query_opt("SELECT id FROM api_tokens WHERE token_hash = $1", &[&token_hash])
            .map_err(db("look up a token hash"))?;
        if known.is_some() {
            return Err(StoreError::Invalid("this token hash is already stored".to_owned()));
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&name, &role, &token_hash, &at],
            )
            .and_then(|row| row.try_get(0))
            .map_err(db("create a token"))?;
        if let Some(party) = party {
            tx.execute("INSERT INTO agent_parties (token_id, party) VALUES ($1, $2)", &[&id, &party])
                .map_err(db("bind an agent token to its party"))?;
        }
        if let Some(entry) = audit_entry {
            append_in(&mut tx, None, &[entry], at)?;
        }
        tx.commit().map_err(db("commit a new token"))?;
        Ok(id)
    }

    pub fn find_token(&self, token_hash: &str) -> Result<Option<StoredToken>> {
        let action = "look up a token";
        self.client()?
            .query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"),
                &[&token_hash],
            )
            .map_err(db(action))?
            .map(|row| token_from_row(&row))
            .transpose()
            .map_err(db(action))
    }

    pub fn tokens(&self) -> Result<Vec<StoredToken>> {
        let action = "read the tokens";
        let rows = self
            .client()?
            .query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"), &[])
            .map_err(db(action))?;
        rows.iter().map(|row| token_from_row(row).map_err(db(action))).collect()
    }

    pub fn revoke_token(&mut self, name: &str, at: &str, audit_entry: Option<&[u8]>) -> Result<Option<StoredToken>> {
        let mut tx = self.client_mut()?.transaction().map_err(db("revoke a token"))?;
        lock_writes(&mut tx)?;
        let found = tx
            .query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE name = $1 AND revoked_at IS NULL"),
                &[&name],
            )
            .map_err(db("look up a token name"))?;
        let Some(row) = found else { return Ok(None) };
        let token = token_from_row(&row).map_err(db("look up a token name"))?;
        tx.execute("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", &[&at, &token.id])
            .map_err(db("revoke a token"))?;
        if let Some(entry) = audit_entry {
            append_in(&mut tx, None, &[entry], at)?;
        }
        tx.commit().map_err(db("commit a revocation"))?;
        Ok(Some(token))
    }
}
