//! Health, front-end configuration, the public area summary and the access log.

use axum::extract::State;
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::extract::Params;
use super::{AppState, Caller, Error, Result};
use crate::domain::auth::{AccessEntry, Role};
use crate::domain::{ChildProps, PowerPointProps, ShelterProps};
use crate::planning::summary::{DistrictSummary, area_summary};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/config", get(config))
        .route("/api/v1/me", get(me))
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
    state.store.access_log().recent(Some("__readiness_probe__"), 1).await?;
    Ok(Json(json!({"status": "ready"})))
}

async fn config(State(state): State<AppState>) -> Json<Value> {
    let c = &state.config;
    let mut body = json!({
        "tiles_url": c.tiles_url, "tiles_attribution": c.tiles_attribution,
        "center": c.center, "zoom": c.zoom,
        "walk_kmh": c.travel.walk_kmh, "drive_kmh": c.travel.drive_kmh, "detour_factor": c.travel.detour_factor,
        "vocabularies": crate::domain::vocabulary::all(),
        "demo": c.demo_tokens.is_some(),
    });
    // The demo secrets are public by design (printed at start, in the README); a real
    // server never has any to list.
    if let Some(tokens) = &c.demo_tokens {
        body["demo_tokens"] = tokens.iter().map(|(role, token)| json!({"role": role, "token": token})).collect();
    }
    Json(body)
}

/// Who the caller is, so a page need not guess its role.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's role; `null` without a token.
    #[schema(value_type = Option<String>, example = "planner")]
    pub role: Option<Role>,
    /// The token's name; `null` without a token.
    pub name: Option<String>,
    /// The children a family token is bound to (empty for staff and anonymous callers).
    pub child_ids: Vec<String>,
}

/// No access-log line: it reads no child data, only the ids the caller's own token holds.
async fn me(caller: Caller) -> Json<Me> {
    Json(match caller {
        Caller::Anonymous => Me { role: None, name: None, child_ids: Vec::new() },
        Caller::Token(t) => Me { role: Some(t.role), name: Some(t.name), child_ids: t.child_ids },
    })
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
    let entries = state.store.access_log().recent(params.str("child_id"), limit as i64).await?;
    Ok(Json(entries))
}

async fn no_such_endpoint() -> Error {
    Error::NotFound("no such endpoint; see /api/v1/openapi.json".into())
}
