//! Outage scenarios: who is affected, who runs out of battery, where each should go.

use std::collections::HashMap;

use geo::{BoundingRect, Intersects, MultiPolygon, Point, Polygon, Validation};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::assign::{Demand, assign};
use crate::domain::compat::serves_child;
use crate::domain::plan::{Plan, walks};
use crate::domain::travel::{TravelModel, round1};
use crate::domain::{ChildProps, PowerPointProps};
use crate::spatial::{Catalog, Entry};

/// Candidate points per child taken from the R-tree: the nearest compatible ones that are up.
pub const CANDIDATES_PER_CHILD: usize = 16;
/// How far the candidate lists may grow when the first ones cannot prove the optimum.
pub const MAX_CANDIDATES_PER_CHILD: usize = 256;

/// Why an area was refused; the message names the problem for the planner.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct AreaError(pub String);

/// Parses a GeoJSON Polygon or MultiPolygon (bare, or as a Feature's geometry) and checks it:
/// closed rings of at least four positions, coordinates in range, no self-intersection.
pub fn parse_area(value: &Value) -> Result<MultiPolygon<f64>, AreaError> {
    let geometry =
        if value.get("type").and_then(Value::as_str) == Some("Feature") { &value["geometry"] } else { value };
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = geometry.get("coordinates").ok_or_else(|| AreaError("area needs coordinates".into()))?;
    let polygons: Vec<&Value> = match kind {
        "Polygon" => vec![coords],
        "MultiPolygon" => coords.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
        other => return Err(AreaError(format!("area must be a GeoJSON Polygon or MultiPolygon, not {other:?}"))),
    };
    if polygons.is_empty() {
        return Err(AreaError("area has no polygon".into()));
    }
    let mut out = Vec::new();
    for (pi, poly) in polygons.iter().enumerate() {
        let rings =
            poly.as_array().filter(|r| !r.is_empty()).ok_or_else(|| AreaError(format!("polygon {pi} has no rings")))?;
        let mut parsed = Vec::new();
        for (ri, ring) in rings.iter().enumerate() {
            let pts: Vec<(f64, f64)> = ring
                .as_array()
                .map(|r| r.iter().filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect())
                .unwrap_or_default();
            let len = ring.as_array().map_or(0, Vec::len);
            if pts.len() != len || len < 4 {
                return Err(AreaError(format!("polygon {pi} ring {ri} needs at least 4 [lon, lat] positions")));
            }
            if pts.first() != pts.last() {
                return Err(AreaError(format!(
                    "polygon {pi} ring {ri} is not closed (first and last positions differ)"
                )));
            }
            if let Some((lon, lat)) =
                pts.iter().find(|(lon, lat)| crate::domain::feature::validate_lon_lat(*lon, *lat).is_err())
            {
                return Err(AreaError(format!("polygon {pi} ring {ri} has a position out of range: [{lon}, {lat}]")));
            }
            parsed.push(geo::LineString::from(pts));
        }
        let exterior = parsed.remove(0);
        out.push(Polygon::new(exterior, parsed));
    }
    let area = MultiPolygon::new(out);
    if let Err(e) = area.check_validation() {
        return Err(AreaError(format!("area is not a valid polygon: {e}")));
    }
    Ok(area)
}

/// One child placed at one point.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Placement {
    /// The child.
    pub child_id: String,
    /// Where to go.
    pub power_point_id: String,
    /// Geodesic metres.
    pub distance_m: f64,
    /// Minutes, walking if the plan says so, else driving.
    pub travel_min: f64,
}

/// A child that could not be placed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Unplaced {
    /// The child.
    pub child_id: String,
    /// `no_compatible_point` or `all_full`.
    pub reason: String,
}

/// The contract's answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutageResult {
    /// The assignment is proven optimal.
    pub optimal: bool,
    /// Children whose home is in the area.
    pub affected: Vec<String>,
    /// Affected children whose batteries last less than the outage.
    pub at_risk: Vec<String>,
    /// Where each at-risk child goes.
    pub assignments: Vec<Placement>,
    /// At-risk children with nowhere to go.
    pub unassigned: Vec<Unplaced>,
    /// Grid-dependent points inside the area.
    pub points_out: Vec<String>,
    /// Total travel distance of the assignment, metres.
    pub total_distance_m: f64,
}

/// Runs the scenario: `plans` decide walking or driving per child.
pub fn run_outage(
    catalog: &Catalog,
    area: &MultiPolygon<f64>,
    hours: f64,
    travel: &TravelModel,
    plans: &HashMap<String, Plan>,
) -> OutageResult {
    let inside = |lon: f64, lat: f64| area.intersects(&Point::new(lon, lat));
    let rect = area.bounding_rect();

    let (affected, points_out) = {
        let children = catalog.children.read();
        let points = catalog.power_points.read();
        let b = rect.map_or((0.0, 0.0, 0.0, 0.0), |r| (r.min().x, r.min().y, r.max().x, r.max().y));
        let mut affected: Vec<Entry<ChildProps>> = children
            .in_bbox(b.0, b.1, b.2, b.3)
            .into_iter()
            .filter(|(_, lon, lat, _)| inside(*lon, *lat))
            .map(|(_, _, _, c)| c.clone())
            .collect();
        affected.sort_by(|a, b| a.id.cmp(&b.id));
        let mut out: Vec<String> = points
            .in_bbox(b.0, b.1, b.2, b.3)
            .into_iter()
            .filter(|(_, lon, lat, p)| inside(*lon, *lat) && !p.props.grid_independent)
            .map(|(id, _, _, _)| id.to_owned())
            .collect();
        out.sort();
        (affected, out)
    };
    let out_set: std::collections::HashSet<&str> = points_out.iter().map(String::as_str).collect();
    let at_risk: Vec<&Entry<ChildProps>> =
        affected.iter().filter(|c| c.props.autonomy_h().is_some_and(|h| h < hours)).collect();

    // Candidates per child from the index (its k nearest compatible points); points are
    // numbered in order of first appearance. When the potentials cannot rule out a farther
    // point for some children, those children get twice as many candidates and the flow is
    // solved again, up to MAX_CANDIDATES_PER_CHILD.
    let mut point_index: HashMap<String, usize> = HashMap::new();
    let mut point_list: Vec<Entry<PowerPointProps>> = Vec::new();
    let mut k_of = vec![CANDIDATES_PER_CHILD; at_risk.len()];
    let mut demands: Vec<Demand> = Vec::with_capacity(at_risk.len());
    let mut fetch: Vec<usize> = (0..at_risk.len()).collect();
    let solution = loop {
        {
            let points = catalog.power_points.read();
            for &c in &fetch {
                let child = at_risk[c];
                let hits = points.nearest(child.lon, child.lat, k_of[c], None, |p: &Entry<PowerPointProps>| {
                    !out_set.contains(p.id.as_str()) && serves_child(&p.props, &child.props, false)
                });
                let horizon_m = (hits.len() == k_of[c]).then(|| hits.last().map_or(0.0, |h| h.distance_m));
                let candidates = hits
                    .into_iter()
                    .map(|h| {
                        let idx = *point_index.entry(h.id.to_owned()).or_insert_with(|| {
                            point_list.push(h.value.clone());
                            point_list.len() - 1
                        });
                        (idx, h.distance_m)
                    })
                    .collect();
                let demand = Demand { devices: child.props.life_critical().collect(), candidates, horizon_m };
                if c < demands.len() {
                    demands[c] = demand;
                } else {
                    demands.push(demand);
                }
            }
        }
        let refs: Vec<&PowerPointProps> = point_list.iter().map(|p| &p.props).collect();
        let solution = assign(&refs, &demands);
        fetch = solution.extend.iter().copied().filter(|&c| k_of[c] < MAX_CANDIDATES_PER_CHILD).collect();
        if fetch.is_empty() {
            break solution;
        }
        for &c in &fetch {
            k_of[c] = (k_of[c] * 2).min(MAX_CANDIDATES_PER_CHILD);
        }
    };

    let mut assignments = Vec::new();
    let mut unassigned = Vec::new();
    for (c, child) in at_risk.iter().enumerate() {
        match solution.point_of[c] {
            Some(p) => {
                let distance_m = demands[c].candidates.iter().find(|(q, _)| *q == p).map_or(0.0, |(_, d)| *d);
                let walking = walks(plans.get(&child.id).and_then(|plan| plan.body.transport));
                let minutes = if walking { travel.walk_min(distance_m) } else { travel.drive_min(distance_m) };
                assignments.push(Placement {
                    child_id: child.id.clone(),
                    power_point_id: point_list[p].id.clone(),
                    distance_m: round1(distance_m),
                    travel_min: round1(minutes),
                });
            }
            None => unassigned.push(Unplaced {
                child_id: child.id.clone(),
                reason: if demands[c].candidates.is_empty() { "no_compatible_point" } else { "all_full" }.into(),
            }),
        }
    }
    let total_distance_m = round1(assignments.iter().map(|a| a.distance_m).sum());
    OutageResult {
        optimal: solution.optimal,
        affected: affected.iter().map(|c| c.id.clone()).collect(),
        at_risk: at_risk.iter().map(|c| c.id.clone()).collect(),
        assignments,
        unassigned,
        points_out,
        total_distance_m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn areas_are_checked() {
        let square = json!({"type": "Polygon", "coordinates": [[[140.0, 35.7], [140.1, 35.7], [140.1, 35.8], [140.0, 35.8], [140.0, 35.7]]]});
        assert!(parse_area(&square).is_ok());
        assert!(parse_area(&json!({"type": "Feature", "geometry": square, "properties": {}})).is_ok());
        let open =
            json!({"type": "Polygon", "coordinates": [[[140.0, 35.7], [140.1, 35.7], [140.1, 35.8], [140.0, 35.8]]]});
        assert!(parse_area(&open).unwrap_err().0.contains("not closed"));
        let bowtie = json!({"type": "Polygon", "coordinates": [[[140.0, 35.7], [140.1, 35.8], [140.1, 35.7], [140.0, 35.8], [140.0, 35.7]]]});
        assert!(parse_area(&bowtie).unwrap_err().0.contains("not a valid polygon"));
        assert!(parse_area(&json!({"type": "Point", "coordinates": [140.0, 35.7]})).unwrap_err().0.contains("Polygon"));
        let far =
            json!({"type": "Polygon", "coordinates": [[[140.0, 95.0], [140.1, 35.7], [140.1, 35.8], [140.0, 95.0]]]});
        assert!(parse_area(&far).unwrap_err().0.contains("out of range"));
    }
}
