//! Screening endpoints: one name, a batch of parties (recorded like `screen --file`), list
//! versions, and customer (KYC) records with onboarding screening (like `customers import`).
//! Hits are the screen engine's `Hit`, serialized as the CLI prints them: the contract fields
//! `query`, `entry_id`, `list`, `score`, `matched_name`, then the explanation.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chipwarden_lists::ListCode;
use chipwarden_meter::{Customer, Link};
use chipwarden_screen::{DEFAULT_THRESHOLD, Hit, Query};
use chipwarden_store::{
    CustomerRecord, CustomersRecorded, HitKey, ListVersion, Party, Store, StoredCustomer, StoredHit, Subject, Verdict,
};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, body_bytes, records_text};
use crate::state::{AppState, now};

/// Parties are recorded in chunks of this many, one transaction each, as the CLI does.
const CHUNK: usize = 5_000;

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

pub(crate) fn stored(hit: &Hit) -> ApiResult<StoredHit> {
    Ok(StoredHit {
        list: ListCode::new(&hit.list),
        entry_id: hit.entry_id.clone(),
        matched_name: hit.matched_name.clone(),
        score: hit.score,
        explanation: serde_json::to_value(hit).map_err(ApiError::internal)?,
        matcher_version: hit.matcher_version.to_owned(),
    })
}

/// Drops hits a reviewer marked as false positives; returns how many were dropped.
fn suppress(store: &Store, subject: &Subject, hits: &mut Vec<Hit>) -> ApiResult<usize> {
    let before = hits.len();
    let mut kept = Vec::with_capacity(hits.len());
    for hit in hits.drain(..) {
        let key = HitKey {
            subject: subject.clone(),
            list: ListCode::new(&hit.list),
            entry_id: hit.entry_id.clone(),
            matched_name: hit.matched_name.clone(),
        };
        let decision = store.decision_for(&key).map_err(ApiError::store)?;
        if decision.is_some_and(|d| d.decision.verdict == Verdict::FalsePositive) {
            continue;
        }
        kept.push(hit);
    }
    *hits = kept;
    Ok(before - hits.len())
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
    /// Hits dropped because a reviewer marked them false positives.
    pub suppressed: usize,
    pub list_versions: Vec<i64>,
}

pub async fn screen(State(state): State<AppState>, Body(req): Body<ScreenRequest>) -> ApiResult<Json<ScreenResponse>> {
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
            let mut hits = index.screener.screen(&query, threshold).map_err(|e| ApiError::field("name", e))?;
            let suppressed = suppress(store, &Subject::Query(req.name.clone()), &mut hits)?;
            Ok(Json(ScreenResponse {
                query: req.name,
                threshold,
                hits,
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
    Body(req): Body<BatchRequest>,
) -> ApiResult<Json<BatchResponse>> {
    state
        .with_store(move |store, inner| {
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
                let mut batch: Vec<(Party, Vec<StoredHit>)> = Vec::with_capacity(chunk.len());
                for (i, party) in chunk {
                    let query = Query {
                        id: Some(party.id.clone()),
                        name: party.name.clone(),
                        country: party.country.clone(),
                        address: party.address.clone(),
                        date: party.date.clone(),
                        identifiers: party.identifiers.clone(),
                    };
                    let mut hits = match index.screener.screen(&query, threshold) {
                        Ok(hits) => hits,
                        Err(e) => {
                            rejected.push(Rejected { field: format!("parties[{i}].name"), reason: e.to_string() });
                            continue;
                        }
                    };
                    suppressed += suppress(store, &Subject::Party(party.id.clone()), &mut hits)?;
                    hit_count += hits.len();
                    batch.push((party.clone(), hits.iter().map(stored).collect::<ApiResult<_>>()?));
                    results.push(PartyResult { id: party.id.clone(), hits });
                }
                store.record_batch(&batch, &index.versions, &at).map_err(ApiError::store)?;
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

/// One customer's outcome, the fields of a `customers import --json` line.
#[derive(Debug, Serialize)]
pub struct Onboarded {
    account: String,
    legal_name: String,
    /// `new`, `changed` or `unchanged` against the record in force before.
    record: &'static str,
    screened: bool,
    hits: Vec<Hit>,
    links: Vec<Link>,
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

/// The screened party id of a customer's legal name (as the CLI registers it).
fn customer_party(account: &str) -> String {
    format!("kyc:{account}")
}

/// The screened party id of one of a customer's beneficial owners.
fn owner_party(account: &str, owner: &str) -> String {
    format!("kyc:{account}/owner:{owner}")
}

/// The parties onboarding screens for a customer: the customer itself, then each owner.
fn screened_parties(c: &Customer) -> Vec<Party> {
    let mut out = vec![Party {
        id: customer_party(&c.account),
        name: c.legal_name.clone(),
        country: c.country.clone(),
        address: c.address.clone(),
        date: None,
        identifiers: vec![],
    }];
    for o in &c.beneficial_owners {
        out.push(Party {
            id: owner_party(&c.account, &o.name),
            name: o.name.clone(),
            country: o.country.clone(),
            address: o.address.clone(),
            date: None,
            identifiers: o.identifier.iter().cloned().collect(),
        });
    }
    out
}

/// Every customer in force in the store, as the meter engine reads them.
pub(crate) fn stored_customers(store: &Store) -> ApiResult<Vec<Customer>> {
    store
        .customers()
        .map_err(ApiError::store)?
        .into_iter()
        .map(|s| {
            serde_json::from_value::<Customer>(s.customer.record).map_err(|e| {
                ApiError::internal(format!(
                    "stored customer record `{}` (version {}): {e}",
                    s.customer.account, s.version
                ))
            })
        })
        .collect()
}

/// KYC records (JSON Lines or an array) stored as `customers import` stores them; each customer
/// and owner screened and registered for re-screening.
pub async fn import_customers(
    State(state): State<AppState>,
    Params(params): Params<CustomersParams>,
    request: axum::extract::Request,
) -> ApiResult<Json<CustomersResponse>> {
    let bytes = body_bytes(request, &()).await?;
    let text = records_text(&bytes)?;
    state
        .with_store(move |store, inner| {
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
            let records = good
                .iter()
                .map(|c| {
                    Ok(CustomerRecord {
                        account: c.account.clone(),
                        legal_name: c.legal_name.clone(),
                        country: c.country.clone(),
                        verification: serde_json::to_value(c.verification)
                            .map_err(ApiError::internal)?
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        record: serde_json::to_value(c).map_err(ApiError::internal)?,
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let at = now();
            let recorded = store.record_customers(&records, "api", &at).map_err(ApiError::store)?;
            let status: BTreeMap<String, &'static str> = recorded
                .new
                .iter()
                .map(|a| (a.clone(), "new"))
                .chain(recorded.changed.iter().map(|a| (a.clone(), "changed")))
                .chain(recorded.unchanged.iter().map(|a| (a.clone(), "unchanged")))
                .collect();

            // Onboarding screening: the customer and every owner, against every list in force.
            // The parties stay registered, so re-screening covers them after each list update.
            let parties: Vec<Party> = good.iter().flat_map(screened_parties).collect();
            let index = inner.index(store)?;
            let screening = !params.no_screen && index.screener.entry_count() > 0;
            let mut hits_by_party: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
            if screening {
                let mut batch: Vec<(Party, Vec<StoredHit>)> = Vec::with_capacity(parties.len());
                for party in &parties {
                    let query = Query {
                        id: Some(party.id.clone()),
                        name: party.name.clone(),
                        country: party.country.clone(),
                        address: party.address.clone(),
                        date: None,
                        identifiers: party.identifiers.clone(),
                    };
                    let Ok(mut hits) = index.screener.screen(&query, threshold) else {
                        tracing::warn!(party = %party.id, "a party could not be screened");
                        continue;
                    };
                    suppress(store, &Subject::Party(party.id.clone()), &mut hits)?;
                    batch.push((party.clone(), hits.iter().map(stored).collect::<ApiResult<_>>()?));
                    hits_by_party.insert(party.id.clone(), hits);
                }
                store.record_batch(&batch, &index.versions, &at).map_err(ApiError::store)?;
            } else {
                for party in &parties {
                    store.upsert_party(party).map_err(ApiError::store)?;
                }
            }
            let links = chipwarden_meter::derived_links(&stored_customers(store)?);
            let mut hit_count = 0;
            let mut customers = Vec::new();
            for c in &good {
                let hits: Vec<Hit> = screened_parties(c)
                    .iter()
                    .flat_map(|p| hits_by_party.get(&p.id).into_iter().flatten().cloned())
                    .collect();
                hit_count += hits.len();
                customers.push(Onboarded {
                    account: c.account.clone(),
                    legal_name: c.legal_name.clone(),
                    record: status.get(&c.account).copied().unwrap_or("new"),
                    screened: screening,
                    hits,
                    links: links
                        .iter()
                        .filter(|l| l.account_a == c.account || l.account_b == c.account)
                        .cloned()
                        .collect(),
                });
            }
            Ok(Json(CustomersResponse {
                recorded,
                rejected,
                screened: screening,
                hit_count,
                customers,
                list_versions: index.versions.clone(),
            }))
        })
        .await
}
