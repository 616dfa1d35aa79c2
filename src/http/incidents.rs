//! During an outage (発災時対応): incidents, their outage areas, welfare checks, the call
//! list (JSON and the phone desk's CSV), live reports from power points, a family's own
//! countdown, and the desk's event stream. Thin handlers: the rules are in
//! `planning::incident` and `planning::call_list`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Check, JsonBody, PathId, Query, at_or_now, in_range};
use super::plans::Format;
use super::resources::path_id;
use super::{AppState, Caller, ChildReader, Detail, Error, Member, Planner, Result, Staff};
use crate::domain::auth::{Action, Role, TokenRecord};
use crate::domain::incident::{CheckChannel, Incident, StoredCheck, StoredReport};
use crate::domain::plan::Plan;
use crate::domain::{ChildProps, PowerPointProps};
use crate::planning::call_list::{CallRow, DarkAreas, Destination, Gathered, call_list, call_list_csv};
use crate::planning::call_list::{child_row, nearest_up, plan_destinations, point_up_at};
use crate::planning::incident::NearestUp;
use crate::planning::incident_input::{
    Problems, apply_incident_change, new_id, parse_check, parse_incident, parse_outage, parse_outages, parse_report,
};
use crate::spatial::Entry;
use crate::store::{StoreError, WriteMode};

/// The contract's default safety margin before the batteries run out.
const DEFAULT_MARGIN_MIN: usize = 60;
/// The longest margin a desk may ask for: a day.
const MAX_MARGIN_MIN: usize = 1_440;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, change))
        .routes(routes!(list_outages, add_outages))
        .routes(routes!(replace_outage))
        .routes(routes!(list_checks, add_check))
        .routes(routes!(children))
        .routes(routes!(events))
        .routes(routes!(list_reports, add_report))
        .routes(routes!(child_incidents))
}

/// Field problems as the contract's 422, every one listed.
pub(super) fn unprocessable(problems: Problems) -> Error {
    let message = match problems.first() {
        Some((i, e)) if *i > 0 => format!("feature {i} is invalid: {}: {}; nothing was stored", e.field, e.message),
        Some((_, e)) => format!("{}: {}", e.field, e.message),
        None => "invalid".into(),
    };
    Error::Unprocessable { message, details: problems.into_iter().map(|(i, e)| Detail::at(i, e)).collect() }
}

/// The store's refusals of an incident write as the contract's statuses.
fn refused(e: StoreError) -> Error {
    match e {
        StoreError::NoSuchIncident(id) => Error::NotFound(format!("no incident {id}")),
        StoreError::IncidentClosed(id) => Error::Conflict(format!("incident {id} is closed; it is read-only")),
        StoreError::NotFound(what) => Error::NotFound(format!("no {what}")),
        StoreError::Invalid(errors) => unprocessable(errors.into_iter().map(|e| (0, e)).collect()),
        other => Error::Store(other),
    }
}

/// The incident, or 404.
async fn incident_of(state: &AppState, id: &str) -> Result<Incident> {
    state.store.incidents().get(id).await?.ok_or_else(|| Error::NotFound(format!("no incident {id}")))
}

/// The incident, which must be open for a write (the store checks again inside its
/// transaction): a closed one is 409 before its body is even read.
async fn open_incident(state: &AppState, id: &str) -> Result<Incident> {
    let incident = incident_of(state, id).await?;
    if incident.is_closed() {
        return Err(Error::Conflict(format!("incident {id} is closed; it is read-only")));
    }
    Ok(incident)
}

/// A family may act only for its own children: another child is 404, so existence does not leak.
fn own_child(token: &TokenRecord, child_id: &str) -> Result<()> {
    if token.role == Role::Family && !token.child_ids.iter().any(|c| c == child_id) {
        return Err(Error::NotFound(format!("no child {child_id}")));
    }
    Ok(())
}

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
}

fn feature_collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// Start an incident: `{"name", "started_at", "notes"?}` (an `id` of the caller's own is kept).
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    request_body = super::bodies::NewIncident,
    responses((status = 201, body = Incident), (status = 400), (status = 403), (status = 409), (status = 422)))]
async fn create(State(state): State<AppState>, _who: Planner, body: JsonBody) -> Result<(StatusCode, Json<Incident>)> {
    let incident = parse_incident(&body.read().await?).map_err(unprocessable)?;
    state.store.incidents().create(&incident).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

/// Every incident, newest start first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    responses((status = 200, body = Vec<Incident>), (status = 403)))]
async fn list(State(state): State<AppState>, _who: Staff) -> Result<Json<Vec<Incident>>> {
    Ok(Json(state.store.incidents().list().await?))
}

/// One incident.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = Incident), (status = 400), (status = 403), (status = 404)))]
async fn read(State(state): State<AppState>, _who: Staff, PathId(id): PathId) -> Result<Json<Incident>> {
    Ok(Json(incident_of(&state, &id).await?))
}

/// Change `name`, `notes` or `closed_at` (closing makes the incident read-only: later writes → 409).
#[utoipa::path(put, path = "/api/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")), request_body = super::bodies::IncidentChange,
    responses((status = 200, body = Incident), (status = 400), (status = 403), (status = 404), (status = 409),
              (status = 422)))]
async fn change(
    State(state): State<AppState>,
    _who: Planner,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<Incident>> {
    open_incident(&state, &id).await?;
    let body = body.read().await?;
    let incidents = state.store.incidents();
    let (incident, _) =
        incidents.update(&id, |current| apply_incident_change(current, &body)).await.map_err(refused)?;
    Ok(Json(incident))
}

/// The incident's outage areas (shapes and districts, with `since` and `restored_at`).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/outages", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = Value, description = "FeatureCollection"), (status = 400), (status = 403), (status = 404)))]
async fn list_outages(State(state): State<AppState>, _who: Staff, PathId(id): PathId) -> Result<Json<Value>> {
    incident_of(&state, &id).await?;
    let areas = state.store.incidents().outages(&id).await?;
    Ok(Json(feature_collection(areas.iter().map(|a| a.to_feature()).collect())))
}

/// Add outage areas: one Feature or a FeatureCollection, all or nothing. A Polygon or
/// MultiPolygon, or `geometry: null` with `properties.district`; `since` required.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/outages", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")), request_body = super::bodies::OutageBody,
    responses((status = 201, body = Value), (status = 400), (status = 403), (status = 404), (status = 409),
              (status = 413), (status = 422)))]
async fn add_outages(
    State(state): State<AppState>,
    _who: Planner,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<Value>)> {
    open_incident(&state, &id).await?;
    let (areas, is_collection) = parse_outages(&id, &body.read().await?).map_err(unprocessable)?;
    state.store.incidents().add_outages(&id, &areas, WriteMode::CreateOnly).await.map_err(refused)?;
    let mut features: Vec<Value> = areas.iter().map(|a| a.to_feature()).collect();
    let answer = if is_collection { feature_collection(features) } else { features.pop().unwrap_or(Value::Null) };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Replace one outage area (typically to set `restored_at`).
#[utoipa::path(put, path = "/api/v1/incidents/{id}/outages/{oid}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), ("oid" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    request_body = super::bodies::OutageFeature,
    responses((status = 200, body = Value), (status = 400), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn replace_outage(
    State(state): State<AppState>,
    _who: Planner,
    Path((id, oid)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Json<Value>> {
    path_id(&id)?;
    path_id(&oid)?;
    open_incident(&state, &id).await?;
    let area = parse_outage(&id, Some(&oid), &body.read().await?).map_err(unprocessable)?;
    state.store.incidents().replace_outage(&area).await.map_err(refused)?;
    Ok(Json(area.to_feature()))
}

/// Record a welfare check (安否確認): staff by any channel; a family for its own child with
/// `channel: "self"` only. Append-only.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/checks", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")), request_body = super::bodies::CheckBody,
    responses((status = 201, body = StoredCheck), (status = 400), (status = 403), (status = 404), (status = 409),
              (status = 422)))]
async fn add_check(
    State(state): State<AppState>,
    who: Member,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<StoredCheck>)> {
    open_incident(&state, &id).await?;
    let (child_id, check) = parse_check(&body.read().await?, OffsetDateTime::now_utc()).map_err(unprocessable)?;
    own_child(&who.0, &child_id)?;
    if who.0.role == Role::Family && check.channel != CheckChannel::SelfReport {
        return Err(Error::Forbidden("a family records its own check with channel \"self\"".into()));
    }
    let (token_name, role) = (who.0.name.clone(), who.0.role.as_str().to_owned());
    let stored = StoredCheck { id: new_id("chk"), incident_id: id, child_id, check, token_name, role };
    let log = [who.log(Action::CheckWrite, &stored.child_id)];
    state.store.incidents().add_check(&stored, &log).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `GET …/checks`: one child's checks, or all (a family: its own children's).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecksQuery {
    /// Only this child's checks (empty: every child's).
    #[serde(default, deserialize_with = "super::extract::empty_as_none")]
    pub child_id: Option<String>,
}

impl Check for ChecksQuery {
    fn check(&self) -> Result<()> {
        self.child_id.as_deref().map_or(Ok(()), path_id)
    }
}

/// The incident's checks, newest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/checks", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), ChecksQuery),
    responses((status = 200, body = Vec<StoredCheck>), (status = 400), (status = 404)))]
async fn list_checks(
    State(state): State<AppState>,
    who: Member,
    PathId(id): PathId,
    Query(q): Query<ChecksQuery>,
) -> Result<Json<Vec<StoredCheck>>> {
    if let Some(c) = &q.child_id {
        own_child(&who.0, c)?;
    }
    incident_of(&state, &id).await?;
    let mut checks = state.store.incidents().checks(&id, q.child_id.as_deref()).await?;
    checks.retain(|c| own_child(&who.0, &c.child_id).is_ok());
    let mut named: Vec<&str> = checks.iter().map(|c| c.child_id.as_str()).collect();
    named.sort_unstable();
    named.dedup();
    let log: Vec<_> = named.iter().map(|c| who.log(Action::CheckRead, c)).collect();
    state.store.access_log().append(&log).await?;
    Ok(Json(checks))
}

/// `GET …/children`: the moment, the margin and the format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallListQuery {
    /// RFC 3339; default now. Checks and reports later than this do not count.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub at: Option<OffsetDateTime>,
    /// Minutes to keep in hand before the batteries run out, 0–1,440 (default 60).
    #[param(minimum = 0, maximum = 1440, default = 60)]
    pub margin_min: Option<usize>,
    /// `json` (default) or `csv` for the phone desk.
    pub format: Option<Format>,
}

impl Check for CallListQuery {
    fn check(&self) -> Result<()> {
        in_range("margin_min", self.margin_min, 0, MAX_MARGIN_MIN)
    }
}

/// The call list: every child whose home is dark at `at` or who has a check, ordered by
/// `must_leave_by` (nulls last), then id; `format=csv` for the phone desk.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/children", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), CallListQuery),
    responses((status = 200, description = "FeatureCollection (json), or the phone desk's CSV (csv)",
               content((Value = "application/json"), (String = "text/csv"))), (status = 400),
              (status = 403), (status = 404)))]
async fn children(
    State(state): State<AppState>,
    who: Staff,
    PathId(id): PathId,
    Query(q): Query<CallListQuery>,
) -> Result<Response> {
    let (at, margin_min) = (at_or_now(q.at), q.margin_min.unwrap_or(DEFAULT_MARGIN_MIN) as i64);
    incident_of(&state, &id).await?;
    let gathered = Gathered::load(&state.store, &id, None, at).await?;
    let plans = state.store.plans().all_current().await?;
    let rows = call_list(&gathered.input(&state.catalog, &plans, &state.config.travel, at, margin_min));
    let log: Vec<_> = rows.iter().map(|r| who.log(Action::IncidentList, &r.child.id)).collect();
    state.store.access_log().append(&log).await?;
    if q.format == Some(Format::Csv) {
        return csv_answer(&id, &rows);
    }
    let features: Vec<Value> = rows.iter().map(|r| call_feature(&state.catalog, r)).collect();
    let answer = json!({"type": "FeatureCollection", "incident_id": id, "at": rfc3339(Some(at)),
                        "margin_min": margin_min, "features": features});
    Ok(Json(answer).into_response())
}

fn csv_answer(id: &str, rows: &[CallRow]) -> Result<Response> {
    let text = call_list_csv(rows).map_err(|e| Error::Internal(e.to_string()))?;
    let filename = format!("attachment; filename=\"call-list-{id}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, filename)], text)
        .into_response())
}

/// One call-list row as a Feature: the home, who to call, the clock, and the hazard zones at
/// home (a dark home in a flood zone during a typhoon must stand out).
fn call_feature(catalog: &crate::spatial::Catalog, row: &CallRow) -> Value {
    let c = &row.child.props;
    let mut props = Map::new();
    props.insert("name".into(), json!(c.name));
    props.insert("district".into(), json!(c.district));
    props.insert("address".into(), json!(c.address));
    props.insert("contacts".into(), json!(c.contacts));
    props.insert("autonomy_h".into(), json!(c.autonomy_h()));
    if let Ok(Value::Object(clock)) = serde_json::to_value(&row.clock) {
        props.extend(clock);
    }
    props.insert("nearest_power".into(), json!(row.nearest));
    props.insert("hazard_exposure".into(), json!(catalog.exposure_at(row.child.lon, row.child.lat)));
    json!({"type": "Feature", "id": row.child.id,
           "geometry": {"type": "Point", "coordinates": [row.child.lon, row.child.lat]}, "properties": props})
}

/// Report a power point's live state; its `status`, `status_updated_at` and `live` follow
/// the newest report.
#[utoipa::path(post, path = "/api/v1/power-points/{id}/reports", tag = "power-points", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")), request_body = super::bodies::ReportBody,
    responses((status = 201, body = StoredReport), (status = 400), (status = 403), (status = 404), (status = 422)))]
async fn add_report(
    State(state): State<AppState>,
    who: Staff,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<StoredReport>)> {
    let report = parse_report(&body.read().await?, OffsetDateTime::now_utc()).map_err(unprocessable)?;
    let stored = StoredReport {
        id: new_id("rep"),
        power_point_id: id,
        fuel_out_at: report.fuel_out_at(),
        report,
        reported_by: Some(who.0.name.clone()),
        role: who.0.role.as_str().to_owned(),
    };
    let seq = state.store.reports().add(&stored).await.map_err(refused)?;
    state.seen(seq).await;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// A power point's reports, newest first (`reported_by` for staff only).
#[utoipa::path(get, path = "/api/v1/power-points/{id}/reports", tag = "power-points",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = Vec<StoredReport>), (status = 400), (status = 404)))]
async fn list_reports(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Vec<StoredReport>>> {
    state.catalog.get::<PowerPointProps>(&id).ok_or_else(|| Error::NotFound(format!("no power point {id}")))?;
    let mut reports = state.store.reports().list(&id).await?;
    if !caller.is_staff() {
        reports.iter_mut().for_each(|r| r.reported_by = None);
    }
    Ok(Json(reports))
}

/// `GET /children/{id}/incident`: the moment.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// RFC 3339; default now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub at: Option<OffsetDateTime>,
}

impl Check for AtQuery {}

/// The open incidents in which the child's home is dark or that have a check for it, with
/// its countdown, the nearest points that are up and its plan's destinations.
#[utoipa::path(get, path = "/api/v1/children/{id}/incident", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), AtQuery),
    responses((status = 200, body = Vec<Value>), (status = 400), (status = 404)))]
async fn child_incidents(
    State(state): State<AppState>,
    who: ChildReader,
    Query(q): Query<AtQuery>,
) -> Result<Json<Vec<Value>>> {
    let (id, at) = (&who.id, at_or_now(q.at));
    let child = state.catalog.get::<ChildProps>(id).ok_or_else(|| Error::NotFound(format!("no child {id}")))?;
    state.store.access_log().append(&[who.log(Action::IncidentRead)]).await?;
    let plan = state.store.plans().current(id).await?;
    let mut answer = Vec::new();
    for incident in state.store.incidents().list().await?.into_iter().filter(|i| !i.is_closed()) {
        answer.extend(family_row(&state, &incident, &child, plan.as_ref(), at).await?);
    }
    Ok(Json(answer))
}

/// The child's countdown in one open incident, if its home is dark or it has a check there.
async fn family_row(
    state: &AppState,
    incident: &Incident,
    child: &Entry<ChildProps>,
    plan: Option<&Plan>,
    at: OffsetDateTime,
) -> Result<Option<Value>> {
    let gathered = Gathered::load(&state.store, &incident.id, Some(&child.id), at).await?;
    let plans: std::collections::HashMap<_, _> = plan.iter().map(|p| (child.id.clone(), (*p).clone())).collect();
    let input = gathered.input(&state.catalog, &plans, &state.config.travel, at, DEFAULT_MARGIN_MIN as i64);
    let Some(row) = child_row(&input, child.clone()) else { return Ok(None) };
    let areas = DarkAreas::new(input.areas);
    let nearest = nearest_up(&input, child, 3, &point_up_at(&input, &areas));
    let destinations = plan.map(|p| plan_destinations(&input, p)).unwrap_or_default();
    Ok(Some(family_view(incident, &row, &nearest, &destinations)))
}

/// What a family sees of one incident: its countdown and where power is up.
fn family_view(incident: &Incident, row: &CallRow, nearest: &[NearestUp], destinations: &[Destination]) -> Value {
    let k = &row.clock;
    json!({"incident_id": incident.id, "name": incident.name, "power_lost_at": rfc3339(k.power_lost_at),
           "depletes_at": rfc3339(k.depletes_at), "remaining_min": k.remaining_min, "on_power": k.on_power,
           "nearest_power": nearest, "plan_destinations": destinations})
}

/// Changes read from the feed per round trip of an event stream.
const EVENTS_BATCH: i64 = 1_000;

/// The event a change of the feed means for this incident's desk, if any: its own record,
/// its areas and checks, and any power point's live status (a point serves every incident).
fn event_for(incident_id: &str, change: &crate::store::Change) -> Option<Event> {
    let (kind, id) = match change.collection.as_str() {
        "incident" if change.id == incident_id => ("incident", change.id.as_str()),
        kind @ ("outage" | "check") => (kind, change.id.strip_prefix(incident_id)?.strip_prefix('/')?),
        c if c == <PowerPointProps as crate::domain::Resource>::COLLECTION => ("power_point", change.id.as_str()),
        _ => return None,
    };
    Some(Event::default().event("change").data(json!({"kind": kind, "id": id}).to_string()))
}

/// What an event stream carries between wake-ups.
struct Follow {
    state: AppState,
    incident_id: String,
    after: i64,
    applied: tokio::sync::watch::Receiver<i64>,
    queue: std::collections::VecDeque<Event>,
}

impl Follow {
    /// The next event: queued ones first; else wait until this instance's follower has
    /// applied more of the feed (a local write, a `NOTIFY`, or its poll) and read what is new.
    async fn next(mut self) -> Option<(std::result::Result<Event, std::convert::Infallible>, Self)> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some((Ok(event), self));
            }
            self.applied.changed().await.ok()?;
            loop {
                let changes = match self.state.store.changes().since(self.after, EVENTS_BATCH).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "event stream cannot read changes; will retry");
                        break;
                    }
                };
                let full = changes.len() as i64 == EVENTS_BATCH;
                for c in &changes {
                    self.after = c.seq;
                    self.queue.extend(event_for(&self.incident_id, c));
                }
                if !full {
                    break;
                }
            }
        }
    }
}

/// Server-Sent Events for one incident's desk: `change` with `{"kind", "id"}` for every
/// write to it (and every power point report) committed on any instance after the stream opened.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/events", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, content_type = "text/event-stream", description = "event `change`, data {\"kind\", \"id\"}"),
              (status = 400), (status = 403), (status = 404)))]
async fn events(
    State(state): State<AppState>,
    _who: Staff,
    PathId(id): PathId,
) -> Result<Sse<impl futures_util::Stream<Item = std::result::Result<Event, std::convert::Infallible>>>> {
    incident_of(&state, &id).await?;
    // Subscribed before the watermark is read: a write committed after it is applied after
    // the subscription, so its wake-up cannot be missed.
    let applied = state.follower.subscribe();
    let after = state.store.changes().last().await?;
    let follow = Follow { state, incident_id: id, after, applied, queue: Default::default() };
    let stream = futures_util::stream::unfold(follow, Follow::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
