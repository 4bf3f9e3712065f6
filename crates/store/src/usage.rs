//! Compute usage records and account links: idempotent ingest (a record id counts once, across
//! re-runs too), each batch one transaction.

use rusqlite::TransactionBehavior;
use serde::Serialize;

use crate::error::{Result, StoreError, db};
use crate::sqlite::SqliteStore;

/// A usage record as stored. Times are nanoseconds since 1970-01-01T00:00:00Z (the years 1677
/// to 2262; the meter's parsers refuse anything outside).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredUsage {
    pub record_id: String,
    pub account: String,
    pub chip_model: String,
    pub chip_id: String,
    pub chips: f64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub utilization: Option<f64>,
    pub tensor_active: Option<f64>,
    pub run_id: Option<String>,
}

/// A usage record as read by [`Store::for_each_usage`], borrowing its text from the cursor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageRow<'a> {
    pub record_id: &'a str,
    pub account: &'a str,
    pub chip_model: &'a str,
    pub chip_id: &'a str,
    pub chips: f64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub utilization: Option<f64>,
    pub tensor_active: Option<f64>,
    pub run_id: Option<&'a str>,
}

/// An explicit link between two accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredLink {
    pub account_a: String,
    pub account_b: String,
    pub reason: String,
    pub evidence: String,
}

/// What an ingest did: records new to the store, and records it had already counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ingested {
    pub inserted: usize,
    pub already_counted: usize,
}

impl SqliteStore {
    pub fn ingest_usage(&mut self, batch: &[StoredUsage], source: &str, at: &str) -> Result<Ingested> {
        let action = "store usage records";
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("start an ingest"))?;
        let mut inserted = 0;
        {
            // The source and time of an ingest are stored once, however many batches it takes.
            tx.prepare_cached("INSERT OR IGNORE INTO usage_ingests (source, at) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute((source, at)))
                .map_err(db(action))?;
            let ingest_id: i64 = tx
                .prepare_cached("SELECT id FROM usage_ingests WHERE source = ?1 AND at = ?2")
                .and_then(|mut s| s.query_row((source, at), |row| row.get(0)))
                .map_err(db(action))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO usage_records (record_id, account, chip_model, chip_id, chips, start_ns,
                         end_ns, utilization, tensor_active, run_id, ingest_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(db(action))?;
            for r in batch {
                inserted += insert
                    .execute(rusqlite::params![
                        r.record_id,
                        r.account,
                        r.chip_model,
                        r.chip_id,
                        r.chips,
                        r.start_ns,
                        r.end_ns,
                        r.utilization,
                        r.tensor_active,
                        r.run_id,
                        ingest_id
                    ])
                    .map_err(db(action))?;
            }
        }
        tx.commit().map_err(db("commit an ingest"))?;
        Ok(Ingested { inserted, already_counted: batch.len() - inserted })
    }

    pub fn for_each_usage<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&UsageRow<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let action = "read usage records";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT record_id, account, chip_model, chip_id, chips, start_ns, end_ns, utilization, tensor_active,
                        run_id
                 FROM usage_records",
            )
            .map_err(db(action))?;
        let mut rows = stmt.query([]).map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            let text = |i: usize| -> Result<&str> {
                row.get_ref(i).and_then(|v| v.as_str().map_err(Into::into)).map_err(db(action))
            };
            let usage = UsageRow {
                record_id: text(0)?,
                account: text(1)?,
                chip_model: text(2)?,
                chip_id: text(3)?,
                chips: row.get(4).map_err(db(action))?,
                start_ns: row.get(5).map_err(db(action))?,
                end_ns: row.get(6).map_err(db(action))?,
                utilization: row.get(7).map_err(db(action))?,
                tensor_active: row.get(8).map_err(db(action))?,
                run_id: row.get_ref(9).and_then(|v| v.as_str_or_null().map_err(Into::into)).map_err(db(action))?,
            };
            f(&usage)?;
        }
        Ok(())
    }

    pub fn usage_mark(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM usage_ingests", [], |row| row.get(0))
            .map_err(db("read the last usage ingest"))
    }

    pub fn add_links(&mut self, links: &[StoredLink]) -> Result<usize> {
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("start adding links"))?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO account_links (account_a, account_b, reason, evidence) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db("store account links"))?;
            for l in links {
                added += insert
                    .execute((&l.account_a, &l.account_b, &l.reason, &l.evidence))
                    .map_err(db("store account links"))?;
            }
        }
        tx.commit().map_err(db("commit account links"))?;
        Ok(added)
    }

    pub fn links(&self) -> Result<Vec<StoredLink>> {
        let action = "read account links";
        let mut stmt = self
            .conn
            .prepare("SELECT account_a, account_b, reason, evidence FROM account_links ORDER BY rowid")
            .map_err(db(action))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(StoredLink {
                    account_a: row.get(0)?,
                    account_b: row.get(1)?,
                    reason: row.get(2)?,
                    evidence: row.get(3)?,
                })
            })
            .map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }
}
