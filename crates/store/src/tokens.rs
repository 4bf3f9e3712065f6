//! API tokens of the HTTP server (migration 0008): only the SHA-256 of a token is stored, as
//! lowercase hex; a token is found by that hash, and revoking it takes effect for the next
//! lookup, since every request looks its token up again.

use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::error::{Result, StoreError, db};
use crate::ledger::append_in;
use crate::sqlite::SqliteStore;

/// The roles a token can carry; the server gives them their meaning.
pub const TOKEN_ROLES: &[&str] = &["admin", "analyst", "operator", "agent"];

/// A token as stored: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// SHA-256 of the token, 64 lowercase hex digits.
    pub token_hash: String,
    pub created_at: String,
    /// When it was revoked; a revoked token opens nothing.
    pub revoked_at: Option<String>,
}

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredToken> {
    Ok(StoredToken {
        id: row.get(0)?,
        name: row.get(1)?,
        role: row.get(2)?,
        token_hash: row.get(3)?,
        created_at: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

pub(crate) const COLUMNS: &str = "id, name, role, token_hash, created_at, revoked_at";

impl SqliteStore {
    pub fn token_party(&self, token_id: i64) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT party FROM agent_parties WHERE token_id = ?1")
            .and_then(|mut stmt| stmt.query_row([token_id], |r| r.get(0)).optional())
            .map_err(db("look up an agent token's party"))
    }

    /// Stores a token that [`Store::create_token`] checked, with `audit_entry` and the agent's
    /// `party`, if any, in one transaction; returns its id.
    pub fn create_token(
        &mut self,
        name: &str,
        role: &str,
        token_hash: &str,
        at: &str,
        audit_entry: Option<&[u8]>,
        party: Option<&str>,
    ) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("create a token"))?;
        let live: Option<i64> = tx
            .query_row("SELECT id FROM api_tokens WHERE name = ?1 AND revoked_at IS NULL", [name], |r| r.get(0))
            .optional()
            .map_err(db("look up a token name"))?;
        if live.is_some() {
            return Err(StoreError::Invalid(format!(
                "a live token is already named `{name}`; revoke it first or choose another name"
            )));
        }
        let known: Option<i64> = tx
            .query_row("SELECT id FROM api_tokens WHERE token_hash = ?1", [token_hash], |r| r.get(0))
            .optional()
            .map_err(db("look up a token hash"))?;
        if known.is_some() {
            return Err(StoreError::Invalid("this token hash is already stored".to_owned()));
        }
        tx.execute(
            "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            (name, role, token_hash, at),
        )
        .map_err(db("create a token"))?;
        let id = tx.last_insert_rowid();
        if let Some(party) = party {
            tx.execute("INSERT INTO agent_parties (token_id, party) VALUES (?1, ?2)", (id, party))
                .map_err(db("bind an agent token to its party"))?;
        }
        if let Some(entry) = audit_entry {
            append_in(&tx, None, &[entry], at)?;
        }
        tx.commit().map_err(db("commit a new token"))?;
        Ok(id)
    }

    pub fn find_token(&self, token_hash: &str) -> Result<Option<StoredToken>> {
        self.conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL"))
            .and_then(|mut stmt| stmt.query_row([token_hash], row).optional())
            .map_err(db("look up a token"))
    }

    pub fn tokens(&self) -> Result<Vec<StoredToken>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))
            .map_err(db("read the tokens"))?;
        let rows = stmt.query_map([], row).map_err(db("read the tokens"))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db("read the tokens"))
    }

    /// Revokes the live token named `name` (with `audit_entry`, if any, in the same
    /// transaction) and returns it as it was before; `None` when no live token has the name.
    pub fn revoke_token(&mut self, name: &str, at: &str, audit_entry: Option<&[u8]>) -> Result<Option<StoredToken>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("revoke a token"))?;
        let found = tx
            .query_row(&format!("SELECT {COLUMNS} FROM api_tokens WHERE name = ?1 AND revoked_at IS NULL"), [name], row)
            .optional()
            .map_err(db("look up a token name"))?;
        let Some(token) = found else { return Ok(None) };
        tx.execute("UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2", (at, token.id))
            .map_err(db("revoke a token"))?;
        if let Some(entry) = audit_entry {
            append_in(&tx, None, &[entry], at)?;
        }
        tx.commit().map_err(db("commit a revocation"))?;
        Ok(Some(token))
    }
}

#[cfg(test)]
mod tests {
    const H1: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const H2: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    #[test]
    fn create_find_revoke() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            let made = store.create_token("ci", "operator", H1, "2026-01-01T00:00:00Z").expect("create");
            assert_eq!(store.find_token(H1).expect("find"), Some(made.clone()));
            assert_eq!(store.find_token(H2).expect("find"), None);
            let err = store.create_token("ci", "admin", H2, "t").expect_err("live name taken");
            assert!(err.to_string().contains("already named `ci`"), "{err}");
            let revoked = store.revoke_token("ci", "2026-01-02T00:00:00Z").expect("revoke").expect("was live");
            assert_eq!(revoked.revoked_at.as_deref(), Some("2026-01-02T00:00:00Z"));
            assert_eq!(store.find_token(H1).expect("find"), None, "revoked at once");
            assert_eq!(store.revoke_token("ci", "t").expect("revoke again"), None);
            // The name is free again, the old hash is not.
            assert!(store.create_token("ci", "admin", H1, "t").is_err());
            store.create_token("ci", "admin", H2, "t").expect("name reused after revocation");
            assert_eq!(store.tokens().expect("tokens").len(), 2);
        });
    }

    #[test]
    fn bad_values_and_rewrites_are_refused() {
        crate::testing::each_backend(|db| {
            let mut store = db.open();
            assert!(store.create_token(" ", "admin", H1, "t").is_err());
            assert!(store.create_token("x", "root", H1, "t").is_err());
            assert!(store.create_token("x", "admin", "ABC", "t").is_err());
            assert!(store.create_token("x", "admin", &H1.to_uppercase(), "t").is_err());
            store.create_token("x", "analyst", H1, "t").expect("create");
            let err = db.raw_execute("UPDATE api_tokens SET role = 'admin'").expect_err("role is fixed");
            assert!(err.to_string().contains("only ever revoked"), "{err}");
            store.revoke_token("x", "t2").expect("revoke");
            let err = db.raw_execute("UPDATE api_tokens SET revoked_at = NULL").expect_err("no un-revoking");
            assert!(err.to_string().contains("only ever revoked"), "{err}");
            let err = db.raw_execute("DELETE FROM api_tokens").expect_err("never deleted");
            assert!(err.to_string().contains("never deleted"), "{err}");
        });
    }
}
