//! The chip registry: where the custody ledger's chips are now (by holder and by country), the
//! gaps in their custody, and a world map of the chips per country. The same replay as `ledger
//! chips` and `ledger gaps`, through the service layer.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chipwarden_locate::protocol::DEFAULT_MAX_AGE;
use chipwarden_service::registry::Registry;

use crate::map::RegionMark;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Every chip with its holder, country and status, the counts by holder and by country, and the
/// custody gaps.
pub async fn registry(State(state): State<AppState>) -> ApiResult<Json<Registry>> {
    state.with_store(|store, _| Ok(Json(chipwarden_service::registry::registry(store)?))).await
}

/// The world map of the registry (SVG): countries shaded by the chips the ledger places there,
/// and the location regions of the chips measured in the last 24 hours (when the server has
/// landmarks).
pub async fn map(State(state): State<AppState>) -> ApiResult<Response> {
    let svg = state
        .with_store(|store, inner| {
            let registry = chipwarden_service::registry::registry(store)?;
            let counts: BTreeMap<String, usize> = registry.countries.into_iter().map(|c| (c.name, c.chips)).collect();
            let borders = crate::map::borders().map_err(|e| ApiError::internal(format!("the bundled borders: {e}")))?;
            let mut regions = Vec::new();
            if let Some(set) = &inner.landmarks {
                let now = jiff::Timestamp::now();
                for l in chipwarden_service::measurements::current(store, set, borders, now, DEFAULT_MAX_AGE)? {
                    regions.push(RegionMark {
                        serial: l.serial,
                        possible_countries: l.verdict.possible_countries.iter().map(ToString::to_string).collect(),
                        declared_country: l.declared_country,
                        agrees: l.agrees,
                        point: l.verdict.region_point.map(|p| (p.lat, p.lon)),
                    });
                }
            }
            crate::map::chips_map(&counts, &regions)
                .map_err(|e| ApiError::internal(format!("the bundled borders: {e}")))
        })
        .await?;
    let mut response = svg.into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    Ok(response)
}
