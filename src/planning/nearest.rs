//! Exact geodesic nearest answers with the contract's qualification rules.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::domain::compat::{PowerNeed, serves_child};
use crate::domain::travel::{TravelModel, round1, within_battery};
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
        m.insert("walk_min".into(), json!(round1(travel.walk_min(self.distance_m))));
        m.insert("drive_min".into(), json!(round1(travel.drive_min(self.distance_m))));
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
) -> Vec<Found<PowerPointProps>> {
    let index = catalog.power_points.read();
    search(&index, lat, lon, k, max_distance_m, |p| need.admits(&p.props))
}

/// The `k` nearest points that can run all of the child's life-critical devices at once.
pub fn nearest_power_for_child(
    catalog: &Catalog,
    child: &Child,
    k: usize,
    max_distance_m: Option<f64>,
    include_charge_only: bool,
) -> Vec<Found<PowerPointProps>> {
    nearest_power_for_child_from(catalog, child, (child.lat, child.lon), k, max_distance_m, include_charge_only)
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
) -> Vec<Found<PowerPointProps>> {
    let index = catalog.power_points.read();
    search(&index, lat, lon, k, max_distance_m, |p| serves_child(&p.props, &child.props, include_charge_only))
}

/// Whether the travel time (walking if the family walks, else driving) leaves half the battery.
pub fn reachable_within_battery(found_distance_m: f64, child: &Child, walks: bool, travel: &TravelModel) -> bool {
    let minutes = if walks { travel.walk_min(found_distance_m) } else { travel.drive_min(found_distance_m) };
    within_battery(minutes, child.props.autonomy_h())
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
