//! Location measurements submitted through the server (migration 0011): landmark-signed records
//! as received, checked by the caller before they are stored, each stored once.

use rusqlite::TransactionBehavior;
use serde::Serialize;

use crate::error::{Result, db};
use crate::sqlite::SqliteStore;

/// A measurement record to store: the fields the store indexes, and the signed record itself.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMeasurement {
    pub serial: String,
    pub landmark: String,
    pub rtt_ms: f64,
    /// When the landmark measured (RFC 3339, UTC), as the record says.
    pub measured_at: String,
    /// The record's JSON as the landmark signed it.
    pub record: String,
}

/// A stored measurement record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMeasurement {
    pub id: i64,
    pub serial: String,
    pub landmark: String,
    pub rtt_ms: f64,
    pub measured_at: String,
    pub record: String,
    pub submitted_by: String,
    pub received_at: String,
}

impl SqliteStore {
    /// Stores the records in one transaction; a record already stored (the same bytes) is not
    /// stored again. Returns how many were new.
    pub fn record_measurements(&mut self, records: &[NewMeasurement], submitted_by: &str, at: &str) -> Result<usize> {
        let action = "store measurement records";
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db(action))?;
        let mut inserted = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO location_measurements (serial, landmark, rtt_ms, measured_at, record, submitted_by,
                                                        received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (record) DO NOTHING",
                )
                .map_err(db(action))?;
            for m in records {
                inserted += insert
                    .execute(rusqlite::params![
                        m.serial,
                        m.landmark,
                        m.rtt_ms,
                        m.measured_at,
                        m.record,
                        submitted_by,
                        at
                    ])
                    .map_err(db(action))?;
            }
        }
        tx.commit().map_err(db("commit measurement records"))?;
        Ok(inserted)
    }

    pub fn measurements_since(&self, serial: &str, since: &str) -> Result<Vec<StoredMeasurement>> {
        let action = "read measurement records";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, serial, landmark, rtt_ms, measured_at, record, submitted_by, received_at
                 FROM location_measurements WHERE serial = ?1 AND measured_at >= ?2 ORDER BY measured_at, id",
            )
            .map_err(db(action))?;
        let rows = stmt
            .query_map((serial, since), |r| {
                Ok(StoredMeasurement {
                    id: r.get(0)?,
                    serial: r.get(1)?,
                    landmark: r.get(2)?,
                    rtt_ms: r.get(3)?,
                    measured_at: r.get(4)?,
                    record: r.get(5)?,
                    submitted_by: r.get(6)?,
                    received_at: r.get(7)?,
                })
            })
            .map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }

    pub fn measured_chips(&self, since: &str) -> Result<Vec<String>> {
        let action = "read the measured chips";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT serial FROM location_measurements WHERE measured_at >= ?1 ORDER BY serial")
            .map_err(db(action))?;
        let rows = stmt.query_map([since], |r| r.get(0)).map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(serial: &str, landmark: &str, at: &str, rtt: f64) -> NewMeasurement {
        NewMeasurement {
            serial: serial.to_owned(),
            landmark: landmark.to_owned(),
            rtt_ms: rtt,
            measured_at: at.to_owned(),
            record: format!(r#"{{"serial":"{serial}","landmark":"{landmark}","at":"{at}","rtt":{rtt}}}"#),
        }
    }

    #[test]
    fn stored_once_read_by_chip_and_age_never_rewritten() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            let batch = [
                record("SN1", "L1", "2026-11-01T00:00:00Z", 12.5),
                record("SN1", "L2", "2026-11-02T00:00:00Z", 30.0),
                record("SN2", "L1", "2026-11-02T00:00:00Z", 8.0),
            ];
            assert_eq!(store.record_measurements(&batch, "agent-a", "t1").expect("store"), 3);
            assert_eq!(store.record_measurements(&batch[1..], "agent-b", "t2").expect("again"), 0, "stored once");
            let recent = store.measurements_since("SN1", "2026-11-01T12:00:00Z").expect("read");
            assert_eq!(recent.len(), 1);
            assert_eq!((recent[0].landmark.as_str(), recent[0].submitted_by.as_str()), ("L2", "agent-a"));
            assert_eq!(store.measured_chips("2026-11-01T12:00:00Z").expect("chips"), ["SN1", "SN2"]);
            assert_eq!(store.measured_chips("2026-11-03T00:00:00Z").expect("chips"), Vec::<String>::new());
            let err = db.raw_execute("UPDATE location_measurements SET rtt_ms = 1").expect_err("no rewrite");
            assert!(err.to_string().contains("never rewritten"), "{err}");
            let err = db.raw_execute("DELETE FROM location_measurements").expect_err("no delete");
            assert!(err.to_string().contains("never deleted"), "{err}");
            let bad = NewMeasurement { record: "not json".to_owned(), ..record("SN3", "L1", "t", 1.0) };
            assert!(store.record_measurements(&[record("SN4", "L1", "t", 2.0), bad], "agent-a", "t3").is_err());
            assert_eq!(store.measured_chips("").expect("chips"), ["SN1", "SN2"], "a refused batch leaves nothing");
        });
    }

    #[test]
    fn an_agent_token_is_bound_to_its_party_for_good() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            let hash = "ab".repeat(32);
            let token =
                store.create_agent_token_audited("agent-a", "Acme Cloud", &hash, "t", b"audit entry").expect("create");
            assert_eq!(token.role, "agent");
            assert_eq!(store.token_party(token.id).expect("party").as_deref(), Some("Acme Cloud"));
            assert_eq!(store.ledger_size().expect("size"), 1, "the audit entry is in the log");
            let err = db.raw_execute("UPDATE agent_parties SET party = 'Other'").expect_err("fixed");
            assert!(err.to_string().contains("never changes"), "{err}");
            assert!(store.create_agent_token_audited("agent-b", " ", &"cd".repeat(32), "t", b"x").is_err());
            let other = store.create_token("analyst", "analyst", &"ef".repeat(32), "t").expect("create");
            assert_eq!(store.token_party(other.id).expect("party"), None);
        });
    }
}
