//! Metering endpoints: usage ingest (idempotent: a record id counts once), the usage report over
//! a rolling window, and groups of linked accounts. The same engine calls as `meter ingest`,
//! `meter report` and `accounts groups`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chipwarden_meter::UsageRecord;
use chipwarden_store::{Store, StoredUsage};
use serde::{Deserialize, Serialize};

use crate::api::screen::{RecordRejected, stored_customers};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Params, body_bytes, records_text};
use crate::state::{AppState, Inner, now};

/// Records are committed in batches of this many, one transaction each, as the CLI does.
const BATCH: usize = 50_000;

/// Explicit links and the links customer records imply, together.
fn all_links(store: &Store) -> ApiResult<Vec<chipwarden_meter::Link>> {
    let mut links = Vec::new();
    for l in store.links().map_err(ApiError::store)? {
        let reason = chipwarden_meter::LinkReason::parse(&l.reason)
            .ok_or_else(|| ApiError::internal(format!("stored link reason `{}` is unknown", l.reason)))?;
        links.push(chipwarden_meter::Link {
            account_a: l.account_a,
            account_b: l.account_b,
            reason,
            evidence: l.evidence,
        });
    }
    links.extend(chipwarden_meter::derived_links(&stored_customers(store)?));
    Ok(links)
}

/// Groups of linked accounts, each with its links and their evidence (`accounts groups --json`).
pub async fn groups(State(state): State<AppState>) -> ApiResult<Json<Vec<chipwarden_meter::Group>>> {
    state.with_store(|store, _| Ok(Json(chipwarden_meter::groups(&all_links(store)?)))).await
}

#[derive(Debug, Serialize)]
pub struct IngestResponse {
    pub inserted: usize,
    pub already_counted: usize,
    pub rejected: Vec<RecordRejected>,
}

fn stored(r: &UsageRecord) -> StoredUsage {
    StoredUsage {
        record_id: r.record_id.clone(),
        account: r.account.clone(),
        chip_model: r.chip_model.clone(),
        chip_id: r.chip_id.clone(),
        chips: r.chips,
        start: r.start.to_string(),
        end: r.end.to_string(),
        utilization: r.utilization,
        tensor_active: r.tensor_active,
        run_id: r.run_id.clone(),
    }
}

/// Usage records in the `meter ingest --format jsonl` schema, as JSON Lines or an array. Good
/// records are stored (a record id already stored counts nothing); rejected ones are listed.
/// When every record is rejected, nothing is stored and the answer is an error.
pub async fn ingest(State(state): State<AppState>, request: axum::extract::Request) -> ApiResult<Json<IngestResponse>> {
    let bytes = body_bytes(request, &()).await?;
    let text = records_text(&bytes)?;
    state
        .with_store(move |store, inner: &Inner| {
            let mut good = Vec::new();
            let mut rejected = Vec::new();
            for item in chipwarden_meter::jsonl_records("request", text.as_bytes(), &inner.catalog) {
                match item {
                    Ok(record) => good.push(stored(&record)),
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
            let at = now();
            let (mut inserted, mut already_counted) = (0, 0);
            for batch in good.chunks(BATCH) {
                let done = store.ingest_usage(batch, "api", &at).map_err(ApiError::store)?;
                inserted += done.inserted;
                already_counted += done.already_counted;
            }
            Ok(Json(IngestResponse { inserted, already_counted, rejected }))
        })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Window length in days (default 90).
    pub window: Option<u32>,
    /// End of the window, RFC 3339 (default now).
    pub as_of: Option<String>,
}

/// Compute per account, group and run over the window (`meter report --json`).
pub async fn report(
    State(state): State<AppState>,
    Params(params): Params<ReportParams>,
) -> ApiResult<Json<chipwarden_meter::Report>> {
    state
        .with_store(move |store, inner| {
            let as_of = match params.as_of.as_deref() {
                Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| ApiError::field("as_of", e))?,
                None => jiff::Timestamp::now(),
            };
            let window = chipwarden_meter::Window::ending(as_of, params.window.unwrap_or(90))
                .map_err(|e| ApiError::field("window", e))?;
            let groups = chipwarden_meter::groups(&all_links(store)?);
            let mut aggregator = chipwarden_meter::Aggregator::new(window, &groups);
            let mut chips: HashMap<String, &chipwarden_core::Chip> = HashMap::new();
            let band = chipwarden_meter::Band::default();
            let mut line = 0u64;
            store.for_each_usage(|u| -> ApiResult<()> {
                line += 1;
                let parse = |t: &str| t.parse::<jiff::Timestamp>().map_err(ApiError::internal);
                let (start, end) = (parse(u.start)?, parse(u.end)?);
                if !aggregator.overlaps(start, end) {
                    return Ok(());
                }
                let chip = match chips.get(u.chip_id) {
                    Some(chip) => *chip,
                    None => {
                        let chip = inner.catalog.lookup(u.chip_id).map_err(ApiError::internal)?;
                        chips.insert(u.chip_id.to_owned(), chip);
                        chip
                    }
                };
                let record = UsageRecord {
                    record_id: u.record_id.to_owned(),
                    account: u.account.to_owned(),
                    chip_model: u.chip_model.to_owned(),
                    chip_id: u.chip_id.to_owned(),
                    chips: u.chips,
                    start,
                    end,
                    utilization: u.utilization,
                    tensor_active: u.tensor_active,
                    run_id: u.run_id.map(str::to_owned),
                    source_line: line,
                };
                let estimate = chipwarden_meter::estimate(&record, chip, band).map_err(ApiError::internal)?;
                aggregator.add(chipwarden_meter::MeteredRecord { record, estimate });
                Ok(())
            })?;
            let thresholds = chipwarden_meter::Thresholds::bundled().map_err(ApiError::internal)?;
            Ok(Json(aggregator.finish(&groups, &thresholds, &chipwarden_meter::SplitOptions::default())))
        })
        .await
}
