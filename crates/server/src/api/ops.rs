//! Operations endpoints, open without a token: liveness, readiness, metrics and the API
//! description.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The hand-maintained OpenAPI 3.1 description; a test holds it to the route table.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the store opens and the catalog is loaded.
pub async fn readyz(state: State<AppState>) -> ApiResult<Json<Value>> {
    crate::routes::ready(state).await?;
    Ok(Json(json!({ "status": "ready" })))
}

pub async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let text = state.inner.metrics.encode().map_err(ApiError::internal)?;
    Ok(([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text))
}

pub async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, crate::routes::json_type())], OPENAPI)
}
