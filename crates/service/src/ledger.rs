//! The custody ledger over the store: signed entries parsed, a batch checked against the stored
//! histories of its chips (all or nothing), appended, and the log's signing key.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use chipwarden_ledger::{Custody, CustodyEvent, Hash, NoteSigner, SignedEvent, leaf_hash};
use chipwarden_store::{Store, StoreError};
use serde::Serialize;
use serde_json::Value;

use crate::{ServiceError, ServiceResult};

/// The log's signing key, in the data directory.
pub const LOG_KEY_FILE: &str = "ledger.key";
/// The log's origin (and its key's name) unless another is given when the key is made.
pub const DEFAULT_ORIGIN: &str = "chipwarden.local/ledger";

// --- keys ---

/// 32 bytes from the operating system's generator: the seed of a new Ed25519 key.
pub fn random_seed() -> ServiceResult<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| ServiceError::internal(format!("cannot draw a key from the system's random generator: {e}")))?;
    Ok(seed)
}

/// Writes a new file (never over an existing one), readable only by its owner when `secret`.
pub fn write_new(path: &Path, text: &str, secret: bool) -> ServiceResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    let mut file =
        options.open(path).map_err(|e| ServiceError::Io(format!("cannot create `{}`: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| ServiceError::Io(format!("cannot write `{}`: {e}", path.display())))
}

/// The log's signing key in `data_dir`, made on first use (mode 0600, never overwritten) with
/// `origin` (or the default) as its name; an `origin` that differs from the existing key's
/// name is refused (an origin never changes).
pub fn log_key(data_dir: &Path, origin: Option<&str>) -> ServiceResult<NoteSigner> {
    let path = data_dir.join(LOG_KEY_FILE);
    let signer = match existing_log_key(data_dir)? {
        Some(signer) => signer,
        None => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                ServiceError::Io(format!("cannot create the data directory `{}`: {e}", data_dir.display()))
            })?;
            let signer = NoteSigner::from_seed(origin.unwrap_or(DEFAULT_ORIGIN), &random_seed()?)
                .map_err(ServiceError::OriginInvalid)?;
            match write_new(&path, &format!("{}\n", signer.skey()), true) {
                Ok(()) => signer,
                // Another process made it first: use that one.
                Err(failure) => existing_log_key(data_dir)?.ok_or(failure)?,
            }
        }
    };
    if let Some(origin) = origin.filter(|origin| *origin != signer.name()) {
        return Err(ServiceError::OriginFixed {
            given: origin.to_owned(),
            origin: signer.name().to_owned(),
            path: path.display().to_string(),
        });
    }
    Ok(signer)
}

/// The log's signing key in `data_dir`, if it was made.
pub fn existing_log_key(data_dir: &Path) -> ServiceResult<Option<NoteSigner>> {
    let path = &data_dir.join(LOG_KEY_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ServiceError::Io(format!("cannot read `{}`: {e}", path.display())))?;
    NoteSigner::from_skey(text.trim())
        .map(Some)
        .map_err(|e| ServiceError::internal(format!("the log's key `{}`: {e}", path.display())))
}

// --- signed entries ---

/// Why a JSON object is not a signed entry.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("field `{0}`: unknown field for a signed entry")]
    UnknownField(String),
    #[error("field `event`: missing")]
    MissingEvent,
    #[error("{0}")]
    Event(String),
    #[error("field `signature`: expected 128 hex digits")]
    BadSignature,
}

/// Lowercase or uppercase hex digits as bytes.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// An already signed entry `{"event":{...},"signature":"<128 hex digits>"}`, in any layout.
/// The signature is not checked here.
pub fn signed_entry(object: &serde_json::Map<String, Value>) -> Result<SignedEvent, EntryError> {
    if let Some(key) = object.keys().find(|key| !matches!(key.as_str(), "event" | "signature")) {
        return Err(EntryError::UnknownField(key.clone()));
    }
    let event = object.get("event").ok_or(EntryError::MissingEvent)?;
    let event = CustodyEvent::from_json(&event.to_string()).map_err(|e| EntryError::Event(e.to_string()))?;
    let signature = object
        .get("signature")
        .and_then(Value::as_str)
        .and_then(decode_hex)
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .ok_or(EntryError::BadSignature)?;
    Ok(SignedEvent { event, signature })
}

// --- append ---

/// A line of a batch that was refused, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// 1-based line of the batch.
    pub line: usize,
    pub reason: String,
}

/// An event of a batch that passed every check.
#[derive(Debug)]
pub struct Accepted {
    pub line: usize,
    pub signed: SignedEvent,
    pub entry: Vec<u8>,
    pub leaf: Hash,
}

/// A batch checked against the log of size `size`: append it only after that size.
#[derive(Debug)]
pub struct Checked {
    pub size: u64,
    pub accepted: Vec<Accepted>,
}

/// Checks a batch of signed events (each with its line, or why it could not be read) against
/// the stored histories of the chips it names (custody rules are per chip; the audit replays
/// everything): no duplicate within the batch or of a logged entry, and every event a
/// transition the custody state machine allows after the ones before it. Any refusal refuses
/// the batch ([`ServiceError::Refused`], every refused line listed).
pub fn check_batch(store: &Store, parsed: Vec<(usize, Result<SignedEvent, String>)>) -> ServiceResult<Checked> {
    let size = store.ledger_size()?;
    let mut serials: Vec<&str> =
        parsed.iter().filter_map(|(_, s)| s.as_ref().ok()).map(|s| s.event.serial.as_str()).collect();
    serials.sort_unstable();
    serials.dedup();
    let mut custody = Custody::new();
    for (index, bytes) in store.ledger_entries_for_serials(&serials)? {
        if index >= size {
            continue;
        }
        let broken = |cause| ServiceError::Replay { index, cause };
        let stored = SignedEvent::from_entry(&bytes).map_err(broken)?;
        custody.apply(&stored.event).map_err(broken)?;
    }
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut seen: HashMap<Hash, usize> = HashMap::new();
    let mut refused: Vec<Refusal> = Vec::new();
    for (line, signed) in parsed {
        let checked = signed.and_then(|signed| {
            let entry = signed.entry_bytes();
            let leaf = leaf_hash(&entry);
            if let Some(first) = seen.get(&leaf) {
                return Err(format!("duplicate of line {first}"));
            }
            if let Some(index) = store.ledger_find(&leaf).map_err(|e| e.to_string())? {
                return Err(format!("duplicate: this event is already in the ledger as entry {index}"));
            }
            custody.apply(&signed.event).map_err(|e| e.to_string())?;
            Ok((signed, entry, leaf))
        });
        match checked {
            Ok((signed, entry, leaf)) => {
                seen.insert(leaf, line);
                accepted.push(Accepted { line, signed, entry, leaf });
            }
            Err(reason) => refused.push(Refusal { line, reason }),
        }
    }
    if !refused.is_empty() {
        return Err(ServiceError::Refused(refused));
    }
    Ok(Checked { size, accepted })
}

/// One appended entry: the fields of a `ledger append --json` line.
#[derive(Debug, Serialize)]
pub struct Appended {
    pub line: usize,
    pub leaf_index: u64,
    pub serial: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub leaf_hash: String,
}

/// How many times [`check_and_append`] checks a batch again after other writers appended first.
const APPEND_ATTEMPTS: usize = 50;

/// Checks a batch ([`check_batch`]) and appends it ([`append_checked`]); when another writer
/// (another server on the same database, another process on the same file) appended in between,
/// checks the batch again against the grown log and retries, so that concurrent appenders are
/// sequenced into one tree instead of refused. An event the grown log makes impossible (the chip
/// was shipped by the other writer first) is refused then, as it would have been.
pub fn check_and_append(
    store: &mut Store,
    parsed: Vec<(usize, Result<SignedEvent, String>)>,
    at: &str,
) -> ServiceResult<Vec<Appended>> {
    let mut attempt = 1;
    loop {
        let checked = check_batch(store, parsed.clone())?;
        match append_checked(store, &checked, at) {
            Err(ServiceError::Store(StoreError::LogGrew { .. })) if attempt < APPEND_ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

/// Appends a checked batch in one transaction, refused by the store
/// (`StoreError::LogGrew`) if the log grew since it was checked.
pub fn append_checked(store: &mut Store, checked: &Checked, at: &str) -> ServiceResult<Vec<Appended>> {
    let entries: Vec<&[u8]> = checked.accepted.iter().map(|a| a.entry.as_slice()).collect();
    let first = store.ledger_append_after(checked.size, &entries, at)?;
    Ok(checked
        .accepted
        .iter()
        .enumerate()
        .map(|(position, a)| Appended {
            line: a.line,
            leaf_index: first + position as u64,
            serial: a.signed.event.serial.clone(),
            kind: a.signed.event.kind.name(),
            leaf_hash: a.leaf.to_hex(),
        })
        .collect())
}

// --- the log as the custody state machine sees it ---

/// The stored log replayed through the custody state machine, with the leaf indices of each
/// chip's events.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Entries in the log, audit entries included.
    pub size: u64,
    pub custody: Custody,
    pub indices: HashMap<String, Vec<u64>>,
}

/// Replays every stored entry in log order; audit entries are not custody events and are
/// skipped. An entry that does not replay is [`ServiceError::Replay`] (the log was altered).
pub fn replay(store: &Store) -> ServiceResult<Replayed> {
    let mut out = Replayed::default();
    store.for_each_ledger_entry(|index, bytes, _| {
        out.size = index + 1;
        if chipwarden_ledger::is_audit_entry(bytes) {
            return Ok(());
        }
        let broken = |cause| ServiceError::Replay { index, cause };
        let signed = SignedEvent::from_entry(bytes).map_err(broken)?;
        out.custody.apply(&signed.event).map_err(broken)?;
        out.indices.entry(signed.event.serial.clone()).or_default().push(index);
        Ok::<_, ServiceError>(())
    })?;
    Ok(out)
}

// --- checkpoints ---

/// A checkpoint as issued: the fields of `ledger checkpoint --json`.
#[derive(Debug, Serialize)]
pub struct Issued {
    pub origin: String,
    pub tree_size: u64,
    pub root_hash: String,
    /// The C2SP signed note.
    pub note: String,
}

/// Signs a checkpoint of the log as it is now with the log's key and records it.
pub fn checkpoint(store: &mut Store, signer: &NoteSigner, at: &str) -> ServiceResult<Issued> {
    let (size, root_hash) = {
        let leaves = store.ledger_leaves()?;
        let size = chipwarden_ledger::LeafHashes::size(&leaves);
        (size, chipwarden_ledger::root(&leaves, size).map_err(ServiceError::internal)?)
    };
    // A checkpoint of this very tree, by this key, is already on record: hand it out again
    // instead of signing and storing another (the dashboard asks on every visit).
    if let Some(latest) = store.ledger_latest_checkpoint()?
        && latest.tree_size == size
        && latest.root == root_hash
        && latest.note.starts_with(&format!("{}\n", signer.name()))
    {
        return Ok(Issued {
            origin: signer.name().to_owned(),
            tree_size: size,
            root_hash: root_hash.to_hex(),
            note: latest.note,
        });
    }
    let note =
        chipwarden_ledger::Checkpoint { origin: signer.name().to_owned(), size, root: root_hash, extensions: vec![] }
            .sign(signer)
            .map_err(ServiceError::internal)?;
    store.ledger_record_checkpoint(size, &root_hash, &note, at)?;
    Ok(Issued { origin: signer.name().to_owned(), tree_size: size, root_hash: root_hash.to_hex(), note })
}
