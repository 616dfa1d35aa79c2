//! Outage scenarios: run, save, list, and the demo presets.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{JsonBody, PathId};
use super::openapi::OutageRequest;
use super::{AppState, Detail, Error, Result, Staff};
use crate::domain::auth::Action;
use crate::planning::outage::{AreaError, OutageResult, parse_area, run_outage};
use crate::store::{SavedScenario, now_rfc3339};

/// Named demo areas for Shiroi, offered by the planner view.
const PRESETS: &str = include_str!("../../fixtures/shiroi/scenarios.geojson");

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(outage)).routes(routes!(list)).routes(routes!(presets)).routes(routes!(read))
}

fn invalid(field: &str, message: String) -> Error {
    Error::Unprocessable {
        message: format!("{field}: {message}"),
        details: vec![Detail { index: 0, field: field.to_owned(), message }],
    }
}

/// The optional `name`: a string, trimmed, at most 200 characters; blank means unnamed.
fn scenario_name(body: &Value) -> Result<Option<&str>> {
    let name = match body.get("name") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim(),
        Some(_) => return Err(invalid("name", "must be a string".into())),
    };
    if name.chars().count() > crate::domain::MAX_NAME_CHARS {
        return Err(invalid("name", "must be at most 200 characters".into()));
    }
    Ok((!name.is_empty()).then_some(name))
}

/// Outage scenario: affected and at-risk children, points out, the assignment; saved when named.
#[utoipa::path(post, path = "/api/v1/scenarios/outage", tag = "scenarios", security(("bearer" = [])),
    request_body = OutageRequest,
    responses((status = 200, body = OutageResult), (status = 400), (status = 403), (status = 413), (status = 422)))]
async fn outage(State(state): State<AppState>, who: Staff, body: JsonBody) -> Result<Json<Value>> {
    let body = body.read().await?;
    let hours = body
        .get("hours")
        .and_then(Value::as_f64)
        .filter(|h| h.is_finite() && *h > 0.0)
        .ok_or_else(|| invalid("hours", "must be a number greater than 0".into()))?;
    let name = scenario_name(&body)?;
    let result = compute(&state, body.get("area").cloned(), hours).await?;
    let log: Vec<_> = result.affected.iter().map(|id| who.log(Action::Scenario, id)).collect();
    state.store.access_log().append(&log).await?;
    let mut answer = serde_json::to_value(&result).map_err(|e| Error::Internal(e.to_string()))?;
    if let Some(name) = name {
        let request = json!({"area": body.get("area"), "hours": hours});
        answer["scenario_id"] = json!(save(&state, &who, name, hours, request, &answer).await?);
    }
    Ok(Json(answer))
}

/// Runs the scenario off the async workers: checking a boundary and assigning thousands of
/// children is CPU work, and other requests (and /healthz) must be answered meanwhile.
async fn compute(state: &AppState, area: Option<Value>, hours: f64) -> Result<OutageResult> {
    let plans = state.store.plans().all_current().await?;
    let (catalog, travel) = (state.catalog.clone(), state.config.travel);
    tokio::task::spawn_blocking(move || {
        let area = parse_area(area.as_ref().unwrap_or(&Value::Null))?;
        Ok::<_, AreaError>(run_outage(&catalog, &area, hours, &travel, &plans))
    })
    .await
    .map_err(|e| Error::Internal(format!("outage scenario task failed: {e}")))?
    .map_err(|e| invalid("area", e.0))
}

/// Stores a named scenario with its request and answer; returns its id.
async fn save(state: &AppState, who: &Staff, name: &str, hours: f64, request: Value, answer: &Value) -> Result<String> {
    let saved = SavedScenario {
        id: format!("sc-{:016x}", rand::random::<u64>()),
        name: name.to_owned(),
        author: who.0.name.clone(),
        created_at: now_rfc3339(),
        hours,
        request,
        result: answer.clone(),
    };
    state.store.scenarios().save(&saved).await?;
    Ok(saved.id)
}

/// A saved answer as the type it was written from (store keeps JSON; it knows no planning).
fn decoded(saved: &SavedScenario) -> Result<OutageResult> {
    serde_json::from_value(saved.result.clone())
        .map_err(|e| Error::Internal(format!("saved scenario {} does not decode: {e}", saved.id)))
}

/// Saved scenarios with their totals, newest first.
#[utoipa::path(get, path = "/api/v1/scenarios", tag = "scenarios", security(("bearer" = [])),
    responses((status = 200, body = Vec<Value>), (status = 403)))]
async fn list(State(state): State<AppState>, _staff: Staff) -> Result<Json<Vec<Value>>> {
    let saved = state.store.scenarios().list(None).await?;
    Ok(Json(
        saved
            .iter()
            .map(|s| {
                // One unreadable old answer must not hide the others: its totals are null.
                let r = decoded(s).inspect_err(|e| tracing::warn!(error = %e, "listing scenarios")).ok();
                let r = r.as_ref();
                json!({"id": s.id, "name": s.name, "author": s.author, "created_at": s.created_at, "hours": s.hours,
                       "affected": r.map(|r| r.affected.len()), "at_risk": r.map(|r| r.at_risk.len()),
                       "assigned": r.map(|r| r.assignments.len()), "unassigned": r.map(|r| r.unassigned.len()),
                       "optimal": r.map(|r| r.optimal), "total_distance_m": r.map(|r| r.total_distance_m)})
            })
            .collect(),
    ))
}

/// One saved scenario: its request and result.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", tag = "scenarios", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = Value), (status = 400), (status = 403), (status = 404)))]
async fn read(State(state): State<AppState>, who: Staff, PathId(id): PathId) -> Result<Json<SavedScenario>> {
    let saved = state
        .store
        .scenarios()
        .list(Some(&id))
        .await?
        .pop()
        .ok_or_else(|| Error::NotFound(format!("no scenario {id}")))?;
    // The saved result names children: reading it is a read of each of them.
    let log: Vec<_> = decoded(&saved)?.affected.iter().map(|c| who.log(Action::ScenarioRead, c)).collect();
    state.store.access_log().append(&log).await?;
    Ok(Json(saved))
}

/// Named demo areas (GeoJSON FeatureCollection of polygons with name and hours).
#[utoipa::path(get, path = "/api/v1/scenarios/presets", tag = "scenarios", responses((status = 200, body = Value)))]
async fn presets() -> Result<Json<Value>> {
    serde_json::from_str(PRESETS).map(Json).map_err(|e| Error::Store(crate::store::StoreError::Encode(e)))
}
