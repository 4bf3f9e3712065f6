//! Screened parties, screenings and their hits, and the re-screening query that keeps only hits
//! nobody has seen or dismissed.

use std::collections::BTreeSet;

use chipwarden_lists::ListCode;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::decisions::latest_decision;
use crate::error::{Result, StoreError, db};
use crate::lists::version_by_id;
use crate::model::{Party, RecordedHit, Screening, StoredHit, decode_explanation, new_hits};
use crate::sqlite::SqliteStore;

pub(crate) fn require_party(conn: &Connection, party_id: &str) -> Result<()> {
    let found = conn
        .query_row("SELECT 1 FROM parties WHERE id = ?1", [party_id], |_| Ok(()))
        .optional()
        .map_err(db("look up a party"))?;
    found.ok_or_else(|| StoreError::UnknownParty(party_id.to_owned()))
}

/// Records one screening inside the caller's transaction; see [`Store::record_hits`].
fn record_in(tx: &Connection, party_id: &str, hits: &[StoredHit], version_ids: &[i64], at: &str) -> Result<i64> {
    let versions: BTreeSet<i64> = version_ids.iter().copied().collect();
    require_party(tx, party_id)?;
    for &version_id in &versions {
        version_by_id(tx, version_id)?;
    }
    {
        let mut listed = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM list_entries WHERE version_id = ?1 AND list = ?2 AND entry_id = ?3)",
            )
            .map_err(db("look up the entry of a hit"))?;
        for hit in hits {
            let mut found = false;
            for &version_id in &versions {
                found = listed
                    .query_row((version_id, &hit.list.0, &hit.entry_id), |row| row.get(0))
                    .map_err(db("look up the entry of a hit"))?;
                if found {
                    break;
                }
            }
            if !found {
                return Err(StoreError::UnknownEntry { list: hit.list.0.clone(), entry_id: hit.entry_id.clone() });
            }
        }
    }
    tx.execute("INSERT INTO screenings (party_id, at) VALUES (?1, ?2)", (party_id, at))
        .map_err(db("record a screening"))?;
    let screening_id = tx.last_insert_rowid();
    {
        let mut insert = tx
            .prepare_cached("INSERT INTO screening_versions (screening_id, version_id) VALUES (?1, ?2)")
            .map_err(db("record the list versions of a screening"))?;
        for version_id in &versions {
            insert.execute((screening_id, version_id)).map_err(db("record the list versions of a screening"))?;
        }
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO hits (screening_id, party_id, list, entry_id, matched_name, score, explanation,
                                   matcher_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(db("record the hits of a screening"))?;
        for hit in hits {
            insert
                .execute((
                    screening_id,
                    party_id,
                    &hit.list.0,
                    &hit.entry_id,
                    &hit.matched_name,
                    hit.score,
                    hit.explanation.to_string(),
                    &hit.matcher_version,
                ))
                .map_err(db("record the hits of a screening"))?;
        }
    }
    Ok(screening_id)
}

/// Adds or replaces a party inside the caller's transaction.
fn upsert_in(conn: &Connection, party: &Party) -> Result<()> {
    let identifiers = serde_json::to_string(&party.identifiers).map_err(|e| StoreError::Corrupt {
        what: format!("identifiers of party `{}`", party.id),
        cause: Box::new(e),
    })?;
    conn.prepare_cached(
        "INSERT INTO parties (id, name, country, address, date, identifiers) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country,
             address = excluded.address, date = excluded.date, identifiers = excluded.identifiers",
    )
    .and_then(|mut stmt| {
        stmt.execute((&party.id, &party.name, &party.country, &party.address, &party.date, identifiers))
    })
    .map_err(db("store a party"))?;
    Ok(())
}

impl SqliteStore {
    pub fn upsert_party(&mut self, party: &Party) -> Result<()> {
        upsert_in(&self.conn, party)
    }

    pub fn parties(&self) -> Result<Vec<Party>> {
        let action = "read the parties";
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, country, address, date, identifiers FROM parties ORDER BY id")
            .map_err(db(action))?;
        let rows = stmt
            .query_map([], |row| {
                let identifiers: String = row.get(5)?;
                let identifiers = serde_json::from_str(&identifiers).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
                })?;
                Ok(Party {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    country: row.get(2)?,
                    address: row.get(3)?,
                    date: row.get(4)?,
                    identifiers,
                })
            })
            .map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }

    pub fn record_hits(&mut self, party_id: &str, hits: &[StoredHit], version_ids: &[i64], at: &str) -> Result<i64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start recording a screening"))?;
        let screening_id = record_in(&tx, party_id, hits, version_ids, at)?;
        tx.commit().map_err(db("commit the screening"))?;
        Ok(screening_id)
    }

    pub fn record_batch(
        &mut self,
        batch: &[(Party, Vec<StoredHit>)],
        version_ids: &[i64],
        at: &str,
    ) -> Result<Vec<i64>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start recording a batch of screenings"))?;
        let mut ids = Vec::with_capacity(batch.len());
        for (party, hits) in batch {
            upsert_in(&tx, party)?;
            ids.push(record_in(&tx, &party.id, hits, version_ids, at)?);
        }
        tx.commit().map_err(db("commit the batch of screenings"))?;
        Ok(ids)
    }

    pub fn screenings(&self, party_id: &str) -> Result<Vec<Screening>> {
        require_party(&self.conn, party_id)?;
        let action = "read the screenings of a party";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.id, s.at, v.version_id FROM screenings s
                 JOIN screening_versions v ON v.screening_id = s.id
                 WHERE s.party_id = ?1 ORDER BY s.id, v.version_id",
            )
            .map_err(db(action))?;
        let rows = stmt
            .query_map([party_id], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)))
            .map_err(db(action))?;
        let mut out: Vec<Screening> = Vec::new();
        for row in rows {
            let (id, at, version_id) = row.map_err(db(action))?;
            Screening::push_row(&mut out, party_id, id, at, version_id);
        }
        Ok(out)
    }

    pub fn hits_for(&self, party_id: &str) -> Result<Vec<RecordedHit>> {
        require_party(&self.conn, party_id)?;
        let action = "read the hits of a party";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT h.screening_id, s.at, h.list, h.entry_id, h.matched_name, h.score, h.explanation,
                        h.matcher_version
                 FROM hits h JOIN screenings s ON s.id = h.screening_id
                 WHERE h.party_id = ?1 ORDER BY h.id",
            )
            .map_err(db(action))?;
        let rows = stmt
            .query_map([party_id], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    StoredHit {
                        list: ListCode(row.get(2)?),
                        entry_id: row.get(3)?,
                        matched_name: row.get(4)?,
                        score: row.get(5)?,
                        explanation: serde_json::Value::Null,
                        matcher_version: row.get(7)?,
                    },
                    row.get::<_, String>(6)?,
                ))
            })
            .map_err(db(action))?;
        let mut out = Vec::new();
        for row in rows {
            let (screening_id, screened_at, mut hit, explanation) = row.map_err(db(action))?;
            hit.explanation = decode_explanation(party_id, &explanation)?;
            out.push(RecordedHit { screening_id, party_id: party_id.to_owned(), screened_at, hit });
        }
        Ok(out)
    }

    pub fn new_hits(&self, party_id: &str, hits: &[StoredHit]) -> Result<Vec<StoredHit>> {
        require_party(&self.conn, party_id)?;
        let action = "look up earlier hits of a party";
        let mut recorded = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM hits
                                WHERE party_id = ?1 AND list = ?2 AND entry_id = ?3 AND matched_name = ?4)",
            )
            .map_err(db(action))?;
        new_hits(
            &mut recorded,
            party_id,
            hits,
            |recorded, hit| {
                recorded
                    .query_row((party_id, &hit.list.0, &hit.entry_id, &hit.matched_name), |row| row.get(0))
                    .map_err(db(action))
            },
            |_, subject, hit| latest_decision(&self.conn, subject, &hit.list, &hit.entry_id, &hit.matched_name),
        )
    }
}
