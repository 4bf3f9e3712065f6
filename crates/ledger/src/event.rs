//! Custody events: what happened to a chip, when, and who says so, with one canonical encoding.
//!
//! # The canonical encoding (version 1)
//!
//! An event is encoded as canonical JSON, the subset of RFC 8785 (JCS) that these events need:
//!
//! - one flat JSON object, no whitespace anywhere, members sorted by key (every key is ASCII, so
//!   byte order and JCS's UTF-16 order agree); the `submitter` member is an object sorted the
//!   same way;
//! - strings as UTF-8, escaping only `"` and `\` and control characters (`\b \t \n \f \r`, the
//!   others as `\u00xx` in lowercase), as JCS does (fields refuse control characters anyway);
//! - integers only (`version`), no floats;
//! - an optional field that is absent is left out, never written as `null`;
//! - times in RFC 3339 UTC with a `Z` (`2026-01-05T00:00:00Z`; fractional seconds only when not
//!   zero, trailing zeros dropped), keys as 64 lowercase hex digits, country codes in capitals,
//!   `possible_countries` sorted with no repeats.
//!
//! Members: `type`, `serial`, `time`, `submitter` (`party`, `public_key`), `version` (`1`) and the
//! fields of the event's type (see [`EventKind`]). The same event always gives the same bytes
//! (pinned by the golden files in `tests/golden/`), and [`CustodyEvent::from_canonical`] refuses
//! bytes that are not the encoding of what they contain.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chipwarden_core::country::CountryCode;
use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::error::LedgerError;
use crate::signature::PublicKey;

/// The version written into every event this engine encodes.
pub const EVENT_VERSION: u64 = 1;

/// Every event type's name, as written in the `type` field.
pub const EVENT_TYPES: &str = "`registered`, `shipped`, `received`, `installed`, `transferred` (or `resold`), `location_verified`, \
     `decommissioned`, `destroyed`, `reported_lost`";

/// Who submitted an event: a party and the Ed25519 key it signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    pub party: String,
    pub public_key: PublicKey,
}

/// One custody event (version 1 of the format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEvent {
    pub serial: String,
    pub time: Timestamp,
    pub submitter: Submitter,
    pub kind: EventKind,
}

/// What happened. Holders and parties are names as the parties use them; they are compared
/// exactly (no case folding or trimming), so a history must spell a party the same way throughout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The chip enters the ledger, held by `holder` (usually its manufacturer).
    Registered {
        model: String,
        manufacturer: Option<String>,
        holder: String,
        /// Where the chip is at registration, if known.
        country: Option<CountryCode>,
        /// The chip's own attestation key, if it has one.
        device_public_key: Option<PublicKey>,
    },
    /// `from` hands the chip to a carrier for `to` in `destination`.
    Shipped {
        from: String,
        to: String,
        destination: CountryCode,
        export_license: Option<String>,
    },
    /// The consignee `holder` takes delivery.
    Received {
        holder: String,
    },
    /// The chip is put into service.
    Installed {
        site: String,
        country: CountryCode,
        cluster: Option<String>,
    },
    /// Ownership passes from `from` to `to` without the chip moving (a sale or a transfer in
    /// place; `resold` is accepted as another name when parsing a draft).
    Transferred {
        from: String,
        to: String,
    },
    /// A location check (filled by the location engine later; the fields are placeholders).
    LocationVerified {
        verifier: String,
        region: String,
        /// Countries the measurement cannot exclude, sorted, no repeats, at least one.
        possible_countries: Vec<CountryCode>,
        measured_at: Timestamp,
    },
    Decommissioned,
    Destroyed,
    ReportedLost,
}

impl EventKind {
    /// The name written in the `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Registered { .. } => "registered",
            EventKind::Shipped { .. } => "shipped",
            EventKind::Received { .. } => "received",
            EventKind::Installed { .. } => "installed",
            EventKind::Transferred { .. } => "transferred",
            EventKind::LocationVerified { .. } => "location_verified",
            EventKind::Decommissioned => "decommissioned",
            EventKind::Destroyed => "destroyed",
            EventKind::ReportedLost => "reported_lost",
        }
    }
}

/// An event as a party writes it, before it is signed: `type`, `serial`, `time` and the fields of
/// its type (`version` may be given and must then be `1`; the submitter comes from the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    pub serial: String,
    pub time: Timestamp,
    pub kind: EventKind,
}

impl EventDraft {
    /// Parses one event line, such as
    /// `{"type":"shipped","serial":"SN1","from":"NVIDIA","to":"Acme Cloud","destination":"MY","time":"2026-01-05T00:00:00Z"}`.
    /// Errors name the field; unknown fields are refused (a misspelt optional field would
    /// otherwise vanish silently).
    pub fn from_json(text: &str) -> Result<EventDraft, LedgerError> {
        let object = parse_object(text)?;
        let mut fields = Fields::new(&object);
        if fields.optional("version").is_some() {
            fields.version()?;
        }
        let draft = read_body(&mut fields)?;
        fields.finish(draft.kind.name())?;
        Ok(draft)
    }

    /// The event this draft becomes when `submitter` submits it.
    pub fn into_event(self, submitter: Submitter) -> CustodyEvent {
        CustodyEvent { serial: self.serial, time: self.time, submitter, kind: self.kind }
    }
}

impl CustodyEvent {
    /// The canonical encoding (see the module documentation). Signatures are over these bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        self.canon().write(&mut out);
        out.into_bytes()
    }

    /// Parses a complete event (with `version` and `submitter`) from JSON in any layout.
    pub fn from_json(text: &str) -> Result<CustodyEvent, LedgerError> {
        let object = parse_object(text)?;
        event_from_object(&object)
    }

    /// Parses the canonical encoding, refusing bytes that are anything else.
    pub fn from_canonical(bytes: &[u8]) -> Result<CustodyEvent, LedgerError> {
        let text = std::str::from_utf8(bytes).map_err(|_| LedgerError::Json { message: "not UTF-8".to_owned() })?;
        let event = CustodyEvent::from_json(text)?;
        if event.canonical_bytes() != bytes {
            return Err(LedgerError::NotCanonical { what: "event" });
        }
        Ok(event)
    }

    pub(crate) fn canon(&self) -> Canon {
        let mut members = BTreeMap::new();
        members.insert("type", Canon::str(self.kind.name()));
        members.insert("serial", Canon::str(&self.serial));
        members.insert("time", Canon::Str(format_time(self.time)));
        members.insert("version", Canon::Int(EVENT_VERSION));
        let mut submitter = BTreeMap::new();
        submitter.insert("party", Canon::str(&self.submitter.party));
        submitter.insert("public_key", Canon::Str(self.submitter.public_key.to_hex()));
        members.insert("submitter", Canon::Obj(submitter));
        let mut put = |key: &'static str, value: Option<Canon>| {
            if let Some(value) = value {
                members.insert(key, value);
            }
        };
        match &self.kind {
            EventKind::Registered { model, manufacturer, holder, country, device_public_key } => {
                put("model", Some(Canon::str(model)));
                put("manufacturer", manufacturer.as_deref().map(Canon::str));
                put("holder", Some(Canon::str(holder)));
                put("country", country.map(|c| Canon::str(c.as_str())));
                put("device_public_key", device_public_key.map(|k| Canon::Str(k.to_hex())));
            }
            EventKind::Shipped { from, to, destination, export_license } => {
                put("from", Some(Canon::str(from)));
                put("to", Some(Canon::str(to)));
                put("destination", Some(Canon::str(destination.as_str())));
                put("export_license", export_license.as_deref().map(Canon::str));
            }
            EventKind::Received { holder } => put("holder", Some(Canon::str(holder))),
            EventKind::Installed { site, country, cluster } => {
                put("site", Some(Canon::str(site)));
                put("country", Some(Canon::str(country.as_str())));
                put("cluster", cluster.as_deref().map(Canon::str));
            }
            EventKind::Transferred { from, to } => {
                put("from", Some(Canon::str(from)));
                put("to", Some(Canon::str(to)));
            }
            EventKind::LocationVerified { verifier, region, possible_countries, measured_at } => {
                put("verifier", Some(Canon::str(verifier)));
                put("region", Some(Canon::str(region)));
                let countries = possible_countries.iter().map(|c| Canon::str(c.as_str())).collect();
                put("possible_countries", Some(Canon::Arr(countries)));
                put("measured_at", Some(Canon::Str(format_time(*measured_at))));
            }
            EventKind::Decommissioned | EventKind::Destroyed | EventKind::ReportedLost => {}
        }
        Canon::Obj(members)
    }
}

/// RFC 3339 in UTC: `2026-01-05T00:00:00Z`, fractional seconds only when not zero.
pub fn format_time(time: Timestamp) -> String {
    time.to_string()
}

pub(crate) fn parse_object(text: &str) -> Result<Map<String, Value>, LedgerError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(LedgerError::Json { message: "expected a JSON object".to_owned() }),
        Err(error) => Err(LedgerError::Json { message: error.to_string() }),
    }
}

pub(crate) fn event_from_object(object: &Map<String, Value>) -> Result<CustodyEvent, LedgerError> {
    let mut fields = Fields::new(object);
    fields.version()?;
    let submitter = fields.submitter()?;
    let draft = read_body(&mut fields)?;
    fields.finish(draft.kind.name())?;
    Ok(draft.into_event(submitter))
}

fn read_body(fields: &mut Fields<'_>) -> Result<EventDraft, LedgerError> {
    let type_name = fields.string("type")?;
    let serial = fields.string("serial")?;
    let time = fields.time("time")?;
    let kind = match type_name.as_str() {
        "registered" => EventKind::Registered {
            model: fields.string("model")?,
            manufacturer: fields.optional_string("manufacturer")?,
            holder: fields.string("holder")?,
            country: fields.optional_country("country")?,
            device_public_key: fields.optional_key("device_public_key")?,
        },
        "shipped" => EventKind::Shipped {
            from: fields.string("from")?,
            to: fields.string("to")?,
            destination: fields.country("destination")?,
            export_license: fields.optional_string("export_license")?,
        },
        "received" => EventKind::Received { holder: fields.string("holder")? },
        "installed" => EventKind::Installed {
            site: fields.string("site")?,
            country: fields.country("country")?,
            cluster: fields.optional_string("cluster")?,
        },
        "transferred" | "resold" => EventKind::Transferred { from: fields.string("from")?, to: fields.string("to")? },
        "location_verified" => EventKind::LocationVerified {
            verifier: fields.string("verifier")?,
            region: fields.string("region")?,
            possible_countries: fields.countries("possible_countries")?,
            measured_at: fields.time("measured_at")?,
        },
        "decommissioned" => EventKind::Decommissioned,
        "destroyed" => EventKind::Destroyed,
        "reported_lost" => EventKind::ReportedLost,
        other => return Err(LedgerError::UnknownEventType { found: other.to_owned(), expected: EVENT_TYPES }),
    };
    Ok(EventDraft { serial, time, kind })
}

/// Reads the members of one JSON object, remembering which were read so that the rest can be
/// refused as unknown.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    fn new(object: &'a Map<String, Value>) -> Fields<'a> {
        Fields { object, used: Vec::new() }
    }

    fn optional(&mut self, name: &'static str) -> Option<&'a Value> {
        self.used.push(name);
        self.object.get(name).filter(|value| !value.is_null())
    }

    fn required(&mut self, name: &'static str) -> Result<&'a Value, LedgerError> {
        self.optional(name).ok_or_else(|| LedgerError::field(name, "missing"))
    }

    fn string(&mut self, name: &'static str) -> Result<String, LedgerError> {
        let value = self.required(name)?;
        text(name, value)
    }

    fn optional_string(&mut self, name: &'static str) -> Result<Option<String>, LedgerError> {
        self.optional(name).map(|value| text(name, value)).transpose()
    }

    fn time(&mut self, name: &'static str) -> Result<Timestamp, LedgerError> {
        let value = self.string(name)?;
        parse_time(name, &value)
    }

    fn country(&mut self, name: &'static str) -> Result<CountryCode, LedgerError> {
        let value = self.string(name)?;
        country(name, &value)
    }

    fn optional_country(&mut self, name: &'static str) -> Result<Option<CountryCode>, LedgerError> {
        self.optional_string(name)?.map(|value| country(name, &value)).transpose()
    }

    fn countries(&mut self, name: &'static str) -> Result<Vec<CountryCode>, LedgerError> {
        let Value::Array(items) = self.required(name)? else {
            return Err(LedgerError::field(name, "expected an array of country codes"));
        };
        let mut codes = items
            .iter()
            .map(|item| match item {
                Value::String(code) => country(name, code),
                _ => Err(LedgerError::field(name, "expected an array of country codes")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if codes.is_empty() {
            return Err(LedgerError::field(name, "needs at least one country"));
        }
        codes.sort();
        codes.dedup();
        Ok(codes)
    }

    fn optional_key(&mut self, name: &'static str) -> Result<Option<PublicKey>, LedgerError> {
        let Some(value) = self.optional_string(name)? else {
            return Ok(None);
        };
        PublicKey::from_hex(&value).map(Some).map_err(|error| LedgerError::field(name, error.to_string()))
    }

    fn version(&mut self) -> Result<(), LedgerError> {
        let value = self.required("version")?;
        if value.as_u64() != Some(EVENT_VERSION) {
            return Err(LedgerError::UnsupportedVersion { found: value.to_string() });
        }
        Ok(())
    }

    fn submitter(&mut self) -> Result<Submitter, LedgerError> {
        let Value::Object(object) = self.required("submitter")? else {
            return Err(LedgerError::field("submitter", "expected an object with `party` and `public_key`"));
        };
        let mut inner = Fields::new(object);
        let party = inner.string("party").map_err(|e| nest("submitter", e))?;
        let key = inner.string("public_key").map_err(|e| nest("submitter", e))?;
        let public_key =
            PublicKey::from_hex(&key).map_err(|error| LedgerError::field("submitter.public_key", error.to_string()))?;
        inner.finish("submitter").map_err(|e| nest("submitter", e))?;
        Ok(Submitter { party, public_key })
    }

    /// Refuses members that were never read.
    fn finish(&self, context: &str) -> Result<(), LedgerError> {
        match self.object.keys().find(|key| !self.used.contains(&key.as_str())) {
            Some(key) => Err(LedgerError::field(key, format!("unknown field for `{context}`"))),
            None => Ok(()),
        }
    }
}

fn nest(parent: &str, error: LedgerError) -> LedgerError {
    match error {
        LedgerError::Field { field, message } => LedgerError::Field { field: format!("{parent}.{field}"), message },
        other => other,
    }
}

fn text(name: &str, value: &Value) -> Result<String, LedgerError> {
    let Value::String(text) = value else {
        return Err(LedgerError::field(name, format!("expected a string, found `{value}`")));
    };
    check_name(name, text)?;
    Ok(text.clone())
}

/// A serial, party, site or other name: not empty, no control characters, no spaces at either
/// end (a trailing space would make `Acme` and `Acme ` two holders).
pub(crate) fn check_name(field: &str, text: &str) -> Result<(), LedgerError> {
    if text.trim().is_empty() {
        return Err(LedgerError::field(field, "is empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(LedgerError::field(field, format!("`{}` contains a control character", text.escape_debug())));
    }
    if text.trim() != text {
        return Err(LedgerError::field(field, format!("`{text}` has spaces at its start or end")));
    }
    Ok(())
}

/// The earliest time RFC 3339 can write: 0000-01-01T00:00:00Z.
const EARLIEST_SECOND: i64 = -62_167_219_200;

fn parse_time(name: &str, value: &str) -> Result<Timestamp, LedgerError> {
    let time: Timestamp = value.parse().map_err(|error| {
        LedgerError::field(name, format!("`{value}` is not an RFC 3339 time with an offset ({error})"))
    })?;
    if time.as_second() < EARLIEST_SECOND {
        return Err(LedgerError::field(name, format!("`{value}` is before the year 0")));
    }
    Ok(time)
}

fn country(name: &str, value: &str) -> Result<CountryCode, LedgerError> {
    CountryCode::parse(value).map_err(|error| LedgerError::field(name, error.to_string()))
}

/// A canonical JSON value (the JCS subset described in the module documentation).
#[derive(Debug, Clone)]
pub(crate) enum Canon {
    Str(String),
    Int(u64),
    Arr(Vec<Canon>),
    // INVARIANT: keys are ASCII, so BTreeMap's byte order is JCS's UTF-16 order.
    Obj(BTreeMap<&'static str, Canon>),
}

impl Canon {
    pub(crate) fn str(text: &str) -> Canon {
        Canon::Str(text.to_owned())
    }

    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Canon::Str(text) => write_string(text, out),
            Canon::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Canon::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Canon::Obj(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A JSON string as RFC 8785 section 3.2.2.2 writes it.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_string(input: &str, expected: &str) {
        let mut out = String::new();
        write_string(input, &mut out);
        assert_eq!(out, expected);
    }

    #[test]
    fn strings_are_escaped_as_jcs_does() {
        check_string("plain", r#""plain""#);
        check_string("a\"b\\c", r#""a\"b\\c""#);
        check_string("\u{8}\t\n\u{c}\r\u{1}\u{1f}", r#""\b\t\n\f\r\u0001\u001f""#);
        check_string("€/é\u{7f}", "\"€/é\u{7f}\"");
    }

    #[test]
    fn drafts_name_the_bad_field() {
        let cases = [
            (r#"{"type":"shipped","serial":"SN1","time":"2026-01-05T00:00:00Z","from":"A","to":"B"}"#, "destination"),
            (
                r#"{"type":"shipped","serial":"SN1","time":"2026-01-05T00:00:00Z","from":"A","to":"B","destination":"MYS"}"#,
                "destination",
            ),
            (r#"{"type":"received","serial":"SN1","time":"yesterday","holder":"B"}"#, "time"),
            (r#"{"type":"received","serial":"SN1","time":"2026-01-05T00:00:00","holder":"B"}"#, "time"),
            (r#"{"type":"received","serial":" ","time":"2026-01-05T00:00:00Z","holder":"B"}"#, "serial"),
            (r#"{"type":"received","serial":"SN1","time":"2026-01-05T00:00:00Z","holder":7}"#, "holder"),
            (
                r#"{"type":"received","serial":"SN1","time":"2026-01-05T00:00:00Z","holder":"B","colour":"red"}"#,
                "colour",
            ),
            (r#"{"serial":"SN1","time":"2026-01-05T00:00:00Z","holder":"B"}"#, "type"),
        ];
        for (line, field) in cases {
            match EventDraft::from_json(line) {
                Err(LedgerError::Field { field: got, .. }) => assert_eq!(got, field, "{line}"),
                other => panic!("{line}: expected an error on `{field}`, got {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_types_and_versions_are_refused() {
        let unknown = EventDraft::from_json(r#"{"type":"teleported","serial":"SN1","time":"2026-01-05T00:00:00Z"}"#);
        assert!(matches!(unknown, Err(LedgerError::UnknownEventType { .. })), "{unknown:?}");
        let version =
            EventDraft::from_json(r#"{"version":2,"type":"destroyed","serial":"SN1","time":"2026-01-05T00:00:00Z"}"#);
        assert!(matches!(version, Err(LedgerError::UnsupportedVersion { .. })), "{version:?}");
        let not_object = EventDraft::from_json("[1]");
        assert!(matches!(not_object, Err(LedgerError::Json { .. })));
    }
}
