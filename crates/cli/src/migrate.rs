//! `chipwarden migrate --from LOCATION --to LOCATION`: copies a whole store into a new, empty one
//! (SQLite to PostgreSQL, or back) with `Store::copy_into`, then prints the row count of every
//! table and the ledger's size and root on both sides.
//!
//! Exit codes: 0 when every count and the root match; 3 for a location that is not one, a source
//! file that does not exist, or a target that already holds data (nothing is written); 4 when a
//! store cannot be opened, read or written; 5 when the copy was committed but the counts or the
//! roots differ (the target then holds the copy, to be looked at and dropped).
//! `--data-dir` and `--database-url` play no part: both stores are named by the flags.

use std::path::{Path, PathBuf};

use chipwarden_store::{CopyReport, Store, StoreError};

use crate::args::{Cli, MigrateArgs};
use crate::{Failure, exit};

/// A store location as given: a PostgreSQL URL or an SQLite file.
#[derive(Debug, PartialEq, Eq)]
enum Location {
    Postgres(String),
    Sqlite(PathBuf),
}

fn location(flag: &str, text: &str) -> Result<Location, Failure> {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return Ok(Location::Postgres(text.to_owned()));
    }
    let path = text.strip_prefix("sqlite://").unwrap_or(text);
    if path.trim().is_empty() {
        return Err(Failure::input(format!("{flag}: the store location is empty")));
    }
    if let Some((scheme, _)) = path.split_once("://") {
        return Err(Failure::input(format!(
            "{flag}: `{scheme}://` is not a store location; give sqlite://PATH, a path, or postgres://user:password@host:port/database"
        )));
    }
    Ok(Location::Sqlite(PathBuf::from(path)))
}

/// The file's path made absolute (through its directory when the file does not exist yet), to
/// tell whether two paths name one file.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(full) = path.canonicalize() {
        return full;
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match (dir.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

pub fn run(cli: &Cli, args: &MigrateArgs) -> Result<u8, Failure> {
    let from = location("--from", &args.from)?;
    let to = location("--to", &args.to)?;
    let same = match (&from, &to) {
        (Location::Sqlite(a), Location::Sqlite(b)) => absolute(a) == absolute(b),
        (a, b) => a == b,
    };
    if same {
        return Err(Failure::input("--from and --to name the same store"));
    }
    // Opening an SQLite path makes the file: a mistyped source must not become an empty store.
    if let Location::Sqlite(path) = &from
        && !path.is_file()
    {
        return Err(Failure::input(format!("--from: there is no store file `{}`", path.display())));
    }
    let source = Store::open_url(&args.from).map_err(|e| Failure::io(format!("--from: {e}")))?;
    let mut target = Store::open_url(&args.to).map_err(|e| Failure::io(format!("--to: {e}")))?;
    let report = source.copy_into(&mut target).map_err(|e| match e {
        e @ (StoreError::TargetNotEmpty { .. } | StoreError::SchemaDiffers(_)) => {
            Failure::input(format!("{e}; nothing was copied"))
        }
        other => Failure::io(other),
    })?;
    print(cli.json, &report);
    if report.matches() {
        return Ok(exit::OK);
    }
    let mut differences: Vec<String> = report
        .tables
        .iter()
        .filter(|t| t.source != t.target)
        .map(|t| format!("`{}` has {} rows in the source and {} in the target", t.table, t.source, t.target))
        .collect();
    if report.ledger.source_root != report.ledger.target_root {
        differences.push("the ledger roots differ".to_owned());
    }
    eprintln!(
        "error: the copy was committed, but the stores differ: {}; the target holds the copy: look at it, then drop it",
        differences.join("; ")
    );
    // The exit code of an internal failure: the copy did not do what it must.
    Ok(exit::INTERNAL)
}

fn print(json: bool, report: &CopyReport) {
    let ledger = &report.ledger;
    if json {
        let tables: Vec<serde_json::Value> = report
            .tables
            .iter()
            .map(|t| serde_json::json!({ "table": t.table, "source": t.source, "target": t.target }))
            .collect();
        let v = serde_json::json!({
            "from": report.source_dialect,
            "to": report.target_dialect,
            "tables": tables,
            "ledger": {
                "size": ledger.source_size,
                "target_size": ledger.target_size,
                "source_root": ledger.source_root.to_hex(),
                "target_root": ledger.target_root.to_hex(),
            },
            "matches": report.matches(),
        });
        crate::outln!("{v}");
        return;
    }
    let width = report.tables.iter().map(|t| t.table.len()).max().unwrap_or(0).max("table".len());
    crate::outln!("{:<width$}  {:>10}  {:>10}", "table", report.source_dialect, report.target_dialect);
    for t in &report.tables {
        let flag = if t.source == t.target { "" } else { "  DIFFERS" };
        crate::outln!("{:<width$}  {:>10}  {:>10}{flag}", t.table, t.source, t.target);
    }
    crate::outln!(
        "ledger source ({}): {} entries, root {}",
        report.source_dialect,
        ledger.source_size,
        ledger.source_root
    );
    crate::outln!(
        "ledger target ({}): {} entries, root {}",
        report.target_dialect,
        ledger.target_size,
        ledger.target_root
    );
    if report.matches() {
        crate::outln!("every count and the ledger root match");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_urls_or_paths() {
        assert_eq!(
            location("--to", "postgres://a:b@h/db").ok(),
            Some(Location::Postgres("postgres://a:b@h/db".into()))
        );
        assert_eq!(location("--to", "postgresql://h/db").ok(), Some(Location::Postgres("postgresql://h/db".into())));
        assert_eq!(location("--from", "sqlite:///tmp/x.sqlite").ok(), Some(Location::Sqlite("/tmp/x.sqlite".into())));
        assert_eq!(location("--from", "data/x.sqlite").ok(), Some(Location::Sqlite("data/x.sqlite".into())));
        for bad in ["", "sqlite://", "mysql://h/db", "sqlite://http://x"] {
            let e = location("--to", bad).expect_err(bad);
            assert_eq!(e.code, exit::INPUT, "{bad}");
            assert!(e.message.starts_with("--to"), "{}", e.message);
        }
    }
}
