//! The audit trail: decisions, reviews, case transitions and administrative actions appended to
//! the custody ledger's Merkle log as audit entries signed by the log's own key, and read back.
//!
//! INVARIANT: every decision is in the log. The writes that make a decision (a case changed, a
//! review recorded, a token made or revoked) take the audit entry this module makes and append it
//! in their own transaction, so neither happens without the other.

use std::path::Path;

use chipwarden_ledger::{AuditDraft, NoteSigner, SignedAudit};
use chipwarden_store::{CaseChange, Store};
use serde::Serialize;

use crate::{ServiceError, ServiceResult};

/// The first bytes of every audit entry (see `chipwarden_ledger::audit`).
const AUDIT_PREFIX: &[u8] = b"{\"audit\":";

/// Who is acting, and the log key that signs what they do.
#[derive(Debug)]
pub struct Auditor {
    key: std::sync::Arc<NoteSigner>,
    actor: String,
}

impl Auditor {
    /// The log's key in `data_dir` (made on first use, as `ledger checkpoint` makes it), acting
    /// as `actor`.
    pub fn open(data_dir: &Path, actor: &str) -> ServiceResult<Auditor> {
        Ok(Auditor::new(crate::ledger::log_key(data_dir, None)?, actor))
    }

    pub fn new(key: NoteSigner, actor: &str) -> Auditor {
        Auditor { key: std::sync::Arc::new(key), actor: actor.to_owned() }
    }

    /// The same key acting as someone else (the key is shared, not read again).
    pub fn acting_as(&self, actor: &str) -> ServiceResult<Auditor> {
        Ok(Auditor { key: std::sync::Arc::clone(&self.key), actor: actor.to_owned() })
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The log's key as a custody party named after the log's origin: what signs the
    /// `location_verified` events the server records (custody events are signed over a message
    /// of their own, so the key's notes and its events cannot be taken for each other).
    pub fn party_key(&self) -> ServiceResult<chipwarden_ledger::PartyKey> {
        chipwarden_ledger::PartyKey::from_seed(self.key.name(), &self.key.seed())
            .map_err(|e| ServiceError::internal(format!("the log's key as a party: {e}")))
    }

    /// The signed audit entry of `action` on `subject`, now.
    pub fn entry(&self, action: &str, subject: &str, detail: &str) -> ServiceResult<Vec<u8>> {
        let draft = AuditDraft {
            actor: self.actor.clone(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            detail: detail.to_owned(),
            time: jiff::Timestamp::now(),
        };
        let signed = draft.sign(&self.key).map_err(|e| ServiceError::Invalid(format!("audit entry: {e}")))?;
        Ok(signed.entry_bytes())
    }

    /// The audit entry of a change to a case, for the store's case writes.
    pub fn case_entry(&self, change: &CaseChange) -> Result<Vec<u8>, String> {
        self.entry(&format!("case.{}", change.action), &format!("case:{}", change.case_id), &change.detail)
            .map_err(|e| e.to_string())
    }
}

/// An audit entry as read back from the log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub leaf_index: u64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub time: String,
    /// The log key that signed it (64 hex digits).
    pub signer: String,
}

/// The latest `limit` audit entries, newest first; each is read back with its signature checked.
pub fn latest(store: &Store, limit: u64) -> ServiceResult<Vec<AuditRecord>> {
    store
        .ledger_latest_with_prefix(AUDIT_PREFIX, limit)?
        .into_iter()
        .map(|(leaf_index, bytes)| {
            let signed =
                SignedAudit::from_entry(&bytes).map_err(|cause| ServiceError::Replay { index: leaf_index, cause })?;
            let e = signed.event;
            Ok(AuditRecord {
                leaf_index,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
                time: chipwarden_ledger::format_time(e.time),
                signer: e.signer.to_hex(),
            })
        })
        .collect()
}
