//! Custody ledger endpoints: append signed entries (checked against the custody histories of
//! their chips, all or nothing, as `ledger append` does with signed lines), sign a checkpoint,
//! and serve inclusion and consistency proofs with the fields of `ledger prove --json` and
//! `ledger consistency --json`.
//!
//! The server never signs events: it holds no party's key. It signs checkpoints with the log's
//! key in the data directory (`ledger.key`), the one the CLI makes and uses.

use std::collections::HashMap;
use std::path::Path;

use axum::Json;
use axum::extract::State;
use chipwarden_ledger::{
    Checkpoint, Custody, CustodyEvent, Hash, LeafHashes, LedgerError, NoteSigner, SignedEvent, consistency_proof,
    inclusion_proof, leaf_hash, root,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{Params, body_bytes, records_text};
use crate::state::{AppState, now};

/// The log's signing key in the data directory, as the CLI names it.
const LOG_KEY_FILE: &str = "ledger.key";
/// The log's origin when its key is made here.
const DEFAULT_ORIGIN: &str = "chipwarden.local/ledger";

/// The log's signing key, made on first use (mode 0600, never overwritten).
fn log_key(dir: &Path) -> ApiResult<NoteSigner> {
    let path = dir.join(LOG_KEY_FILE);
    let read = |path: &Path| -> ApiResult<NoteSigner> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ApiError::internal(format!("cannot read the log's key: {e}")))?;
        NoteSigner::from_skey(text.trim()).map_err(|e| ApiError::internal(format!("the log's key: {e}")))
    };
    if path.exists() {
        return read(&path);
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| ApiError::internal(format!("cannot draw the log's key: {e}")))?;
    let signer = NoteSigner::from_seed(DEFAULT_ORIGIN, &seed).map_err(ApiError::internal)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let written = options.open(&path).and_then(|mut file| {
        use std::io::Write as _;
        file.write_all(format!("{}\n", signer.skey()).as_bytes())?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(signer),
        // Another process made it first: use that one.
        Err(_) if path.exists() => read(&path),
        Err(e) => Err(ApiError::internal(format!("cannot write the log's key: {e}"))),
    }
}

/// One appended entry: the fields of a `ledger append --json` line.
#[derive(Debug, Serialize)]
pub struct Appended {
    line: usize,
    leaf_index: u64,
    serial: String,
    #[serde(rename = "type")]
    kind: &'static str,
    leaf_hash: String,
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// A signed entry `{"event":{...},"signature":"<128 hex digits>"}`, its signature checked.
fn signed_line(line: &str) -> Result<SignedEvent, String> {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line) else {
        return Err("not a JSON object".to_owned());
    };
    if let Some(key) = object.keys().find(|key| !matches!(key.as_str(), "event" | "signature")) {
        return Err(format!("field `{key}`: unknown field for a signed entry"));
    }
    let event = object.get("event").ok_or("field `event`: missing (the server appends signed entries only)")?;
    let event = CustodyEvent::from_json(&event.to_string()).map_err(|e| e.to_string())?;
    let signature = object
        .get("signature")
        .and_then(Value::as_str)
        .and_then(decode_hex)
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .ok_or("field `signature`: expected 128 hex digits (the server appends signed entries only)")?;
    let signed = SignedEvent { event, signature };
    signed.verify().map_err(|e| e.to_string())?;
    Ok(signed)
}

/// Signed entries as JSON Lines or an array: all appended in one transaction, or none.
pub async fn append(State(state): State<AppState>, request: axum::extract::Request) -> ApiResult<Json<Vec<Appended>>> {
    let bytes = body_bytes(request, &()).await?;
    let text = records_text(&bytes)?;
    state
        .with_store(move |store, _| {
            let mut parsed: Vec<(usize, Result<SignedEvent, String>)> = Vec::new();
            for (number, line) in text.lines().enumerate().map(|(i, line)| (i + 1, line)) {
                if !line.trim().is_empty() {
                    parsed.push((number, signed_line(line)));
                }
            }
            // The batch is checked against the stored histories of its own chips only (custody
            // rules are per chip); `ledger audit` replays everything.
            let size = store.ledger_size().map_err(ApiError::store)?;
            let mut serials: Vec<&str> =
                parsed.iter().filter_map(|(_, s)| s.as_ref().ok()).map(|s| s.event.serial.as_str()).collect();
            serials.sort_unstable();
            serials.dedup();
            let mut custody = Custody::new();
            for (index, bytes) in store.ledger_entries_for_serials(&serials).map_err(ApiError::store)? {
                if index >= size {
                    continue;
                }
                let broken = |e: LedgerError| {
                    ApiError::internal(format!("the stored ledger does not replay at entry {index}: {e}"))
                };
                let stored = SignedEvent::from_entry(&bytes).map_err(broken)?;
                custody.apply(&stored.event).map_err(broken)?;
            }
            let mut accepted: Vec<(usize, SignedEvent, Vec<u8>, Hash)> = Vec::new();
            let mut seen: HashMap<Hash, usize> = HashMap::new();
            let mut refused: Vec<String> = Vec::new();
            for (number, signed) in parsed {
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
                        seen.insert(leaf, number);
                        accepted.push((number, signed, entry, leaf));
                    }
                    Err(reason) => refused.push(format!("line {number}: {reason}")),
                }
            }
            if let Some(first) = refused.first() {
                return Err(ApiError::input(format!(
                    "{} event(s) refused, nothing was appended: {}",
                    refused.len(),
                    if refused.len() == 1 { first.clone() } else { refused.join("; ") }
                )));
            }
            if accepted.is_empty() {
                return Err(ApiError::input("the body holds no signed entry"));
            }
            let entries: Vec<&[u8]> = accepted.iter().map(|(_, _, entry, _)| entry.as_slice()).collect();
            let first = store.ledger_append_after(size, &entries, &now()).map_err(|e| match e {
                chipwarden_store::StoreError::Invalid(message) => ApiError::new(Code::Conflict, message),
                other => ApiError::store(other),
            })?;
            Ok(Json(
                accepted
                    .iter()
                    .enumerate()
                    .map(|(position, (line, signed, _, leaf))| Appended {
                        line: *line,
                        leaf_index: first + position as u64,
                        serial: signed.event.serial.clone(),
                        kind: signed.event.kind.name(),
                        leaf_hash: leaf.to_hex(),
                    })
                    .collect(),
            ))
        })
        .await
}

/// A checkpoint of the log as it is now, signed with the log's key and recorded
/// (`ledger checkpoint --json`: `origin`, `tree_size`, `root_hash`, `note`).
pub async fn checkpoint(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state
        .with_store(|store, inner| {
            let signer = log_key(&inner.config.data_dir)?;
            let (size, root_hash) = {
                let leaves = store.ledger_leaves().map_err(ApiError::store)?;
                let size = leaves.size();
                (size, root(&leaves, size).map_err(ApiError::internal)?)
            };
            let note = Checkpoint { origin: signer.name().to_owned(), size, root: root_hash, extensions: vec![] }
                .sign(&signer)
                .map_err(ApiError::internal)?;
            store.ledger_record_checkpoint(size, &root_hash, &note, &now()).map_err(ApiError::store)?;
            Ok(Json(
                json!({ "origin": signer.name(), "tree_size": size, "root_hash": root_hash.to_hex(), "note": note }),
            ))
        })
        .await
}

/// A proof asked beyond the log, or between sizes that allow none, is the caller's mistake.
fn proof_error(field: &str) -> impl Fn(LedgerError) -> ApiError + '_ {
    move |e| match e {
        LedgerError::Source(_) => ApiError::internal(e),
        _ => ApiError::field(field, e),
    }
}

fn hexes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(Hash::to_hex).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofParams {
    pub index: u64,
    /// Default: the log's size now.
    pub size: Option<u64>,
}

/// The inclusion proof of an entry (`ledger prove --json`), the input of `ledger verify-proof`.
pub async fn proof(State(state): State<AppState>, Params(params): Params<ProofParams>) -> ApiResult<Json<Value>> {
    state
        .with_store(move |store, _| {
            let leaves = store.ledger_leaves().map_err(ApiError::store)?;
            let size = params.size.unwrap_or(leaves.size());
            let index = params.index;
            let path = inclusion_proof(&leaves, index, size).map_err(proof_error("index"))?;
            let root_hash = root(&leaves, size).map_err(proof_error("size"))?;
            let leaf = leaves.leaf_hash(index).map_err(proof_error("index"))?;
            let entry = store
                .ledger_entry(index)
                .map_err(ApiError::store)?
                .ok_or_else(|| ApiError::internal(format!("entry {index} is missing")))?;
            let entry =
                String::from_utf8(entry).map_err(|_| ApiError::internal(format!("entry {index} is not UTF-8")))?;
            Ok(Json(json!({
                "leaf_index": index,
                "tree_size": size,
                "leaf_hash": leaf.to_hex(),
                "root_hash": root_hash.to_hex(),
                "audit_path": hexes(&path),
                "entry": entry,
            })))
        })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyParams {
    pub from: u64,
    /// Default: the log's size now.
    pub to: Option<u64>,
}

/// The proof that the tree of size `to` extends the tree of size `from` (`ledger consistency --json`).
pub async fn consistency(
    State(state): State<AppState>,
    Params(params): Params<ConsistencyParams>,
) -> ApiResult<Json<Value>> {
    state
        .with_store(move |store, _| {
            let leaves = store.ledger_leaves().map_err(ApiError::store)?;
            let (from, to) = (params.from, params.to.unwrap_or(leaves.size()));
            let proof = consistency_proof(&leaves, from, to).map_err(proof_error("from"))?;
            let old_root = root(&leaves, from).map_err(proof_error("from"))?;
            let new_root = root(&leaves, to).map_err(proof_error("to"))?;
            Ok(Json(json!({
                "from": from,
                "to": to,
                "old_root": old_root.to_hex(),
                "new_root": new_root.to_hex(),
                "proof": hexes(&proof),
            })))
        })
        .await
}
