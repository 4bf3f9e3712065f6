//! PostgreSQL: usage records and account links (`usage.rs` in SQLite), customer records
//! (`customers.rs`). A record id counts once across every server that ingests it:
//! `ON CONFLICT DO NOTHING` waits for a concurrent insert of the same id and then skips it.

use postgres::Row;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::{PgStore, lock_writes};
use crate::customers::{CustomerRecord, CustomersRecorded, StoredCustomer};
use crate::error::{Result, StoreError, db};
use crate::usage::{Ingested, StoredLink, StoredUsage, UsageRow};

const CUSTOMER_COLUMNS: &str = "id, account, legal_name, country, verification, record, source, recorded_at";

fn customer_from_row(row: &Row) -> Result<StoredCustomer> {
    let action = "read customer records";
    let text: &str = row.try_get(5).map_err(db(action))?;
    let record = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt { what: "customer record".to_owned(), cause: Box::new(e) })?;
    let get = |i: usize| -> Result<String> { row.try_get(i).map_err(db(action)) };
    Ok(StoredCustomer {
        version: row.try_get(0).map_err(db(action))?,
        customer: CustomerRecord {
            account: get(1)?,
            legal_name: get(2)?,
            country: row.try_get(3).map_err(db(action))?,
            verification: get(4)?,
            record,
        },
        source: get(6)?,
        recorded_at: get(7)?,
    })
}

impl PgStore {
    pub fn usage_mark(&self) -> Result<i64> {
        self.client()?
            .query_one("SELECT coalesce(max(id), 0)::bigint FROM usage_ingests", &[])
            .and_then(|row| row.try_get(0))
            .map_err(db("read the last usage ingest"))
    }

    pub fn ingest_usage(&mut self, batch: &[StoredUsage], source: &str, at: &str) -> Result<Ingested> {
        let action = "store usage records";
        let mut tx = self.client_mut()?.transaction().map_err(db("start an ingest"))?;
        tx.execute(
            "INSERT INTO usage_ingests (source, at) VALUES ($1, $2) ON CONFLICT (source, at) DO NOTHING",
            &[&source, &at],
        )
        .map_err(db(action))?;
        let ingest_id: i64 = tx
            .query_one("SELECT id FROM usage_ingests WHERE source = $1 AND at = $2", &[&source, &at])
            .and_then(|row| row.try_get(0))
            .map_err(db(action))?;
        let column = |f: fn(&StoredUsage) -> &str| batch.iter().map(f).collect::<Vec<&str>>();
        let (ids, accounts, models, chip_ids) =
            (column(|r| &r.record_id), column(|r| &r.account), column(|r| &r.chip_model), column(|r| &r.chip_id));
        let chips: Vec<f64> = batch.iter().map(|r| r.chips).collect();
        let starts: Vec<i64> = batch.iter().map(|r| r.start_ns).collect();
        let ends: Vec<i64> = batch.iter().map(|r| r.end_ns).collect();
        let utilization: Vec<Option<f64>> = batch.iter().map(|r| r.utilization).collect();
        let tensor: Vec<Option<f64>> = batch.iter().map(|r| r.tensor_active).collect();
        let runs: Vec<Option<&str>> = batch.iter().map(|r| r.run_id.as_deref()).collect();
        // One statement for the batch, in record id order: two servers ingesting overlapping
        // batches lock their keys in the same order and cannot deadlock.
        let params: [&(dyn ToSql + Sync); 11] =
            [&ids, &accounts, &models, &chip_ids, &chips, &starts, &ends, &utilization, &tensor, &runs, &ingest_id];
        let inserted = tx
            .execute(
                "INSERT INTO usage_records (record_id, account, chip_model, chip_id, chips, start_ns, end_ns,
                                            utilization, tensor_active, run_id, ingest_id)
                 SELECT r, a, m, c, n, s, e, u, t, run, $11
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::int8[], $7::int8[],
                             $8::float8[], $9::float8[], $10::text[]) AS x (r, a, m, c, n, s, e, u, t, run)
                 ORDER BY r COLLATE \"C\"
                 ON CONFLICT (record_id) DO NOTHING",
                &params,
            )
            .map_err(db(action))?;
        tx.commit().map_err(db("commit an ingest"))?;
        let inserted = usize::try_from(inserted).unwrap_or(usize::MAX).min(batch.len());
        Ok(Ingested { inserted, already_counted: batch.len() - inserted })
    }

    pub fn for_each_usage<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&UsageRow<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let action = "read usage records";
        let mut client = self.client()?;
        // Streamed: one row at a time, however many there are.
        let mut rows = client
            .query_raw(
                "SELECT record_id, account, chip_model, chip_id, chips, start_ns, end_ns, utilization, tensor_active,
                        run_id
                 FROM usage_records ORDER BY record_id",
                std::iter::empty::<&dyn ToSql>(),
            )
            .map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            let get = |i: usize| -> Result<&str> { row.try_get(i).map_err(db(action)) };
            let usage = UsageRow {
                record_id: get(0)?,
                account: get(1)?,
                chip_model: get(2)?,
                chip_id: get(3)?,
                chips: row.try_get(4).map_err(db(action))?,
                start_ns: row.try_get(5).map_err(db(action))?,
                end_ns: row.try_get(6).map_err(db(action))?,
                utilization: row.try_get(7).map_err(db(action))?,
                tensor_active: row.try_get(8).map_err(db(action))?,
                run_id: row.try_get(9).map_err(db(action))?,
            };
            f(&usage)?;
        }
        Ok(())
    }

    pub fn add_links(&mut self, links: &[StoredLink]) -> Result<usize> {
        let action = "store account links";
        let mut tx = self.client_mut()?.transaction().map_err(db("start adding links"))?;
        let insert = tx
            .prepare(
                "INSERT INTO account_links (account_a, account_b, reason, evidence) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(db(action))?;
        let mut added = 0;
        for l in links {
            added += tx.execute(&insert, &[&l.account_a, &l.account_b, &l.reason, &l.evidence]).map_err(db(action))?;
        }
        tx.commit().map_err(db("commit account links"))?;
        Ok(usize::try_from(added).unwrap_or(usize::MAX))
    }

    pub fn links(&self) -> Result<Vec<StoredLink>> {
        let action = "read account links";
        let rows = self
            .client()?
            .query("SELECT account_a, account_b, reason, evidence FROM account_links ORDER BY seq", &[])
            .map_err(db(action))?;
        let link = |row: &Row| -> Result<StoredLink, postgres::Error> {
            Ok(StoredLink {
                account_a: row.try_get(0)?,
                account_b: row.try_get(1)?,
                reason: row.try_get(2)?,
                evidence: row.try_get(3)?,
            })
        };
        rows.iter().map(|row| link(row).map_err(db(action))).collect()
    }

    pub fn record_customers(
        &mut self,
        records: &[CustomerRecord],
        source: &str,
        at: &str,
    ) -> Result<CustomersRecorded> {
        let action = "store customer records";
        let mut tx = self.client_mut()?.transaction().map_err(db(action))?;
        lock_writes(&mut tx)?;
        let current = tx
            .prepare("SELECT record FROM customer_records WHERE account = $1 ORDER BY id DESC LIMIT 1")
            .map_err(db(action))?;
        let insert = tx
            .prepare(
                "INSERT INTO customer_records (account, legal_name, country, verification, record, source, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .map_err(db(action))?;
        let mut outcome = CustomersRecorded::default();
        for r in records {
            let text = r.record.to_string();
            let previous: Option<String> = tx
                .query_opt(&current, &[&r.account])
                .map_err(db(action))?
                .map(|row| row.try_get(0))
                .transpose()
                .map_err(db(action))?;
            if outcome.file(&r.account, previous.as_deref(), &text) {
                tx.execute(&insert, &[&r.account, &r.legal_name, &r.country, &r.verification, &text, &source, &at])
                    .map_err(db(action))?;
            }
        }
        tx.commit().map_err(db(action))?;
        Ok(outcome)
    }

    pub fn customers(&self) -> Result<Vec<StoredCustomer>> {
        let rows = self
            .client()?
            .query(
                &format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customer_records c
                     WHERE id = (SELECT max(id) FROM customer_records WHERE account = c.account)
                     ORDER BY account COLLATE \"C\""
                ),
                &[],
            )
            .map_err(db("read customer records"))?;
        rows.iter().map(customer_from_row).collect()
    }

    pub fn customer_history(&self, account: &str) -> Result<Vec<StoredCustomer>> {
        let rows = self
            .client()?
            .query(
                &format!("SELECT {CUSTOMER_COLUMNS} FROM customer_records WHERE account = $1 ORDER BY id"),
                &[&account],
            )
            .map_err(db("read a customer's history"))?;
        rows.iter().map(customer_from_row).collect()
    }
}
