//! Tokens and roles: a token is 32 random bytes shown once as `cwt_` + hex; the store keeps
//! only its SHA-256. Every request looks its token up again, so a revoked token stops working
//! at the next request.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, CONNECTION};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, Code};
use crate::state::AppState;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including administration.
    Admin,
    /// Read every report; classify, screen and review.
    Analyst,
    /// Ingest usage records, append custody events.
    Operator,
    /// Submit measurements for its own chips: those its party holds in the custody ledger.
    Agent,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Operator, Role::Agent];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Operator => "operator",
            Role::Agent => "agent",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == text)
    }
}

/// A new token: the text to hand out once, and the hash to store.
#[derive(Debug)]
pub struct NewToken {
    pub token: String,
    pub hash: String,
}

/// Draws a token from the operating system's random generator.
pub fn new_token() -> Result<NewToken, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = format!("cwt_{}", hex(&bytes));
    let hash = token_hash(&token);
    Ok(NewToken { token, hash })
}

/// SHA-256 of the token text, lowercase hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The caller a request was authenticated as; handlers that record who did something read it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's id in the store.
    pub token_id: i64,
    pub name: String,
    pub role: Role,
}

/// Admits a request whose bearer token is live and whose role is among `allowed`: 401
/// without a usable token, 403 with a role that may not use the endpoint. A refusal is answered
/// before the request's body is read, so it closes the connection (`Connection: close`): a client
/// that reused it would find it closed under its next request.
pub async fn authorize(
    State((state, allowed)): State<(AppState, &'static [Role])>,
    mut request: Request,
    next: Next,
) -> Response {
    let header = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match caller(&state, allowed, header.as_deref()).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refusal) => {
            let mut response = refusal.into_response();
            response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// The caller whose `Authorization` header this is, if its token is live and its role among `allowed`.
async fn caller(state: &AppState, allowed: &'static [Role], header: Option<&str>) -> Result<Caller, ApiError> {
    let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(ApiError::new(Code::Unauthenticated, "give a token: `Authorization: Bearer <token>`"));
    };
    let hash = token_hash(token);
    let inner = std::sync::Arc::clone(&state.inner);
    let found = tokio::task::spawn_blocking(move || {
        let store = inner.auth_stores.get()?;
        store.find_token(&hash).map_err(ApiError::store)
    })
    .await
    .map_err(|e| ApiError::internal(format!("token lookup failed: {e}")))??;
    let Some(stored) = found else {
        return Err(ApiError::new(Code::Unauthenticated, "the token is unknown or revoked"));
    };
    let Some(role) = Role::parse(&stored.role) else {
        return Err(ApiError::internal(format!("token `{}` has an unknown role `{}`", stored.name, stored.role)));
    };
    if !allowed.contains(&role) {
        let names: Vec<&str> = allowed.iter().map(|r| r.name()).collect();
        return Err(ApiError::new(
            Code::Forbidden,
            format!("role `{}` may not use this endpoint (allowed: {})", role.name(), names.join(", ")),
        ));
    }
    Ok(Caller { token_id: stored.id, name: stored.name, role })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let a = new_token().expect("random");
        let b = new_token().expect("random");
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 4 + 64);
        assert_eq!(a.hash, token_hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.token[4..]));
        // SHA-256("abc"), FIPS 180-2.
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
