//! Children (要配慮個人情報): the same resource machinery behind role checks, and every
//! read or write appended to the access log before the answer leaves.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use geojson::{Feature, FeatureCollection};
use serde_json::Value;

use super::extract::{JsonBody, Params};
use super::resources::{collection, created_body, parse_body, path_id, replacement, write};
use super::{AppState, Caller, Error, Result};
use crate::domain::ChildProps;
use crate::domain::auth::{Action, Role};
use crate::store::WriteMode;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/children", get(list).post(create))
        .route("/api/v1/children/{id}", get(read).put(replace).delete(remove))
}

async fn list(State(state): State<AppState>, caller: Caller, params: Params) -> Result<Json<FeatureCollection>> {
    let token = caller.require(&[Role::Family, Role::Coordinator, Role::Planner])?;
    let bbox = params.bbox()?;
    let children: Vec<_> = state
        .catalog
        .list::<ChildProps>(bbox)
        .into_iter()
        .filter(|c| token.role != Role::Family || token.child_ids.contains(&c.id))
        .collect();
    let log: Vec<_> = children.iter().map(|c| caller.log_entry(Action::List, &c.id)).collect();
    state.store.access_log().append(&log).await?;
    Ok(Json(collection(children.iter().map(|c| c.to_feature()).collect())))
}

async fn read(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Feature>> {
    path_id(&id)?;
    caller.may_read_child(&id)?;
    let child = state.catalog.get::<ChildProps>(&id).ok_or_else(|| Error::NotFound(format!("no child {id}")))?;
    state.store.access_log().append(&[caller.log_entry(Action::Read, &id)]).await?;
    Ok(Json(child.to_feature()))
}

async fn create(State(state): State<AppState>, caller: Caller, body: JsonBody) -> Result<(StatusCode, Json<Value>)> {
    caller.require(&[Role::Planner])?;
    let body = body.read().await?;
    let (items, is_collection) = parse_body::<ChildProps>(&body)?;
    let log: Vec<_> = items.iter().map(|c| caller.log_entry(Action::Create, &c.id)).collect();
    write(&state, &items, WriteMode::CreateOnly, &log).await?;
    Ok(created_body(&items, is_collection))
}

async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Feature>)> {
    caller.require(&[Role::Planner])?;
    let child = replacement::<ChildProps>(&id, &body.read().await?)?;
    let log = [caller.log_entry(Action::Update, &id)];
    let created = write(&state, std::slice::from_ref(&child), WriteMode::Upsert, &log).await?;
    let status = if created.first() == Some(&true) { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(child.to_feature())))
}

async fn remove(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    caller.require(&[Role::Planner])?;
    path_id(&id)?;
    let log = [caller.log_entry(Action::Delete, &id)];
    let Some(seq) = state.store.resources().delete::<ChildProps>(&id, &log).await? else {
        return Err(Error::NotFound(format!("no child {id}")));
    };
    state.seen(seq).await;
    // The store unbound the child from family tokens; forget cached bindings at once.
    state.tokens.write().retain(|_, (token, _)| !token.child_ids.contains(&id));
    Ok(StatusCode::NO_CONTENT)
}
