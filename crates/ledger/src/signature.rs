//! Ed25519 signatures on custody events, and the log entry that carries an event with its
//! signature.
//!
//! A party signs `SIGNING_CONTEXT || canonical event bytes`: the prefix keeps a signature on an
//! event from ever passing for a signature on anything else made with the same key (a checkpoint
//! note, a later format version). Verification is strict (RFC 8032 with canonical `S` and no
//! small-order keys), so one event has one valid signature per key.
//!
//! A log entry (the bytes whose leaf hash goes into the Merkle tree) is the canonical JSON object
//! `{"event":{...canonical event...},"signature":"<128 lowercase hex digits>"}`.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde_json::Value;

use crate::error::LedgerError;
use crate::event::{Canon, CustodyEvent, EventDraft, Submitter, check_name, event_from_object, parse_object};

/// What every event signature is made over, before the canonical event bytes.
pub const SIGNING_CONTEXT: &[u8] = b"chipwarden-custody-event/v1\n";

/// An Ed25519 public key (32 bytes), written as 64 lowercase hex digits in events.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// From 64 hex digits; the bytes must be a valid Ed25519 point.
    pub fn from_hex(text: &str) -> Result<PublicKey, LedgerError> {
        let bytes = crate::hex::decode(text)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| LedgerError::key(format!("`{text}` is not an Ed25519 public key (64 hex digits)")))?;
        let mut array = [0u8; 32];
        array.copy_from_slice(&bytes);
        let key = PublicKey(array);
        key.verifying_key()?;
        Ok(key)
    }

    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    pub(crate) fn verifying_key(&self) -> Result<VerifyingKey, LedgerError> {
        VerifyingKey::from_bytes(&self.0)
            .map_err(|_| LedgerError::key(format!("`{}` is not a valid Ed25519 public key", self.to_hex())))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A submitting party's identity and Ed25519 signing key.
///
/// The engine does no I/O and so draws no randomness: a new key comes from a 32-byte seed that
/// the caller takes from the operating system's generator.
pub struct PartyKey {
    party: String,
    signing: SigningKey,
}

impl fmt::Debug for PartyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never appears in logs or error output.
        f.debug_struct("PartyKey").field("party", &self.party).field("public_key", &self.public_key()).finish()
    }
}

impl PartyKey {
    /// The key of `party` derived from a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(party: &str, seed: &[u8; 32]) -> Result<PartyKey, LedgerError> {
        check_name("party", party)?;
        Ok(PartyKey { party: party.to_owned(), signing: SigningKey::from_bytes(seed) })
    }

    pub fn party(&self) -> &str {
        &self.party
    }

    /// The seed, for writing the key to a file.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// The submitter identity that events signed with this key carry.
    pub fn submitter(&self) -> Submitter {
        Submitter { party: self.party.clone(), public_key: self.public_key() }
    }

    /// Makes `draft` this party's event and signs it.
    pub fn sign_draft(&self, draft: EventDraft) -> SignedEvent {
        let event = draft.into_event(self.submitter());
        let signature = self.signing.sign(&signing_message(&event)).to_bytes();
        SignedEvent { event, signature }
    }

    /// Signs an event that already names this party's key as its submitter.
    pub fn sign(&self, event: CustodyEvent) -> Result<SignedEvent, LedgerError> {
        if event.submitter != self.submitter() {
            return Err(LedgerError::KeyMismatch { party: event.submitter.party });
        }
        let signature = self.signing.sign(&signing_message(&event)).to_bytes();
        Ok(SignedEvent { event, signature })
    }
}

/// The bytes an event's signature is made over: [`SIGNING_CONTEXT`] then the canonical event.
pub fn signing_message(event: &CustodyEvent) -> Vec<u8> {
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(&event.canonical_bytes());
    message
}

/// An event with its submitter's signature: what a log entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEvent {
    pub event: CustodyEvent,
    pub signature: [u8; 64],
}

impl SignedEvent {
    /// Checks the signature against the submitter's public key.
    pub fn verify(&self) -> Result<(), LedgerError> {
        let bad = || LedgerError::BadSignature {
            serial: self.event.serial.clone(),
            kind: self.event.kind.name(),
            party: self.event.submitter.party.clone(),
        };
        let key = self.event.submitter.public_key.verifying_key().map_err(|_| bad())?;
        let signature = ed25519_dalek::Signature::from_bytes(&self.signature);
        key.verify_strict(&signing_message(&self.event), &signature).map_err(|_| bad())
    }

    /// The log entry: canonical `{"event":{...},"signature":"<hex>"}`.
    pub fn entry_bytes(&self) -> Vec<u8> {
        let mut members = BTreeMap::new();
        members.insert("event", self.event.canon());
        members.insert("signature", Canon::Str(crate::hex::encode(&self.signature)));
        let mut out = String::new();
        Canon::Obj(members).write(&mut out);
        out.into_bytes()
    }

    /// Reads a log entry back: it must be canonical and its signature must verify.
    pub fn from_entry(bytes: &[u8]) -> Result<SignedEvent, LedgerError> {
        let text = std::str::from_utf8(bytes).map_err(|_| LedgerError::Json { message: "not UTF-8".to_owned() })?;
        let object = parse_object(text)?;
        if let Some(key) = object.keys().find(|key| !matches!(key.as_str(), "event" | "signature")) {
            return Err(LedgerError::field(key, "unknown field for a log entry"));
        }
        let Some(Value::Object(event)) = object.get("event") else {
            return Err(LedgerError::field("event", "missing, or not an object"));
        };
        let event = event_from_object(event)?;
        let Some(Value::String(hex)) = object.get("signature") else {
            return Err(LedgerError::field("signature", "missing, or not a string"));
        };
        let signature = crate::hex::decode(hex)
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
            .ok_or_else(|| LedgerError::field("signature", "expected 128 hex digits"))?;
        let signed = SignedEvent { event, signature };
        if signed.entry_bytes() != bytes {
            return Err(LedgerError::NotCanonical { what: "log entry" });
        }
        signed.verify()?;
        Ok(signed)
    }
}
