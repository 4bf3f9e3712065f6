//! Review decisions on hits: an append-only history in which the latest decision on a hit key
//! is the one in force.

use chipwarden_lists::ListCode;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::error::{Result, db};
use crate::model::{Decision, HitKey, RecordedDecision, Subject, Verdict};
use crate::screening::require_party;
use crate::sqlite::SqliteStore;

const DECISION_COLUMNS: &str = "seq, party_id, query, list, entry_id, matched_name, decision, reviewer, at, reason";

fn decision_from_row(row: &Row<'_>) -> rusqlite::Result<RecordedDecision> {
    let unreadable =
        |column: usize, message: String| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, message.into());
    let subject = match (row.get::<_, Option<String>>(1)?, row.get::<_, Option<String>>(2)?) {
        (Some(id), None) => Subject::Party(id),
        (None, Some(text)) => Subject::Query(text),
        _ => return Err(unreadable(1, "a decision must name either a party or a query".to_owned())),
    };
    let verdict_text: String = row.get(6)?;
    let verdict =
        Verdict::parse(&verdict_text).ok_or_else(|| unreadable(6, format!("unknown verdict `{verdict_text}`")))?;
    Ok(RecordedDecision {
        seq: row.get(0)?,
        decision: Decision {
            key: HitKey { subject, list: ListCode(row.get(3)?), entry_id: row.get(4)?, matched_name: row.get(5)? },
            verdict,
            reviewer: row.get(7)?,
            at: row.get(8)?,
            reason: row.get(9)?,
        },
    })
}

/// Appends a review decision on `conn` (a connection or the caller's transaction) and returns
/// its sequence number. The caller has checked it (`validate::decision`).
pub(crate) fn insert_decision(conn: &Connection, decision: &Decision) -> Result<i64> {
    if let Subject::Party(id) = &decision.key.subject {
        require_party(conn, id)?;
    }
    let key = &decision.key;
    let (party_id, query) = key.subject.columns();
    conn.execute(
        "INSERT INTO decisions (party_id, query, list, entry_id, matched_name, decision, reviewer, at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        (
            party_id,
            query,
            &key.list.0,
            &key.entry_id,
            &key.matched_name,
            decision.verdict.as_str(),
            &decision.reviewer,
            &decision.at,
            &decision.reason,
        ),
    )
    .map_err(db("record a review decision"))?;
    Ok(conn.last_insert_rowid())
}

/// The decision in force on a hit key: the one recorded last.
pub(crate) fn latest_decision(
    conn: &Connection,
    subject: &Subject,
    list: &ListCode,
    entry_id: &str,
    matched_name: &str,
) -> Result<Option<RecordedDecision>> {
    let action = "read the review decision on a hit";
    let (party_id, query) = subject.columns();
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {DECISION_COLUMNS} FROM decisions
             WHERE list = ?1 AND entry_id = ?2 AND matched_name = ?3 AND party_id IS ?4 AND query IS ?5
             ORDER BY seq DESC LIMIT 1"
        ))
        .map_err(db(action))?;
    stmt.query_row((&list.0, entry_id, matched_name, party_id, query), decision_from_row).optional().map_err(db(action))
}

impl SqliteStore {
    pub fn record_decision(&mut self, decision: &Decision) -> Result<i64> {
        insert_decision(&self.conn, decision)
    }

    pub fn decision_for(&self, key: &HitKey) -> Result<Option<RecordedDecision>> {
        latest_decision(&self.conn, &key.subject, &key.list, &key.entry_id, &key.matched_name)
    }

    pub fn decisions(&self) -> Result<Vec<RecordedDecision>> {
        let action = "read the review decisions";
        let mut stmt =
            self.conn.prepare(&format!("SELECT {DECISION_COLUMNS} FROM decisions ORDER BY seq")).map_err(db(action))?;
        let rows = stmt.query_map([], decision_from_row).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }
}
