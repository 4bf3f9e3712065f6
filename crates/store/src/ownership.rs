//! Ownership edges (who owns what share of whom, per source and date), imported all or nothing.

use rusqlite::{OptionalExtension, TransactionBehavior};

use crate::error::{Result, StoreError, db};
use crate::model::{OwnershipEdge, ownership_edge_is_new};
use crate::sqlite::SqliteStore;

impl SqliteStore {
    pub fn import_ownership(&mut self, edges: &[OwnershipEdge]) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start the ownership import"))?;
        let mut added = 0;
        {
            let action = "store an ownership edge";
            let mut stored = tx
                .prepare(
                    "SELECT share FROM ownership_edges WHERE owner = ?1 AND owned = ?2 AND source = ?3 AND date = ?4",
                )
                .map_err(db(action))?;
            let mut insert = tx
                .prepare("INSERT INTO ownership_edges (owner, owned, share, source, date) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(db(action))?;
            for (index, edge) in edges.iter().enumerate() {
                let key = (&edge.owner, &edge.owned, &edge.source, &edge.date);
                let found = stored.query_row(key, |row| row.get::<_, f64>(0)).optional().map_err(db(action))?;
                if ownership_edge_is_new(index + 1, edge, found)? {
                    insert.execute((&edge.owner, &edge.owned, edge.share, &edge.source, &edge.date)).map_err(|e| {
                        StoreError::Database {
                            action: format!("store ownership row {}", index + 1),
                            cause: Box::new(e),
                        }
                    })?;
                    added += 1;
                }
            }
        }
        tx.commit().map_err(db("commit the ownership import"))?;
        Ok(added)
    }

    pub fn ownership_edges(&self) -> Result<Vec<OwnershipEdge>> {
        let action = "read the ownership edges";
        let mut stmt = self
            .conn
            .prepare("SELECT owner, owned, share, source, date FROM ownership_edges ORDER BY id")
            .map_err(db(action))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(OwnershipEdge {
                    owner: row.get(0)?,
                    owned: row.get(1)?,
                    share: row.get(2)?,
                    source: row.get(3)?,
                    date: row.get(4)?,
                })
            })
            .map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }
}
