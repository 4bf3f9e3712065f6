//! `chipwarden keys` and `chipwarden ledger`: party keys, signed custody events through the
//! ledger engine into the store, checkpoints signed with the log's key, proofs served from the
//! store, the offline verifier, the audit, and where the chips are.
//!
//! The log's own signing key lives in the data directory (`ledger.key`, made on first use); its
//! name is the log's origin. Party keys live wherever `keys generate --out` put them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chipwarden_ledger::{
    Custody, CustodyEvent, EventDraft, Hash, LeafHashes, LedgerError, LogEntry, NoteSigner, NoteVerifier, PartyKey,
    SignedEvent, consistency_proof, inclusion_proof, leaf_hash, node_hash, open_checkpoint, root,
    verify_checkpoint_consistency, verify_entry_inclusion,
};
use chipwarden_store::Store;
use serde_json::{Value, json};

use chipwarden_service::ServiceError;
use chipwarden_service::ledger::{
    LOG_KEY_FILE, check_and_append, existing_log_key, random_seed, signed_entry, write_new,
};

use chipwarden_service::ledger::Replayed;

use crate::Failure;
use crate::args::{Cli, KeysCommand, LedgerCommand};
use crate::commands::read;
use crate::exit;
use crate::screening::{now, open_store};

pub fn keys(cli: &Cli, command: &KeysCommand) -> Result<u8, Failure> {
    match command {
        KeysCommand::Generate { out, party } => generate(cli, out, party.as_deref()).map(|()| exit::OK),
    }
}

pub fn ledger(cli: &Cli, command: &LedgerCommand) -> Result<u8, Failure> {
    match command {
        LedgerCommand::Append { file, key } => append(cli, file, key.as_deref()),
        LedgerCommand::Checkpoint { origin } => checkpoint(cli, origin.as_deref()),
        LedgerCommand::Prove { index, size } => prove(cli, *index, *size),
        LedgerCommand::Consistency { from, to } => consistency(cli, *from, *to),
        LedgerCommand::VerifyProof { checkpoint, vkey, proof, old_checkpoint, entry } => {
            verify_proof(cli, checkpoint, vkey, proof, old_checkpoint.as_deref(), entry.as_deref())
        }
        LedgerCommand::Audit => audit(cli),
        LedgerCommand::History { serial } => history(cli, serial),
        LedgerCommand::Chips { holder, country } => chips(cli, holder.as_deref(), country.as_deref()),
        LedgerCommand::Gaps => gaps(cli),
        LedgerCommand::Vkey { origin } => {
            let signer = log_key(cli, origin.as_deref())?;
            crate::outln!("{}", signer.verifier().vkey());
            Ok(exit::OK)
        }
    }
}

// --- keys ---

fn pub_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn generate(cli: &Cli, out: &Path, party: Option<&str>) -> Result<(), Failure> {
    let party = match party {
        Some(party) => party.to_owned(),
        None => out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
    };
    let seed = random_seed()?;
    let signer = NoteSigner::from_seed(&party, &seed)
        .map_err(|e| Failure::input(format!("--party: {e} (the party name is the key's name)")))?;
    let party_key = PartyKey::from_seed(&party, &seed).map_err(|e| Failure::input(format!("--party: {e}")))?;
    let pub_file = pub_path(out);
    if pub_file.exists() {
        return Err(Failure::io(format!("`{}` exists already; not overwriting it", pub_file.display())));
    }
    write_new(out, &format!("{}\n", signer.skey()), true)?;
    let vkey = signer.verifier().vkey();
    write_new(&pub_file, &format!("{vkey}\n"), false)?;
    if cli.json {
        let v = json!({
            "party": party,
            "key": out.display().to_string(),
            "vkey_file": pub_file.display().to_string(),
            "vkey": vkey,
            "public_key": party_key.public_key().to_hex(),
        });
        crate::outln!("{v}");
    } else {
        crate::outln!("party `{party}`: private key in `{}` (keep it secret)", out.display());
        crate::outln!("verifier key in `{}`: {vkey}", pub_file.display());
        crate::outln!("public key (in the party's events): {}", party_key.public_key());
    }
    Ok(())
}

/// A party's key from a file written by `keys generate`.
pub(crate) fn party_key(path: &Path) -> Result<PartyKey, Failure> {
    let text = read(path)?;
    let signer =
        NoteSigner::from_skey(text.trim()).map_err(|e| Failure::input(format!("`{}`: {e}", path.display())))?;
    PartyKey::from_seed(signer.name(), &signer.seed()).map_err(|e| Failure::input(format!("`{}`: {e}", path.display())))
}

/// The log's signing key, made on first use with `origin` (or the default) as its name.
fn log_key(cli: &Cli, origin: Option<&str>) -> Result<NoteSigner, Failure> {
    Ok(chipwarden_service::ledger::log_key(&cli.data_dir, origin)?)
}

// --- the log as the custody state machine sees it ---

/// The stored log replayed through the custody state machine (audit entries skipped), with the
/// leaf indices of each chip's events.
fn replay(store: &Store) -> Result<Replayed, Failure> {
    Ok(chipwarden_service::ledger::replay(store)?)
}

// --- append ---

fn append(cli: &Cli, path: &Path, key: Option<&Path>) -> Result<u8, Failure> {
    let name = path.display().to_string();
    let text = read(path)?;
    let key = key.map(party_key).transpose()?;
    let mut store = open_store(cli)?;
    // Parse and sign every line first: the serials they name decide which histories to load.
    let mut parsed: Vec<(usize, Result<SignedEvent, String>)> = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, line)| (i + 1, line)) {
        if line.trim().is_empty() {
            continue;
        }
        let signed = (|| -> Result<SignedEvent, String> {
            let signed = match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(object)) if object.contains_key("signature") => {
                    signed_entry(&object).map_err(|e| e.to_string())?
                }
                _ => {
                    let draft = EventDraft::from_json(line).map_err(|e| e.to_string())?;
                    let key =
                        key.as_ref().ok_or("an unsigned event needs the submitting party's key: give --key KEY")?;
                    key.sign_draft(draft)
                }
            };
            signed.verify().map_err(|e| e.to_string())?;
            Ok(signed)
        })();
        parsed.push((number, signed));
    }
    let lines = parsed.len();
    if lines == 0 {
        return Err(Failure::input(format!("`{name}` holds no events")));
    }
    let appended = match check_and_append(&mut store, parsed, &now()) {
        Err(ServiceError::Refused(refused)) => {
            let refused: Vec<String> = refused.iter().map(|r| format!("{name}:{}: {}", r.line, r.reason)).collect();
            for line in &refused {
                eprintln!("refused: {line}");
            }
            return Err(Failure::input(format!(
                "`{name}`: {} of {lines} events refused (first: {}); nothing was appended",
                refused.len(),
                refused[0]
            )));
        }
        other => other?,
    };
    for row in appended {
        if cli.json {
            crate::outln!("{}", serde_json::to_string(&row).map_err(Failure::internal)?);
        } else {
            crate::outln!("line {}: leaf {} ({} `{}`)", row.line, row.leaf_index, row.kind, row.serial);
        }
    }
    Ok(exit::OK)
}

// --- checkpoints and proofs ---

fn checkpoint(cli: &Cli, origin: Option<&str>) -> Result<u8, Failure> {
    let signer = log_key(cli, origin)?;
    let mut store = open_store(cli)?;
    let issued = chipwarden_service::ledger::checkpoint(&mut store, &signer, &now())?;
    if cli.json {
        crate::outln!("{}", serde_json::to_string(&issued).map_err(Failure::internal)?);
    } else {
        // The note ends with its newline; printed as is, `> file` saves it byte for byte.
        crate::outln!("{}", issued.note.strip_suffix('\n').unwrap_or(&issued.note));
    }
    Ok(exit::OK)
}

fn hexes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(Hash::to_hex).collect()
}

fn prove(cli: &Cli, index: u64, size: Option<u64>) -> Result<u8, Failure> {
    let store = open_store(cli)?;
    let leaves = store.ledger_leaves()?;
    let size = size.unwrap_or(leaves.size());
    let path = inclusion_proof(&leaves, index, size).map_err(proof_failure)?;
    let root_hash = root(&leaves, size).map_err(proof_failure)?;
    let leaf = leaves.leaf_hash(index).map_err(proof_failure)?;
    let entry = store.ledger_entry(index)?.ok_or_else(|| Failure::internal(format!("entry {index} is missing")))?;
    let entry = String::from_utf8(entry).map_err(|_| Failure::internal(format!("entry {index} is not UTF-8")))?;
    if cli.json {
        let v = json!({
            "leaf_index": index,
            "tree_size": size,
            "leaf_hash": leaf.to_hex(),
            "root_hash": root_hash.to_hex(),
            "audit_path": hexes(&path),
            "entry": entry,
        });
        crate::outln!("{v}");
    } else {
        crate::outln!("leaf {index} of the tree of size {size}");
        crate::outln!("leaf hash  {leaf}");
        crate::outln!("root hash  {root_hash}");
        crate::outln!("audit path ({} hashes, from the leaf up):", path.len());
        for hash in &path {
            crate::outln!("  {hash}");
        }
        crate::outln!("entry      {entry}");
    }
    Ok(exit::OK)
}

/// A proof asked beyond the log, or between sizes that allow none, is the caller's mistake.
fn proof_failure(e: LedgerError) -> Failure {
    match e {
        LedgerError::Source(_) => Failure::io(e),
        _ => Failure::input(e),
    }
}

fn consistency(cli: &Cli, from: u64, to: Option<u64>) -> Result<u8, Failure> {
    let store = open_store(cli)?;
    let leaves = store.ledger_leaves()?;
    let to = to.unwrap_or(leaves.size());
    let proof = consistency_proof(&leaves, from, to).map_err(proof_failure)?;
    let old_root = root(&leaves, from).map_err(proof_failure)?;
    let new_root = root(&leaves, to).map_err(proof_failure)?;
    if cli.json {
        let v = json!({
            "from": from,
            "to": to,
            "old_root": old_root.to_hex(),
            "new_root": new_root.to_hex(),
            "proof": hexes(&proof),
        });
        crate::outln!("{v}");
    } else {
        crate::outln!("tree of size {to} (root {new_root}) extends size {from} (root {old_root})");
        crate::outln!("proof ({} hashes):", proof.len());
        for hash in &proof {
            crate::outln!("  {hash}");
        }
    }
    Ok(exit::OK)
}

// --- the offline verifier ---

/// `--vkey` is the key itself or a file holding it.
fn verifier(arg: &str) -> Result<NoteVerifier, Failure> {
    match NoteVerifier::from_vkey(arg.trim()) {
        Ok(verifier) => Ok(verifier),
        Err(direct) => {
            let path = Path::new(arg);
            if !path.exists() {
                return Err(Failure::input(format!("--vkey: {direct} (and there is no file `{arg}`)")));
            }
            let text = read(path)?;
            NoteVerifier::from_vkey(text.trim()).map_err(|e| Failure::input(format!("--vkey `{arg}`: {e}")))
        }
    }
}

fn field<'a>(proof: &'a Value, file: &str, name: &str) -> Result<&'a Value, Failure> {
    proof.get(name).ok_or_else(|| Failure::input(format!("`{file}`: field `{name}` is missing")))
}

fn number(proof: &Value, file: &str, name: &str) -> Result<u64, Failure> {
    field(proof, file, name)?
        .as_u64()
        .ok_or_else(|| Failure::input(format!("`{file}`: field `{name}` is not a whole number")))
}

fn hash_list(proof: &Value, file: &str, name: &str) -> Result<Vec<Hash>, Failure> {
    let items = field(proof, file, name)?
        .as_array()
        .ok_or_else(|| Failure::input(format!("`{file}`: field `{name}` is not a list of hashes")))?;
    items
        .iter()
        .map(|item| {
            let text = item.as_str().unwrap_or_default();
            Hash::from_hex(text).map_err(|e| Failure::input(format!("`{file}`: field `{name}`: {e}")))
        })
        .collect()
}

fn verify_proof(
    cli: &Cli,
    checkpoint: &Path,
    vkey: &str,
    proof_path: &Path,
    old_checkpoint: Option<&Path>,
    entry_path: Option<&Path>,
) -> Result<u8, Failure> {
    let verifier = verifier(vkey)?;
    let note = read(checkpoint)?;
    let file = proof_path.display().to_string();
    let proof: Value = serde_json::from_str(&read(proof_path)?)
        .map_err(|e| Failure::input(format!("`{file}` is not a JSON proof: {e}")))?;
    let failed = |e: LedgerError| Failure::input(format!("not verified: {e}"));
    if let Some(old_path) = old_checkpoint {
        let old_note = read(old_path)?;
        let hashes = hash_list(&proof, &file, "proof")?;
        let old = open_checkpoint(&old_note, &verifier).map_err(failed)?;
        let new = open_checkpoint(&note, &verifier).map_err(failed)?;
        for (name, want, cp) in [("from", old.size, old_path), ("to", new.size, checkpoint)] {
            let got = number(&proof, &file, name)?;
            if got != want {
                return Err(Failure::input(format!(
                    "not verified: the proof's `{name}` is {got}, but `{}` signs tree size {want}",
                    cp.display()
                )));
            }
        }
        let (old, new) = verify_checkpoint_consistency(&old_note, &note, &verifier, &hashes).map_err(failed)?;
        if cli.json {
            let v = json!({
                "verified": true,
                "origin": new.origin,
                "from": old.size,
                "to": new.size,
                "old_root": old.root.to_hex(),
                "new_root": new.root.to_hex(),
            });
            crate::outln!("{v}");
        } else {
            crate::outln!(
                "verified: the log `{}` of size {} (root {}) extends its tree of size {} (root {})",
                new.origin,
                new.size,
                new.root,
                old.size,
                old.root
            );
        }
        return Ok(exit::OK);
    }
    let index = number(&proof, &file, "leaf_index")?;
    let path = hash_list(&proof, &file, "audit_path")?;
    let entry: Vec<u8> = match entry_path {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", p.display())))?;
            // A file written by an editor or `echo` ends with a newline that is not the entry's.
            bytes.strip_suffix(b"\n").map(<[u8]>::to_vec).unwrap_or(bytes)
        }
        None => field(&proof, &file, "entry")?
            .as_str()
            .ok_or_else(|| Failure::input(format!("`{file}`: field `entry` is not the entry's text")))?
            .as_bytes()
            .to_vec(),
    };
    let cp = open_checkpoint(&note, &verifier).map_err(failed)?;
    if let Some(size) = proof.get("tree_size").and_then(Value::as_u64).filter(|size| *size != cp.size) {
        return Err(Failure::input(format!(
            "not verified: the proof is for tree size {size}, but the checkpoint signs tree size {} (ask for `ledger prove --index {index} --size {}`)",
            cp.size, cp.size
        )));
    }
    if let Some(stated) = proof.get("leaf_hash").and_then(Value::as_str) {
        let actual = leaf_hash(&entry);
        if Hash::from_hex(stated).ok() != Some(actual) {
            return Err(Failure::input(format!(
                "not verified: the entry hashes to {actual}, not to the proof's leaf hash {stated}"
            )));
        }
    }
    let verified = verify_entry_inclusion(&note, &verifier, &entry, index, &path).map_err(failed)?;
    // The entry is in the log; its own signature is the submitter's claim, checked too.
    let read = LogEntry::from_entry(&entry)
        .map_err(|e| Failure::input(format!("the entry is in the log, but it is not a valid signed entry: {e}")))?;
    // What the entry is, as JSON fields and in words; the rest of the answer is the same for both.
    let (fields, what) = match read {
        LogEntry::Custody(signed) => {
            let e = &signed.event;
            (
                json!({ "serial": e.serial, "type": e.kind.name(), "submitter": e.submitter.party }),
                format!("`{}` event for chip `{}`, signed by `{}`", e.kind.name(), e.serial, e.submitter.party),
            )
        }
        LogEntry::Audit(audit) => {
            let a = &audit.event;
            (
                json!({ "type": "audit", "actor": a.actor, "action": a.action, "subject": a.subject }),
                format!("audit entry `{}` on `{}` by `{}`", a.action, a.subject, a.actor),
            )
        }
    };
    if cli.json {
        let mut v = json!({
            "verified": true,
            "origin": verified.checkpoint.origin,
            "leaf_index": verified.index,
            "tree_size": verified.checkpoint.size,
            "root_hash": verified.checkpoint.root.to_hex(),
            "leaf_hash": verified.leaf_hash.to_hex(),
        });
        if let (Some(v), serde_json::Value::Object(extra)) = (v.as_object_mut(), fields) {
            v.extend(extra);
        }
        crate::outln!("{v}");
    } else {
        crate::outln!(
            "verified: entry {} ({what}) is in the log `{}` of size {} (root {})",
            verified.index,
            verified.checkpoint.origin,
            verified.checkpoint.size,
            verified.checkpoint.root
        );
    }
    Ok(exit::OK)
}

// --- the audit ---

/// Every complete subtree hash of a list of leaves, level by level (level 0: the leaves), so
/// that tree heads of any size cost O(log n) here.
struct Levels(Vec<Vec<Hash>>);

impl Levels {
    fn new(leaves: Vec<Hash>) -> Levels {
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|level| level.len() >= 2) {
            let above = below.chunks_exact(2).map(|pair| node_hash(&pair[0], &pair[1])).collect();
            levels.push(above);
        }
        Levels(levels)
    }

    fn get(&self, level: u32, start: u64) -> Option<Hash> {
        let row = self.0.get(level as usize)?;
        row.get(usize::try_from(start >> level).ok()?).copied()
    }
}

impl LeafHashes for Levels {
    fn size(&self) -> u64 {
        self.0.first().map_or(0, |leaves| leaves.len() as u64)
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, LedgerError> {
        self.get(0, index).ok_or(LedgerError::IndexBeyondSize { index, size: self.size() })
    }

    fn subtree_hash(&self, start: u64, end: u64) -> Result<Option<Hash>, LedgerError> {
        let width = end - start;
        if !width.is_power_of_two() || !start.is_multiple_of(width) {
            return Ok(None);
        }
        Ok(self.get(width.trailing_zeros(), start))
    }
}

fn audit(cli: &Cli) -> Result<u8, Failure> {
    let store = open_store(cli)?;
    let signer = existing_log_key(&cli.data_dir)?;
    let mut problems: Vec<String> = Vec::new();
    let mut leaves: Vec<Hash> = Vec::new();
    let mut custody = Custody::new();
    let log_public_key = signer.as_ref().map(|s| s.verifier().public_key());
    let mut audits = 0u64;
    store.for_each_ledger_entry(|index, bytes, stored| {
        if index != leaves.len() as u64 {
            problems.push(format!("entries {} to {} are missing", leaves.len(), index.saturating_sub(1)));
        }
        let leaf = leaf_hash(bytes);
        if stored != leaf.0.as_slice() {
            problems.push(format!(
                "entry {index}: its bytes hash to {leaf}, but its stored leaf hash is {}: the entry or its hash was altered",
                hex(stored)
            ));
        }
        match LogEntry::from_entry(bytes) {
            Ok(LogEntry::Custody(signed)) => {
                if let Err(e) = custody.apply(&signed.event) {
                    problems.push(format!("entry {index}: the custody history does not replay: {e}"));
                }
            }
            // An audit entry is signed by the log's own key, and by no other.
            Ok(LogEntry::Audit(audit)) => match &log_public_key {
                Some(key) if *key == audit.event.signer => audits += 1,
                Some(_) => problems.push(format!(
                    "entry {index}: the audit entry is signed by `{}`, not by the log's key",
                    audit.event.signer
                )),
                None => problems.push(format!("entry {index}: the log's key `{LOG_KEY_FILE}` is missing")),
            },
            Err(e) => problems.push(format!("entry {index}: {e}")),
        }
        leaves.push(leaf);
        Ok::<_, Failure>(())
    })?;
    let size = leaves.len() as u64;
    let levels = Levels::new(leaves);
    let mut cached = 0u64;
    store.for_each_ledger_subtree(|level, start, stored| {
        cached += 1;
        let end = start.saturating_add(1u64.checked_shl(level).unwrap_or(u64::MAX));
        match levels.get(level, start).filter(|_| start.is_multiple_of(end - start)) {
            Some(hash) if hash.0.as_slice() == stored => {}
            Some(hash) => problems.push(format!(
                "the stored hash of entries {start} to {} is {}, the entries give {hash}: it was altered",
                end - 1,
                hex(stored)
            )),
            None => problems.push(format!("a stored hash of entries {start} to {} lies outside the log", end - 1)),
        }
        Ok::<_, Failure>(())
    })?;
    let expected_cached: u64 = (1..64).map(|level| size >> level).sum();
    if cached < expected_cached {
        problems.push(format!("{} stored subtree hashes are missing", expected_cached - cached));
    }
    let checkpoints = store.ledger_checkpoints()?;
    let verifier = signer.as_ref().map(NoteSigner::verifier);
    for cp in &checkpoints {
        let id = cp.id;
        if cp.tree_size > size {
            problems.push(format!(
                "checkpoint {id} signs tree size {}, but the log holds {size} entries: entries were removed",
                cp.tree_size
            ));
            continue;
        }
        let expected = root(&levels, cp.tree_size).map_err(Failure::internal)?;
        if cp.root != expected {
            problems.push(format!(
                "checkpoint {id} (tree size {}) was issued for root {}, the entries now give {expected}: one of its first {} entries was altered",
                cp.tree_size, cp.root, cp.tree_size
            ));
        }
        match &verifier {
            None => problems.push(format!("checkpoint {id}: the log's key `{LOG_KEY_FILE}` is missing")),
            Some(verifier) => match open_checkpoint(&cp.note, verifier) {
                Ok(signed) if signed.size == cp.tree_size && signed.root == expected => {}
                Ok(signed) => problems.push(format!(
                    "checkpoint {id}: its note signs tree size {} with root {}, the entries give {expected}",
                    signed.size, signed.root
                )),
                Err(e) => problems.push(format!("checkpoint {id}: {e}")),
            },
        }
    }
    let root_hash = root(&levels, size).map_err(Failure::internal)?;
    if cli.json {
        let v = json!({
            "ok": problems.is_empty(),
            "entries": size,
            "subtree_hashes": cached,
            "checkpoints": checkpoints.len(),
            "audit_entries": audits,
            "root_hash": root_hash.to_hex(),
            "problems": problems,
        });
        crate::outln!("{v}");
    }
    if let Some(first) = problems.first() {
        for problem in &problems {
            eprintln!("altered: {problem}");
        }
        return Err(Failure {
            code: exit::INTERNAL,
            message: format!("ledger audit failed: {} problems; first: {first}", problems.len()),
        });
    }
    if !cli.json {
        crate::outln!(
            "audit passed: {size} entries ({audits} of them audit entries; hashes, signatures, custody history), {cached} subtree hashes, {} checkpoints; root {root_hash}",
            checkpoints.len()
        );
    }
    Ok(exit::OK)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// --- where are the chips ---

fn event_json(index: u64, event: &CustodyEvent) -> Result<Value, Failure> {
    let body: Value = serde_json::from_slice(&event.canonical_bytes()).map_err(Failure::internal)?;
    Ok(json!({
        "leaf_index": index,
        "serial": event.serial,
        "type": event.kind.name(),
        "time": chipwarden_ledger::format_time(event.time),
        "submitter": event.submitter.party,
        "event": body,
    }))
}

fn history(cli: &Cli, serial: &str) -> Result<u8, Failure> {
    let store = open_store(cli)?;
    let replayed = replay(&store)?;
    let (Some(events), Some(indices)) = (replayed.custody.history(serial), replayed.indices.get(serial)) else {
        return Err(Failure::input(format!("chip `{serial}` is not in the ledger")));
    };
    for (event, index) in events.iter().zip(indices) {
        let v = event_json(*index, event)?;
        if cli.json {
            crate::outln!("{v}");
        } else {
            let mut details: BTreeMap<String, Value> = serde_json::from_value(v["event"].clone()).unwrap_or_default();
            for common in ["type", "serial", "time", "version", "submitter"] {
                details.remove(common);
            }
            let details: Vec<String> = details
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_owned)))
                .collect();
            crate::outln!(
                "leaf {index}  {}  {:<17} by `{}`  {}",
                chipwarden_ledger::format_time(event.time),
                event.kind.name(),
                event.submitter.party,
                details.join(" ")
            );
        }
    }
    if !cli.json
        && let Some(chip) = replayed.custody.chip(serial)
    {
        crate::outln!("now: held by `{}`, {}", chip.holder, chip.status);
    }
    Ok(exit::OK)
}

fn chips(cli: &Cli, holder: Option<&str>, country: Option<&str>) -> Result<u8, Failure> {
    let country = country
        .map(|c| chipwarden_core::CountryCode::parse(c).map_err(|e| Failure::input(format!("--country: {e}"))))
        .transpose()?;
    let store = open_store(cli)?;
    let replayed = replay(&store)?;
    let selected = replayed.custody.chips().filter(|chip| {
        holder
            .is_none_or(|h| chip.holder == h && !matches!(chip.status, chipwarden_ledger::ChipStatus::Destroyed { .. }))
            && country.is_none_or(|c| chip.current_country() == Some(c))
    });
    let mut count = 0;
    for chip in selected {
        count += 1;
        let country = chip.current_country().map(|c| c.to_string());
        if cli.json {
            let v = json!({
                "serial": chip.serial,
                "model": chip.model,
                "holder": chip.holder,
                "country": country,
                "status": chip.status.to_string(),
                "last_event": chipwarden_ledger::format_time(chip.last_time()),
            });
            crate::outln!("{v}");
        } else {
            crate::outln!(
                "{}  {}  held by `{}`  in {}  {}",
                chip.serial,
                chip.model,
                chip.holder,
                country.as_deref().unwrap_or("?"),
                chip.status
            );
        }
    }
    if !cli.json && count == 0 {
        crate::outln!("no chip matches");
    }
    Ok(exit::OK)
}

fn gaps(cli: &Cli) -> Result<u8, Failure> {
    let store = open_store(cli)?;
    let replayed = replay(&store)?;
    let gaps = replayed.custody.gaps();
    for gap in gaps.iter().map(chipwarden_service::registry::gap_view) {
        if cli.json {
            crate::outln!(
                "{}",
                json!({ "serial": gap.serial, "holder": gap.holder, "gap": gap.gap, "detail": gap.detail })
            );
        } else {
            crate::outln!("{}  held by `{}`: {}", gap.serial, gap.holder, gap.text);
        }
    }
    if !cli.json && gaps.is_empty() {
        crate::outln!("no gap in custody");
    }
    Ok(exit::OK)
}
