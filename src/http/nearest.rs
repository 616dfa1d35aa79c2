//! Nearest queries: public by location, and per child behind the child's access rule.

use axum::Json;
use axum::extract::State;
use geojson::FeatureCollection;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Check, Query, at_least, at_or_now, coordinates, in_range};
use super::openapi::{ChildNearestPowerCollection, NearestPowerCollection, NearestShelterCollection};
use super::resources::collection;
use super::{AppState, ChildReader, Error, Result};
use crate::domain::auth::Action;
use crate::domain::compat::PowerNeed;
use crate::domain::travel::Mode;
use crate::domain::{ChildProps, Hazard, OutletType, PowerPointProps, ShelterKind};
use crate::planning::nearest::{
    Found, OpenFilter, OpenQuery, ShelterFilter, nearest_power, nearest_power_for_child_from, nearest_shelters,
    reachable_within_battery,
};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(power)).routes(routes!(shelters)).routes(routes!(for_child))
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

/// How many and how far, shared by the location queries.
macro_rules! origin_fields {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident: $t:ty,)* }) => {
        $(#[$m])*
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            /// How many answers, 1–100 (default 5).
            #[param(minimum = 1, maximum = 100, default = 5)]
            pub k: Option<usize>,
            /// Only answers within this many geodesic metres.
            #[param(minimum = 0)]
            pub max_distance_m: Option<f64>,
        }
    };
}

origin_fields! {
    /// `GET /nearest/power`: the origin and what the outlet must deliver.
    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct PowerQuery {
        /// WGS 84 latitude, degrees.
        #[param(required = true, minimum = -90, maximum = 90)]
        pub lat: Option<f64>,
        /// WGS 84 longitude, degrees.
        #[param(required = true, minimum = -180, maximum = 180)]
        pub lon: Option<f64>,
        /// One outlet type.
        pub outlet: Option<OutletType>,
        /// Watts an outlet and the point must deliver.
        #[param(minimum = 0)]
        pub min_w: Option<f64>,
        /// Only pure-sine points.
        pub pure_sine: Option<bool>,
        /// Also unavailable points.
        pub include_unavailable: Option<bool>,
        /// `now`: only points open at `at` (unknown hours kept, `open_now: null`).
        pub open: Option<OpenFilter>,
        /// RFC 3339; default now.
        #[serde(default, with = "time::serde::rfc3339::option")]
        pub at: Option<OffsetDateTime>,
    }
}

origin_fields! {
    /// `GET /nearest/shelters`: the origin and which shelters count.
    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct ShelterQuery {
        /// WGS 84 latitude, degrees.
        #[param(required = true, minimum = -90, maximum = 90)]
        pub lat: Option<f64>,
        /// WGS 84 longitude, degrees.
        #[param(required = true, minimum = -180, maximum = 180)]
        pub lon: Option<f64>,
        /// Only shelters designated for this hazard.
        pub hazard: Option<Hazard>,
        /// Only this kind of shelter.
        pub kind: Option<ShelterKind>,
        /// Only shelters with on-site power.
        pub with_power: Option<bool>,
    }
}

origin_fields! {
    /// `GET /children/{id}/nearest-power`: from home unless `lat`/`lon` (both) say otherwise.
    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct ChildPowerQuery {
        /// Origin instead of the child's home (with `lon`): WGS 84 latitude, degrees.
        #[param(minimum = -90, maximum = 90)]
        pub lat: Option<f64>,
        /// Origin instead of the child's home (with `lat`): WGS 84 longitude, degrees.
        #[param(minimum = -180, maximum = 180)]
        pub lon: Option<f64>,
        /// Also charge-only points.
        pub include_charge_only: Option<bool>,
        /// `now`: only points open at `at` (unknown hours kept, `open_now: null`).
        pub open: Option<OpenFilter>,
        /// RFC 3339; default now.
        #[serde(default, with = "time::serde::rfc3339::option")]
        pub at: Option<OffsetDateTime>,
    }
}

/// The rules every origin query shares.
fn check_origin(k: Option<usize>, max_distance_m: Option<f64>) -> Result<()> {
    in_range("k", k, 1, 100)?;
    at_least("max_distance_m", max_distance_m, 0.0)
}

impl Check for PowerQuery {
    fn check(&self) -> Result<()> {
        coordinates(self.lat, self.lon)?;
        check_origin(self.k, self.max_distance_m)?;
        at_least("min_w", self.min_w, 0.0)
    }
}

impl Check for ShelterQuery {
    fn check(&self) -> Result<()> {
        coordinates(self.lat, self.lon)?;
        check_origin(self.k, self.max_distance_m)
    }
}

impl Check for ChildPowerQuery {
    fn check(&self) -> Result<()> {
        if self.lat.is_some() || self.lon.is_some() {
            coordinates(self.lat, self.lon)?;
        }
        check_origin(self.k, self.max_distance_m)
    }
}

/// Nearest qualifying power points by geodesic distance.
#[utoipa::path(get, path = "/api/v1/nearest/power", tag = "nearest", params(PowerQuery),
    responses((status = 200, body = NearestPowerCollection), (status = 400)))]
async fn power(State(state): State<AppState>, Query(q): Query<PowerQuery>) -> Result<Json<FeatureCollection>> {
    let (lat, lon) = coordinates(q.lat, q.lon)?;
    let k = q.k.unwrap_or(5);
    let need = PowerNeed {
        outlet: q.outlet,
        min_w: q.min_w,
        pure_sine: q.pure_sine.unwrap_or(false),
        include_unavailable: q.include_unavailable.unwrap_or(false),
    };
    let open = OpenQuery { at: at_or_now(q.at), filter: q.open.unwrap_or_default() };
    let found = nearest_power(&state.catalog, lat, lon, k, q.max_distance_m, &need, &open);
    let asked = json!({"lat": lat, "lon": lon, "k": k, "outlet": need.outlet, "min_w": need.min_w,
                       "pure_sine": need.pure_sine, "max_distance_m": q.max_distance_m,
                       "include_unavailable": need.include_unavailable, "open": open.filter, "at": open.stamp()});
    Ok(Json(answer(&state, &found, |f| open.properties(f.item.props.hours.as_deref()), as_map(asked))))
}

/// Nearest shelters.
#[utoipa::path(get, path = "/api/v1/nearest/shelters", tag = "nearest", params(ShelterQuery),
    responses((status = 200, body = NearestShelterCollection), (status = 400)))]
async fn shelters(State(state): State<AppState>, Query(q): Query<ShelterQuery>) -> Result<Json<FeatureCollection>> {
    let (lat, lon) = coordinates(q.lat, q.lon)?;
    let k = q.k.unwrap_or(5);
    let filter = ShelterFilter { hazard: q.hazard, kind: q.kind, with_power: q.with_power.unwrap_or(false) };
    let found = nearest_shelters(&state.catalog, lat, lon, k, q.max_distance_m, &filter);
    let asked = json!({"lat": lat, "lon": lon, "k": k, "hazard": filter.hazard, "kind": filter.kind,
                       "with_power": filter.with_power, "max_distance_m": q.max_distance_m});
    // Every shelter says the zones it lies in; with a hazard asked, whether that one is among them.
    let extra = |f: &Found<crate::domain::ShelterProps>| {
        let exposure = state.catalog.exposure_at(f.item.lon, f.item.lat);
        let mut m = Map::new();
        if let Some(h) = filter.hazard {
            m.insert("in_hazard_zone".into(), json!(exposure.iter().any(|e| e.hazard == h)));
        }
        m.insert("hazard_exposure".into(), json!(exposure));
        m
    };
    Ok(Json(answer(&state, &found, extra, as_map(asked))))
}

/// Nearest points that run all the child's life-critical devices, with `within_battery`.
#[utoipa::path(get, path = "/api/v1/children/{id}/nearest-power", tag = "nearest", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), ChildPowerQuery),
    responses((status = 200, body = ChildNearestPowerCollection), (status = 400), (status = 404)))]
async fn for_child(
    State(state): State<AppState>,
    who: ChildReader,
    Query(q): Query<ChildPowerQuery>,
) -> Result<Json<FeatureCollection>> {
    let id = &who.id;
    let child = state.catalog.get::<ChildProps>(id).ok_or_else(|| Error::NotFound(format!("no child {id}")))?;
    state.store.access_log().append(&[who.log(Action::NearestPower)]).await?;
    // Walking if the plan says so; otherwise, and with no plan, driving (the contract).
    let transport = state.store.plans().current(id).await?.and_then(|p| p.body.transport);
    Ok(Json(child_answer(&state, &child, transport, &q)))
}

/// The child's nearest-power collection, from home or from the query's origin.
fn child_answer(
    state: &AppState,
    child: &crate::spatial::Entry<ChildProps>,
    transport: Option<crate::domain::plan::Transport>,
    q: &ChildPowerQuery,
) -> FeatureCollection {
    let given = q.lat.zip(q.lon);
    let (lat, lon) = given.unwrap_or((child.lat, child.lon));
    let (k, include_charge_only) = (q.k.unwrap_or(5), q.include_charge_only.unwrap_or(false));
    let open = OpenQuery { at: at_or_now(q.at), filter: q.open.unwrap_or_default() };
    let found = nearest_power_for_child_from(
        &state.catalog,
        child,
        (lat, lon),
        k,
        q.max_distance_m,
        include_charge_only,
        &open,
    );
    let travel = state.config.travel;
    let asked = json!({"child_id": child.id, "k": k, "include_charge_only": include_charge_only,
                       "max_distance_m": q.max_distance_m, "lat": lat, "lon": lon,
                       "origin": if given.is_some() { "query" } else { "home" },
                       "critical_load_w": child.props.critical_load_w(), "autonomy_h": child.props.autonomy_h(),
                       "travel_mode": Mode::of(transport).as_str(), "open": open.filter, "at": open.stamp()});
    let extra = |f: &Found<PowerPointProps>| {
        let mut m = open.properties(f.item.props.hours.as_deref());
        m.insert("within_battery".into(), json!(reachable_within_battery(f.distance_m, child, transport, &travel)));
        m
    };
    answer(state, &found, extra, as_map(asked))
}

fn as_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
