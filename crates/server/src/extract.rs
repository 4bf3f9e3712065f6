//! Request extractors whose every failure is an [`ApiError`] naming the field: a JSON body
//! (`Body<T>`), a query string (`Params<T>`), and record streams given as JSON Lines or as a
//! JSON array (`records_text`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code};

/// A JSON request body of type `T` (request types deny unknown fields).
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(Body)
    }
}

/// The raw body, its size limit enforced (an oversized body is a 413 in the error shape).
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let status = rejection.status();
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(Code::PayloadTooLarge, "the request body is larger than this endpoint accepts")
        } else {
            ApiError::new(Code::of_status(status), format!("cannot read the request body: {}", rejection.body_text()))
        }
    })
}

/// Parses JSON into `T`; the error names the field (a path such as `parties[2].country`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value =
        serde_path_to_error::deserialize(&mut de).map_err(|e| shape_error(Code::InvalidJson, "JSON body", &e))?;
    de.end().map_err(|e| ApiError::new(Code::InvalidJson, format!("the JSON body has trailing characters: {e}")))?;
    Ok(value)
}

/// A deserialization error with the path to the field at fault. Serde reports an unknown or
/// missing field at the path of the object holding it; the field's own name is in the message.
fn shape_error<E: std::fmt::Display>(code: Code, what: &str, e: &serde_path_to_error::Error<E>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| inner.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned);
    let field = match (named, path.as_str()) {
        (Some(name), "." | "") => Some(name),
        // An unknown field is reported at its own path, a missing one at its parent's.
        (Some(name), own) if own == name || own.ends_with(&format!(".{name}")) => Some(own.to_owned()),
        (Some(name), parent) => Some(format!("{parent}.{name}")),
        (None, "." | "") => None,
        (None, p) => Some(p.to_owned()),
    };
    let message = match &field {
        Some(f) => format!("{what}, field `{f}`: {inner}"),
        None => format!("{what}: {inner}"),
    };
    ApiError { code, message, field }
}

/// Query parameters of type `T` (unknown parameters refused); the error names the parameter.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Params).map_err(|e| shape_error(Code::InvalidQuery, "query", &e))
    }
}

/// Records given as JSON Lines or as one JSON array of objects, as JSON Lines text (an array's
/// element `i` becomes line `i + 1`), for the engines' JSON Lines readers.
pub fn records_text(bytes: &[u8]) -> Result<String, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::new(Code::InvalidJson, format!("the body is not UTF-8 text: {e}")))?;
    if !text.trim_start().starts_with('[') {
        return Ok(text.to_owned());
    }
    let items: Vec<serde_json::Value> = parse_json(bytes)?;
    let mut out = String::with_capacity(text.len());
    for item in items {
        out.push_str(&item.to_string());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Party {
        name: String,
        #[serde(default)]
        score: Option<f64>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Batch {
        parties: Vec<Party>,
    }

    fn field_of(body: &str) -> Option<String> {
        parse_json::<Batch>(body.as_bytes()).expect_err("bad body").field
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{"parties":[{"name":"a"},{"name":1}]}"#).as_deref(), Some("parties[1].name"));
        assert_eq!(field_of(r#"{"parties":[{"name":"a","nmae":"b"}]}"#).as_deref(), Some("parties[0].nmae"));
        assert_eq!(field_of(r#"{"parties":[{}]}"#).as_deref(), Some("parties[0].name"));
        assert_eq!(field_of(r#"{"partys":[]}"#).as_deref(), Some("partys"));
        assert_eq!(field_of(r#"{"parties":[{"name":"a","score":"high"}]}"#).as_deref(), Some("parties[0].score"));
        let e = parse_json::<Batch>(b"{\"parties\":").expect_err("truncated");
        assert_eq!((e.code, e.field.as_deref()), (Code::InvalidJson, Some("parties")), "where the text ended");
        let e = parse_json::<Batch>(b"not json").expect_err("not JSON");
        assert_eq!((e.code, e.field), (Code::InvalidJson, None));
    }

    #[test]
    fn arrays_become_lines() {
        assert_eq!(records_text(br#"[{"a":1}, {"b":2}]"#).expect("array"), "{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(records_text(b"{\"a\":1}\n").expect("lines"), "{\"a\":1}\n");
    }
}
