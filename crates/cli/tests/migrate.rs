//! End-to-end tests of `chipwarden migrate`: the real binary copies a demo-filled SQLite store
//! (lists, customers, usage, a custody ledger with a checkpoint, cases, measurements) into a fresh
//! PostgreSQL database (when `CHIPWARDEN_TEST_POSTGRES_URL` names a server; under `CI` it must),
//! the counts and the ledger root match, `ledger audit` passes on the copy, and a second run into
//! the same database is refused and changes nothing. Bad locations are input errors.

mod common;

use std::path::PathBuf;

use chipwarden_store::testing::{TestDb, postgres_url};
use serde_json::Value;

/// A scratch directory, removed when the test ends.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("chipwarden-migrate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        Dir(dir)
    }

    /// A data directory filled by the server's demo; returns the ledger's size.
    fn demo(&self) -> u64 {
        chipwarden_server::demo::prepare(&self.data()).expect("demo data").ledger_size
    }

    fn data(&self) -> PathBuf {
        self.0.join("data")
    }

    fn store(&self) -> String {
        format!("sqlite://{}", self.data().join("chipwarden.sqlite").display())
    }

    /// `chipwarden --data-dir DATA args…`.
    fn run(&self, args: &[&str]) -> common::Run {
        let mut command = common::binary();
        command.arg("--data-dir").arg(self.data()).args(args).env_remove("CHIPWARDEN_DATABASE_URL");
        common::run(command)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The tables of the report's text: `table source target` lines.
fn counts(stdout: &str) -> Vec<(String, u64, u64)> {
    stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("ledger "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_owned(), f[1].parse().expect("a count"), f[2].parse().expect("a count"))
        })
        .collect()
}

/// The root printed on a `ledger …: N entries, root HEX` line.
fn root_line(stdout: &str, side: &str) -> (u64, String) {
    let line = stdout.lines().find(|l| l.starts_with(&format!("ledger {side}"))).expect("a ledger line");
    let (_, rest) = line.split_once("): ").expect("the ledger line's shape");
    let (size, root) = rest.split_once(" entries, root ").expect("the ledger line's shape");
    (size.parse().expect("a size"), root.to_owned())
}

#[test]
fn a_demo_store_moves_to_postgres_and_audits_there() {
    let Some(url) = postgres_url() else { return };
    let dir = Dir::new("demo-pg");
    let ledger_size = dir.demo();
    let target = TestDb::postgres(&url);
    let pg = target.location();

    let r = dir.run(&["migrate", "--from", &dir.store(), "--to", &pg]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let tables = counts(&r.stdout);
    assert_eq!(tables.len(), 23, "{}", r.stdout);
    for (table, source, copied) in &tables {
        assert_eq!(source, copied, "{table}");
        assert_eq!(i64::try_from(*copied).expect("count"), target.count(table), "{table} as PostgreSQL counts it");
    }
    let count = |name: &str| tables.iter().find(|t| t.0 == name).map(|t| t.1).expect("a listed table");
    for busy in
        ["list_entries", "customer_records", "usage_records", "ledger_entries", "cases", "location_measurements"]
    {
        assert!(count(busy) > 0, "the demo fills `{busy}`");
    }
    let (source_size, source_root) = root_line(&r.stdout, "source");
    let (target_size, target_root) = root_line(&r.stdout, "target");
    assert_eq!((source_size, target_size), (ledger_size, ledger_size));
    assert_eq!(source_root, target_root);
    assert_eq!(source_root.len(), 64);
    assert!(r.stdout.contains("every count and the ledger root match"), "{}", r.stdout);
    assert!(!r.stdout.contains("chipwarden@") && !r.stderr.contains(":chipwarden@"), "no password is printed");

    // The copy audits clean, with the log key of the data directory it came from.
    let audit = dir.run(&["--database-url", &pg, "ledger", "audit"]);
    assert_eq!(audit.code, 0, "{}\n{}", audit.stdout, audit.stderr);
    let json_audit = dir.run(&["--json", "--database-url", &pg, "ledger", "audit"]);
    assert_eq!(json_audit.code, 0, "{}", json_audit.stderr);

    // A second run finds the target holding data: refused, nothing written.
    let before = target.count("ledger_entries");
    let again = dir.run(&["migrate", "--from", &dir.store(), "--to", &pg]);
    assert_eq!(again.code, 3, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stderr.contains("not empty") && again.stderr.contains("list_versions"), "{}", again.stderr);
    assert_eq!(target.count("ledger_entries"), before);

    // JSON into another fresh database, and back from PostgreSQL into a new SQLite file.
    let other = TestDb::postgres(&url);
    let r = dir.run(&["--json", "migrate", "--from", &dir.store(), "--to", &other.location()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).expect("one JSON object");
    assert_eq!(v["matches"], true);
    assert_eq!((v["from"].as_str(), v["to"].as_str()), (Some("sqlite"), Some("postgres")));
    assert_eq!(v["tables"].as_array().expect("tables").len(), 23);
    assert!(v["tables"].as_array().expect("tables").iter().all(|t| t["source"] == t["target"]));
    assert_eq!(v["ledger"]["size"], ledger_size);
    assert_eq!(v["ledger"]["source_root"].as_str(), Some(source_root.as_str()));
    assert_eq!(v["ledger"]["target_root"].as_str(), Some(source_root.as_str()));
    let back = dir.0.join("back.sqlite").display().to_string();
    let r = dir.run(&["migrate", "--from", &other.location(), "--to", &back]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(root_line(&r.stdout, "target").1, source_root);
    let audit = dir.run(&["--database-url", &back, "ledger", "audit"]);
    assert_eq!(audit.code, 0, "{}\n{}", audit.stdout, audit.stderr);

    // A wrong password is a database error, named without the password.
    let wrong = pg.replacen(":chipwarden@", ":wrong-password@", 1);
    if wrong != pg {
        let r = dir.run(&["migrate", "--from", &dir.store(), "--to", &wrong]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(!r.stderr.contains("wrong-password"), "{}", r.stderr);
    }
}

#[test]
fn a_demo_store_moves_to_a_new_sqlite_file() {
    let dir = Dir::new("demo-sqlite");
    let ledger_size = dir.demo();
    let copy = dir.0.join("copy.sqlite").display().to_string();
    let r = dir.run(&["migrate", "--from", &dir.store(), "--to", &copy]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(counts(&r.stdout).iter().all(|(_, s, t)| s == t), "{}", r.stdout);
    let (size, root) = root_line(&r.stdout, "source");
    assert_eq!(size, ledger_size);
    assert_eq!(root_line(&r.stdout, "target"), (size, root));
    let audit = dir.run(&["--database-url", &copy, "ledger", "audit"]);
    assert_eq!(audit.code, 0, "{}\n{}", audit.stdout, audit.stderr);
    // Into a store that holds data: refused.
    let r = dir.run(&["migrate", "--from", &copy, "--to", &dir.store()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn bad_locations_are_input_errors() {
    let dir = Dir::new("bad");
    let missing = dir.0.join("missing.sqlite");
    let target = dir.0.join("t.sqlite").display().to_string();
    let r = dir.run(&["migrate", "--from", &missing.display().to_string(), "--to", &target]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("--from") && r.stderr.contains("no store file"), "{}", r.stderr);
    assert!(!missing.exists(), "a missing source is not made");
    let r = dir.run(&["migrate", "--from", "mysql://h/db", "--to", &target]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = dir.run(&["migrate", "--from", &target, "--to", "sqlite://"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    std::fs::write(dir.0.join("s.sqlite"), b"").expect("a file");
    let source = dir.0.join("s.sqlite").display().to_string();
    let r = dir.run(&["migrate", "--from", &source, "--to", &format!("sqlite://{source}")]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("same store"), "{}", r.stderr);
    // A target in a directory that does not exist cannot be opened: an I/O error.
    let r = dir.run(&["migrate", "--from", &source, "--to", &dir.0.join("no/such/dir/t.sqlite").display().to_string()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    // The flags are required.
    assert_eq!(dir.run(&["migrate", "--from", &source]).code, 2);
}
