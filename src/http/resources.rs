//! Create, read, update and delete for the three kinds of point, shared by all of them.
//!
//! Power points and shelters are routed here directly (public reads, planner writes);
//! children reuse the same parsing and writing from `children.rs` with their own guard.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use geojson::{Feature, FeatureCollection};
use serde_json::Value;

use super::extract::{JsonBody, Params};
use super::{AppState, Caller, Detail, Error, Result};
use crate::domain::auth::{AccessEntry, Role};
use crate::domain::feature::{BodyError, new_id, parse_features};
use crate::domain::{Located, MAX_FEATURES, PowerPointProps, Resource, ShelterProps, validate_id};
use crate::spatial::Indexed;
use crate::store::WriteMode;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/power-points", get(list::<PowerPointProps>).post(create::<PowerPointProps>))
        .route(
            "/api/v1/power-points/{id}",
            get(read::<PowerPointProps>).put(replace::<PowerPointProps>).delete(remove::<PowerPointProps>),
        )
        .route("/api/v1/shelters", get(list::<ShelterProps>).post(create::<ShelterProps>))
        .route(
            "/api/v1/shelters/{id}",
            get(read::<ShelterProps>).put(replace::<ShelterProps>).delete(remove::<ShelterProps>),
        )
}

/// A FeatureCollection of resources.
pub(super) fn collection(features: Vec<Feature>) -> FeatureCollection {
    FeatureCollection { bbox: None, features, foreign_members: None }
}

/// Parses a Feature or a FeatureCollection, all or nothing, as the contract's 422 or 413.
pub(super) fn parse_body<P: Resource>(body: &Value) -> Result<(Vec<Located<P>>, bool)> {
    parse_features::<P>(body, new_id::<P>).map_err(|e| match e {
        BodyError::TooMany(n) => {
            Error::PayloadTooLarge(format!("{n} features; a collection holds at most {MAX_FEATURES}"))
        }
        BodyError::Invalid(errors) => {
            let is_collection = body.get("type").and_then(Value::as_str) == Some("FeatureCollection");
            let message = match errors.first() {
                Some((i, e)) if is_collection => {
                    format!("feature {i} is invalid: {}: {}; nothing was stored", e.field, e.message)
                }
                Some((_, e)) => format!("{}: {}", e.field, e.message),
                None => "invalid".into(),
            };
            Error::Unprocessable { message, details: errors.into_iter().map(|(i, e)| Detail::at(i, e)).collect() }
        }
    })
}

/// Stores, then waits until the follower has indexed the write (read-your-writes).
pub(super) async fn write<P: Indexed>(
    state: &AppState,
    items: &[Located<P>],
    mode: WriteMode,
    log: &[AccessEntry],
) -> Result<Vec<bool>> {
    let written = state.store.resources().write(items, mode, log).await?;
    state.seen(written.seq).await;
    Ok(written.created)
}

/// Checks a path id; an id that cannot exist is a 400, not a lookup.
pub(super) fn path_id(id: &str) -> Result<()> {
    validate_id(id).map_err(|m| Error::BadRequest { code: "invalid_id", message: format!("id {m}") })
}

/// The answer to a create: the Feature, or the collection, as stored.
pub(super) fn created_body<P: Resource>(items: &[Located<P>], is_collection: bool) -> (StatusCode, Json<Value>) {
    let body = if is_collection {
        serde_json::to_value(collection(items.iter().map(Located::to_feature).collect()))
    } else {
        serde_json::to_value(items.first().map(Located::to_feature))
    };
    (StatusCode::CREATED, Json(body.unwrap_or(Value::Null)))
}

/// Parses a `PUT` body: one Feature whose id, if given, is the path's.
pub(super) fn replacement<P: Resource>(id: &str, body: &Value) -> Result<Located<P>> {
    path_id(id)?;
    if body.get("type").and_then(Value::as_str) == Some("FeatureCollection") {
        return Err(Error::Unprocessable {
            message: "PUT takes one Feature".into(),
            details: vec![Detail { index: 0, field: "type".into(), message: "must be \"Feature\"".into() }],
        });
    }
    if let Some(body_id) = body.get("id").and_then(Value::as_str)
        && body_id != id
    {
        return Err(Error::Unprocessable {
            message: format!("id {body_id} in the body differs from {id} in the path"),
            details: vec![Detail { index: 0, field: "id".into(), message: "must equal the id in the path".into() }],
        });
    }
    let mut body = body.clone();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("id".into(), Value::String(id.to_owned()));
    }
    let (mut items, _) = parse_body::<P>(&body)?;
    items.pop().ok_or_else(|| Error::NotFound(id.to_owned()))
}

async fn list<P: Indexed>(State(state): State<AppState>, params: Params) -> Result<Json<FeatureCollection>> {
    let bbox = params.bbox()?;
    let features = state.catalog.list::<P>(bbox).iter().map(|e| e.to_feature()).collect();
    Ok(Json(collection(features)))
}

async fn create<P: Indexed>(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<Value>)> {
    caller.require(&[Role::Planner])?;
    let body = body.read().await?;
    let (items, is_collection) = parse_body::<P>(&body)?;
    write(&state, &items, WriteMode::CreateOnly, &[]).await?;
    Ok(created_body(&items, is_collection))
}

async fn read<P: Indexed>(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Feature>> {
    path_id(&id)?;
    let entry = state.catalog.get::<P>(&id).ok_or_else(|| Error::NotFound(format!("no {} {id}", P::COLLECTION)))?;
    Ok(Json(entry.to_feature()))
}

async fn replace<P: Indexed>(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Feature>)> {
    caller.require(&[Role::Planner])?;
    let item = replacement::<P>(&id, &body.read().await?)?;
    let created = write(&state, std::slice::from_ref(&item), WriteMode::Upsert, &[]).await?;
    let status = if created.first() == Some(&true) { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(item.to_feature())))
}

async fn remove<P: Indexed>(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    caller.require(&[Role::Planner])?;
    path_id(&id)?;
    let Some(seq) = state.store.resources().delete::<P>(&id, &[]).await? else {
        return Err(Error::NotFound(format!("no {} {id}", P::COLLECTION)));
    };
    state.seen(seq).await;
    Ok(StatusCode::NO_CONTENT)
}
