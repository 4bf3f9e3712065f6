//! Customer (KYC) records: a new version only when a record changes, history never rewritten,
//! the latest version of each account the one in force.

use rusqlite::TransactionBehavior;
use serde::Serialize;

use crate::error::{Result, db};
use crate::sqlite::SqliteStore;

/// A customer record to store. `record` is the whole validated record as JSON; the other fields
/// are copied out of it for queries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRecord {
    pub account: String,
    pub legal_name: String,
    pub country: Option<String>,
    pub verification: String,
    pub record: serde_json::Value,
}

/// A stored version of a customer record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredCustomer {
    /// Increases with every version stored, across accounts.
    pub version: i64,
    #[serde(flatten)]
    pub customer: CustomerRecord,
    pub source: String,
    pub recorded_at: String,
}

/// What storing a batch of customer records did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CustomersRecorded {
    /// Accounts seen for the first time.
    pub new: Vec<String>,
    /// Accounts whose record differs from the version in force.
    pub changed: Vec<String>,
    /// Accounts whose record is identical to the version in force (nothing stored).
    pub unchanged: Vec<String>,
}

impl CustomersRecorded {
    /// Files `account` by how its record (as JSON `text`) compares with the version in force
    /// (`previous`, if any), and says whether the record is to be stored as a new version.
    pub(crate) fn file(&mut self, account: &str, previous: Option<&str>, text: &str) -> bool {
        let bucket = match previous {
            Some(p) if p == text => &mut self.unchanged,
            Some(_) => &mut self.changed,
            None => &mut self.new,
        };
        bucket.push(account.to_owned());
        previous != Some(text)
    }
}

const COLUMNS: &str = "id, account, legal_name, country, verification, record, source, recorded_at";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCustomer> {
    let text: String = row.get(5)?;
    let record = serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into()))?;
    Ok(StoredCustomer {
        version: row.get(0)?,
        customer: CustomerRecord {
            account: row.get(1)?,
            legal_name: row.get(2)?,
            country: row.get(3)?,
            verification: row.get(4)?,
            record,
        },
        source: row.get(6)?,
        recorded_at: row.get(7)?,
    })
}

impl SqliteStore {
    pub fn record_customers(
        &mut self,
        records: &[CustomerRecord],
        source: &str,
        at: &str,
    ) -> Result<CustomersRecorded> {
        let action = "store customer records";
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db(action))?;
        let mut outcome = CustomersRecorded::default();
        {
            let mut current = tx
                .prepare_cached("SELECT record FROM customer_records WHERE account = ?1 ORDER BY id DESC LIMIT 1")
                .map_err(db(action))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO customer_records (account, legal_name, country, verification, record, source, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(db(action))?;
            for r in records {
                let text = r.record.to_string();
                let previous: Option<String> = {
                    use rusqlite::OptionalExtension;
                    current.query_row([&r.account], |row| row.get(0)).optional().map_err(db(action))?
                };
                if outcome.file(&r.account, previous.as_deref(), &text) {
                    insert
                        .execute((&r.account, &r.legal_name, &r.country, &r.verification, &text, source, at))
                        .map_err(db(action))?;
                }
            }
        }
        tx.commit().map_err(db(action))?;
        Ok(outcome)
    }

    pub fn customers(&self) -> Result<Vec<StoredCustomer>> {
        let action = "read customer records";
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM customer_records c
                 WHERE id = (SELECT max(id) FROM customer_records WHERE account = c.account)
                 ORDER BY account"
            ))
            .map_err(db(action))?;
        let rows = stmt.query_map([], from_row).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }

    pub fn customer_history(&self, account: &str) -> Result<Vec<StoredCustomer>> {
        let action = "read a customer's history";
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM customer_records WHERE account = ?1 ORDER BY id"))
            .map_err(db(action))?;
        let rows = stmt.query_map([account], from_row).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }
}
