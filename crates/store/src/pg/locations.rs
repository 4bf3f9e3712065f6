//! PostgreSQL: location measurement records (`locations.rs` in SQLite), each stored once by its
//! bytes whichever server receives it.

use super::PgStore;
use crate::error::{Result, db};
use crate::locations::{NewMeasurement, StoredMeasurement};

impl PgStore {
    pub fn record_measurements(&mut self, records: &[NewMeasurement], submitted_by: &str, at: &str) -> Result<usize> {
        let action = "store measurement records";
        let mut tx = self.client_mut()?.transaction().map_err(db(action))?;
        let mut inserted = 0;
        {
            let insert = tx
                .prepare(
                    "INSERT INTO location_measurements (serial, landmark, rtt_ms, measured_at, record, submitted_by,
                                                        received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (record) DO NOTHING",
                )
                .map_err(db(action))?;
            for m in records {
                inserted += tx
                    .execute(
                        &insert,
                        &[&m.serial, &m.landmark, &m.rtt_ms, &m.measured_at, &m.record, &submitted_by, &at],
                    )
                    .map_err(db(action))?;
            }
        }
        tx.commit().map_err(db("commit measurement records"))?;
        Ok(usize::try_from(inserted).unwrap_or(usize::MAX))
    }

    pub fn measurements_since(&self, serial: &str, since: &str) -> Result<Vec<StoredMeasurement>> {
        let action = "read measurement records";
        let rows = self
            .client()?
            .query(
                "SELECT id, serial, landmark, rtt_ms, measured_at, record, submitted_by, received_at
                 FROM location_measurements WHERE serial = $1 AND measured_at COLLATE \"C\" >= $2
                 ORDER BY measured_at COLLATE \"C\", id",
                &[&serial, &since],
            )
            .map_err(db(action))?;
        rows.iter()
            .map(|r| {
                Ok(StoredMeasurement {
                    id: r.try_get(0)?,
                    serial: r.try_get(1)?,
                    landmark: r.try_get(2)?,
                    rtt_ms: r.try_get(3)?,
                    measured_at: r.try_get(4)?,
                    record: r.try_get(5)?,
                    submitted_by: r.try_get(6)?,
                    received_at: r.try_get(7)?,
                })
            })
            .collect::<std::result::Result<_, postgres::Error>>()
            .map_err(db(action))
    }

    pub fn measured_chips(&self, since: &str) -> Result<Vec<String>> {
        let action = "read the measured chips";
        let rows = self
            .client()?
            .query(
                "SELECT serial FROM location_measurements WHERE measured_at COLLATE \"C\" >= $1
                 GROUP BY serial ORDER BY serial COLLATE \"C\"",
                &[&since],
            )
            .map_err(db(action))?;
        rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, postgres::Error>>().map_err(db(action))
    }
}
