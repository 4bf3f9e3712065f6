//! Classification endpoints: classify, license, foundry check, rule sets, stress test, and fleet
//! capacity. Each parses its request, calls the engine function the CLI calls, and answers the
//! JSON the CLI prints with `--json`.

use axum::extract::State;
use axum::{Extension, Json};
use chipwarden_classify::license::LicenseQuery;
use chipwarden_classify::{Classification, RuleSet, determine};
use chipwarden_core::{Catalog, CountryCode, Item, Spec, parse_any_spec, parse_date};
use chipwarden_meter::capacity::{FleetLine, InferenceModel, Workload};
use chipwarden_service::capacity::{self, CapacityReport};
use chipwarden_service::classify::Subject;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::state::{AppState, Inner, today};

/// An item from the catalog (`model`) or described inline (`spec`, as a spec file's JSON).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    pub model: Option<String>,
    pub spec: Option<Value>,
    /// YYYY-MM-DD; default today (UTC).
    pub at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseRequest {
    pub model: Option<String>,
    pub spec: Option<Value>,
    pub destination: String,
    pub party_hq: Option<String>,
    pub end_use: Option<String>,
    #[serde(default)]
    pub entity_listed: bool,
    pub at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoundryRequest {
    /// A design intake record, as the JSON of a `foundry check --design` file.
    pub design: Value,
    pub at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressRequest {
    pub at: Option<String>,
    /// A rule set in the bundled TOML format (a proposed rule); its own date is used.
    pub rules: Option<String>,
    /// Percent below a line that counts as near (default 35).
    pub margin: Option<f64>,
}

fn subject(catalog: &Catalog, model: Option<&str>, spec: Option<&Value>) -> ApiResult<Subject> {
    match (model, spec) {
        (Some(_), Some(_)) => Err(ApiError::field("spec", "give `model` or `spec`, not both")),
        (Some(model), None) => {
            Ok(Subject::Item(catalog.lookup(model).map_err(|e| ApiError::field("model", e))?.item.clone()))
        }
        (None, Some(spec)) => {
            match parse_any_spec("spec", &spec.to_string()).map_err(|e| ApiError::field("spec", e))? {
                Spec::Item(item) => Ok(Subject::Item(item)),
                Spec::System(system) => {
                    let mut parts = Vec::new();
                    for component in &system.components {
                        let chip = catalog.lookup(&component.model).map_err(|e| ApiError::field("spec.contains", e))?;
                        parts.push((chip.item.clone(), component.count));
                    }
                    Ok(Subject::System { name: system.name, parts })
                }
            }
        }
        (None, None) => Err(ApiError::field("model", "give `model` (a catalog name) or `spec` (an item)")),
    }
}

pub(crate) fn date(field: &str, text: Option<&str>) -> ApiResult<Date> {
    match text {
        Some(t) => parse_date(t).map_err(|e| ApiError::field(field, e)),
        None => Ok(today()),
    }
}

fn rules_at(inner: &Inner, date: Date) -> ApiResult<&RuleSet> {
    inner.book.at(date).map_err(|e| ApiError::field("at", e))
}

fn country(field: &str, text: &str) -> ApiResult<CountryCode> {
    CountryCode::parse(text).map_err(|e| ApiError::field(field, e))
}

pub async fn classify_handler(
    State(state): State<AppState>,
    Body(req): Body<ClassifyRequest>,
) -> ApiResult<Json<Classification>> {
    state
        .compute(move |inner| {
            let item = subject(&inner.catalog, req.model.as_deref(), req.spec.as_ref())?;
            let date = date("at", req.at.as_deref())?;
            Ok(Json(item.classify(rules_at(inner, date)?, date)))
        })
        .await
}

pub async fn license(
    State(state): State<AppState>,
    Body(req): Body<LicenseRequest>,
) -> ApiResult<Json<chipwarden_classify::LicenseDetermination>> {
    state
        .compute(move |inner| {
            let item = subject(&inner.catalog, req.model.as_deref(), req.spec.as_ref())?;
            let date = date("at", req.at.as_deref())?;
            let rules = rules_at(inner, date)?;
            let query = LicenseQuery {
                destination: country("destination", &req.destination)?,
                party_hq: req.party_hq.as_deref().map(|c| country("party_hq", c)).transpose()?,
                end_use: req.end_use.clone(),
                entity_listed: req.entity_listed,
            };
            let classification = item.classify(rules, date);
            Ok(Json(determine(classification, rules, &inner.groups, &item.metrics(), &query)))
        })
        .await
}

/// A foundry assessment (`foundry check --json`), and the case it opened or updated when it
/// raises red flags or the presumption applies unrebutted.
#[derive(Debug, Serialize)]
pub struct FoundryResponse {
    #[serde(flatten)]
    pub assessment: chipwarden_classify::FoundryAssessment,
    pub case_id: Option<i64>,
}

pub async fn foundry_check(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<FoundryRequest>,
) -> ApiResult<Json<FoundryResponse>> {
    let app = state.clone();
    state
        .with_store(move |store, inner| {
            let design = chipwarden_classify::parse_design("design", &req.design.to_string())
                .map_err(|e| ApiError::field("design", e))?;
            let date = date("at", req.at.as_deref())?;
            let rules = rules_at(inner, date)?;
            let assessment = chipwarden_classify::assess(&design, rules, &inner.groups, date);
            let auditor = crate::api::cases::auditor(&app, &caller)?;
            let case_id = chipwarden_service::cases::record_foundry(store, &auditor, &assessment)?.map(|(id, _)| id);
            Ok(Json(FoundryResponse { assessment, case_id }))
        })
        .await
}

pub async fn rules(State(state): State<AppState>) -> ApiResult<Json<Vec<RuleSet>>> {
    state.compute(|inner| Ok(Json(inner.book.sets().to_vec()))).await
}

pub async fn stress(
    State(state): State<AppState>,
    Body(req): Body<StressRequest>,
) -> ApiResult<Json<chipwarden_classify::StressReport>> {
    state
        .compute(move |inner| {
            let margin = req.margin.unwrap_or(35.0);
            if !(margin.is_finite() && margin >= 0.0) {
                return Err(ApiError::field("margin", format!("`{margin}` must be a percentage of zero or more")));
            }
            let (set, date) = match (&req.rules, &req.at) {
                (Some(_), Some(_)) => return Err(ApiError::field("at", "give `at` or `rules`, not both")),
                (Some(text), None) => {
                    let set = RuleSet::parse("rules", text).map_err(|e| ApiError::field("rules", e))?;
                    let date = set.effective;
                    (set, date)
                }
                (None, at) => {
                    let date = date("at", at.as_deref())?;
                    (rules_at(inner, date)?.clone(), date)
                }
            };
            // A chip released after the assessment date is not part of that day's market.
            let (released, unreleased): (Vec<_>, Vec<_>) = inner
                .catalog
                .chips()
                .iter()
                .partition(|c| c.release_date.as_deref().is_none_or(|r| released_by(r, date)));
            let items: Vec<Item> = released.iter().map(|c| c.item.clone()).collect();
            let mut report = chipwarden_classify::stress_report(&items, &set, date, margin);
            report.not_yet_released = unreleased.iter().map(|c| c.name.clone()).collect();
            Ok(Json(report))
        })
        .await
}

/// Was a chip with this release date ("YYYY-MM-DD" or "YYYY") on the market on `date`?
fn released_by(release: &str, date: Date) -> bool {
    match parse_date(release) {
        Ok(day) => day <= date,
        Err(_) => release.get(..4).and_then(|y| y.parse::<i16>().ok()).is_none_or(|year| year <= date.year()),
    }
}

// --- capacity ---

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryLine {
    pub chip_model: String,
    pub count: u32,
    pub country: String,
}

/// The fleet and the workload; defaults as the CLI's `capacity` flags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityRequest {
    pub inventory: Vec<InventoryLine>,
    pub days: Option<f64>,
    pub utilization: Option<f64>,
    pub params: Option<f64>,
    pub bytes_per_param: Option<f64>,
    pub tokens_per_answer: Option<f64>,
    pub seconds_per_answer: Option<f64>,
    pub reasoning_multiplier: Option<f64>,
    pub batch: Option<u32>,
}

pub async fn capacity_handler(
    State(state): State<AppState>,
    Body(req): Body<CapacityRequest>,
) -> ApiResult<Json<CapacityReport>> {
    state
        .compute(move |inner| {
            let mut resolved = Vec::new();
            for (i, line) in req.inventory.iter().enumerate() {
                let chip = inner
                    .catalog
                    .lookup(&line.chip_model)
                    .map_err(|e| ApiError::field(&format!("inventory[{i}].chip_model"), e))?;
                let fleet =
                    FleetLine { chip_model: line.chip_model.clone(), count: line.count, country: line.country.clone() };
                resolved.push((fleet, chip));
            }
            let (days, utilization) = (req.days.unwrap_or(90.0), req.utilization.unwrap_or(0.4));
            let model = InferenceModel {
                params: req.params.unwrap_or(70e9),
                bytes_per_param: req.bytes_per_param.unwrap_or(2.0),
            };
            let workload = Workload {
                tokens_per_answer: req.tokens_per_answer.unwrap_or(500.0),
                seconds_per_answer: req.seconds_per_answer.unwrap_or(60.0),
                reasoning_multiplier: req.reasoning_multiplier.unwrap_or(1.0),
                batch: req.batch.unwrap_or(1),
            };
            Ok(Json(capacity::assess(&resolved, days, utilization, model, workload)?))
        })
        .await
}

/// One chip of the bundled catalog, as a form offers it.
#[derive(Debug, serde::Serialize)]
pub struct CatalogChip {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub aliases: Vec<String>,
    pub release_date: Option<String>,
}

/// The bundled catalog's chips (id, name, vendor, aliases, release date), by name.
pub async fn catalog(State(state): State<AppState>) -> ApiResult<Json<Vec<CatalogChip>>> {
    state
        .compute(|inner| {
            let mut chips: Vec<CatalogChip> = inner
                .catalog
                .chips()
                .iter()
                .map(|c| CatalogChip {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    vendor: c.vendor.clone(),
                    aliases: c.aliases.clone(),
                    release_date: c.release_date.clone(),
                })
                .collect();
            chips.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(Json(chips))
        })
        .await
}
