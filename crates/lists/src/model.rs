//! The one entry model every list format is parsed into, and the errors parsers return.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Which list an entry comes from. The code is what users see and filter on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ListCode(pub String);

impl ListCode {
    pub const SDN: &'static str = "SDN";
    /// OFAC's consolidated non-SDN lists (SSI, FSE, NS-PLC, NS-MBS, CAPTA, NS-CMIC...).
    pub const NON_SDN: &'static str = "NONSDN";
    pub const ENTITY_LIST: &'static str = "EL";
    pub const UNVERIFIED: &'static str = "UVL";
    pub const MILITARY_END_USER: &'static str = "MEU";
    pub const DENIED_PERSONS: &'static str = "DPL";
    pub const ITAR_DEBARRED: &'static str = "DTC";
    pub const NONPROLIFERATION: &'static str = "ISN";
    pub const UN: &'static str = "UN";

    pub fn new(code: &str) -> ListCode {
        ListCode(code.to_owned())
    }
}

impl fmt::Display for ListCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Company,
    Organization,
    Vessel,
    Aircraft,
    Unknown,
}

/// How much a name says about identity. OFAC marks weak aliases ("weak aka") as too broad to
/// screen on alone; primary names and strong aliases are full identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameStrength {
    Primary,
    Strong,
    Weak,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Name {
    pub text: String,
    pub strength: NameStrength,
    /// e.g. "a.k.a.", "f.k.a.", "n.k.a.", "original script".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// The address as one line, as the list gives it.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 where the list gives or implies it, else the list's country name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    /// e.g. "Passport", "National ID No.", "IMO", "Registration Number".
    pub scheme: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One listed party, in every list's terms reduced to ours. Fields a list does not carry stay
/// empty; `legal` keeps the list's legal payload verbatim (for the Entity List: license
/// requirement, license review policy, Federal Register citation; for OFAC: programs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListEntry {
    pub list: ListCode,
    /// The list's own identifier (OFAC ent_num, UN reference number, CSL `_id`...), stable
    /// across versions of the same list so that re-imports can be compared.
    pub entry_id: String,
    pub kind: EntityKind,
    /// The primary name first, then aliases.
    pub names: Vec<Name>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// Countries associated with the entry (nationality, citizenship, address countries), as
    /// ISO 3166-1 alpha-2 codes where they can be derived, else as the list spells them.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Dates of birth or incorporation, as the list writes them.
    #[serde(default)]
    pub dates: Vec<String>,
    #[serde(default)]
    pub identifiers: Vec<Identifier>,
    /// Sanctions programs or list sub-sources (e.g. "SDGT", "RUSSIA-EO14024", "Entity List").
    #[serde(default)]
    pub programs: Vec<String>,
    #[serde(default)]
    pub legal: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// Where in the source file the entry starts (1-based line), for provenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_line: Option<u64>,
}

impl ListEntry {
    pub fn primary_name(&self) -> &str {
        self.names.first().map_or("", |n| n.text.as_str())
    }
}

/// A parse failure: the file, the line, the field and what is wrong. Nothing of a file that
/// fails is imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("list file `{file}`{}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default(), field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
pub struct ParseError {
    pub file: String,
    pub line: Option<u64>,
    pub field: Option<String>,
    pub message: String,
}

/// A parsed list file: its entries and what the file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedList {
    /// The format it was read as (e.g. `ofac-csv`, `csl-json`, `un-xml`).
    pub format: String,
    /// Publication date the file states, if any (YYYY-MM-DD).
    pub published: Option<String>,
    /// SHA-256 of the input bytes (of all parts, in order, for multi-file formats), hex.
    pub content_hash: String,
    pub entries: Vec<ListEntry>,
}
