//! Item specs: a JSON or TOML description of a chip or memory stack that is not in the catalog.
//!
//! Parsed into a value tree first and then checked field by field, so that every error names the
//! file, the field, the offending value and, where it can be found, the line.

use serde_json::Value;

use crate::catalog::LineSuffix;
use crate::item::{Figure, Item, ItemKind, Precision};
use crate::textpos::line_of;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    #[error("spec `{file}`: not valid {format}: {message}")]
    Syntax { file: String, format: &'static str, message: String },
    #[error("spec `{file}`{line}, field `{field}`: {message}")]
    Field { file: String, line: LineSuffix, field: String, message: String },
}

const TOP_LEVEL_FIELDS: &[&str] = &[
    "name",
    "kind",
    "datacenter",
    "die_area_mm2",
    "dense_tops",
    "interconnect_gbps",
    "memory_bandwidth_gbps",
    "transistors_billion",
    "process_nm",
    "hbm",
    "package_area_mm2",
    "reported_tpp",
    "vendor",
    "notes",
    "source",
    "release_date",
];

/// A computer or assembly: catalog models and how many of each it contains.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SystemSpec {
    pub name: String,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Component {
    pub model: String,
    pub count: u32,
}

/// What a spec file describes.
// One value per command run: the size difference between variants costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Item(Item),
    System(SystemSpec),
}

/// Parses a spec of an item (processor or HBM stack). `file` names it in errors and decides the
/// format: `.toml` is TOML, anything else is tried as JSON (and as TOML when it does not start
/// with `{`).
pub fn parse_spec(file: &str, text: &str) -> Result<Item, SpecError> {
    match parse_any_spec(file, text)? {
        Spec::Item(item) => Ok(item),
        Spec::System(_) => Err(SpecError::Field {
            file: file.to_owned(),
            line: LineSuffix(line_of(text, &["kind"])),
            field: "kind".to_owned(),
            message: "a `system` spec describes a computer or assembly, not a single item; use it with `classify`"
                .to_owned(),
        }),
    }
}

/// Parses a spec of an item or of a system (`kind = "system"` with `contains = [{ model, count }]`).
pub fn parse_any_spec(file: &str, text: &str) -> Result<Spec, SpecError> {
    let value = parse_tree(file, text)?;
    let checker = Checker { file, text };
    if value.get("kind").and_then(Value::as_str) == Some("system") {
        return checker.system(&value).map(Spec::System);
    }
    checker.item(&value).map(Spec::Item)
}

fn parse_tree(file: &str, text: &str) -> Result<Value, SpecError> {
    let looks_json = !file.ends_with(".toml") && text.trim_start().starts_with('{');
    if looks_json {
        serde_json::from_str(text).map_err(|e| SpecError::Syntax {
            file: file.to_owned(),
            format: "JSON",
            message: e.to_string(),
        })
    } else {
        let table: toml::Table = toml::from_str(text).map_err(|e| SpecError::Syntax {
            file: file.to_owned(),
            format: "TOML",
            message: e.to_string().trim().replace('\n', " "),
        })?;
        serde_json::to_value(table).map_err(|e| SpecError::Syntax {
            file: file.to_owned(),
            format: "TOML",
            message: e.to_string(),
        })
    }
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn error(&self, path: &[&str], message: String) -> SpecError {
        SpecError::Field {
            file: self.file.to_owned(),
            line: LineSuffix(line_of(self.text, path)),
            field: path.join("."),
            message,
        }
    }

    fn item(&self, value: &Value) -> Result<Item, SpecError> {
        let Some(object) = value.as_object() else {
            return Err(self.error(&["(top level)"], "expected a table of fields".to_owned()));
        };
        for key in object.keys() {
            if !TOP_LEVEL_FIELDS.contains(&key.as_str()) {
                return Err(
                    self.error(&[key], format!("unknown field (known fields: {})", TOP_LEVEL_FIELDS.join(", ")))
                );
            }
        }
        let name = match object.get("name") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            Some(other) => {
                return Err(self.error(&["name"], format!("expected a non-empty string, found {}", show(other))));
            }
            None => {
                return Err(self.error(&["name"], "missing; every spec needs a `name`".to_owned()));
            }
        };
        let kind = match object.get("kind") {
            None => ItemKind::Processor,
            Some(Value::String(s)) if s == "processor" => ItemKind::Processor,
            Some(Value::String(s)) if s == "hbm" => ItemKind::Hbm,
            Some(other) => {
                return Err(self.error(&["kind"], format!("expected `processor` or `hbm`, found {}", show(other))));
            }
        };
        let source = match object.get("source") {
            Some(Value::String(s)) => format!("spec file `{}`: {s}", self.file),
            _ => format!("spec file `{}`", self.file),
        };
        let mut item = Item::empty(name, kind);
        let fig = |v: f64| Figure::new(v, source.clone());
        let flag = |v: bool| Figure::new(v, source.clone());
        item.datacenter = self.boolean(object, "datacenter")?.map(flag);
        item.hbm = self.boolean(object, "hbm")?.map(flag);
        item.die_area_mm2 = self.number(object, &["die_area_mm2"])?.map(fig);
        item.interconnect_gbps = self.number(object, &["interconnect_gbps"])?.map(fig);
        item.memory_bandwidth_gbps = self.number(object, &["memory_bandwidth_gbps"])?.map(fig);
        item.transistors_billion = self.number(object, &["transistors_billion"])?.map(fig);
        item.process_nm = self.number(object, &["process_nm"])?.map(fig);
        item.package_area_mm2 = self.number(object, &["package_area_mm2"])?.map(fig);
        item.reported_tpp = self.number(object, &["reported_tpp"])?.map(fig);
        if let Some(tops) = object.get("dense_tops") {
            let Some(tops) = tops.as_object() else {
                return Err(self
                    .error(&["dense_tops"], format!("expected a table from precision to TOPS, found {}", show(tops))));
            };
            for (key, v) in tops {
                let Some(precision) = Precision::parse(key) else {
                    return Err(self.error(
                        &["dense_tops", key],
                        format!(
                            "unknown precision `{key}` (known: fp64, fp32, tf32, fp16, bf16, fp8, int8, int4, fp4)"
                        ),
                    ));
                };
                let value = self.positive(v, &["dense_tops", key])?;
                item.dense_tops.insert(precision, fig(value));
            }
        }
        match kind {
            ItemKind::Hbm => {
                for required in ["memory_bandwidth_gbps", "package_area_mm2"] {
                    if !object.contains_key(required) {
                        return Err(self.error(
                            &[required],
                            "missing; an `hbm` spec needs `memory_bandwidth_gbps` and `package_area_mm2`".to_owned(),
                        ));
                    }
                }
            }
            ItemKind::System => {}
            ItemKind::Processor => {
                if item.dense_tops.is_empty() && item.reported_tpp.is_none() {
                    return Err(self
                        .error(&["dense_tops"], "missing; a processor spec needs at least one dense rate".to_owned()));
                }
            }
        }
        Ok(item)
    }

    fn system(&self, value: &Value) -> Result<SystemSpec, SpecError> {
        const FIELDS: &[&str] = &["name", "kind", "contains", "vendor", "notes", "source"];
        let Some(object) = value.as_object() else {
            return Err(self.error(&["(top level)"], "expected a table of fields".to_owned()));
        };
        if let Some(key) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(self.error(&[key], format!("unknown field for a system (known fields: {})", FIELDS.join(", "))));
        }
        let name = match object.get("name") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            _ => {
                return Err(self.error(&["name"], "missing or empty; every spec needs a `name`".to_owned()));
            }
        };
        let Some(list) = object.get("contains").and_then(Value::as_array).filter(|l| !l.is_empty()) else {
            return Err(
                self.error(&["contains"], "a system needs `contains`, a non-empty list of { model, count }".to_owned())
            );
        };
        let mut components = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let at = format!("contains[{i}]");
            let model = match entry.get("model") {
                Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
                other => {
                    return Err(self.error(
                        &["contains", "model"],
                        format!(
                            "`{at}.model`: expected a catalog model name, found {}",
                            other.map_or("nothing".to_owned(), show)
                        ),
                    ));
                }
            };
            let count = match entry.get("count") {
                Some(v) => match v.as_u64().and_then(|c| u32::try_from(c).ok()).filter(|c| *c >= 1) {
                    Some(c) => c,
                    None => {
                        return Err(self.error(
                            &["contains", "count"],
                            format!("`{at}.count`: expected a whole number of at least 1, found {}", show(v)),
                        ));
                    }
                },
                None => 1,
            };
            components.push(Component { model, count });
        }
        Ok(SystemSpec { name, components })
    }

    fn boolean(&self, object: &serde_json::Map<String, Value>, key: &str) -> Result<Option<bool>, SpecError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(&[key], format!("expected true or false, found {}", show(other)))),
        }
    }

    fn number(&self, object: &serde_json::Map<String, Value>, path: &[&str]) -> Result<Option<f64>, SpecError> {
        match object.get(path[0]) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.positive(v, path).map(Some),
        }
    }

    fn positive(&self, value: &Value, path: &[&str]) -> Result<f64, SpecError> {
        let Some(n) = value.as_f64() else {
            return Err(self.error(path, format!("expected a number, found {}", show(value))));
        };
        if !n.is_finite() || n < 0.0 {
            return Err(self.error(path, format!("`{n}` is negative; figures must be zero or more")));
        }
        Ok(n)
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("the text `{s}`"),
        Value::Null => "nothing (null)".to_owned(),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(file: &str, text: &str) -> String {
        parse_spec(file, text).expect_err("should fail").to_string()
    }

    #[test]
    fn parses_json_and_toml() {
        let json =
            r#"{"name": "X", "datacenter": true, "die_area_mm2": 500, "dense_tops": {"fp8": 1000, "bf16": 500}}"#;
        let item = parse_spec("x.json", json).expect("json");
        assert_eq!(item.dense_tops.len(), 2);
        let toml = "name = \"X\"\ndatacenter = false\n[dense_tops]\nint8 = 600.0\n";
        let item = parse_spec("x.toml", toml).expect("toml");
        assert_eq!(item.datacenter.map(|f| f.value), Some(false));
        let hbm = "name = \"stack\"\nkind = \"hbm\"\nmemory_bandwidth_gbps = 1200\npackage_area_mm2 = 110\n";
        assert_eq!(parse_spec("h.toml", hbm).expect("hbm").kind, ItemKind::Hbm);
    }

    #[test]
    fn errors_name_file_field_value_and_line() {
        let e = err("s.json", "{\n  \"name\": \"X\",\n  \"die_area_mm2\": -5,\n  \"dense_tops\": {\"fp8\": 1}\n}");
        assert!(e.contains("`s.json` (line 3), field `die_area_mm2`") && e.contains("negative"), "{e}");
        let e = err("s.json", "{\n  \"name\": \"X\",\n  \"dense_tops\": {\n    \"fp16\": \"abc\"\n  }\n}");
        assert!(e.contains("(line 4), field `dense_tops.fp16`") && e.contains("`abc`"), "{e}");
        let e = err("s.toml", "name = \"X\"\n[dense_tops]\nfp12 = 3\n");
        assert!(e.contains("(line 3), field `dense_tops.fp12`") && e.contains("unknown precision"), "{e}");
        let e = err("s.toml", "datacenter = true\n[dense_tops]\nfp8 = 3\n");
        assert!(e.contains("field `name`") && e.contains("missing"), "{e}");
        let e = err("s.toml", "name = \"X\"\ndie_area = 3\n[dense_tops]\nfp8 = 3\n");
        assert!(e.contains("field `die_area`") && e.contains("unknown field"), "{e}");
        let e = err("s.json", "{\"name\": \"X\", ");
        assert!(e.contains("not valid JSON"), "{e}");
    }

    proptest::proptest! {
        // Arbitrary text never panics the parser; it either parses or names what is wrong.
        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
            let _ = parse_spec("fuzz.json", &text);
            let _ = parse_spec("fuzz.toml", &text);
        }

        #[test]
        fn never_panics_on_near_valid_json(area in proptest::prelude::any::<f64>(), key in "[a-z0-9]{1,6}") {
            let text = format!("{{\"name\":\"X\",\"die_area_mm2\":{area},\"dense_tops\":{{\"{key}\":1}}}}");
            let _ = parse_spec("fuzz.json", &text);
        }
    }
}
