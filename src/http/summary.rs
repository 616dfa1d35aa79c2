//! Health, front-end configuration, the public area summary and the access log.

use axum::Json;
use axum::extract::State;
use axum::routing::any;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Check, Query, in_range};
use super::{AppState, Caller, Error, Result, Staff};
use crate::domain::auth::{AccessEntry, Role};
use crate::domain::{ChildProps, PowerPointProps, ShelterProps};
use crate::planning::summary::{DistrictSummary, area_summary};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(config))
        .routes(routes!(me))
        .routes(routes!(areas))
        .routes(routes!(access_log))
        .route("/api/{*rest}", any(no_such_endpoint))
}

/// Liveness and the live indexes' sizes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process answers.
    pub status: &'static str,
    /// Power points in the live index.
    pub power_points: usize,
    /// Shelters in the live index.
    pub shelters: usize,
    /// Children in the live index: staff only (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<usize>,
}

/// Liveness and live index counts.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
async fn healthz(State(state): State<AppState>, caller: Caller) -> Json<Health> {
    let c = &state.catalog;
    let children = caller.is_staff().then(|| c.count::<ChildProps>());
    Json(Health {
        status: "ok",
        power_points: c.count::<PowerPointProps>(),
        shelters: c.count::<ShelterProps>(),
        children,
    })
}

/// Readiness: the database answers (what a load balancer should probe before sending traffic).
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = Value, description = "{\"status\": \"ready\"}"), (status = 503, description = "the database is busy")))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>> {
    state.store.access_log().recent(Some("__readiness_probe__"), 1).await?;
    Ok(Json(json!({"status": "ready"})))
}

/// Front-end settings (tiles, travel speeds), every vocabulary with its labels, demo tokens in demo mode.
#[utoipa::path(get, path = "/api/v1/config", tag = "ops", responses((status = 200, body = Value)))]
async fn config(State(state): State<AppState>) -> Json<Value> {
    let c = &state.config;
    let mut body = json!({
        "tiles_url": c.tiles_url, "tiles_attribution": c.tiles_attribution,
        "center": c.center, "zoom": c.zoom,
        "walk_kmh": c.travel.walk_kmh, "drive_kmh": c.travel.drive_kmh, "detour_factor": c.travel.detour_factor,
        "vocabularies": crate::domain::vocabulary::all(),
        "demo": c.demo_tokens.is_some(),
        "hazard_tiles": c.hazard_tiles,
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

/// The caller's role, token name and bound children (all null or empty without a token).
///
/// No access-log line: it reads no child data, only the ids the caller's own token holds.
#[utoipa::path(get, path = "/api/v1/me", tag = "ops", responses((status = 200, body = Me)))]
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

/// Per-district counts; public answers suppress 1–9 (and whatever would reveal them).
#[utoipa::path(get, path = "/api/v1/areas/summary", tag = "summary", responses((status = 200, body = AreaSummary)))]
async fn areas(State(state): State<AppState>, caller: Caller) -> Json<AreaSummary> {
    let exact = caller.is_staff();
    Json(AreaSummary { exact, districts: area_summary(&state.catalog, &state.config.districts, exact) })
}

/// The access log's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogQuery {
    /// Only this child's lines (empty: every child's).
    #[serde(default, deserialize_with = "super::extract::empty_as_none")]
    pub child_id: Option<String>,
    /// The newest this many lines, 1–100,000 (default 1,000).
    #[param(minimum = 1, maximum = 100_000, default = 1000)]
    pub limit: Option<usize>,
}

impl Check for AccessLogQuery {
    fn check(&self) -> Result<()> {
        in_range("limit", self.limit, 1, 100_000)
    }
}

/// Who read or wrote which child, newest first.
#[utoipa::path(get, path = "/api/v1/access-log", tag = "summary", params(AccessLogQuery),
    security(("bearer" = [])), responses((status = 200, body = Vec<AccessEntry>), (status = 400), (status = 403)))]
async fn access_log(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<AccessLogQuery>,
) -> Result<Json<Vec<AccessEntry>>> {
    let limit = q.limit.unwrap_or(1_000) as i64;
    Ok(Json(state.store.access_log().recent(q.child_id.as_deref(), limit).await?))
}

async fn no_such_endpoint() -> Error {
    Error::NotFound("no such endpoint; see /api/v1/openapi.json".into())
}
