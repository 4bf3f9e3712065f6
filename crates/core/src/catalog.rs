//! The chip catalog: real accelerators with sourced figures, parsed from TOML, looked up by name.
//!
//! The bundled catalog (`data/catalog/chips.toml`) is compiled into the binary; `Catalog::parse`
//! takes any text in the same format so that tests and users can load their own.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::item::{Figure, Item, ItemKind, Precision};

/// The bundled catalog's text. See `data/catalog/PROVENANCE.md` for where every figure comes from.
pub const BUNDLED_CATALOG: &str = include_str!("../../../data/catalog/chips.toml");

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog `{origin}` is not valid TOML for a chip catalog: {message}")]
    Syntax { origin: String, message: String },
    #[error("catalog `{origin}`, chip `{chip}`{line}: {message}")]
    Invalid { origin: String, chip: String, line: LineSuffix, message: String },
}

/// ` (line N)` when a line is known, nothing otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSuffix(pub Option<usize>);

impl std::fmt::Display for LineSuffix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("unknown model `{query}`{}", suggestion_text(.suggestions))]
    Unknown { query: String, suggestions: Vec<String> },
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
        format!("; did you mean {}?", quoted.join(", "))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    meta: RawMeta,
    #[serde(default)]
    chip: Vec<RawChip>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    version: String,
    attribution: String,
    #[serde(default)]
    conventions: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFigure<T> {
    value: T,
    source: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChip {
    id: String,
    name: String,
    vendor: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    release_date: Option<String>,
    #[serde(default)]
    sources: BTreeMap<String, String>,
    datacenter: Option<RawFigure<bool>>,
    die_area_mm2: Option<RawFigure<f64>>,
    transistors_billion: Option<RawFigure<f64>>,
    process: Option<RawFigure<String>>,
    process_nm: Option<RawFigure<f64>>,
    memory_type: Option<RawFigure<String>>,
    memory_gb: Option<RawFigure<f64>>,
    memory_bandwidth_gbps: Option<RawFigure<f64>>,
    interconnect_gbps: Option<RawFigure<f64>>,
    tdp_w: Option<RawFigure<f64>>,
    hbm: Option<RawFigure<bool>>,
    package_area_mm2: Option<RawFigure<f64>>,
    reported_tpp: Option<RawFigure<f64>>,
    reference_tpp: Option<RawFigure<f64>>,
    #[serde(default)]
    dense_tops: BTreeMap<String, RawFigure<f64>>,
}

/// A catalog entry: the item the engines assess, plus descriptive figures they do not use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chip {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub aliases: Vec<String>,
    pub release_date: Option<String>,
    pub process: Option<Figure<String>>,
    pub memory_type: Option<Figure<String>>,
    pub memory_gb: Option<Figure<f64>>,
    pub tdp_w: Option<Figure<f64>>,
    /// Epoch AI's own TPP figure, kept to cross-check ours.
    pub reference_tpp: Option<Figure<f64>>,
    pub item: Item,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    version: String,
    attribution: String,
    chips: Vec<Chip>,
    /// Normalised name or alias -> index into `chips`.
    index: HashMap<String, usize>,
}

/// Lower-case letters and digits only, so "H100 SXM", "h100-sxm" and "H100_SXM" meet.
pub fn normalise(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn bundled() -> Result<Catalog, CatalogError> {
        Catalog::parse("data/catalog/chips.toml", BUNDLED_CATALOG)
    }

    pub fn parse(origin: &str, text: &str) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = toml::from_str(text).map_err(|e| CatalogError::Syntax {
            origin: origin.to_owned(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let mut chips = Vec::with_capacity(raw.chip.len());
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for raw_chip in raw.chip {
            let invalid = |message: String| CatalogError::Invalid {
                origin: origin.to_owned(),
                chip: raw_chip.id.clone(),
                line: LineSuffix(crate::textpos::line_of(text, &[&format!("id = \"{}\"", raw_chip.id)])),
                message,
            };
            let chip = convert_chip(&raw_chip).map_err(&invalid)?;
            let position = chips.len();
            if ids.insert(chip.id.clone(), position).is_some() {
                return Err(invalid(format!("duplicate id `{}`", chip.id)));
            }
            for key in lookup_keys(&chip) {
                if let Some(&other) = index.get(&key)
                    && other != position
                {
                    return Err(invalid(format!(
                        "name or alias `{key}` (normalised) is already used by chip `{}`",
                        chips.get(other).map_or("?", |c: &Chip| c.id.as_str())
                    )));
                }
                index.insert(key, position);
            }
            chips.push(chip);
        }
        Ok(Catalog { version: raw.meta.version, attribution: raw.meta.attribution, chips, index })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn attribution(&self) -> &str {
        &self.attribution
    }

    pub fn chips(&self) -> &[Chip] {
        &self.chips
    }

    /// Finds a chip by name, alias or id, ignoring case, spaces and punctuation.
    pub fn lookup(&self, query: &str) -> Result<&Chip, LookupError> {
        let key = normalise(query);
        if let Some(&i) = self.index.get(&key) {
            return Ok(&self.chips[i]);
        }
        if let Some(chip) = self.chips.iter().find(|c| c.id == query.trim()) {
            return Ok(chip);
        }
        // "NVIDIA H100" or "AMD MI300X": a vendor prefix on a short name.
        for chip in &self.chips {
            let vendor = normalise(&chip.vendor);
            if let Some(rest) = key.strip_prefix(&vendor).filter(|r| !r.is_empty())
                && let Some(&i) = self.index.get(rest)
            {
                return Ok(&self.chips[i]);
            }
        }
        Err(LookupError::Unknown { query: query.to_owned(), suggestions: self.suggest(&key, 5) })
    }

    /// The names of the chips whose names or aliases are nearest to `key`, best first.
    fn suggest(&self, key: &str, limit: usize) -> Vec<String> {
        if key.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(f64, usize)> = Vec::new();
        for (candidate, &i) in &self.index {
            let mut score = strsim::jaro_winkler(key, candidate);
            if candidate.contains(key) || key.contains(candidate.as_str()) {
                score = score.max(0.9);
            }
            scored.push((score, i));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut names: Vec<String> = Vec::new();
        for (score, i) in scored {
            if score < 0.75 || names.len() == limit {
                break;
            }
            let name = &self.chips[i].name;
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }
}

fn lookup_keys(chip: &Chip) -> Vec<String> {
    let mut keys = vec![normalise(&chip.name), normalise(&chip.id)];
    let vendor = normalise(&chip.vendor);
    let name = normalise(&chip.name);
    if let Some(rest) = name.strip_prefix(&vendor)
        && !rest.is_empty()
    {
        keys.push(rest.to_owned());
    }
    keys.extend(chip.aliases.iter().map(|a| normalise(a)));
    keys.retain(|k| !k.is_empty());
    keys.sort();
    keys.dedup();
    keys
}

fn convert_chip(raw: &RawChip) -> Result<Chip, String> {
    if raw.id.trim().is_empty() || raw.name.trim().is_empty() {
        return Err("`id` and `name` must not be empty".to_owned());
    }
    let kind = match raw.kind.as_deref() {
        None | Some("processor") => ItemKind::Processor,
        Some("hbm") => ItemKind::Hbm,
        Some(other) => {
            return Err(format!("field `kind`: `{other}` is neither `processor` nor `hbm`"));
        }
    };
    let sources = &raw.sources;
    let mut item = Item::empty(raw.name.clone(), kind);
    item.catalog_id = Some(raw.id.clone());
    item.datacenter = figure(sources, "datacenter", raw.datacenter.as_ref())?;
    item.die_area_mm2 = positive(sources, "die_area_mm2", raw.die_area_mm2.as_ref())?;
    item.transistors_billion = positive(sources, "transistors_billion", raw.transistors_billion.as_ref())?;
    item.process_nm = positive(sources, "process_nm", raw.process_nm.as_ref())?;
    item.memory_bandwidth_gbps = positive(sources, "memory_bandwidth_gbps", raw.memory_bandwidth_gbps.as_ref())?;
    item.interconnect_gbps = positive(sources, "interconnect_gbps", raw.interconnect_gbps.as_ref())?;
    item.hbm = figure(sources, "hbm", raw.hbm.as_ref())?;
    item.package_area_mm2 = positive(sources, "package_area_mm2", raw.package_area_mm2.as_ref())?;
    item.reported_tpp = positive(sources, "reported_tpp", raw.reported_tpp.as_ref())?;
    for (name, raw_figure) in &raw.dense_tops {
        let precision = Precision::parse(name).ok_or_else(|| {
            format!("field `dense_tops.{name}`: unknown precision (known: fp64, fp32, tf32, fp16, bf16, fp8, int8, int4, fp4)")
        })?;
        let fig = positive(sources, &format!("dense_tops.{name}"), Some(raw_figure))?;
        if let Some(fig) = fig {
            item.dense_tops.insert(precision, fig);
        }
    }
    Ok(Chip {
        id: raw.id.clone(),
        name: raw.name.clone(),
        vendor: raw.vendor.clone(),
        aliases: raw.aliases.clone(),
        release_date: raw.release_date.clone(),
        process: figure(sources, "process", raw.process.as_ref())?,
        memory_type: figure(sources, "memory_type", raw.memory_type.as_ref())?,
        memory_gb: positive(sources, "memory_gb", raw.memory_gb.as_ref())?,
        tdp_w: positive(sources, "tdp_w", raw.tdp_w.as_ref())?,
        reference_tpp: positive(sources, "reference_tpp", raw.reference_tpp.as_ref())?,
        item,
    })
}

fn figure<T: Clone>(
    sources: &BTreeMap<String, String>,
    field: &str,
    raw: Option<&RawFigure<T>>,
) -> Result<Option<Figure<T>>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let source = sources
        .get(&raw.source)
        .ok_or_else(|| format!("field `{field}`: source key `{}` is not in this chip's `sources`", raw.source))?;
    Ok(Some(Figure { value: raw.value.clone(), source: source.clone(), note: raw.note.clone() }))
}

fn positive(
    sources: &BTreeMap<String, String>,
    field: &str,
    raw: Option<&RawFigure<f64>>,
) -> Result<Option<Figure<f64>>, String> {
    let fig = figure(sources, field, raw)?;
    if let Some(f) = &fig
        && !(f.value.is_finite() && f.value > 0.0)
    {
        return Err(format!("field `{field}`: `{}` is not a positive number", f.value));
    }
    Ok(fig)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
[meta]
version = "test"
attribution = "test"

[[chip]]
id = "x-one"
name = "X One 80GB"
vendor = "X"
aliases = ["One"]
sources = { a = "source A" }
die_area_mm2 = { value = 100.0, source = "a" }
[chip.dense_tops]
fp8 = { value = 10.0, source = "a" }

[[chip]]
id = "x-two"
name = "X Two"
vendor = "X"
sources = { a = "source A" }
"#;

    #[test]
    fn resolves_names_aliases_and_vendorless_names() {
        let catalog = Catalog::parse("small", SMALL).expect("parses");
        for query in ["X One 80GB", "one 80gb", "ONE", "x-one", "two", "X  Two", "X one"] {
            assert!(catalog.lookup(query).is_ok(), "{query}");
        }
        let err = catalog.lookup("Tw0").expect_err("unknown");
        assert!(err.to_string().contains("did you mean `X Two`"), "{err}");
    }

    #[test]
    fn rejects_bad_catalogs_with_the_chip_and_field() {
        let bad_source = SMALL.replace("source = \"a\" }\n[chip", "source = \"b\" }\n[chip");
        let err = Catalog::parse("small", &bad_source).expect_err("bad source key");
        assert!(err.to_string().contains("chip `x-one`"), "{err}");
        assert!(err.to_string().contains("die_area_mm2"), "{err}");

        let clash = SMALL.replace("aliases = [\"One\"]", "aliases = [\"Two\"]");
        let err = Catalog::parse("small", &clash).expect_err("alias clash");
        assert!(err.to_string().contains("already used"), "{err}");

        let negative = SMALL.replace("value = 100.0", "value = -1.0");
        let err = Catalog::parse("small", &negative).expect_err("negative");
        assert!(err.to_string().contains("not a positive number"), "{err}");

        let precision = SMALL.replace("fp8 =", "fp7 =");
        let err = Catalog::parse("small", &precision).expect_err("unknown precision");
        assert!(err.to_string().contains("dense_tops.fp7"), "{err}");
    }
}
