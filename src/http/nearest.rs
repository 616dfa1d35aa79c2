//! Nearest queries: public by location, and per child behind the child's access rule.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use geojson::FeatureCollection;
use serde_json::{Map, Value, json};

use super::extract::Params;
use super::resources::{collection, path_id};
use super::{AppState, Caller, Error, Result};
use crate::domain::auth::Action;
use crate::domain::compat::PowerNeed;
use crate::domain::travel::Mode;
use crate::domain::{ChildProps, OutletType, PowerPointProps};
use crate::planning::nearest::{
    Found, OpenQuery, ShelterFilter, nearest_power, nearest_power_for_child_from, nearest_shelters,
    reachable_within_battery,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/nearest/power", get(power))
        .route("/api/v1/nearest/shelters", get(shelters))
        .route("/api/v1/children/{id}/nearest-power", get(for_child))
}

/// The `"query"` foreign member: what was asked and which travel assumptions were used.
fn echo(state: &AppState, mut asked: Map<String, Value>) -> Map<String, Value> {
    let t = &state.config.travel;
    asked.insert("detour_factor".into(), json!(t.detour_factor));
    asked.insert("walk_kmh".into(), json!(t.walk_kmh));
    asked.insert("drive_kmh".into(), json!(t.drive_kmh));
    let mut members = Map::new();
    members.insert("query".into(), Value::Object(asked));
    members
}

fn answer<P: crate::domain::Resource>(
    state: &AppState,
    found: &[Found<P>],
    mut extra: impl FnMut(&Found<P>) -> Map<String, Value>,
    asked: Map<String, Value>,
) -> FeatureCollection {
    let features = found
        .iter()
        .map(|f| {
            let mut props = f.travel_properties(&state.config.travel);
            props.extend(extra(f));
            f.item.to_feature_with(props)
        })
        .collect();
    FeatureCollection { foreign_members: Some(echo(state, asked)), ..collection(features) }
}

async fn power(State(state): State<AppState>, params: Params) -> Result<Json<FeatureCollection>> {
    let (lat, lon) = params.lat_lon()?;
    let k = params.int_in("k", 1, 100, 5)?;
    let need = PowerNeed {
        outlet: params.variant::<OutletType>("outlet")?,
        min_w: params.f64_min("min_w", 0.0)?,
        pure_sine: params.flag("pure_sine")?,
        include_unavailable: params.flag("include_unavailable")?,
    };
    let max_distance_m = params.f64_min("max_distance_m", 0.0)?;
    let open = OpenQuery { at: params.at()?, filter: params.variant("open")?.unwrap_or_default() };
    let found = nearest_power(&state.catalog, lat, lon, k, max_distance_m, &need, &open);
    let asked = json!({"lat": lat, "lon": lon, "k": k, "outlet": need.outlet, "min_w": need.min_w,
                       "pure_sine": need.pure_sine, "max_distance_m": max_distance_m,
                       "include_unavailable": need.include_unavailable, "open": open.filter, "at": open.stamp()});
    Ok(Json(answer(&state, &found, |f| open.properties(f.item.props.hours.as_deref()), as_map(asked))))
}

async fn shelters(State(state): State<AppState>, params: Params) -> Result<Json<FeatureCollection>> {
    let (lat, lon) = params.lat_lon()?;
    let k = params.int_in("k", 1, 100, 5)?;
    let filter = ShelterFilter {
        hazard: params.variant("hazard")?,
        kind: params.variant("kind")?,
        with_power: params.flag("with_power")?,
    };
    let max_distance_m = params.f64_min("max_distance_m", 0.0)?;
    let found = nearest_shelters(&state.catalog, lat, lon, k, max_distance_m, &filter);
    let asked = json!({"lat": lat, "lon": lon, "k": k, "hazard": filter.hazard, "kind": filter.kind,
                       "with_power": filter.with_power, "max_distance_m": max_distance_m});
    Ok(Json(answer(&state, &found, |_| Map::new(), as_map(asked))))
}

async fn for_child(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<FeatureCollection>> {
    path_id(&id)?;
    caller.may_read_child(&id)?;
    let k = params.int_in("k", 1, 100, 5)?;
    let include_charge_only = params.flag("include_charge_only")?;
    let max_distance_m = params.f64_min("max_distance_m", 0.0)?;
    let given = origin_override(&params)?;
    let open = OpenQuery { at: params.at()?, filter: params.variant("open")?.unwrap_or_default() };
    let child = state.catalog.get::<ChildProps>(&id).ok_or_else(|| Error::NotFound(format!("no child {id}")))?;
    let (lat, lon) = given.unwrap_or((child.lat, child.lon));
    state.store.access_log().append(&[caller.log_entry(Action::NearestPower, &id)]).await?;
    let found =
        nearest_power_for_child_from(&state.catalog, &child, (lat, lon), k, max_distance_m, include_charge_only, &open);
    // Walking if the plan says so; otherwise, and with no plan, driving (the contract).
    let plan = state.store.plans().current(&id).await?;
    let transport = plan.and_then(|p| p.body.transport);
    let travel = state.config.travel;
    let asked = json!({"child_id": id, "k": k, "include_charge_only": include_charge_only,
                       "max_distance_m": max_distance_m, "lat": lat, "lon": lon,
                       "origin": if given.is_some() { "query" } else { "home" },
                       "critical_load_w": child.props.critical_load_w(), "autonomy_h": child.props.autonomy_h(),
                       "travel_mode": Mode::of(transport).as_str(), "open": open.filter, "at": open.stamp()});
    let extra = |f: &Found<PowerPointProps>| {
        let mut m = open.properties(f.item.props.hours.as_deref());
        m.insert("within_battery".into(), json!(reachable_within_battery(f.distance_m, &child, transport, &travel)));
        m
    };
    Ok(Json(answer(&state, &found, extra, as_map(asked))))
}

/// The optional `lat`/`lon` of a child query: a family away from home searches from where it
/// is; both or neither, validated like every other origin.
fn origin_override(params: &Params) -> Result<Option<(f64, f64)>> {
    if params.str("lat").is_none() && params.str("lon").is_none() {
        return Ok(None);
    }
    params.lat_lon().map(Some)
}

fn as_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
