//! Health, front-end configuration, the public area summary and the access log.

use axum::extract::State;
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::Params;
use super::{AppState, Caller, Error, Result};
use crate::domain::{ChildProps, PowerPointProps, ShelterProps};
use crate::planning::summary::{DistrictSummary, area_summary};
use crate::store::{AccessEntry, Role};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/config", get(config))
        .route("/api/v1/areas/summary", get(areas))
        .route("/api/v1/access-log", get(access_log))
        .route("/api/{*rest}", any(no_such_endpoint))
}

async fn healthz(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let c = &state.catalog;
    let mut body =
        json!({"status": "ok", "power_points": c.count::<PowerPointProps>(), "shelters": c.count::<ShelterProps>()});
    if caller.is_staff() {
        body["children"] = json!(c.count::<ChildProps>());
    }
    Json(body)
}

/// Ready when the database answers: what a load balancer should probe before sending traffic.
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>> {
    state.store.access_log(Some("__readiness_probe__"), 1).await?;
    Ok(Json(json!({"status": "ready"})))
}

async fn config(State(state): State<AppState>) -> Json<Value> {
    let c = &state.config;
    Json(json!({
        "tiles_url": c.tiles_url, "tiles_attribution": c.tiles_attribution,
        "center": c.center, "zoom": c.zoom,
        "walk_kmh": c.travel.walk_kmh, "drive_kmh": c.travel.drive_kmh, "detour_factor": c.travel.detour_factor,
    }))
}

/// The area summary answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaSummary {
    /// Whether counts are exact (staff) or suppressed (public).
    pub exact: bool,
    /// One entry per district.
    pub districts: Vec<DistrictSummary>,
}

async fn areas(State(state): State<AppState>, caller: Caller) -> Json<AreaSummary> {
    let exact = caller.is_staff();
    Json(AreaSummary { exact, districts: area_summary(&state.catalog, &state.config.districts, exact) })
}

async fn access_log(State(state): State<AppState>, caller: Caller, params: Params) -> Result<Json<Vec<AccessEntry>>> {
    caller.require(&[Role::Coordinator, Role::Planner])?;
    let limit = params.int_in("limit", 1, 100_000, 1_000)?;
    let entries = state.store.access_log(params.str("child_id"), limit as i64).await?;
    Ok(Json(entries))
}

async fn no_such_endpoint() -> Error {
    Error::NotFound("no such endpoint; see /api/v1/openapi.json".into())
}
