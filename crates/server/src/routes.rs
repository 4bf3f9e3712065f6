//! The route table: every endpoint with its method, path, who may call it and how large a body
//! it takes, in one place. The router is built from it, the role tests walk it, and the OpenAPI
//! test holds `openapi.json` to it.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::api;
use crate::auth::{Role, authorize};
use crate::error::{ApiError, Code};
use crate::state::AppState;

/// Bodies of most endpoints: one request, one question.
pub const SMALL_BODY: usize = 1024 * 1024;
/// Bodies that carry many records: usage, parties, customers, custody events.
pub const LARGE_BODY: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
        }
    }
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed: health, readiness, metrics, the API description.
    Public,
    /// A live token with one of these roles.
    Roles(&'static [Role]),
}

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: Method,
    /// The path pattern, `{name}` for a path parameter.
    pub path: &'static str,
    pub access: Access,
    /// The largest body accepted, in bytes (larger: 413).
    pub body_limit: usize,
    /// The handler, registered under `method` (so the table's method is the one served).
    pub handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

/// Read and review: analysts and admins.
const ANALYSIS: &[Role] = &[Role::Admin, Role::Analyst];
/// Usage and custody data in: operators and admins.
const INGEST: &[Role] = &[Role::Admin, Role::Operator];
/// Measurement records in: agents (for their own chips) and admins.
const MEASURE: &[Role] = &[Role::Admin, Role::Agent];
/// Ledger reads: operators also check what they appended.
const LEDGER_READ: &[Role] = &[Role::Admin, Role::Analyst, Role::Operator];

const fn route(
    method: Method,
    path: &'static str,
    access: Access,
    body_limit: usize,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> Route {
    Route { method, path, access, body_limit, handler }
}

use Access::{Public, Roles};
use Method::{Get, Post};

/// Every endpoint the server answers.
pub static ROUTES: &[Route] = &[
    route(Get, "/healthz", Public, SMALL_BODY, |m| on(m, api::ops::healthz)),
    route(Get, "/readyz", Public, SMALL_BODY, |m| on(m, api::ops::readyz)),
    route(Get, "/metrics", Public, SMALL_BODY, |m| on(m, api::ops::metrics)),
    route(Get, "/api/v1/openapi.json", Public, SMALL_BODY, |m| on(m, api::ops::openapi)),
    route(Post, "/api/v1/classify", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::classify::classify_handler)),
    route(Post, "/api/v1/license", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::classify::license)),
    route(Post, "/api/v1/foundry/check", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::classify::foundry_check)),
    route(Get, "/api/v1/catalog", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::classify::catalog)),
    route(Get, "/api/v1/rules", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::classify::rules)),
    route(Post, "/api/v1/rules/stress", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::classify::stress)),
    route(Post, "/api/v1/capacity", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::classify::capacity_handler)),
    route(Post, "/api/v1/screen", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::screen::screen)),
    route(Post, "/api/v1/screen/batch", Roles(ANALYSIS), LARGE_BODY, |m| on(m, api::screen::screen_batch)),
    route(Get, "/api/v1/lists", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::screen::lists)),
    route(Get, "/api/v1/lists/{source}/versions", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::screen::list_versions)),
    route(Get, "/api/v1/customers", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::screen::customers)),
    route(Post, "/api/v1/customers", Roles(ANALYSIS), LARGE_BODY, |m| on(m, api::screen::import_customers)),
    route(Get, "/api/v1/accounts/groups", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::meter::groups)),
    route(Post, "/api/v1/accounts/links", Roles(ANALYSIS), LARGE_BODY, |m| on(m, api::meter::link)),
    route(Post, "/api/v1/usage", Roles(INGEST), LARGE_BODY, |m| on(m, api::meter::ingest)),
    route(Get, "/api/v1/usage/report", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::meter::report)),
    route(Get, "/api/v1/usage/thresholds", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::meter::thresholds)),
    route(Post, "/api/v1/ledger/events", Roles(INGEST), LARGE_BODY, |m| on(m, api::ledger::append)),
    route(Get, "/api/v1/ledger/checkpoint", Roles(LEDGER_READ), SMALL_BODY, |m| on(m, api::ledger::checkpoint)),
    route(Get, "/api/v1/ledger/proof", Roles(LEDGER_READ), SMALL_BODY, |m| on(m, api::ledger::proof)),
    route(Get, "/api/v1/ledger/consistency", Roles(LEDGER_READ), SMALL_BODY, |m| on(m, api::ledger::consistency)),
    route(Post, "/api/v1/locate/verify", Roles(ANALYSIS), LARGE_BODY, |m| on(m, api::locate::verify)),
    route(Post, "/api/v1/locate/measurements", Roles(MEASURE), LARGE_BODY, |m| on(m, api::locate::measurements)),
    route(Get, "/api/v1/locate/chips", Roles(LEDGER_READ), SMALL_BODY, |m| on(m, api::locate::chips)),
    route(Get, "/api/v1/locate/{serial}/map.svg", Roles(LEDGER_READ), SMALL_BODY, |m| on(m, api::locate::chip_map)),
    route(Get, "/api/v1/registry", Roles(LEDGER_READ), SMALL_BODY, |m| on(m, api::registry::registry)),
    route(Get, "/api/v1/registry/map.svg", Roles(LEDGER_READ), SMALL_BODY, |m| on(m, api::registry::map)),
    route(Get, "/api/v1/overview", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::cases::overview)),
    route(Get, "/api/v1/cases", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::cases::list)),
    route(Get, "/api/v1/cases/{id}", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::cases::show)),
    route(Post, "/api/v1/cases/{id}/assign", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::cases::assign)),
    route(Post, "/api/v1/cases/{id}/notes", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::cases::note)),
    route(Post, "/api/v1/cases/{id}/decide", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::cases::decide)),
    route(Get, "/api/v1/audit", Roles(ANALYSIS), SMALL_BODY, |m| on(m, api::cases::audit)),
    route(Get, "/", Public, SMALL_BODY, |m| on(m, crate::assets::index)),
    route(Get, "/assets/{file}", Public, SMALL_BODY, |m| on(m, crate::assets::asset)),
];

/// The whole application: every route of the table behind its role check and body limit, then
/// (inside out) the timeout, the error shape for answers that layers and the router made, the
/// metrics, and request tracing.
pub fn app(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for r in ROUTES {
        let mut endpoint = (r.handler)(r.method.filter());
        if let Access::Roles(roles) = r.access {
            endpoint = endpoint.route_layer(from_fn_with_state((state.clone(), roles), authorize));
        }
        // The limit is checked before the token: an oversized body is refused unread.
        endpoint = endpoint.layer(RequestBodyLimitLayer::new(r.body_limit));
        router = router.route(r.path, endpoint);
    }
    let timeout = state.inner.config.request_timeout;
    router
        .fallback(not_found)
        // The per-route RequestBodyLimitLayer decides; axum's own default limit would cut in first.
        .layer(DefaultBodyLimit::disable())
        // 408 marks the layer's own answer; `error_shape` turns it into the `timeout` code (503).
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(from_fn(error_shape))
        .layer(from_fn_with_state(state.clone(), crate::metrics::track))
        // One structured log line per request at INFO: method, path, status, latency.
        .layer(TraceLayer::new_for_http().on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint (the API is described at /api/v1/openapi.json)")
}

/// Gives an error that a layer or the router answered on its own (413 from the body limit, 405,
/// a timeout) the one error shape; the code then decides the status, as for every error.
async fn error_shape(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = Code::of_status(status);
    let message = match code {
        Code::PayloadTooLarge => "the request body is larger than this endpoint accepts".to_owned(),
        Code::MethodNotAllowed => "this path does not answer this method".to_owned(),
        Code::Timeout => "the request did not complete in time".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let allow = response.headers().get(ALLOW).cloned();
    let mut shaped = ApiError::new(code, message).into_response();
    if let Some(allow) = allow {
        shaped.headers_mut().insert(ALLOW, allow);
    }
    shaped
}

/// Readiness: the store opens (a new connection, so a broken file shows) and the bundled
/// catalog is loaded.
pub(crate) async fn ready(State(state): State<AppState>) -> Result<(), ApiError> {
    let location = state.inner.config.store_location().map_err(ApiError::internal)?;
    let chips = state.inner.catalog.chips().len();
    tokio::task::spawn_blocking(move || chipwarden_store::Store::open_url(&location).map(drop))
        .await
        .map_err(|e| ApiError::internal(format!("readiness check failed: {e}")))?
        .map_err(|e| {
            tracing::error!(detail = %e, "not ready: the store cannot be opened");
            ApiError::new(Code::Unavailable, "not ready: the store cannot be opened")
        })?;
    if chips == 0 {
        return Err(ApiError::new(Code::Unavailable, "not ready: the catalog is empty"));
    }
    Ok(())
}

/// How long the server waits for requests in flight after a shutdown signal before it stops.
pub const DRAIN: Duration = Duration::from_secs(30);

/// `application/json` for hand-built bodies.
pub(crate) fn json_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}
