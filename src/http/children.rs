//! Children (要配慮個人情報): the same resource machinery behind role checks, and every
//! read or write appended to the access log before the answer leaves.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use geojson::{Feature, FeatureCollection};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{JsonBody, PathId, Query};
use super::openapi::{ChildCollection, ChildFeature};
use super::resources::{ListQuery, collection, created_body, parse_body, replacement, write};
use super::{AppState, ChildReader, Error, Member, Planner, Result};
use crate::domain::ChildProps;
use crate::domain::auth::{Action, Role};
use crate::store::WriteMode;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(read, replace, remove))
}

/// List the children the caller may see (a family: its own), optionally within a bbox.
#[utoipa::path(get, path = "/api/v1/children", tag = "children", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ChildCollection), (status = 400)))]
async fn list(
    State(state): State<AppState>,
    who: Member,
    Query(q): Query<ListQuery>,
) -> Result<Json<FeatureCollection>> {
    let token = &who.0;
    let children: Vec<_> = state
        .catalog
        .list::<ChildProps>(q.bbox()?)
        .into_iter()
        .filter(|c| token.role != Role::Family || token.child_ids.contains(&c.id))
        .collect();
    let log: Vec<_> = children.iter().map(|c| who.log(Action::List, &c.id)).collect();
    state.store.access_log().append(&log).await?;
    Ok(Json(collection(children.iter().map(|c| state.catalog.feature(c)).collect())))
}

/// Read one child (a family: its own only; another is a 404).
#[utoipa::path(get, path = "/api/v1/children/{id}", tag = "children", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = ChildFeature), (status = 400), (status = 404)))]
async fn read(State(state): State<AppState>, who: ChildReader) -> Result<Json<Feature>> {
    let id = &who.id;
    let child = state.catalog.get::<ChildProps>(id).ok_or_else(|| Error::NotFound(format!("no child {id}")))?;
    state.store.access_log().append(&[who.log(Action::Read)]).await?;
    Ok(Json(state.catalog.feature(&child)))
}

/// Create one Feature or a FeatureCollection, all or nothing.
#[utoipa::path(post, path = "/api/v1/children", tag = "children", security(("bearer" = [])),
    request_body = ChildCollection,
    responses((status = 201, body = ChildCollection), (status = 400), (status = 403), (status = 409), (status = 413),
              (status = 422)))]
async fn create(State(state): State<AppState>, who: Planner, body: JsonBody) -> Result<(StatusCode, Json<Value>)> {
    let body = body.read().await?;
    let (items, is_collection) = parse_body::<ChildProps>(&body)?;
    let log: Vec<_> = items.iter().map(|c| who.log(Action::Create, &c.id)).collect();
    write(&state, &items, WriteMode::CreateOnly, &log).await?;
    Ok(created_body(&items, is_collection))
}

/// Create or replace one child.
#[utoipa::path(put, path = "/api/v1/children/{id}", tag = "children", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")), request_body = ChildFeature,
    responses((status = 200, body = ChildFeature), (status = 201, body = ChildFeature), (status = 400),
              (status = 403), (status = 413), (status = 422)))]
async fn replace(
    State(state): State<AppState>,
    who: Planner,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<Feature>)> {
    let child = replacement::<ChildProps>(&id, &body.read().await?)?;
    let log = [who.log(Action::Update, &id)];
    let created = write(&state, std::slice::from_ref(&child), WriteMode::Upsert, &log).await?;
    let status = if created.first() == Some(&true) { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(state.catalog.feature(&child))))
}

/// Delete one child, with its plans and token bindings.
#[utoipa::path(delete, path = "/api/v1/children/{id}", tag = "children", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 204, description = "deleted"), (status = 400), (status = 403), (status = 404)))]
async fn remove(State(state): State<AppState>, who: Planner, PathId(id): PathId) -> Result<StatusCode> {
    let log = [who.log(Action::Delete, &id)];
    let Some(seq) = state.store.resources().delete::<ChildProps>(&id, &log).await? else {
        return Err(Error::NotFound(format!("no child {id}")));
    };
    state.seen(seq).await;
    // The store unbound the child from family tokens; forget cached bindings at once.
    state.tokens.write().retain(|_, (token, _)| !token.child_ids.contains(&id));
    Ok(StatusCode::NO_CONTENT)
}
