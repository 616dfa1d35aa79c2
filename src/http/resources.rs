//! Create, read, update and delete for the three kinds of point, shared by all of them.
//!
//! Power points and shelters are routed here directly (public reads, planner writes);
//! children reuse the same parsing and writing from `children.rs` with their own guard.

use axum::Json;
use axum::http::StatusCode;
use geojson::{Feature, FeatureCollection};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Check, JsonBody, parse_bbox};
use super::{AppState, Detail, Error, Result};
use crate::domain::auth::AccessEntry;
use crate::domain::feature::{BodyError, new_id, parse_features};
use crate::domain::{Located, MAX_FEATURES, Resource, validate_id};
use crate::spatial::Indexed;
use crate::store::WriteMode;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(power_points::list, power_points::create))
        .routes(routes!(power_points::read, power_points::replace, power_points::remove))
        .routes(routes!(shelters::list, shelters::create))
        .routes(routes!(shelters::read, shelters::replace, shelters::remove))
}

/// The `bbox` filter of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `minLon,minLat,maxLon,maxLat` in degrees (corners in either order).
    #[param(value_type = Option<super::openapi::Bbox>, style = Form, explode = false)]
    pub bbox: Option<String>,
}

impl Check for ListQuery {}

impl ListQuery {
    /// The box, parsed and checked (a 400 naming `bbox` when malformed).
    pub fn bbox(&self) -> Result<Option<[f64; 4]>> {
        parse_bbox(self.bbox.as_deref())
    }
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
    match body.get("id") {
        None | Some(Value::Null) => {}
        Some(Value::String(body_id)) if body_id == id => {}
        Some(Value::String(body_id)) => {
            return Err(Error::Unprocessable {
                message: format!("id {body_id} in the body differs from {id} in the path"),
                details: vec![Detail { index: 0, field: "id".into(), message: "must equal the id in the path".into() }],
            });
        }
        // POST refuses a non-string id; so does PUT, instead of quietly using the path's.
        Some(_) => {
            return Err(Error::Unprocessable {
                message: "id: must be a string".into(),
                details: vec![Detail { index: 0, field: "id".into(), message: "must be a string".into() }],
            });
        }
    }
    let mut body = body.clone();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("id".into(), Value::String(id.to_owned()));
    }
    let (mut items, _) = parse_body::<P>(&body)?;
    items.pop().ok_or_else(|| Error::NotFound(id.to_owned()))
}

/// The five handlers of one public resource kind (power points, shelters): public reads,
/// planner writes. A macro because `#[utoipa::path]` documents one concrete function.
macro_rules! public_resource {
    ($module:ident, $props:ty, $list:literal, $one:literal, $tag:literal, $collection:ident, $feature:ident) => {
        pub(super) mod $module {
            use axum::Json;
            use axum::extract::State;
            use axum::http::StatusCode;
            use geojson::{Feature, FeatureCollection};
            use serde_json::Value;

            use super::super::extract::{JsonBody, PathId, Query};
            use super::super::openapi::{$collection, $feature};
            use super::super::{AppState, Planner, Result};
            use super::ListQuery;

            /// List (optionally within a bbox).
            #[utoipa::path(get, path = $list, tag = $tag, params(ListQuery),
                responses((status = 200, body = $collection), (status = 400)))]
            pub async fn list(state: State<AppState>, q: Query<ListQuery>) -> Result<Json<FeatureCollection>> {
                super::list::<$props>(state, q).await
            }

            /// Create one Feature or a FeatureCollection, all or nothing.
            #[utoipa::path(post, path = $list, tag = $tag, security(("bearer" = [])), request_body = $collection,
                responses((status = 201, body = $collection), (status = 400), (status = 403), (status = 409),
                          (status = 413), (status = 422)))]
            pub async fn create(state: State<AppState>, who: Planner, body: JsonBody) -> Result<(StatusCode, Json<Value>)> {
                super::create::<$props>(state, who, body).await
            }

            /// Read one.
            #[utoipa::path(get, path = $one, tag = $tag, params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
                responses((status = 200, body = $feature), (status = 400), (status = 404)))]
            pub async fn read(state: State<AppState>, id: PathId) -> Result<Json<Feature>> {
                super::read::<$props>(state, id).await
            }

            /// Create or replace one.
            #[utoipa::path(put, path = $one, tag = $tag, security(("bearer" = [])), request_body = $feature,
                params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
                responses((status = 200, body = $feature), (status = 201, body = $feature), (status = 400),
                          (status = 403), (status = 413), (status = 422)))]
            pub async fn replace(state: State<AppState>, who: Planner, id: PathId, body: JsonBody) -> Result<(StatusCode, Json<Feature>)> {
                super::replace::<$props>(state, who, id, body).await
            }

            /// Delete one.
            #[utoipa::path(delete, path = $one, tag = $tag, security(("bearer" = [])),
                params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
                responses((status = 204, description = "deleted"), (status = 400), (status = 403), (status = 404)))]
            pub async fn remove(state: State<AppState>, who: Planner, id: PathId) -> Result<StatusCode> {
                super::remove::<$props>(state, who, id).await
            }
        }
    };
}

public_resource!(
    power_points,
    crate::domain::PowerPointProps,
    "/api/v1/power-points",
    "/api/v1/power-points/{id}",
    "power points",
    PowerPointCollection,
    PowerPointFeature
);
public_resource!(
    shelters,
    crate::domain::ShelterProps,
    "/api/v1/shelters",
    "/api/v1/shelters/{id}",
    "shelters",
    ShelterCollection,
    ShelterFeature
);

async fn list<P: Indexed>(
    axum::extract::State(state): axum::extract::State<AppState>,
    super::extract::Query(q): super::extract::Query<ListQuery>,
) -> Result<Json<FeatureCollection>> {
    let features = state.catalog.list::<P>(q.bbox()?).iter().map(|e| state.catalog.feature(e)).collect();
    Ok(Json(collection(features)))
}

async fn create<P: Indexed>(
    axum::extract::State(state): axum::extract::State<AppState>,
    _who: super::Planner,
    body: JsonBody,
) -> Result<(StatusCode, Json<Value>)> {
    let body = body.read().await?;
    let (items, is_collection) = parse_body::<P>(&body)?;
    write(&state, &items, WriteMode::CreateOnly, &[]).await?;
    Ok(created_body(&items, is_collection))
}

async fn read<P: Indexed>(
    axum::extract::State(state): axum::extract::State<AppState>,
    super::extract::PathId(id): super::extract::PathId,
) -> Result<Json<Feature>> {
    let entry = state.catalog.get::<P>(&id).ok_or_else(|| Error::NotFound(format!("no {} {id}", P::COLLECTION)))?;
    Ok(Json(state.catalog.feature(&entry)))
}

async fn replace<P: Indexed>(
    axum::extract::State(state): axum::extract::State<AppState>,
    _who: super::Planner,
    super::extract::PathId(id): super::extract::PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<Feature>)> {
    let item = replacement::<P>(&id, &body.read().await?)?;
    let created = write(&state, std::slice::from_ref(&item), WriteMode::Upsert, &[]).await?;
    let status = if created.first() == Some(&true) { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(state.catalog.feature(&item))))
}

async fn remove<P: Indexed>(
    axum::extract::State(state): axum::extract::State<AppState>,
    _who: super::Planner,
    super::extract::PathId(id): super::extract::PathId,
) -> Result<StatusCode> {
    let Some(seq) = state.store.resources().delete::<P>(&id, &[]).await? else {
        return Err(Error::NotFound(format!("no {} {id}", P::COLLECTION)));
    };
    state.seen(seq).await;
    Ok(StatusCode::NO_CONTENT)
}
