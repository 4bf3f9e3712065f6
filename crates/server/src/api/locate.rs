//! Location endpoints: verify measurements given in the request (`locate verify`), take
//! landmark-signed measurement records from agents (each agent only for the chips its party
//! holds), and draw one chip's current region.

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chipwarden_locate::protocol::{DEFAULT_MAX_AGE, MeasurementRecord};
use chipwarden_locate::{Landmark, Measurement, Options, TargetVerdict, VettingMode};
use chipwarden_service::measurements::{LandmarkSet, Located, Submitted, Submitter};
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::Body;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandmarkIn {
    pub id: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub uncertainty_km: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementIn {
    pub target: String,
    pub landmark: String,
    pub rtt_ms: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub landmarks: Vec<LandmarkIn>,
    pub measurements: Vec<MeasurementIn>,
    /// km added to every radius (default 50).
    pub margin_km: Option<f64>,
    /// km each country's territory is grown by (default 25).
    pub buffer_km: Option<f64>,
    /// Vet landmarks against each other first (default true).
    pub vetting: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct VerifyResponse {
    pub verdicts: Vec<TargetVerdict>,
}

/// The locate engine's verdicts on the landmarks and measurements given (nothing stored).
pub async fn verify(State(state): State<AppState>, Body(req): Body<VerifyRequest>) -> ApiResult<Json<VerifyResponse>> {
    state
        .compute(move |_| {
            let landmarks: Vec<Landmark> = req
                .landmarks
                .into_iter()
                .map(|l| Landmark { id: l.id, lat: l.lat, lon: l.lon, uncertainty_km: l.uncertainty_km })
                .collect();
            let measurements: Vec<Measurement> = req
                .measurements
                .into_iter()
                .map(|m| Measurement { target: m.target, landmark: m.landmark, rtt_ms: m.rtt_ms })
                .collect();
            let mut options = Options::default();
            if let Some(m) = req.margin_km {
                options.margin_km = m;
            }
            if let Some(b) = req.buffer_km {
                options.buffer_km = b;
            }
            if req.vetting == Some(false) {
                options.vetting = VettingMode::Off;
            }
            let borders = crate::map::borders().map_err(ApiError::internal)?;
            let verdicts =
                chipwarden_locate::verify(&landmarks, &measurements, borders, &options).map_err(ApiError::input)?;
            Ok(Json(VerifyResponse { verdicts }))
        })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementsRequest {
    /// Landmark-signed records (`chipwarden landmark` writes them).
    pub records: Vec<MeasurementRecord>,
}

/// The server's landmarks, or a clear refusal when it has none.
fn landmark_set(state: &AppState) -> ApiResult<&LandmarkSet> {
    state.inner.landmarks.as_ref().ok_or_else(|| {
        ApiError::new(
            Code::Conflict,
            "this server has no landmarks: put `landmarks.csv` and `landmark_keys.csv` in its data directory",
        )
    })
}

/// Measurement records from an agent (only for the chips its party holds; an admin for any):
/// checked, stored, and each chip judged from its recent records. A chip measured outside the
/// country the custody ledger gives, or with contradictory measurements, opens a location case;
/// a consistent verdict is recorded in the ledger as `location_verified`.
pub async fn measurements(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<MeasurementsRequest>,
) -> ApiResult<Json<Submitted>> {
    let app = state.clone();
    state
        .with_store(move |store, _| {
            let set = landmark_set(&app)?;
            let party = match caller.role {
                Role::Agent => Some(store.token_party(caller.token_id).map_err(ApiError::store)?.ok_or_else(|| {
                    ApiError::new(Code::Forbidden, format!("agent token `{}` acts for no party", caller.name))
                })?),
                _ => None,
            };
            let auditor = crate::api::cases::auditor(&app, &caller)?;
            let verifier = auditor.party_key()?;
            let borders = crate::map::borders().map_err(ApiError::internal)?;
            let who = Submitter { name: &caller.name, party: party.as_deref() };
            let submitted = chipwarden_service::measurements::submit(
                store,
                set,
                borders,
                &req.records,
                who,
                &auditor,
                &verifier,
                jiff::Timestamp::now(),
                DEFAULT_MAX_AGE,
            )?;
            Ok(Json(submitted))
        })
        .await
}

/// Every chip measured in the last 24 hours: where it may be, beside where the custody ledger
/// has it (empty when the server has no landmarks).
pub async fn chips(State(state): State<AppState>) -> ApiResult<Json<Vec<Located>>> {
    state
        .with_store(|store, inner| {
            let Some(set) = &inner.landmarks else { return Ok(Json(Vec::new())) };
            let borders = crate::map::borders().map_err(ApiError::internal)?;
            let now = jiff::Timestamp::now();
            Ok(Json(chipwarden_service::measurements::current(store, set, borders, now, DEFAULT_MAX_AGE)?))
        })
        .await
}

/// The SVG map of one chip's current region (its records of the last 24 hours): the caps, the
/// countries it may be in, the landmarks.
pub async fn chip_map(State(state): State<AppState>, Path(serial): Path<String>) -> ApiResult<Response> {
    let app = state.clone();
    let svg = state
        .with_store(move |store, _| {
            let set = landmark_set(&app)?;
            let borders = crate::map::borders().map_err(ApiError::internal)?;
            let located = chipwarden_service::measurements::current(
                store,
                set,
                borders,
                jiff::Timestamp::now(),
                DEFAULT_MAX_AGE,
            )?;
            let chip = located.into_iter().find(|l| l.serial == serial).ok_or_else(|| {
                ApiError::not_found(format!("chip `{serial}` has no measurement of the last 24 hours"))
            })?;
            Ok(chipwarden_locate::render_svg(borders, &set.landmarks, &chip.verdict, &Options::default()))
        })
        .await?;
    let mut response = svg.into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    Ok(response)
}
