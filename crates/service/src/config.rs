//! Where the store is: the `--database-url` flag (or `CHIPWARDEN_DATABASE_URL`), else
//! `database_url` in the data directory's `chipwarden.toml`, else the SQLite file in the data
//! directory. One answer for the CLI and the server.

use std::path::Path;

use serde::Deserialize;

use crate::{ServiceError, ServiceResult};

/// The configuration file in the data directory.
pub const CONFIG_FILE: &str = "chipwarden.toml";
/// The SQLite store file in the data directory, when no database URL is given.
pub const STORE_FILE: &str = "chipwarden.sqlite";

/// What `chipwarden.toml` may say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    /// `postgres://user:password@host:port/database` (or `sqlite://PATH`, or a path).
    database_url: Option<String>,
}

/// The store's location: `flag` if given, else the configuration file's `database_url`, else
/// the SQLite file in `data_dir`. A configuration file that does not parse is an error naming
/// the file, the line and the field.
pub fn store_location(data_dir: &Path, flag: Option<&str>) -> ServiceResult<String> {
    if let Some(url) = flag.map(str::trim).filter(|u| !u.is_empty()) {
        return Ok(url.to_owned());
    }
    let path = data_dir.join(CONFIG_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ServiceError::Io(format!("cannot read `{}`: {e}", path.display())))?;
        let config: FileConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
            ServiceError::Invalid(format!("`{}`{at}: {}", path.display(), e.message()))
        })?;
        if let Some(url) = config.database_url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
            return Ok(url);
        }
    }
    Ok(data_dir.join(STORE_FILE).display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_file_then_the_sqlite_file() {
        let dir = std::env::temp_dir().join(format!("chipwarden-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let default = dir.join(STORE_FILE).display().to_string();
        assert_eq!(store_location(&dir, None).expect("default"), default);
        std::fs::write(dir.join(CONFIG_FILE), "database_url = \"postgres://cw@db/cw\"\n").expect("write");
        assert_eq!(store_location(&dir, None).expect("file"), "postgres://cw@db/cw");
        assert_eq!(store_location(&dir, Some("postgres://x@y/z")).expect("flag"), "postgres://x@y/z");
        std::fs::write(dir.join(CONFIG_FILE), "# store\n\ndatabase_uri = \"postgres://cw@db/cw\"\n").expect("write");
        let err = store_location(&dir, None).expect_err("unknown key").to_string();
        assert!(err.contains("chipwarden.toml`, line 3") && err.contains("database_uri"), "{err}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
