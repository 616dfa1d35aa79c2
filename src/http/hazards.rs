//! Hazard zones (read: anyone; write: planner), the zones at a place, and the plan priority
//! list (作成優先度) built from them.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Check, JsonBody, PathId, Query, coordinates};
use super::resources::ListQuery;
use super::{AppState, Error, Planner, Result, Staff};
use crate::domain::auth::Action;
use crate::domain::vocabulary::Vocabulary;
use crate::domain::{ChildProps, spreadsheet};
use crate::planning::hazard::{PriorityRow, ZoneHint, parse_zones, priority_list};
use crate::store::StoreError;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, remove))
        .routes(routes!(at))
        .routes(routes!(plan_priority))
}

fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// Every zone, or those touching `bbox`.
#[utoipa::path(get, path = "/api/v1/hazard-zones", tag = "hazards", params(ListQuery),
    responses((status = 200, body = Value, description = "FeatureCollection of zones"), (status = 400)))]
async fn list(State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Json<Value>> {
    let zones = state.catalog.hazard_zones.read().list(q.bbox()?);
    Ok(Json(collection(zones.iter().map(|z| z.to_feature()).collect())))
}

/// One zone.
#[utoipa::path(get, path = "/api/v1/hazard-zones/{id}", tag = "hazards",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = Value, description = "Feature"), (status = 400), (status = 404)))]
async fn read(State(state): State<AppState>, PathId(id): PathId) -> Result<Json<Value>> {
    let zone = state.catalog.hazard_zones.read().get(&id);
    Ok(Json(zone.ok_or_else(|| Error::NotFound(format!("no hazard zone {id}")))?.to_feature()))
}

/// Add zones: one Feature or a FeatureCollection, all or nothing.
#[utoipa::path(post, path = "/api/v1/hazard-zones", tag = "hazards", security(("bearer" = [])),
    request_body = super::bodies::ZoneBody,
    responses((status = 201, body = Value), (status = 400), (status = 403), (status = 409), (status = 413), (status = 422)))]
async fn create(State(state): State<AppState>, _who: Planner, body: JsonBody) -> Result<(StatusCode, Json<Value>)> {
    let (zones, is_collection) =
        parse_zones(&body.read().await?, ZoneHint::default()).map_err(super::incidents::unprocessable)?;
    let seq = state.store.hazard_zones().write(&zones, false).await.map_err(|e| match e {
        StoreError::AlreadyExists(id) => Error::Conflict(format!("hazard zone {id} already exists")),
        other => Error::Store(other),
    })?;
    state.seen(seq).await;
    let mut features: Vec<Value> = zones.iter().map(|z| z.to_feature()).collect();
    let answer = if is_collection { collection(features) } else { features.pop().unwrap_or(Value::Null) };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Delete a zone.
#[utoipa::path(delete, path = "/api/v1/hazard-zones/{id}", tag = "hazards", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 204), (status = 400), (status = 403), (status = 404)))]
async fn remove(State(state): State<AppState>, _who: Planner, PathId(id): PathId) -> Result<StatusCode> {
    let seq = state.store.hazard_zones().delete(&id).await?;
    state.seen(seq.ok_or_else(|| Error::NotFound(format!("no hazard zone {id}")))?).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /hazards/at`: a place.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// WGS 84 latitude, degrees.
    #[param(required = true, minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    /// WGS 84 longitude, degrees.
    #[param(required = true, minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
}

impl Check for AtQuery {
    fn check(&self) -> Result<()> {
        coordinates(self.lat, self.lon).map(|_| ())
    }
}

/// The zones covering a place, the most severe first.
#[utoipa::path(get, path = "/api/v1/hazards/at", tag = "hazards", params(AtQuery),
    responses((status = 200, body = Value, description = "FeatureCollection of zones"), (status = 400)))]
async fn at(State(state): State<AppState>, Query(q): Query<AtQuery>) -> Result<Json<Value>> {
    let (lat, lon) = coordinates(q.lat, q.lon)?;
    let zones = state.catalog.hazard_zones.read().at(lon, lat);
    Ok(Json(collection(zones.iter().map(|z| z.to_feature()).collect())))
}

/// `GET /plans/priority`: which district, which format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriorityQuery {
    /// Only children of this 町字.
    #[serde(default, deserialize_with = "super::extract::empty_as_none")]
    pub district: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<super::plans::Format>,
}

impl Check for PriorityQuery {}

/// The order in which plans should be made or renewed: tier, then battery, then id.
#[utoipa::path(get, path = "/api/v1/plans/priority", tag = "plans", security(("bearer" = [])), params(PriorityQuery),
    responses((status = 200, content((Vec<PriorityRow> = "application/json"), (String = "text/csv"))),
              (status = 400), (status = 403)))]
async fn plan_priority(State(state): State<AppState>, who: Staff, Query(q): Query<PriorityQuery>) -> Result<Response> {
    let children = state.catalog.list::<ChildProps>(None);
    let children: Vec<_> = children
        .into_iter()
        .filter(|c| q.district.as_ref().is_none_or(|d| c.props.district.as_ref() == Some(d)))
        .collect();
    let plans = state.store.plans().all_current().await?;
    let log: Vec<_> = children.iter().map(|c| who.log(Action::PlanPriority, &c.id)).collect();
    state.store.access_log().append(&log).await?;
    let rows = priority_list(&state.catalog, &children, &plans);
    match q.format.unwrap_or_default() {
        super::plans::Format::Json => Ok(Json(rows).into_response()),
        super::plans::Format::Csv => priority_csv(&rows, &children),
    }
}

/// The list for Excel: UTF-8 with a BOM, Japanese headers, no cell Excel would evaluate.
fn priority_csv(rows: &[PriorityRow], children: &[crate::spatial::Entry<ChildProps>]) -> Result<Response> {
    let names: std::collections::HashMap<&str, &ChildProps> =
        children.iter().map(|c| (c.id.as_str(), &c.props)).collect();
    let text = (|| -> std::result::Result<String, csv::Error> {
        let mut w = spreadsheet::writer();
        w.write_record(["優先度", "児童ID", "氏名", "地区", "理由", "バッテリー(時間)", "計画の状態"])?;
        for r in rows {
            let child = names.get(r.child_id.as_str());
            let reasons: Vec<&str> = r.reasons.iter().map(|x| x.label_ja()).collect();
            let cells = [
                r.tier.to_string(),
                r.child_id.clone(),
                child.map(|c| c.name.clone()).unwrap_or_default(),
                child.and_then(|c| c.district.clone()).unwrap_or_default(),
                reasons.join("・"),
                r.autonomy_h.map(|h| h.to_string()).unwrap_or_default(),
                r.plan_status.map_or("未作成", |s| s.label_ja()).to_owned(),
            ];
            w.write_record(cells.iter().map(|c| spreadsheet::text_cell(c).into_owned()))?;
        }
        spreadsheet::finish(w)
    })()
    .map_err(|e| Error::param(e.to_string()))?;
    let filename = format!("attachment; filename=\"plan-priority-{}.csv\"", crate::planning::audit::today_in_japan());
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, filename)], text)
        .into_response())
}
