//! Cases and the audit trail: the case queue (`GET /cases?state=`), one case with its notes and
//! evidence, assignment, notes and decisions (each logged as an audit entry by the service), the
//! latest audit entries with their leaf indices, and the dashboard's overview counts.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use chipwarden_service::audit::{AuditRecord, Auditor};
use chipwarden_store::{Case, CaseState, ListVersion};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params};
use crate::state::AppState;

/// The log's key acting as the caller (its token's name).
pub(crate) fn auditor(state: &AppState, caller: &Caller) -> ApiResult<Auditor> {
    state.inner.auditor(&caller.name)
}

/// Runs `f` on the store with the caller's auditor: every change to a case is logged as the
/// caller, in the same transaction as the change.
async fn audited<T, F>(state: AppState, caller: Caller, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut chipwarden_store::Store, &Auditor) -> ApiResult<T> + Send + 'static,
{
    let app = state.clone();
    state.with_store(move |store, _| f(store, &auditor(&app, &caller)?)).await
}

fn state_param(text: Option<&str>) -> ApiResult<Option<CaseState>> {
    text.map(|t| {
        CaseState::parse(t).ok_or_else(|| {
            ApiError::field("state", format!("`{t}` is not one of open, under_review, cleared, escalated"))
        })
    })
    .transpose()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesParams {
    pub state: Option<String>,
}

/// Cases, newest first, optionally in one state (without their notes).
pub async fn list(State(state): State<AppState>, Params(params): Params<CasesParams>) -> ApiResult<Json<Vec<Case>>> {
    let wanted = state_param(params.state.as_deref())?;
    state.with_store(move |store, _| Ok(Json(chipwarden_service::cases::list(store, wanted)?))).await
}

fn case_id(text: &str) -> ApiResult<i64> {
    text.parse().map_err(|_| ApiError::field("id", format!("`{text}` is not a case id")))
}

/// One case with its notes and evidence.
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Case>> {
    let id = case_id(&id)?;
    state.with_store(move |store, _| Ok(Json(chipwarden_service::cases::show(store, id)?))).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Body(req): Body<AssignRequest>,
) -> ApiResult<Json<Case>> {
    let id = case_id(&id)?;
    audited(state, caller, move |store, auditor| {
        Ok(Json(chipwarden_service::cases::assign(store, auditor, id, &req.assignee)?))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub text: String,
}

pub async fn note(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Body(req): Body<NoteRequest>,
) -> ApiResult<Json<Case>> {
    let id = case_id(&id)?;
    audited(state, caller, move |store, auditor| {
        Ok(Json(chipwarden_service::cases::note(store, auditor, id, &req.text)?))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// `cleared` or `escalated`.
    pub state: String,
    pub reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Body(req): Body<DecideRequest>,
) -> ApiResult<Json<Case>> {
    let id = case_id(&id)?;
    let decided = match CaseState::parse(&req.state) {
        Some(s @ (CaseState::Cleared | CaseState::Escalated)) => s,
        _ => return Err(ApiError::field("state", format!("`{}` is not `cleared` or `escalated`", req.state))),
    };
    audited(state, caller, move |store, auditor| {
        Ok(Json(chipwarden_service::cases::decide(store, auditor, id, decided, &req.reason)?))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct AuditResponse {
    pub ledger_size: u64,
    pub entries: Vec<AuditRecord>,
}

/// The latest audit entries (50 unless `limit` says otherwise, at most 1000), newest first.
pub async fn audit(
    State(state): State<AppState>,
    Params(params): Params<AuditParams>,
) -> ApiResult<Json<AuditResponse>> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field("limit", format!("`{limit}` must be between 1 and 1000")));
    }
    state
        .with_store(move |store, _| {
            Ok(Json(AuditResponse {
                ledger_size: store.ledger_size().map_err(ApiError::store)?,
                entries: chipwarden_service::audit::latest(store, limit)?,
            }))
        })
        .await
}

#[derive(Debug, Serialize)]
pub struct CaseCount {
    pub kind: String,
    pub state: CaseState,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct Overview {
    pub cases: Vec<CaseCount>,
    pub lists: Vec<ListVersion>,
    pub ledger_size: u64,
}

/// What the dashboard's overview shows: cases by kind and state, the current list versions and
/// the size of the log (the checkpoint is `GET /ledger/checkpoint`).
pub async fn overview(State(state): State<AppState>) -> ApiResult<Json<Overview>> {
    state
        .with_store(|store, _| {
            let cases = store
                .case_counts()
                .map_err(ApiError::store)?
                .into_iter()
                .map(|(kind, state, count)| CaseCount { kind, state, count })
                .collect();
            Ok(Json(Overview {
                cases,
                lists: store.current_versions().map_err(ApiError::store)?,
                ledger_size: store.ledger_size().map_err(ApiError::store)?,
            }))
        })
        .await
}
