//! End-to-end tests of `keys` and `ledger`: the real binary on a real SQLite store, the offline
//! verifier fed from files only, a tamperer with the `sqlite3` tool, and appends killed with
//! SIGKILL.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

/// A scratch directory, removed when the test ends.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("chipwarden-ledger-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        Dir(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.0.join(name), text).expect("write");
        self.path(name)
    }

    fn run(&self, args: &[&str]) -> common::Run {
        let mut command = common::binary();
        command.arg("--data-dir").arg(self.0.join("data")).args(args);
        common::run(command)
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    }

    fn store(&self) -> PathBuf {
        self.0.join("data").join("chipwarden.sqlite")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
}

/// The issue's example events: NVIDIA registers and ships, Acme Cloud receives and installs.
const NVIDIA_EVENTS: &str = r#"{"type":"registered","serial":"SN1","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-05T00:00:00Z"}
{"type":"shipped","serial":"SN1","from":"NVIDIA","to":"Acme Cloud","destination":"MY","time":"2026-01-10T00:00:00Z"}
{"type":"registered","serial":"SN2","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-05T00:00:00Z"}
{"type":"shipped","serial":"SN2","from":"NVIDIA","to":"Acme Cloud","destination":"MY","time":"2026-01-10T00:00:00Z"}
"#;
const ACME_EVENTS: &str = r#"{"type":"received","serial":"SN1","holder":"Acme Cloud","time":"2026-01-20T00:00:00Z"}

{"type":"installed","serial":"SN1","site":"KUL-1","country":"MY","time":"2026-01-25T00:00:00Z"}
"#;

/// Two parties' keys and the issue's example events appended: six entries, a checkpoint at 4.
fn populated(name: &str) -> Dir {
    let dir = Dir::new(name);
    dir.ok(&["keys", "generate", "--out", &dir.path("nvidia.key"), "--party", "NVIDIA"]);
    dir.ok(&["keys", "generate", "--out", &dir.path("acme.key"), "--party", "acme-cloud"]);
    let first = dir.ok(&[
        "--json",
        "ledger",
        "append",
        "--file",
        &dir.write("nvidia.jsonl", NVIDIA_EVENTS),
        "--key",
        &dir.path("nvidia.key"),
    ]);
    let rows = json_lines(&first);
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["leaf_index"].as_u64(), Some(i as u64), "{row}");
        assert_eq!(row["line"].as_u64(), Some(i as u64 + 1), "{row}");
    }
    assert_eq!((rows[1]["serial"].as_str(), rows[1]["type"].as_str()), (Some("SN1"), Some("shipped")));
    let note = dir.ok(&["ledger", "checkpoint"]);
    dir.write("cp4.note", &note);
    let second = dir.ok(&[
        "--json",
        "ledger",
        "append",
        "--file",
        &dir.write("acme.jsonl", ACME_EVENTS),
        "--key",
        &dir.path("acme.key"),
    ]);
    let rows = json_lines(&second);
    // Blank lines are skipped, and the line numbers are the file's.
    let got: Vec<(u64, u64)> =
        rows.iter().map(|r| (r["line"].as_u64().unwrap_or(0), r["leaf_index"].as_u64().unwrap_or(0))).collect();
    assert_eq!(got, [(1, 4), (3, 5)]);
    dir
}

#[test]
fn append_checkpoint_prove_and_verify_offline() {
    let dir = populated("e2e");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.0.join("nvidia.key")).expect("key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(dir.0.join("data/ledger.key")).expect("log key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(std::fs::read_to_string(dir.0.join("nvidia.key")).expect("key").starts_with("PRIVATE+KEY+NVIDIA+"));
    assert!(std::fs::read_to_string(dir.0.join("nvidia.key.pub")).expect("pub").starts_with("NVIDIA+"));
    let again = dir.run(&["keys", "generate", "--out", &dir.path("nvidia.key")]);
    assert_eq!(again.code, 4, "a key is never overwritten: {}", again.stderr);
    let spaced = dir.run(&["keys", "generate", "--out", &dir.path("x.key"), "--party", "Acme Cloud"]);
    assert_eq!(spaced.code, 3, "{}", spaced.stderr);

    let note = dir.ok(&["ledger", "checkpoint"]);
    assert!(note.starts_with("chipwarden.local/ledger\n6\n"), "{note}");
    assert!(note.contains("\n\n\u{2014} chipwarden.local/ledger "), "{note}");
    dir.write("cp6.note", &note);
    dir.write("log.vkey", &dir.ok(&["ledger", "vkey"]));
    let proof = dir.ok(&["--json", "ledger", "prove", "--index", "4"]);
    let v: Value = serde_json::from_str(&proof).expect("json");
    for field in ["leaf_index", "tree_size", "leaf_hash", "root_hash", "audit_path", "entry"] {
        assert!(v.get(field).is_some(), "{field} missing from {v}");
    }
    assert_eq!((v["leaf_index"].as_u64(), v["tree_size"].as_u64()), (Some(4), Some(6)));
    let root_hash = v["root_hash"].as_str().unwrap_or_default();
    assert!(root_hash.len() == 64 && root_hash.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
    dir.write("proof4.json", &proof);
    let consistency = dir.ok(&["--json", "ledger", "consistency", "--from", "4", "--to", "6"]);
    let c: Value = serde_json::from_str(&consistency).expect("json");
    for field in ["proof", "old_root", "new_root"] {
        assert!(c.get(field).is_some(), "{field} missing from {c}");
    }
    dir.write("cons.json", &consistency);

    // The verifier needs only files: move them away from the store, then remove the store.
    let offline = Dir::new("e2e-offline");
    for file in ["cp4.note", "cp6.note", "log.vkey", "proof4.json", "cons.json"] {
        std::fs::copy(dir.0.join(file), offline.0.join(file)).expect("copy");
    }
    std::fs::remove_dir_all(dir.0.join("data")).expect("remove the store");
    let verified = offline.run(&[
        "ledger",
        "verify-proof",
        "--checkpoint",
        &offline.path("cp6.note"),
        "--vkey",
        &offline.path("log.vkey"),
        "--proof",
        &offline.path("proof4.json"),
    ]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert!(
        verified.stdout.starts_with("verified: entry 4 (`received` event for chip `SN1`, signed by `acme-cloud`)"),
        "{}",
        verified.stdout
    );
    let vkey = std::fs::read_to_string(offline.0.join("log.vkey")).expect("vkey");
    let consistent = offline.run(&[
        "--json",
        "ledger",
        "verify-proof",
        "--old-checkpoint",
        &offline.path("cp4.note"),
        "--checkpoint",
        &offline.path("cp6.note"),
        "--vkey",
        vkey.trim(),
        "--proof",
        &offline.path("cons.json"),
    ]);
    assert_eq!(consistent.code, 0, "{}", consistent.stderr);
    let cv: Value = serde_json::from_str(&consistent.stdout).expect("json");
    assert_eq!((cv["verified"].as_bool(), cv["from"].as_u64(), cv["to"].as_u64()), (Some(true), Some(4), Some(6)));

    // What must not verify: an altered path, an altered entry, another key, the wrong checkpoint.
    let verify = |checkpoint: &str, vkey: &str, proof: &str| {
        offline.run(&["ledger", "verify-proof", "--checkpoint", checkpoint, "--vkey", vkey, "--proof", proof])
    };
    let mut altered = v.clone();
    let first = altered["audit_path"][0].as_str().unwrap_or_default().to_owned();
    let flipped = format!("{}{}", if first.starts_with('0') { "1" } else { "0" }, &first[1..]);
    altered["audit_path"][0] = Value::String(flipped);
    let r = verify(
        &offline.path("cp6.note"),
        &offline.path("log.vkey"),
        &offline.write("bad-path.json", &altered.to_string()),
    );
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("not verified: proof leads to root"), "{}", r.stderr);
    let mut forged = v.clone();
    forged["entry"] = Value::String(v["entry"].as_str().unwrap_or_default().replace("Acme Cloud", "Acme Cloue"));
    forged.as_object_mut().map(|o| o.remove("leaf_hash"));
    let r = verify(
        &offline.path("cp6.note"),
        &offline.path("log.vkey"),
        &offline.write("forged.json", &forged.to_string()),
    );
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("not verified"), "{}", r.stderr);
    let party_vkey = std::fs::read_to_string(dir.0.join("nvidia.key.pub")).expect("pub");
    let r = verify(&offline.path("cp6.note"), party_vkey.trim(), &offline.path("proof4.json"));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("no signature by key `NVIDIA+"), "{}", r.stderr);
    let r = verify(&offline.path("cp4.note"), &offline.path("log.vkey"), &offline.path("proof4.json"));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("the proof is for tree size 6, but the checkpoint signs tree size 4"), "{}", r.stderr);
}

#[test]
fn proofs_beyond_the_log_are_refused_clearly() {
    let dir = populated("beyond");
    let r = dir.run(&["ledger", "prove", "--index", "6"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.stderr.trim(), "error: leaf index 6 is beyond the tree size 6");
    let r = dir.run(&["ledger", "prove", "--index", "1", "--size", "7"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.stderr.trim(), "error: tree size 7 is beyond the log size 6");
    let r = dir.run(&["ledger", "consistency", "--from", "3", "--to", "9"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("tree size 9 is beyond the log size 6"), "{}", r.stderr);
    let r = dir.run(&["ledger", "consistency", "--from", "0"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("no consistency proof from size 0"), "{}", r.stderr);
}

#[test]
fn bad_events_append_nothing_and_say_why() {
    let dir = populated("bad");
    let key = dir.path("acme.key");
    let check = |name: &str, text: &str, expected: &str| {
        let r = dir.run(&["ledger", "append", "--file", &dir.write(name, text), "--key", &key]);
        assert_eq!(r.code, 3, "{name}: {}", r.stdout);
        assert!(r.stderr.contains(expected), "{name}: expected `{expected}` in {}", r.stderr);
        assert!(r.stderr.contains("nothing was appended"), "{}", r.stderr);
        assert_eq!(r.stdout, "", "{name}");
    };
    let good = r#"{"type":"received","serial":"SN2","holder":"Acme Cloud","time":"2026-01-20T00:00:00Z"}"#;
    check(
        "unknown.jsonl",
        &format!(
            "{good}\n{}\n",
            r#"{"type":"received","serial":"SN9","holder":"Acme Cloud","time":"2026-01-20T00:00:00Z"}"#
        ),
        "unknown.jsonl:2: chip `SN9`: `received` event for a chip that is not registered",
    );
    check(
        "malformed.jsonl",
        &format!(
            "{}\n{good}\n",
            r#"{"type":"shipped","serial":"SN1","from":"Acme Cloud","to":"B","destination":"MYS","time":"2026-02-01T00:00:00Z"}"#
        ),
        "malformed.jsonl:1: field `destination`",
    );
    check(
        "impossible.jsonl",
        &format!(
            "{}\n{good}\n",
            r#"{"type":"installed","serial":"SN2","site":"KUL-1","country":"MY","time":"2026-01-15T00:00:00Z"}"#
        ),
        "impossible.jsonl:1: chip `SN2`: `installed` event while the chip is in transit",
    );
    check("duplicate-in-file.jsonl", &format!("{good}\n{good}\n"), "duplicate-in-file.jsonl:2: duplicate of line 1");
    check(
        "already.jsonl",
        &format!("{good}\n{}", ACME_EVENTS),
        "already.jsonl:2: duplicate: this event is already in the ledger as entry 4",
    );
    check("not-json.jsonl", &format!("{good}\n{{\"type\":\n"), "not-json.jsonl:2: malformed event");

    // A signed entry (as a party signs it offline) with one bit of its signature flipped.
    let proof: Value = serde_json::from_str(&dir.ok(&["--json", "ledger", "prove", "--index", "0"])).expect("json");
    let mut entry: Value = serde_json::from_str(proof["entry"].as_str().unwrap_or_default()).expect("entry");
    let signature = entry["signature"].as_str().unwrap_or_default().to_owned();
    let flipped = format!("{}{}", if signature.starts_with('0') { '1' } else { '0' }, &signature[1..]);
    entry["signature"] = Value::String(flipped);
    entry["event"]["serial"] = Value::String("SN3".to_owned());
    check(
        "bad-signature.jsonl",
        &format!("{good}\n{entry}\n"),
        "bad-signature.jsonl:2: signature of the `registered` event for chip `SN3` by `NVIDIA` does not verify",
    );
    let r = dir.run(&["ledger", "append", "--file", &dir.write("unsigned.jsonl", good)]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("needs the submitting party's key"), "{}", r.stderr);

    // Nothing was appended by any of them.
    let audit: Value = serde_json::from_str(&dir.ok(&["--json", "ledger", "audit"])).expect("json");
    assert_eq!(audit["entries"].as_u64(), Some(6));
    // And the good line alone goes in.
    let r = dir.ok(&["--json", "ledger", "append", "--file", &dir.write("good.jsonl", good), "--key", &key]);
    assert_eq!(json_lines(&r)[0]["leaf_index"].as_u64(), Some(6));
}

#[test]
fn queries_answer_where_the_chips_are() {
    let dir = populated("queries");
    let history = json_lines(&dir.ok(&["--json", "ledger", "history", "--serial", "SN1"]));
    let steps: Vec<(u64, &str)> =
        history.iter().map(|e| (e["leaf_index"].as_u64().unwrap_or(99), e["type"].as_str().unwrap_or(""))).collect();
    assert_eq!(steps, [(0, "registered"), (1, "shipped"), (4, "received"), (5, "installed")]);
    assert_eq!(history[2]["submitter"].as_str(), Some("acme-cloud"));
    let by_holder = json_lines(&dir.ok(&["--json", "ledger", "chips", "--holder", "Acme Cloud"]));
    assert_eq!(by_holder.len(), 1);
    assert_eq!((by_holder[0]["serial"].as_str(), by_holder[0]["country"].as_str()), (Some("SN1"), Some("MY")));
    let in_my = json_lines(&dir.ok(&["--json", "ledger", "chips", "--country", "MY"]));
    assert_eq!(in_my.len(), 1, "SN2 is in transit, not in MY yet");
    assert_eq!(json_lines(&dir.ok(&["--json", "ledger", "chips"])).len(), 2);
    let gaps = json_lines(&dir.ok(&["--json", "ledger", "gaps"]));
    assert_eq!(gaps.len(), 1);
    assert_eq!((gaps[0]["serial"].as_str(), gaps[0]["gap"].as_str()), (Some("SN2"), Some("in_transit")));
    let r = dir.run(&["ledger", "history", "--serial", "SN404"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("chip `SN404` is not in the ledger"), "{}", r.stderr);
}

fn sqlite3(store: &Path, sql: &str) {
    let out = Command::new("sqlite3").arg(store).arg(sql).output().expect("run the sqlite3 tool");
    assert!(out.status.success(), "sqlite3: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn audit_finds_one_altered_byte_and_names_the_entry() {
    let dir = populated("tamper");
    dir.ok(&["ledger", "checkpoint"]);
    assert!(dir.ok(&["ledger", "audit"]).starts_with("audit passed: 6 entries"));
    // The schema refuses the edit, so the insider drops the trigger first.
    let refused = Command::new("sqlite3")
        .arg(dir.store())
        .arg("UPDATE ledger_entries SET appended_at = 'x' WHERE leaf_index = 5")
        .output()
        .expect("sqlite3");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("never rewritten"));
    // One byte: KUL-1 becomes KUL-2 in entry 5.
    sqlite3(
        &dir.store(),
        "DROP TRIGGER ledger_entries_no_update;
         UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'KUL-1', 'KUL-2') AS BLOB) WHERE leaf_index = 5;",
    );
    let r = dir.run(&["ledger", "audit"]);
    assert_eq!(r.code, 5, "{}", r.stdout);
    assert!(r.stderr.contains("error: ledger audit failed"), "{}", r.stderr);
    assert!(r.stderr.contains("first: entry 5: its bytes hash to"), "{}", r.stderr);
    assert!(r.stderr.contains("altered: entry 5: signature of the `installed` event for chip `SN1`"), "{}", r.stderr);
    assert!(r.stderr.contains("altered: checkpoint 2 (tree size 6)"), "{}", r.stderr);

    // A more careful insider also rewrites the leaf hash: the signature still names the entry.
    let entry = {
        let conn = rusqlite::Connection::open(dir.store()).expect("open");
        conn.query_row("SELECT entry FROM ledger_entries WHERE leaf_index = 5", [], |row| row.get::<_, Vec<u8>>(0))
            .expect("entry")
    };
    let leaf = chipwarden_ledger::leaf_hash(&entry);
    sqlite3(&dir.store(), &format!("UPDATE ledger_entries SET leaf_hash = x'{}' WHERE leaf_index = 5", leaf.to_hex()));
    let r = dir.run(&["--json", "ledger", "audit"]);
    assert_eq!(r.code, 5);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["ok"].as_bool(), Some(false));
    let problems = v["problems"].as_array().expect("problems");
    assert!(problems[0].as_str().unwrap_or_default().starts_with("entry 5: signature"), "{v}");

    // Removing the last entries is caught by the checkpoints issued over them.
    let dir = populated("truncate");
    dir.ok(&["ledger", "checkpoint"]);
    sqlite3(&dir.store(), "DROP TRIGGER ledger_entries_no_delete; DELETE FROM ledger_entries WHERE leaf_index = 5;");
    let r = dir.run(&["ledger", "audit"]);
    assert_eq!(r.code, 5);
    assert!(r.stderr.contains("checkpoint 2 signs tree size 6, but the log holds 5 entries"), "{}", r.stderr);
}

/// A batch of `n` registrations with serials `C{batch}-{i}`.
fn batch(batch: usize, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"type\":\"registered\",\"serial\":\"C{batch}-{i}\",\"model\":\"H100 SXM\",\"holder\":\"NVIDIA\",\"time\":\"2026-01-05T00:00:00Z\"}}\n"
            )
        })
        .collect()
}

#[test]
fn appends_killed_with_sigkill_lose_no_acknowledged_entry() {
    let dir = Dir::new("crash");
    dir.ok(&["keys", "generate", "--out", &dir.path("k.key"), "--party", "NVIDIA"]);
    let key = dir.path("k.key");
    let per_batch = 100;
    let spawn = |file: &str| {
        common::binary()
            .arg("--data-dir")
            .arg(dir.0.join("data"))
            .args(["--json", "ledger", "append", "--file", file, "--key", &key])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn")
    };
    // How long one append takes here, so that the kills land before, during and after commits.
    let started = Instant::now();
    let first =
        dir.ok(&["--json", "ledger", "append", "--file", &dir.write("b0.jsonl", &batch(0, per_batch)), "--key", &key]);
    let took = started.elapsed();
    let mut acknowledged: Vec<(u64, String)> = json_lines(&first)
        .iter()
        .map(|r| (r["leaf_index"].as_u64().unwrap_or(0), r["serial"].as_str().unwrap_or("").to_owned()))
        .collect();
    let batches = 16;
    for b in 1..batches {
        let file = dir.write(&format!("b{b}.jsonl"), &batch(b, per_batch));
        let mut child = spawn(&file);
        // From a tenth of a run to two runs (later runs replay a longer log): some die early,
        // some mid-commit or mid-print, some finish.
        std::thread::sleep(took.mul_f64(0.1 + 1.9 * (b as f64) / (batches as f64)));
        let _ = child.kill(); // SIGKILL
        let out = child.wait_with_output().expect("wait");
        let stdout = String::from_utf8_lossy(&out.stdout);
        // Only complete lines were acknowledged.
        for line in stdout.split_inclusive('\n').filter(|line| line.ends_with('\n')) {
            let row: Value = serde_json::from_str(line).expect("an acknowledged row");
            acknowledged
                .push((row["leaf_index"].as_u64().unwrap_or(0), row["serial"].as_str().unwrap_or("").to_owned()));
        }
    }
    // After the crashes: the audit passes, and every acknowledged entry is where it was said to be.
    let audit: Value = serde_json::from_str(&dir.ok(&["--json", "ledger", "audit"])).expect("json");
    assert_eq!(audit["ok"].as_bool(), Some(true), "{audit}");
    let size = audit["entries"].as_u64().unwrap_or(0);
    assert_eq!(size % per_batch as u64, 0, "each batch is all or nothing");
    let conn = rusqlite::Connection::open(dir.store()).expect("open");
    for (index, serial) in &acknowledged {
        let entry: Vec<u8> = conn
            .query_row("SELECT entry FROM ledger_entries WHERE leaf_index = ?1", [*index as i64], |row| row.get(0))
            .expect("an acknowledged entry is stored");
        let v: Value = serde_json::from_slice(&entry).expect("entry");
        assert_eq!(v["event"]["serial"].as_str(), Some(serial.as_str()), "entry {index}");
    }
    drop(conn);
    // Re-running every batch: those that were committed are refused as duplicates, the rest go in.
    for b in 1..batches {
        let r = dir.run(&["--json", "ledger", "append", "--file", &dir.path(&format!("b{b}.jsonl")), "--key", &key]);
        assert!(
            r.code == 0 || r.stderr.contains(&format!("{per_batch} of {per_batch} events refused")),
            "batch {b}: {}",
            r.stderr
        );
    }
    let audit: Value = serde_json::from_str(&dir.ok(&["--json", "ledger", "audit"])).expect("json");
    assert_eq!(audit["entries"].as_u64(), Some((batches * per_batch) as u64), "{audit}");
    assert!(acknowledged.len() >= per_batch, "{}", acknowledged.len());
}

/// Audit entries (here: a token made and revoked) sit in the log between custody events: the
/// custody queries skip them, `ledger audit` checks them, and `verify-proof` proves them.
#[test]
fn audit_entries_share_the_log_with_custody_events() {
    let dir = populated("audit-entries");
    let before = json_lines(&dir.ok(&["--json", "ledger", "history", "--serial", "SN1"]));
    dir.ok(&["tokens", "create", "--name", "desk", "--role", "analyst"]);
    dir.ok(&["tokens", "revoke", "--name", "desk"]);
    assert_eq!(json_lines(&dir.ok(&["--json", "ledger", "history", "--serial", "SN1"])), before);
    let audit = json_lines(&dir.ok(&["--json", "ledger", "audit"]));
    assert_eq!(audit[0]["ok"], true, "{audit:?}");
    assert_eq!(audit[0]["audit_entries"], 2, "{audit:?}");
    let size = audit[0]["entries"].as_u64().expect("size");
    let index = (size - 1).to_string();
    let proof = dir.write("audit-proof.json", &dir.ok(&["--json", "ledger", "prove", "--index", &index]));
    let vkey = dir.write("log.vkey", &dir.ok(&["ledger", "vkey"]));
    let note = dir.write("cp.note", &dir.ok(&["ledger", "checkpoint"]));
    let verified = json_lines(&dir.ok(&[
        "--json",
        "ledger",
        "verify-proof",
        "--checkpoint",
        &note,
        "--vkey",
        &vkey,
        "--proof",
        &proof,
    ]));
    assert_eq!((verified[0]["type"].as_str(), verified[0]["action"].as_str()), (Some("audit"), Some("token.revoked")));
}

#[test]
fn a_checkpoint_of_an_unchanged_log_is_the_one_on_record() {
    let dir = populated("checkpoint-again");
    let first = dir.ok(&["ledger", "checkpoint"]);
    let again = dir.ok(&["ledger", "checkpoint"]);
    assert_eq!(first, again, "the same tree, the same note, nothing signed again");
    let raw = rusqlite::Connection::open(dir.path("data/chipwarden.sqlite")).expect("store");
    let (count, sizes): (i64, i64) = raw
        .query_row("SELECT count(*), count(DISTINCT tree_size) FROM ledger_checkpoints", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("checkpoints");
    assert_eq!(count, sizes, "one checkpoint per tree size: {count} for {sizes} sizes");
}
