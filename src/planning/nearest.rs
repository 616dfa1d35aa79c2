//! Exact geodesic nearest answers with the contract's qualification rules.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::compat::{PowerNeed, serves_child};
use crate::domain::hours::{JST, open_state};
use crate::domain::plan::Transport;
use crate::domain::travel::{Mode, TravelModel, round1, within_battery};
use crate::domain::{Child, Hazard, Located, PowerPointProps, ShelterKind, ShelterProps};
use crate::spatial::{Catalog, Entry};

/// One answer: the resource and where it lies from the origin.
#[derive(Debug, Clone)]
pub struct Found<P> {
    /// The resource.
    pub item: Entry<P>,
    /// Geodesic distance on WGS 84, metres (unrounded).
    pub distance_m: f64,
    /// Initial azimuth from the origin, degrees in [0, 360).
    pub bearing_deg: f64,
}

impl<P> Found<P> {
    /// The per-answer properties of the contract: distance, bearing and travel minutes.
    pub fn travel_properties(&self, travel: &TravelModel) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("distance_m".into(), json!(round1(self.distance_m)));
        m.insert("bearing_deg".into(), json!(round1(self.bearing_deg) % 360.0));
        m.insert("walk_min".into(), json!(round1(travel.minutes_by(self.distance_m, Mode::Walk))));
        m.insert("drive_min".into(), json!(round1(travel.minutes_by(self.distance_m, Mode::Drive))));
        m
    }
}

/// What `open=` asks of a point's opening hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenFilter {
    /// Every point, open or not (the default).
    #[default]
    Any,
    /// Only points open at `at`; points whose hours are unknown are kept (`open_now: null`),
    /// since leaving them out would hide power that may well be there.
    Now,
}

/// The clock of a nearest query and what it asks of opening hours: tests pass a fixed `at`.
#[derive(Debug, Clone, Copy)]
pub struct OpenQuery {
    /// The moment the hours are evaluated at.
    pub at: OffsetDateTime,
    /// Which points to keep.
    pub filter: OpenFilter,
}

impl OpenQuery {
    /// Keeps every point; hours are still reported as of `at`.
    pub fn any(at: OffsetDateTime) -> Self {
        OpenQuery { at, filter: OpenFilter::Any }
    }

    /// `at` as RFC 3339 in Japan time, for the answer's echo.
    pub fn stamp(&self) -> Option<String> {
        self.at.to_offset(JST).format(&Rfc3339).ok()
    }

    /// Whether a point with these hours passes the filter.
    pub fn admits(&self, hours: Option<&str>) -> bool {
        self.filter == OpenFilter::Any || open_state(hours, self.at).open_now != Some(false)
    }

    /// The per-answer fields: `open_now` (null when unknown), `open_until`, `opens_at` (RFC 3339, JST).
    pub fn properties(&self, hours: Option<&str>) -> Map<String, Value> {
        let state = open_state(hours, self.at);
        let stamp = |t: Option<OffsetDateTime>| t.and_then(|t| t.to_offset(JST).format(&Rfc3339).ok());
        let mut m = Map::new();
        m.insert("open_now".into(), json!(state.open_now));
        m.insert("open_until".into(), json!(stamp(state.open_until)));
        m.insert("opens_at".into(), json!(stamp(state.opens_at)));
        m
    }
}

/// Which shelters a query wants.
#[derive(Debug, Clone, Default)]
pub struct ShelterFilter {
    /// Only shelters designated for this hazard.
    pub hazard: Option<Hazard>,
    /// Only this kind.
    pub kind: Option<ShelterKind>,
    /// Only shelters with an on-site power point that exists.
    pub with_power: bool,
}

fn search<P, F>(
    index: &crate::spatial::SpatialIndex<Entry<P>>,
    lat: f64,
    lon: f64,
    k: usize,
    max_distance_m: Option<f64>,
    mut pred: F,
) -> Vec<Found<P>>
where
    F: FnMut(&Located<P>) -> bool,
{
    index
        .nearest(lon, lat, k, max_distance_m, |e: &Entry<P>| pred(e))
        .into_iter()
        .map(|h| Found { item: Arc::clone(h.value), distance_m: h.distance_m, bearing_deg: h.bearing_deg })
        .collect()
}

/// The `k` nearest power points that meet a family's need.
pub fn nearest_power(
    catalog: &Catalog,
    lat: f64,
    lon: f64,
    k: usize,
    max_distance_m: Option<f64>,
    need: &PowerNeed,
    open: &OpenQuery,
) -> Vec<Found<PowerPointProps>> {
    let index = catalog.power_points.read();
    // A point whose reported fuel ran out by `at` counts as unavailable until a newer report.
    search(&index, lat, lon, k, max_distance_m, |p| {
        need.admits(&p.props)
            && (need.include_unavailable || !p.props.out_of_fuel(open.at))
            && open.admits(p.props.hours.as_deref())
    })
}

/// The `k` nearest points that can run all of the child's life-critical devices at once.
pub fn nearest_power_for_child(
    catalog: &Catalog,
    child: &Child,
    k: usize,
    max_distance_m: Option<f64>,
    include_charge_only: bool,
) -> Vec<Found<PowerPointProps>> {
    let open = OpenQuery::any(OffsetDateTime::UNIX_EPOCH);
    nearest_power_for_child_from(catalog, child, (child.lat, child.lon), k, max_distance_m, include_charge_only, &open)
}

/// As [`nearest_power_for_child`], measured from `(lat, lon)`: a family away from home
/// needs the points near where it is now, still qualified by the child's devices.
pub fn nearest_power_for_child_from(
    catalog: &Catalog,
    child: &Child,
    (lat, lon): (f64, f64),
    k: usize,
    max_distance_m: Option<f64>,
    include_charge_only: bool,
    open: &OpenQuery,
) -> Vec<Found<PowerPointProps>> {
    let index = catalog.power_points.read();
    search(&index, lat, lon, k, max_distance_m, |p| {
        serves_child(&p.props, &child.props, include_charge_only)
            && !p.props.out_of_fuel(open.at)
            && open.admits(p.props.hours.as_deref())
    })
}

/// Whether the travel time (the one travel rule, from the plan's transport) leaves half the battery.
pub fn reachable_within_battery(
    found_distance_m: f64,
    child: &Child,
    transport: Option<Transport>,
    travel: &TravelModel,
) -> bool {
    within_battery(travel.minutes(found_distance_m, transport), child.props.autonomy_h())
}

/// The `k` nearest shelters passing `filter`.
pub fn nearest_shelters(
    catalog: &Catalog,
    lat: f64,
    lon: f64,
    k: usize,
    max_distance_m: Option<f64>,
    filter: &ShelterFilter,
) -> Vec<Found<ShelterProps>> {
    let points = catalog.power_points.read();
    let index = catalog.shelters.read();
    search(&index, lat, lon, k, max_distance_m, |s| {
        filter.hazard.is_none_or(|h| s.props.hazards.contains(&h))
            && filter.kind.is_none_or(|kind| s.props.kind == kind)
            && (!filter.with_power || s.props.power_point_ids.iter().any(|id| points.get(id).is_some()))
    })
}
