//! trade.gov Consolidated Screening List as JSON: the API's `{"results": [...]}` or a bare array of
//! records. Field names are the CSV's; see `csl` for how a record maps to an entry.
//!
//! Multi-valued fields are arrays (a `;`-separated string is accepted too); `addresses` are
//! objects with `address`, `city`, `state`, `postal_code`, `country` (or one-line strings); `ids`
//! are objects with `type`, `number`, `country`. The id is `id` (the API's name) or `_id` (the
//! CSV's). Errors name the line where the record starts.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::assemble::{AddressParts, Entries};
use crate::csl::{self, LISTS, SCALARS};
use crate::model::{ParseError, ParsedList};
use crate::text::{LineIndex, clean, content_hash, error, split_items, utf8};

pub const FORMAT: &str = "csl-json";

/// The API's response shape; other top-level fields (`total`, `sources`...) are ignored.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    results: Option<Vec<&'a RawValue>>,
}

pub fn parse(file: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    let text = utf8(file, bytes)?;
    let lines = LineIndex::new(text);
    let syntax = |e: serde_json::Error| error(file, e.line().max(1) as u64, "json", format!("malformed JSON: {e}"));
    let raw_records: Vec<&RawValue> = match text.trim_start().chars().next() {
        Some('[') => serde_json::from_str(text).map_err(syntax)?,
        Some('{') => {
            let envelope: Envelope<'_> = serde_json::from_str(text).map_err(syntax)?;
            envelope.results.ok_or_else(|| error(file, 1, "results", "the document has no `results` array"))?
        }
        _ => return Err(error(file, 1, "json", "expected a JSON object with `results` or an array of records")),
    };
    let mut entries = Entries::new(file, "id");
    for raw in raw_records {
        let line = lines.line((raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize));
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(raw.get()) else {
            return Err(error(file, line, "results", "each record must be a JSON object"));
        };
        csl::add(file, record(file, line, &object)?, &mut entries)?;
    }
    Ok(entries.finish(FORMAT, None, content_hash(&[bytes])))
}

fn record(file: &str, line: u64, object: &Map<String, Value>) -> Result<csl::Record, ParseError> {
    let id = match object.get("id").or_else(|| object.get("_id")) {
        Some(value) => scalar(file, line, "id", value)?,
        None => None,
    };
    let mut record = csl::Record { line, id, ..Default::default() };
    for name in SCALARS {
        if let Some(value) = object.get(name)
            && let Some(text) = scalar(file, line, name, value)?
        {
            record.scalars.insert(name, text);
        }
    }
    for name in LISTS {
        record.lists.insert(name, strings(file, line, name, object.get(name))?);
    }
    for item in items(file, line, "addresses", object.get("addresses"))? {
        let found = match item {
            Value::Object(parts) => {
                let part = |key: &str| parts.get(key).and_then(Value::as_str).and_then(clean);
                AddressParts {
                    street: vec![part("address")],
                    city: part("city"),
                    state: part("state"),
                    postal_code: part("postal_code"),
                    country: part("country"),
                    note: None,
                }
                .build()
            }
            Value::String(text) => csl::address_line(text),
            _ => return Err(error(file, line, "addresses", "an address must be an object or a string")),
        };
        record.addresses.extend(found);
    }
    for item in items(file, line, "ids", object.get("ids"))? {
        let Value::Object(parts) = item else {
            return Err(error(file, line, "ids", "an id must be an object with `type` and `number`"));
        };
        let part = |key: &str| parts.get(key).and_then(Value::as_str).unwrap_or_default();
        record.ids.extend(csl::identifier(part("type"), part("number"), Some(part("country"))));
    }
    Ok(record)
}

/// A text field: a string, a number written as text, or null.
fn scalar(file: &str, line: u64, field: &str, value: &Value) -> Result<Option<String>, ParseError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(clean(text)),
        Value::Number(number) => Ok(Some(number.to_string())),
        _ => Err(error(file, line, field, format!("`{field}` must be a string, found {value}"))),
    }
}

/// A multi-valued field: an array of strings, one `;`-separated string, or null.
fn strings(file: &str, line: u64, field: &str, value: Option<&Value>) -> Result<Vec<String>, ParseError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(split_items(text, ';')),
        Some(Value::Array(values)) => {
            let mut out = Vec::new();
            for value in values {
                out.extend(scalar(file, line, field, value)?);
            }
            Ok(out)
        }
        Some(other) => Err(error(file, line, field, format!("`{field}` must be a list of strings, found {other}"))),
    }
}

fn items<'v>(file: &str, line: u64, field: &str, value: Option<&'v Value>) -> Result<&'v [Value], ParseError> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(values)) => Ok(values),
        Some(other) => Err(error(file, line, field, format!("`{field}` must be an array, found {other}"))),
    }
}
