//! The one error type of the API: a code that alone decides the HTTP status, a message for the
//! caller, and the request field at fault when there is one. Every error, from a handler, an
//! extractor or a layer, leaves the server in the same shape:
//! `{"error":{"code":"...","message":"...","field":...}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What went wrong, as the caller can act on it. The code alone decides the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The body is not JSON, or not of the expected shape (wrong type, unknown or missing field).
    InvalidJson,
    /// The query string is malformed or names an unknown parameter.
    InvalidQuery,
    /// Well-formed, but a value is wrong: an unknown model, a bad date or country, a refused
    /// custody event.
    InvalidInput,
    /// No token, or a token that is unknown or revoked.
    Unauthenticated,
    /// The token's role may not use this endpoint.
    Forbidden,
    NotFound,
    MethodNotAllowed,
    /// The state changed under the request (the ledger grew while a batch was checked): retry.
    Conflict,
    PayloadTooLarge,
    /// The request did not finish in time.
    Timeout,
    /// The store cannot be opened or read now.
    Unavailable,
    /// A bug, or corrupt bundled or stored data. Details are logged, never returned.
    Internal,
}

impl Code {
    pub fn status(self) -> StatusCode {
        match self {
            Code::InvalidJson | Code::InvalidQuery | Code::InvalidInput => StatusCode::BAD_REQUEST,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::Conflict => StatusCode::CONFLICT,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code of a status that a layer or the router produced without one.
    pub fn of_status(status: StatusCode) -> Code {
        match status {
            StatusCode::UNAUTHORIZED => Code::Unauthenticated,
            StatusCode::FORBIDDEN => Code::Forbidden,
            StatusCode::NOT_FOUND => Code::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => Code::Timeout,
            StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
            s if s.is_client_error() => Code::InvalidInput,
            _ => Code::Internal,
        }
    }
}

/// An error answered to the caller.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// The request field at fault (`parties[2].name`), or `None`.
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: Code, message: impl std::fmt::Display) -> ApiError {
        ApiError { code, message: message.to_string(), field: None }
    }

    pub fn input(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(Code::InvalidInput, message)
    }

    /// A bad value in a named request field.
    pub fn field(field: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: Code::InvalidInput,
            message: format!("field `{field}`: {message}"),
            field: Some(field.to_owned()),
        }
    }

    pub fn not_found(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(Code::NotFound, message)
    }

    /// An internal failure: the details go to the log, the caller gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(detail = %detail, "internal error");
        ApiError::new(Code::Internal, "internal error (the details are in the server's log)")
    }

    /// The store failed: the details go to the log.
    pub fn store(e: chipwarden_store::StoreError) -> ApiError {
        match e {
            // A value the store refused is the caller's to fix, and says nothing internal.
            chipwarden_store::StoreError::Invalid(message) => ApiError::input(message),
            chipwarden_store::StoreError::UnknownVersion(v) => {
                ApiError::not_found(format!("there is no list version {v}"))
            }
            other => {
                tracing::error!(detail = %other, "store error");
                ApiError::new(
                    Code::Unavailable,
                    "the store could not be read or written (the details are in the server's log)",
                )
            }
        }
    }

    /// The JSON body of this error, fields in the order of the shape.
    pub fn body(&self) -> String {
        serde_json::to_string(&Shape { error: self })
            .unwrap_or_else(|_| r#"{"error":{"code":"internal","message":"internal error","field":null}}"#.to_owned())
    }
}

#[derive(Serialize)]
struct Shape<'a> {
    error: &'a ApiError,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let json = axum::http::HeaderValue::from_static("application/json");
        (self.code.status(), [(axum::http::header::CONTENT_TYPE, json)], self.body()).into_response()
    }
}

/// A store error in a closure the store calls back (`for_each_usage`).
impl From<chipwarden_store::StoreError> for ApiError {
    fn from(e: chipwarden_store::StoreError) -> ApiError {
        ApiError::store(e)
    }
}

/// The service layer's errors: a store error as the store's, a refused value as the caller's,
/// everything else internal (logged, never returned).
impl From<chipwarden_service::ServiceError> for ApiError {
    fn from(e: chipwarden_service::ServiceError) -> ApiError {
        use chipwarden_service::ServiceError as E;
        match e {
            E::Store(e) => ApiError::store(e),
            E::Refused(_) => ApiError::input(e),
            E::NoSuchCase(_) => ApiError::not_found(e),
            E::Conflict(_) => ApiError::new(Code::Conflict, e),
            E::Forbidden(_) => ApiError::new(Code::Forbidden, e),
            E::Invalid(ref message) => {
                // The service names the field in backticks at the start: `reason`: ...
                let field = message.strip_prefix('`').and_then(|rest| rest.split('`').next()).map(str::to_owned);
                ApiError { field, ..ApiError::input(message) }
            }
            E::FleetLine { index, cause, .. } => ApiError::field(&format!("inventory[{index}]"), cause),
            E::Fleet(cause) => ApiError::field("inventory", cause),
            other => ApiError::internal(other),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_fixed() {
        let e = ApiError::field("parties[0].name", "must not be empty");
        assert_eq!(
            e.body(),
            r#"{"error":{"code":"invalid_input","message":"field `parties[0].name`: must not be empty","field":"parties[0].name"}}"#
        );
        assert_eq!(Code::Timeout.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(Code::of_status(StatusCode::PAYLOAD_TOO_LARGE), Code::PayloadTooLarge);
    }
}
