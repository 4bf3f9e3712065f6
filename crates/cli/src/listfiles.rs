//! List files on the way in: which format, which source, and `lists update` (download, check,
//! import) from the configured official addresses.

use std::path::Path;
use std::time::Duration;

use chipwarden_lists::ParsedList;
use chipwarden_lists::ofac_csv::{OfacCsvParts, Part};
use serde::Deserialize;

use crate::Failure;
use crate::args::Cli;
use crate::screening::import;

pub const BUNDLED_SOURCES: &str = include_str!("../../../data/lists/sources.toml");

fn base(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase()
}

/// Parses the files of one list publication. OFAC CSV publications are several files: the
/// primary one (sdn.csv, cons_prim.csv) and add, alt and comments files, told apart by name.
pub fn parse(format: Option<&str>, parts: &[(String, Vec<u8>)]) -> Result<ParsedList, Failure> {
    let Some((first_name, first_bytes)) = parts.first() else {
        return Err(Failure::input("no list file given"));
    };
    let format = match format {
        Some(f) => f.to_owned(),
        None => chipwarden_lists::detect_format(first_name, first_bytes)
            .ok_or_else(|| Failure::input(format!("cannot tell the format of `{first_name}`; give --format")))?
            .to_owned(),
    };
    if format == chipwarden_lists::ofac_csv::FORMAT {
        let mut ofac = OfacCsvParts::primary_only(first_name, first_bytes);
        let mut primary_set = false;
        for (name, bytes) in parts {
            let b = base(name);
            let part = Part { file: name, bytes };
            if b.contains("add") {
                ofac.addresses = Some(part);
            } else if b.contains("alt") {
                ofac.aliases = Some(part);
            } else if b.contains("comment") {
                ofac.comments = Some(part);
            } else if !primary_set {
                ofac.primary = part;
                primary_set = true;
            } else {
                return Err(Failure::input(format!(
                    "`{name}`: two primary OFAC files given; name the others add, alt or comments"
                )));
            }
        }
        return chipwarden_lists::ofac_csv::parse(&ofac).map_err(Failure::input);
    }
    if parts.len() > 1 {
        return Err(Failure::input(format!("format `{format}` is one file; {} were given", parts.len())));
    }
    chipwarden_lists::parse_file(&format, first_name, first_bytes).map_err(Failure::input)
}

/// The source a version belongs to when the user names none.
pub fn default_source(parsed: &ParsedList, parts: &[(String, Vec<u8>)]) -> String {
    let first = parts.first().map(|p| base(&p.0)).unwrap_or_default();
    let fr_document = parsed.entries.first().and_then(|e| e.legal.get("fr_document")).cloned();
    // OFAC's two lists share their formats: the entries' list code, not the file name, decides.
    let non_sdn = parsed.entries.first().is_some_and(|e| e.list.0 == chipwarden_lists::ListCode::NON_SDN);
    match parsed.format.as_str() {
        "ofac-csv" | "ofac-xml" if non_sdn || (parsed.entries.is_empty() && first.starts_with("cons")) => {
            "ofac-nonsdn".to_owned()
        }
        "ofac-csv" | "ofac-xml" => "ofac-sdn".to_owned(),
        "csl-csv" | "csl-json" => "csl".to_owned(),
        "bis-el-csv" => "bis-el".to_owned(),
        "dpl-tsv" => "bis-dpl".to_owned(),
        "un-xml" => "un".to_owned(),
        "fr-xml" => format!("fr-{}", fr_document.unwrap_or_else(|| first.trim_end_matches(".xml").to_owned())),
        other => other.to_owned(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sources {
    #[serde(default = "default_min_share")]
    min_share: f64,
    source: Vec<Source>,
}

fn default_min_share() -> f64 {
    crate::screening::DEFAULT_MIN_SHARE
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    name: String,
    format: String,
    urls: Vec<String>,
    #[serde(default)]
    min_entries: usize,
    /// Expected SHA-256 of the content, when the publisher announces one.
    #[serde(default)]
    sha256: Option<String>,
}

fn download(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, String> {
    let mut response = agent.get(url).call().map_err(|e| format!("download of `{url}` failed: {e}"))?;
    let bytes = response
        .body_mut()
        .with_config()
        .limit(512 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| format!("reading `{url}` failed: {e}"))?;
    if bytes.is_empty() {
        return Err(format!("`{url}` returned an empty body"));
    }
    Ok(bytes)
}

/// Fetches, checks and imports every configured source. Each source stands alone: one that
/// fails to download, parse or pass its checks is reported and keeps its previous version.
pub fn update(cli: &Cli, config: Option<&Path>) -> Result<(), Failure> {
    let (origin, text) = match config {
        Some(path) => (path.display().to_string(), crate::commands::read(path)?),
        None => ("data/lists/sources.toml".to_owned(), BUNDLED_SOURCES.to_owned()),
    };
    let sources: Sources =
        toml::from_str(&text).map_err(|e| Failure::input(format!("`{origin}`: {}", e.to_string().trim())))?;
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(600))).build().into();
    let mut failed = Vec::new();
    for source in &sources.source {
        let result = (|| -> Result<(), String> {
            let mut parts = Vec::new();
            for url in &source.urls {
                let name = url.rsplit('/').next().unwrap_or(url).to_owned();
                parts.push((name, download(&agent, url)?));
            }
            let parsed = parse(Some(&source.format), &parts).map_err(|f| f.message)?;
            if let Some(expected) = &source.sha256
                && !parsed.content_hash.eq_ignore_ascii_case(expected)
            {
                return Err(format!("content hash {} differs from the expected {expected}", parsed.content_hash));
            }
            if parsed.entries.len() < source.min_entries {
                return Err(format!(
                    "only {} entries (at least {} expected): refusing what looks like a truncated list",
                    parsed.entries.len(),
                    source.min_entries
                ));
            }
            import(cli, &source.name, &parsed, Some(sources.min_share)).map_err(|f| f.message)
        })();
        if let Err(why) = result {
            eprintln!("error: source `{}`: {why}; its previous version stays in force", source.name);
            failed.push(source.name.clone());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::io(format!(
            "{} of {} source(s) not updated: {}",
            failed.len(),
            sources.source.len(),
            failed.join(", ")
        )))
    }
}
