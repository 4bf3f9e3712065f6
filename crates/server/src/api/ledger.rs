//! Custody ledger endpoints: append signed entries (checked against the custody histories of
//! their chips, all or nothing, as `ledger append` does with signed lines), sign a checkpoint,
//! and serve inclusion and consistency proofs with the fields of `ledger prove --json` and
//! `ledger consistency --json`.
//!
//! The server never signs events: it holds no party's key. It signs checkpoints with the log's
//! key in the data directory (`ledger.key`), the one the CLI makes and uses.

use std::path::Path;

use axum::Json;
use axum::extract::State;
use chipwarden_ledger::{
    Hash, LeafHashes, LedgerError, NoteSigner, SignedEvent, consistency_proof, inclusion_proof, root,
};
use chipwarden_service::ServiceError;
use chipwarden_service::ledger::{Appended, EntryError, Issued, check_and_append, signed_entry};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{Params, body_bytes, records_text};
use crate::state::{AppState, now};

/// The log's signing key, made on first use (mode 0600, never overwritten).
fn log_key(dir: &Path) -> ApiResult<NoteSigner> {
    Ok(chipwarden_service::ledger::log_key(dir, None)?)
}

/// A signed entry `{"event":{...},"signature":"<128 hex digits>"}`, its signature checked.
fn signed_line(line: &str) -> Result<SignedEvent, String> {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line) else {
        return Err("not a JSON object".to_owned());
    };
    let signed = signed_entry(&object).map_err(|e| match e {
        EntryError::MissingEvent | EntryError::BadSignature => {
            format!("{e} (the server appends signed entries only)")
        }
        other => other.to_string(),
    })?;
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
            if parsed.is_empty() {
                return Err(ApiError::input("the body holds no signed entry"));
            }
            // Other servers on the same database may append in between: the batch is checked
            // again against the grown log and appended after their entries.
            let appended = match check_and_append(store, parsed, &now()) {
                Err(ServiceError::Refused(refused)) => {
                    let refused: Vec<String> =
                        refused.iter().map(|r| format!("line {}: {}", r.line, r.reason)).collect();
                    return Err(ApiError::input(format!(
                        "{} event(s) refused, nothing was appended: {}",
                        refused.len(),
                        if refused.len() == 1 { refused[0].clone() } else { refused.join("; ") }
                    )));
                }
                Err(ServiceError::Store(e @ chipwarden_store::StoreError::LogGrew { .. })) => {
                    return Err(ApiError::new(Code::Conflict, e));
                }
                other => other?,
            };
            Ok(Json(appended))
        })
        .await
}

/// A checkpoint of the log as it is now, signed with the log's key and recorded
/// (`ledger checkpoint --json`: `origin`, `tree_size`, `root_hash`, `note`).
pub async fn checkpoint(State(state): State<AppState>) -> ApiResult<Json<Issued>> {
    state
        .with_store(|store, inner| {
            let signer = log_key(&inner.config.data_dir)?;
            Ok(Json(chipwarden_service::ledger::checkpoint(store, &signer, &now())?))
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
