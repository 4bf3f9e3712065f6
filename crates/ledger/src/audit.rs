//! Audit entries: who decided or administered what, and when, in the same Merkle log as the
//! custody events, signed by the log's own key.
//!
//! # The canonical encoding (version 1)
//!
//! An audit event is one flat canonical JSON object (the same JCS subset as custody events, see
//! [`crate::event`]) with the members `action`, `actor`, `detail`, `signer` (the log key's
//! public key, 64 lowercase hex digits), `subject`, `time` (RFC 3339 UTC with a `Z`), `type`
//! (always `audit`) and `version` (`1`). The log entry is the canonical object
//! `{"audit":{...},"signature":"<128 lowercase hex digits>"}`, the signature being Ed25519 by the
//! `signer` key over [`AUDIT_SIGNING_CONTEXT`] followed by the canonical event bytes. Because
//! the entry's first member is `audit`, never `event`, a custody replay tells the two apart by
//! their first bytes, and a custody event's signature can never pass for an audit event's.
//!
//! Version 1 bytes never change meaning; they are pinned by `tests/golden/audit.*.json`.

use std::collections::BTreeMap;

use ed25519_dalek::{Signer as _, SigningKey};
use jiff::Timestamp;
use serde_json::Value;

use crate::checkpoint::NoteSigner;
use crate::error::LedgerError;
use crate::event::{Canon, check_name, format_time, parse_object};
use crate::signature::{PublicKey, SignedEvent};

/// The version written into every audit event.
pub const AUDIT_VERSION: u64 = 1;

/// What every audit signature is made over, before the canonical event bytes.
pub const AUDIT_SIGNING_CONTEXT: &[u8] = b"chipwarden-audit-event/v1\n";

/// The first bytes of every canonical audit entry.
const AUDIT_ENTRY_PREFIX: &[u8] = b"{\"audit\":";

/// One audited action (version 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who did it: a token's name, or the operating-system user of a CLI command.
    pub actor: String,
    /// What was done, such as `case.cleared`, `review.false_positive`, `token.created`.
    pub action: String,
    /// What it was done to, such as `case:12` or `token:desk`.
    pub subject: String,
    /// The particulars in words (a reason, the list and entry, the new assignee); may be empty.
    pub detail: String,
    pub time: Timestamp,
    /// The log key that signs it.
    pub signer: PublicKey,
}

/// An audit event with the log key's signature: what an audit log entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAudit {
    pub event: AuditEvent,
    pub signature: [u8; 64],
}

/// The parts of an audit event its author chooses; the signer comes from the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub time: Timestamp,
}

impl AuditDraft {
    /// Signs the draft with the log's key, refusing an empty or badly spaced actor, action or
    /// subject and control characters in them.
    pub fn sign(self, log_key: &NoteSigner) -> Result<SignedAudit, LedgerError> {
        check_name("actor", &self.actor)?;
        check_name("action", &self.action)?;
        check_name("subject", &self.subject)?;
        let signing: &SigningKey = log_key.signing_key();
        let event = AuditEvent {
            actor: self.actor,
            action: self.action,
            subject: self.subject,
            detail: self.detail,
            time: self.time,
            signer: PublicKey(signing.verifying_key().to_bytes()),
        };
        let signature = signing.sign(&audit_signing_message(&event)).to_bytes();
        Ok(SignedAudit { event, signature })
    }
}

/// The bytes an audit signature is made over: [`AUDIT_SIGNING_CONTEXT`] then the canonical event.
pub fn audit_signing_message(event: &AuditEvent) -> Vec<u8> {
    let mut message = AUDIT_SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(&event.canonical_bytes());
    message
}

impl AuditEvent {
    pub(crate) fn canon(&self) -> Canon {
        let mut members = BTreeMap::new();
        members.insert("action", Canon::str(&self.action));
        members.insert("actor", Canon::str(&self.actor));
        members.insert("detail", Canon::str(&self.detail));
        members.insert("signer", Canon::Str(self.signer.to_hex()));
        members.insert("subject", Canon::str(&self.subject));
        members.insert("time", Canon::Str(format_time(self.time)));
        members.insert("type", Canon::str("audit"));
        members.insert("version", Canon::Int(AUDIT_VERSION));
        Canon::Obj(members)
    }

    /// The canonical encoding (see the module documentation).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        self.canon().write(&mut out);
        out.into_bytes()
    }

    fn from_object(object: &serde_json::Map<String, Value>) -> Result<AuditEvent, LedgerError> {
        const MEMBERS: [&str; 8] = ["action", "actor", "detail", "signer", "subject", "time", "type", "version"];
        if let Some(key) = object.keys().find(|key| !MEMBERS.contains(&key.as_str())) {
            return Err(LedgerError::field(&format!("audit.{key}"), "unknown field for an audit event"));
        }
        let string = |name: &str| -> Result<String, LedgerError> {
            match object.get(name) {
                Some(Value::String(text)) => Ok(text.clone()),
                _ => Err(LedgerError::field(&format!("audit.{name}"), "missing, or not a string")),
            }
        };
        if string("type")? != "audit" {
            return Err(LedgerError::field("audit.type", "expected `audit`"));
        }
        match object.get("version") {
            Some(Value::Number(n)) if n.as_u64() == Some(AUDIT_VERSION) => {}
            other => {
                return Err(LedgerError::UnsupportedVersion {
                    found: other.map_or_else(|| "missing".to_owned(), Value::to_string),
                });
            }
        }
        let (actor, action, subject) = (string("actor")?, string("action")?, string("subject")?);
        check_name("audit.actor", &actor)?;
        check_name("audit.action", &action)?;
        check_name("audit.subject", &subject)?;
        let time_text = string("time")?;
        let time: Timestamp = time_text
            .parse()
            .map_err(|e| LedgerError::field("audit.time", format!("`{time_text}` is not an RFC 3339 time ({e})")))?;
        Ok(AuditEvent {
            actor,
            action,
            subject,
            detail: string("detail")?,
            time,
            signer: PublicKey::from_hex(&string("signer")?)?,
        })
    }
}

impl SignedAudit {
    /// Checks the signature against the event's `signer` key.
    pub fn verify(&self) -> Result<(), LedgerError> {
        let bad = || LedgerError::BadAuditSignature {
            action: self.event.action.clone(),
            subject: self.event.subject.clone(),
        };
        let key = self.event.signer.verifying_key().map_err(|_| bad())?;
        let signature = ed25519_dalek::Signature::from_bytes(&self.signature);
        key.verify_strict(&audit_signing_message(&self.event), &signature).map_err(|_| bad())
    }

    /// The log entry: canonical `{"audit":{...},"signature":"<hex>"}`.
    pub fn entry_bytes(&self) -> Vec<u8> {
        let mut members = BTreeMap::new();
        members.insert("audit", self.event.canon());
        members.insert("signature", Canon::Str(crate::hex::encode(&self.signature)));
        let mut out = String::new();
        Canon::Obj(members).write(&mut out);
        out.into_bytes()
    }

    /// Reads an audit log entry back: it must be canonical and its signature must verify.
    pub fn from_entry(bytes: &[u8]) -> Result<SignedAudit, LedgerError> {
        let text = std::str::from_utf8(bytes).map_err(|_| LedgerError::Json { message: "not UTF-8".to_owned() })?;
        let object = parse_object(text)?;
        if let Some(key) = object.keys().find(|key| !matches!(key.as_str(), "audit" | "signature")) {
            return Err(LedgerError::field(key, "unknown field for an audit entry"));
        }
        let Some(Value::Object(event)) = object.get("audit") else {
            return Err(LedgerError::field("audit", "missing, or not an object"));
        };
        let event = AuditEvent::from_object(event)?;
        let Some(Value::String(hex)) = object.get("signature") else {
            return Err(LedgerError::field("signature", "missing, or not a string"));
        };
        let signature = crate::hex::decode(hex)
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
            .ok_or_else(|| LedgerError::field("signature", "expected 128 hex digits"))?;
        let signed = SignedAudit { event, signature };
        if signed.entry_bytes() != bytes {
            return Err(LedgerError::NotCanonical { what: "audit entry" });
        }
        signed.verify()?;
        Ok(signed)
    }
}

/// Any entry of the log: a custody event or an audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEntry {
    Custody(SignedEvent),
    Audit(SignedAudit),
}

impl LogEntry {
    /// Reads a log entry of either kind: canonical, with a signature that verifies. The custody
    /// state machine replays only [`LogEntry::Custody`].
    pub fn from_entry(bytes: &[u8]) -> Result<LogEntry, LedgerError> {
        if is_audit_entry(bytes) {
            SignedAudit::from_entry(bytes).map(LogEntry::Audit)
        } else {
            SignedEvent::from_entry(bytes).map(LogEntry::Custody)
        }
    }
}

/// Whether `bytes` claim to be an audit entry (the canonical form starts with `{"audit":`).
pub fn is_audit_entry(bytes: &[u8]) -> bool {
    bytes.starts_with(AUDIT_ENTRY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::from_seed("chipwarden.test/log", &[7u8; 32]).expect("signer")
    }

    fn draft(detail: &str) -> AuditDraft {
        AuditDraft {
            actor: "desk".to_owned(),
            action: "case.cleared".to_owned(),
            subject: "case:1".to_owned(),
            detail: detail.to_owned(),
            time: "2026-02-01T10:00:00Z".parse().expect("time"),
        }
    }

    #[test]
    fn entries_read_back_and_tampering_is_refused() {
        let signed = draft("a different bank\nsee \"notes\"").sign(&signer()).expect("sign");
        let bytes = signed.entry_bytes();
        assert!(is_audit_entry(&bytes));
        assert_eq!(LogEntry::from_entry(&bytes).expect("read"), LogEntry::Audit(signed.clone()));
        let tampered = String::from_utf8(bytes.clone()).expect("utf-8").replace("case:1", "case:2");
        assert!(matches!(SignedAudit::from_entry(tampered.as_bytes()), Err(LedgerError::BadAuditSignature { .. })));
        let spaced = String::from_utf8(bytes).expect("utf-8").replacen("{\"audit\":", "{\"audit\": ", 1);
        assert!(SignedAudit::from_entry(spaced.as_bytes()).is_err());
    }

    #[test]
    fn empty_names_are_refused() {
        let mut bad = draft("x");
        bad.actor = " ".to_owned();
        assert!(bad.sign(&signer()).is_err());
    }
}
