//! PostgreSQL: usage records and account links (`usage.rs` in SQLite), customer records
//! (`customers.rs`). A record id counts once across every server that ingests it:
//! `ON CONFLICT DO NOTHING` waits for a concurrent insert of the same id and then skips it.

use postgres::Row;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::{PgStore, lock_writes};
use crate::customers::{CustomerRecord, CustomersRecorded, StoredCustomer};
use crate::error::{Result, StoreError, db};
use crate::usage::{CodedUsage, Ingested, Numbering, StoredLink, UsageBatch, UsageModel, UsageNames};

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

    pub fn ingest_usage(&mut self, batch: &UsageBatch, source: &str, at: &str) -> Result<Ingested> {
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
        // The batch's accounts and models first (only those not stored yet, so that identities
        // are not used up by conflicts), in byte order like the records below.
        let names: Vec<&str> = batch.accounts().iter().map(String::as_str).collect();
        tx.execute(
            "INSERT INTO usage_accounts (account)
             SELECT a FROM unnest($1::text[]) AS x (a)
             WHERE NOT EXISTS (SELECT 1 FROM usage_accounts WHERE account = x.a)
             ORDER BY a COLLATE \"C\"
             ON CONFLICT (account) DO NOTHING",
            &[&names],
        )
        .map_err(db(action))?;
        let chip_models: Vec<&str> = batch.models().iter().map(|m| m.chip_model.as_str()).collect();
        let chip_ids: Vec<&str> = batch.models().iter().map(|m| m.chip_id.as_str()).collect();
        tx.execute(
            "INSERT INTO usage_models (chip_model, chip_id)
             SELECT m, c FROM unnest($1::text[], $2::text[]) AS x (m, c)
             WHERE NOT EXISTS (SELECT 1 FROM usage_models WHERE chip_model = x.m AND chip_id = x.c)
             ORDER BY m COLLATE \"C\", c COLLATE \"C\"
             ON CONFLICT (chip_model, chip_id) DO NOTHING",
            &[&chip_models, &chip_ids],
        )
        .map_err(db(action))?;
        let records: Vec<_> = batch.records().collect();
        let ids: Vec<&str> = records.iter().map(|r| r.record_id).collect();
        let accounts: Vec<&str> = records.iter().map(|r| names[r.account]).collect();
        let models: Vec<&str> = records.iter().map(|r| chip_models[r.model]).collect();
        let model_ids: Vec<&str> = records.iter().map(|r| chip_ids[r.model]).collect();
        let chips: Vec<f64> = records.iter().map(|r| r.chips).collect();
        let starts: Vec<i64> = records.iter().map(|r| r.start_ns).collect();
        let ends: Vec<i64> = records.iter().map(|r| r.end_ns).collect();
        let utilization: Vec<Option<f64>> = records.iter().map(|r| r.utilization).collect();
        let tensor: Vec<Option<f64>> = records.iter().map(|r| r.tensor_active).collect();
        let runs: Vec<Option<&str>> = records.iter().map(|r| r.run_id).collect();
        // One statement for the batch, in record id order: two servers ingesting overlapping
        // batches lock their keys in the same order and cannot deadlock. Equal ids keep the
        // batch's order (its ordinality), so the first of them is the one counted.
        let params: [&(dyn ToSql + Sync); 11] =
            [&ids, &accounts, &models, &model_ids, &chips, &starts, &ends, &utilization, &tensor, &runs, &ingest_id];
        let inserted = tx
            .execute(
                "INSERT INTO usage_records (record_id, account_id, model_id, chips, start_ns, end_ns,
                                            utilization, tensor_active, run_id, ingest_id)
                 SELECT x.r, a.id, m.id, x.n, x.s, x.e, x.u, x.t, x.run, $11
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::int8[], $7::int8[],
                             $8::float8[], $9::float8[], $10::text[])
                      WITH ORDINALITY AS x (r, a, m, c, n, s, e, u, t, run, i)
                 JOIN usage_accounts a ON a.account = x.a
                 JOIN usage_models m ON m.chip_model = x.m AND m.chip_id = x.c
                 ORDER BY x.r COLLATE \"C\", x.i
                 ON CONFLICT (record_id) DO NOTHING",
                &params,
            )
            .map_err(db(action))?;
        tx.commit().map_err(db("commit an ingest"))?;
        let inserted = usize::try_from(inserted).unwrap_or(usize::MAX).min(batch.len());
        Ok(Ingested { inserted, already_counted: batch.len() - inserted })
    }

    pub fn scan_usage<E: From<StoreError>>(
        &self,
        names: impl FnOnce(UsageNames) -> std::result::Result<(), E>,
        mut f: impl FnMut(&CodedUsage<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let action = "read usage records";
        let mut client = self.client()?;
        // One snapshot for the names and the records: an ingest may add both meanwhile.
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db(action))?;
        let mut dictionary = UsageNames::default();
        let mut account_ids = Vec::new();
        for row in tx.query("SELECT id, account FROM usage_accounts ORDER BY id", &[]).map_err(db(action))? {
            account_ids.push(row.try_get::<_, i64>(0).map_err(db(action))?);
            dictionary.accounts.push(row.try_get(1).map_err(db(action))?);
        }
        let mut model_ids = Vec::new();
        for row in tx.query("SELECT id, chip_model, chip_id FROM usage_models ORDER BY id", &[]).map_err(db(action))? {
            model_ids.push(row.try_get::<_, i64>(0).map_err(db(action))?);
            dictionary.models.push(UsageModel {
                chip_model: row.try_get(1).map_err(db(action))?,
                chip_id: row.try_get(2).map_err(db(action))?,
            });
        }
        let (accounts, models) = (Numbering::new(&account_ids), Numbering::new(&model_ids));
        names(dictionary)?;
        // Streamed: one row at a time, however many there are.
        let mut rows = tx
            .query_raw(
                "SELECT record_id, account_id, model_id, chips, start_ns, end_ns, utilization, tensor_active, run_id
                 FROM usage_records ORDER BY record_id",
                std::iter::empty::<&dyn ToSql>(),
            )
            .map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            let usage = CodedUsage {
                record_id: row.try_get(0).map_err(db(action))?,
                account: accounts.index(row.try_get(1).map_err(db(action))?, "account")?,
                model: models.index(row.try_get(2).map_err(db(action))?, "chip model")?,
                chips: row.try_get(3).map_err(db(action))?,
                start_ns: row.try_get(4).map_err(db(action))?,
                end_ns: row.try_get(5).map_err(db(action))?,
                utilization: row.try_get(6).map_err(db(action))?,
                tensor_active: row.try_get(7).map_err(db(action))?,
                run_id: row.try_get(8).map_err(db(action))?,
            };
            f(&usage)?;
        }
        drop(rows);
        tx.commit().map_err(db(action))?;
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
