//! Demo data for `chipwarden serve --demo`: real list excerpts from the repository's test data
//! (the trade.gov CSL 2025 sample and the OFAC SDN subset of July 2021, both US government work)
//! imported into a fresh store, and an admin token. The bundled catalog and rules need nothing.

use std::path::Path;

use chipwarden_lists::ofac_csv::{OfacCsvParts, Part};
use chipwarden_store::Store;

use crate::state::{STORE_FILE, now};

const CSL_2025: &[u8] = include_bytes!("../../lists/test_data/csl_2025_sample.csv");
const SDN: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/sdn.csv");
const SDN_ADD: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/add.csv");
const SDN_ALT: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/alt.csv");
const SDN_COMMENTS: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/sdn_comments.csv");

/// The name of the demo's admin token.
pub const ADMIN_TOKEN_NAME: &str = "demo-admin";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create the demo data directory `{path}`: {cause}")]
    Dir { path: String, cause: std::io::Error },
    #[error(transparent)]
    Store(#[from] chipwarden_store::StoreError),
    #[error("a bundled demo list does not parse: {0}")]
    List(#[from] chipwarden_lists::ParseError),
    #[error("cannot draw a token: {0}")]
    Random(String),
}

/// What the demo set up.
#[derive(Debug)]
pub struct Demo {
    /// The admin token, shown once.
    pub admin_token: String,
    /// `(source, entries)` of each list imported.
    pub lists: Vec<(String, u64)>,
}

/// Fills the data directory `dir` (made if needed) with the demo lists and an admin token.
pub fn prepare(dir: &Path) -> Result<Demo, DemoError> {
    std::fs::create_dir_all(dir).map_err(|cause| DemoError::Dir { path: dir.display().to_string(), cause })?;
    let mut store = Store::open(dir.join(STORE_FILE))?;
    let at = now();
    let csl = chipwarden_lists::parse_file(chipwarden_lists::csl_csv::FORMAT, "csl_2025_sample.csv", CSL_2025)?;
    let sdn = chipwarden_lists::ofac_csv::parse(&OfacCsvParts {
        primary: Part { file: "sdn.csv", bytes: SDN },
        addresses: Some(Part { file: "add.csv", bytes: SDN_ADD }),
        aliases: Some(Part { file: "alt.csv", bytes: SDN_ALT }),
        comments: Some(Part { file: "sdn_comments.csv", bytes: SDN_COMMENTS }),
    })?;
    let mut lists = Vec::new();
    for (source, parsed) in [("csl", &csl), ("ofac-sdn", &sdn)] {
        let outcome = store.import_list(source, parsed, &at)?;
        lists.push((source.to_owned(), outcome.version.entry_count));
    }
    let token = crate::auth::new_token().map_err(|e| DemoError::Random(e.to_string()))?;
    store.create_token(ADMIN_TOKEN_NAME, crate::Role::Admin.name(), &token.hash, &at)?;
    Ok(Demo { admin_token: token.token, lists })
}
