//! Screening endpoints: one name, a batch of parties (recorded like `screen --file`), list
//! versions, and customer (KYC) records with onboarding screening (like `customers import`).
//! Every hit opens (or, when a list update changed it, reopens) its case.
//! Hits are the screen engine's `Hit`, serialized as the CLI prints them: the contract fields
//! `query`, `entry_id`, `list`, `score`, `matched_name`, then the explanation.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use chipwarden_screen::{DEFAULT_THRESHOLD, Hit, Query};
use chipwarden_service::customers::Onboarded;
use chipwarden_service::screening::{CHUNK, query_cases, screen_and_record};
use chipwarden_store::{CustomersRecorded, ListVersion, Party, StoredCustomer};
use serde::{Deserialize, Serialize};

use crate::api::cases::auditor;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, body_bytes, records_text};
use crate::state::{AppState, now};

fn threshold(value: Option<f64>) -> ApiResult<f64> {
    let t = value.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&t) {
        return Err(ApiError::field("threshold", format!("`{t}` must be between 0 and 1")));
    }
    Ok(t)
}

fn country_code(field: &str, text: Option<&str>) -> ApiResult<Option<String>> {
    text.map(|c| {
        chipwarden_core::CountryCode::parse(c).map(|code| code.to_string()).map_err(|e| ApiError::field(field, e))
    })
    .transpose()
}

// --- one name ---

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    pub name: String,
    /// ISO 3166-1 alpha-2, a qualifier.
    pub country: Option<String>,
    pub address: Option<String>,
    /// Of birth or incorporation, as written.
    pub date: Option<String>,
    #[serde(default)]
    pub identifiers: Vec<String>,
    pub threshold: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ScreenResponse {
    pub query: String,
    pub threshold: f64,
    pub hits: Vec<Hit>,
    /// The case of each hit, in the order of `hits` (`GET /cases/{id}`).
    pub case_ids: Vec<i64>,
    /// Hits dropped because a reviewer marked them false positives.
    pub suppressed: usize,
    pub list_versions: Vec<i64>,
}

pub async fn screen(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<ScreenRequest>,
) -> ApiResult<Json<ScreenResponse>> {
    let app = state.clone();
    state
        .with_store(move |store, inner| {
            let threshold = threshold(req.threshold)?;
            let query = Query {
                id: None,
                name: req.name.clone(),
                country: country_code("country", req.country.as_deref())?,
                address: req.address.clone(),
                date: req.date.clone(),
                identifiers: req.identifiers.clone(),
            };
            let index = inner.nonempty_index(store)?;
            let hits = index.screener.screen(&query, threshold).map_err(|e| ApiError::field("name", e))?;
            let auditor = auditor(&app, &caller)?;
            let (kept, suppressed) = query_cases(store, &auditor, &req.name, hits)?;
            let (hits, case_ids) = kept.into_iter().unzip();
            Ok(Json(ScreenResponse {
                query: req.name,
                threshold,
                hits,
                case_ids,
                suppressed,
                list_versions: index.versions.clone(),
            }))
        })
        .await
}

// --- a batch of parties ---

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyRequest {
    /// The caller's id for the party (default: its name); one id names one party.
    pub id: Option<String>,
    pub name: String,
    pub country: Option<String>,
    pub address: Option<String>,
    pub date: Option<String>,
    #[serde(default)]
    pub identifiers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub parties: Vec<PartyRequest>,
    pub threshold: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct PartyResult {
    pub id: String,
    pub hits: Vec<Hit>,
}

#[derive(Debug, Serialize)]
pub struct Rejected {
    /// The request field at fault, e.g. `parties[3].name`.
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct BatchResponse {
    pub threshold: f64,
    pub screened: usize,
    pub hit_count: usize,
    pub suppressed: usize,
    /// Parties that could not be screened; the others were screened and recorded.
    pub rejected: Vec<Rejected>,
    /// Every screened party, in request order, with its hits.
    pub results: Vec<PartyResult>,
    pub list_versions: Vec<i64>,
}

fn party(i: usize, p: &PartyRequest, seen: &mut BTreeMap<String, usize>) -> Result<Party, Rejected> {
    let reject = |field: &str, reason: String| Rejected { field: format!("parties[{i}].{field}"), reason };
    let name = p.name.trim().to_owned();
    if name.is_empty() {
        return Err(reject("name", "must not be empty".to_owned()));
    }
    let id = p.id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map_or_else(|| name.clone(), str::to_owned);
    if let Some(first) = seen.get(&id) {
        return Err(reject("id", format!("`{id}` is already the id of parties[{first}]")));
    }
    let country = match p.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(
            chipwarden_core::CountryCode::parse(c)
                .map(|code| code.to_string())
                .map_err(|e| reject("country", e.to_string()))?,
        ),
        None => None,
    };
    seen.insert(id.clone(), i);
    Ok(Party {
        id,
        name,
        country,
        address: p.address.clone().filter(|s| !s.trim().is_empty()),
        date: p.date.clone().filter(|s| !s.trim().is_empty()),
        identifiers: p.identifiers.iter().map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect(),
    })
}

pub async fn screen_batch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<BatchRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let app = state.clone();
    state
        .with_store(move |store, inner| {
            let auditor = auditor(&app, &caller)?;
            let threshold = threshold(req.threshold)?;
            let index = inner.nonempty_index(store)?;
            let mut seen = BTreeMap::new();
            let mut rejected = Vec::new();
            let mut good = Vec::new();
            for (i, p) in req.parties.iter().enumerate() {
                match party(i, p, &mut seen) {
                    Ok(party) => good.push((i, party)),
                    Err(r) => rejected.push(r),
                }
            }
            let at = now();
            let (mut results, mut hit_count, mut suppressed) = (Vec::new(), 0, 0);
            for chunk in good.chunks(CHUNK) {
                let parties: Vec<&Party> = chunk.iter().map(|(_, party)| party).collect();
                let done = screen_and_record(
                    store,
                    &index.screener,
                    &index.versions,
                    &parties,
                    threshold,
                    &at,
                    &auditor,
                    &|| (),
                )?;
                suppressed += done.suppressed;
                for ((i, party), result) in chunk.iter().zip(done.results) {
                    match result {
                        Ok(hits) => {
                            hit_count += hits.len();
                            results.push(PartyResult { id: party.id.clone(), hits });
                        }
                        Err(reason) => rejected.push(Rejected { field: format!("parties[{i}].name"), reason }),
                    }
                }
            }
            Ok(Json(BatchResponse {
                threshold,
                screened: results.len(),
                hit_count,
                suppressed,
                rejected,
                results,
                list_versions: index.versions.clone(),
            }))
        })
        .await
}

// --- lists ---

/// The current version of every source, as `lists versions --json` prints them.
pub async fn lists(State(state): State<AppState>) -> ApiResult<Json<Vec<ListVersion>>> {
    state.with_store(|store, _| store.current_versions().map(Json).map_err(ApiError::store)).await
}

/// Every version of one source, oldest first.
pub async fn list_versions(
    State(state): State<AppState>,
    Path(source): Path<String>,
) -> ApiResult<Json<Vec<ListVersion>>> {
    state
        .with_store(move |store, _| {
            let versions = store.versions(&source).map_err(ApiError::store)?;
            if versions.is_empty() {
                return Err(ApiError::not_found(format!("no list source `{source}` has been imported")));
            }
            Ok(Json(versions))
        })
        .await
}

// --- customers ---

/// The record in force of every customer, as `customers list --json` prints them.
pub async fn customers(State(state): State<AppState>) -> ApiResult<Json<Vec<StoredCustomer>>> {
    state.with_store(|store, _| store.customers().map(Json).map_err(ApiError::store)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomersParams {
    pub threshold: Option<f64>,
    /// Store without screening.
    #[serde(default)]
    pub no_screen: bool,
}

#[derive(Debug, Serialize)]
pub struct RecordRejected {
    /// 1-based line (or array element + 1).
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct CustomersResponse {
    #[serde(flatten)]
    pub recorded: CustomersRecorded,
    pub rejected: Vec<RecordRejected>,
    pub screened: bool,
    pub hit_count: usize,
    pub customers: Vec<Onboarded>,
    pub list_versions: Vec<i64>,
}

/// KYC records (JSON Lines or an array) stored as `customers import` stores them; each customer
/// and owner screened and registered for re-screening.
pub async fn import_customers(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Params(params): Params<CustomersParams>,
    request: axum::extract::Request,
) -> ApiResult<Json<CustomersResponse>> {
    let bytes = body_bytes(request, &()).await?;
    let text = records_text(&bytes)?;
    let app = state.clone();
    state
        .with_store(move |store, inner| {
            let auditor = auditor(&app, &caller)?;
            let threshold = threshold(params.threshold)?;
            let mut good = Vec::new();
            let mut rejected = Vec::new();
            for result in chipwarden_meter::parse_customers("request", text.as_bytes()) {
                match result {
                    Ok(c) => good.push(c),
                    Err(r) => rejected.push(RecordRejected { line: r.line, field: r.field, reason: r.reason }),
                }
            }
            if good.is_empty() {
                let first = rejected.first().map_or_else(
                    || "the body holds no customer record".to_owned(),
                    |r| format!("line {}, field `{}`: {}", r.line, r.field, r.reason),
                );
                return Err(ApiError {
                    field: rejected.first().map(|r| r.field.clone()),
                    ..ApiError::input(format!("no customer record could be stored ({first})"))
                });
            }
            let index = inner.index(store)?;
            let onboarding = chipwarden_service::customers::onboard(
                store,
                &index.screener,
                &index.versions,
                &good,
                "api",
                threshold,
                !params.no_screen,
                &auditor,
                &|| (),
            )?;
            for u in &onboarding.unscreened {
                tracing::warn!(party = %u.id, "a party could not be screened");
            }
            Ok(Json(CustomersResponse {
                recorded: onboarding.recorded,
                rejected,
                screened: onboarding.screened,
                hit_count: onboarding.hit_count,
                customers: onboarding.customers,
                list_versions: index.versions.clone(),
            }))
        })
        .await
}
