//! Metering endpoints: usage ingest (idempotent: a record id counts once), the usage report over
//! a rolling window, and groups of linked accounts. The same engine calls as `meter ingest`,
//! `meter report` and `accounts groups`.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::api::screen::RecordRejected;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, body_bytes, records_text};
use crate::state::{AppState, Inner, now};

/// Groups of linked accounts, each with its links and their evidence (`accounts groups --json`).
pub async fn groups(State(state): State<AppState>) -> ApiResult<Json<Vec<chipwarden_meter::Group>>> {
    state.with_store(|store, _| Ok(Json(chipwarden_service::meter::groups(store)?))).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    pub account_a: String,
    pub account_b: String,
    /// same_beneficial_owner, payment_instrument, ip_or_asn or declared_affiliate.
    pub reason: chipwarden_meter::LinkReason,
    #[serde(default)]
    pub evidence: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinksRequest {
    pub links: Vec<LinkIn>,
}

#[derive(Debug, Serialize)]
pub struct LinksResponse {
    /// Links new to the store (a link already stored counts once).
    pub added: usize,
    /// The groups of linked accounts afterwards.
    pub groups: Vec<chipwarden_meter::Group>,
}

/// Explicit links between accounts (`accounts link`), all stored or none; the groups after.
pub async fn link(State(state): State<AppState>, Body(req): Body<LinksRequest>) -> ApiResult<Json<LinksResponse>> {
    state
        .with_store(move |store, _| {
            let links: Vec<chipwarden_meter::Link> = req
                .links
                .into_iter()
                .map(|l| chipwarden_meter::Link {
                    account_a: l.account_a,
                    account_b: l.account_b,
                    reason: l.reason,
                    evidence: l.evidence,
                })
                .collect();
            let added = chipwarden_service::meter::add_links(store, &links)?;
            Ok(Json(LinksResponse { added, groups: chipwarden_service::meter::groups(store)? }))
        })
        .await
}

#[derive(Debug, Serialize)]
pub struct IngestResponse {
    pub inserted: usize,
    pub already_counted: usize,
    pub rejected: Vec<RecordRejected>,
}

/// Usage records in the `meter ingest --format jsonl` schema, as JSON Lines or an array. Good
/// records are stored (a record id already stored counts nothing); rejected ones are listed.
/// When every record is rejected, nothing is stored and the answer is an error. The alerts the
/// new usage raises become cases within the server's alert interval (`crate::alerts`).
pub async fn ingest(State(state): State<AppState>, request: axum::extract::Request) -> ApiResult<Json<IngestResponse>> {
    let bytes = body_bytes(request, &()).await?;
    let text = records_text(&bytes)?;
    state
        .with_store(move |store, inner: &Inner| {
            let mut good = Vec::new();
            let mut rejected = Vec::new();
            for item in chipwarden_meter::jsonl_records("request", text.as_bytes(), &inner.catalog) {
                match item {
                    Ok(record) => good.push(record),
                    Err(r) => rejected.push(RecordRejected { line: r.line, field: r.field, reason: r.reason }),
                }
            }
            if good.is_empty() {
                let first = rejected.first().map_or_else(
                    || "the body holds no usage record".to_owned(),
                    |r| format!("line {}, field `{}`: {}", r.line, r.field, r.reason),
                );
                return Err(ApiError {
                    field: rejected.first().map(|r| r.field.clone()),
                    ..ApiError::input(format!("no usage record could be stored ({first})"))
                });
            }
            let (inserted, already_counted) = chipwarden_service::meter::ingest(store, &good, "api", &now())?;
            Ok(Json(IngestResponse { inserted, already_counted, rejected }))
        })
        .await
}

/// The usage report's window when none is asked for, days.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Window length in days (default 90).
    pub window: Option<u32>,
    /// End of the window, RFC 3339 (default now).
    pub as_of: Option<String>,
}

/// Compute per account, group and run over the window (`meter report --json`); its alerts
/// (thresholds crossed on the high estimate, split runs) open cases, once each.
pub async fn report(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Params(params): Params<ReportParams>,
) -> ApiResult<Json<chipwarden_meter::Report>> {
    let app = state.clone();
    state
        .with_store(move |store, inner| {
            let as_of = match params.as_of.as_deref() {
                Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| ApiError::field("as_of", e))?,
                None => jiff::Timestamp::now(),
            };
            let window = chipwarden_meter::Window::ending(as_of, params.window.unwrap_or(DEFAULT_WINDOW_DAYS))
                .map_err(|e| ApiError::field("window", e))?;
            let report = chipwarden_service::meter::report(store, &inner.catalog, window)?;
            let auditor = crate::api::cases::auditor(&app, &caller)?;
            chipwarden_service::cases::record_alerts(store, &auditor, &report)?;
            Ok(Json(report))
        })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsParams {
    /// YYYY-MM-DD; default today (UTC).
    pub at: Option<String>,
}

/// One bundled compute threshold and whether it is in force on the date asked.
#[derive(Debug, Serialize)]
pub struct ThresholdView {
    #[serde(flatten)]
    pub threshold: chipwarden_meter::Threshold,
    pub in_force: bool,
}

#[derive(Debug, Serialize)]
pub struct ThresholdsResponse {
    pub version: String,
    pub date: String,
    pub sources: Vec<String>,
    pub thresholds: Vec<ThresholdView>,
}

/// The meter's bundled training-compute thresholds, each marked in force or not on `at`.
pub async fn thresholds(
    State(state): State<AppState>,
    Params(params): Params<ThresholdsParams>,
) -> ApiResult<Json<ThresholdsResponse>> {
    state
        .compute(move |_| {
            let date = match params.at.as_deref() {
                Some(text) => chipwarden_core::parse_date(text).map_err(|e| ApiError::field("at", e))?,
                None => crate::state::today(),
            };
            let bundled = chipwarden_meter::Thresholds::bundled().map_err(ApiError::internal)?;
            Ok(Json(ThresholdsResponse {
                version: bundled.version,
                date: date.to_string(),
                sources: bundled.sources,
                thresholds: bundled
                    .thresholds
                    .into_iter()
                    .map(|t| ThresholdView { in_force: t.in_force(date), threshold: t })
                    .collect(),
            }))
        })
        .await
}
