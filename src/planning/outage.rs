//! Outage scenarios: who is affected, who runs out of battery, where each should go.

use std::collections::HashMap;

use geo::MultiPolygon;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::area::IndexedArea;
pub use super::area::{AreaError, MAX_AREA_POSITIONS, parse_area};
use super::assign::{Demand, assign_lasting_first};
use crate::domain::compat::serves_child;
use crate::domain::plan::Plan;
use crate::domain::travel::{TravelModel, round1, within_battery};
use crate::domain::{ChildProps, PowerPointProps};
use crate::spatial::{Catalog, Entry};

/// Candidate points per child taken from the R-tree: the nearest compatible ones that are up.
pub const CANDIDATES_PER_CHILD: usize = 16;
/// How far the candidate lists may grow when the first ones cannot prove the optimum.
pub const MAX_CANDIDATES_PER_CHILD: usize = 256;

/// One child placed at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Placement {
    /// The child.
    pub child_id: String,
    /// Where to go.
    pub power_point_id: String,
    /// Geodesic metres.
    pub distance_m: f64,
    /// Minutes, walking if the plan says so, else driving.
    pub travel_min: f64,
    /// The trip leaves at least half the child's battery (as in the nearest answers).
    pub within_battery: bool,
    /// Hours the point delivers, present only when it stops before the outage ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holds_h: Option<f64>,
    /// The point stops before the outage ends: the child needs a second move or a refuel.
    #[serde(default)]
    pub needs_second_move: bool,
}

/// A child that could not be placed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Unplaced {
    /// The child.
    pub child_id: String,
    /// Why.
    pub reason: UnplacedReason,
}

/// Why a child has nowhere to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnplacedReason {
    /// No point that is up runs all the child's life-critical devices.
    NoCompatiblePoint,
    /// Some do, but the optimum gives their outlets and watts to others.
    AllFull,
}

impl std::fmt::Display for UnplacedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnplacedReason::NoCompatiblePoint => "no_compatible_point",
            UnplacedReason::AllFull => "all_full",
        })
    }
}

/// The contract's answer; saved scenarios decode back into it (fields added since a
/// scenario was saved take their defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
    /// The least total distance any assignment with as few unplaced children and early stops
    /// could have, metres (equal to the total when optimal).
    #[serde(default)]
    pub lower_bound_m: f64,
    /// How far from optimal the answer may be: (total − bound) / total, 0 when optimal.
    #[serde(default)]
    pub gap: f64,
    /// What the optimality claim is about: the model that was solved.
    #[serde(default)]
    pub model: String,
    /// Children placed at a point that stops before the outage ends (ids, sorted).
    #[serde(default)]
    pub needs_second_move: Vec<String>,
    /// Plain-language cautions, one per child placed at a point that stops early.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The hazard zones at the homes of affected children who live in one, by child id.
    #[serde(default)]
    pub hazard_exposure: std::collections::BTreeMap<String, Vec<crate::domain::hazard_zone::Exposure>>,
}

/// The model the assignment solves, as the answer states it.
pub const MODEL: &str = "fewest children unplaced, then fewest child-hours without power (the whole hours by \
which each placement's point stops before the outage ends), then least total geodesic distance; each life-critical device takes one outlet of its type and no point's \
capacity_w is exceeded; a grid-independent point inside the area runs fuel_h hours (null: lasting), every \
other point that is up lasts";

/// How long a point delivers in this outage: `None` when it lasts (on the grid outside the
/// dark area, or with unknown fuel), else its `fuel_h`.
pub fn runs_h(point: &PowerPointProps, in_dark_area: bool) -> Option<f64> {
    if in_dark_area && point.grid_independent { point.fuel_h } else { None }
}

/// Runs the scenario: `plans` decide walking or driving per child.
pub fn run_outage(
    catalog: &Catalog,
    area: &MultiPolygon<f64>,
    hours: f64,
    travel: &TravelModel,
    plans: &HashMap<String, Plan>,
) -> OutageResult {
    let index = IndexedArea::new(area);
    let inside = |lon: f64, lat: f64| index.covers(lon, lat);
    let (affected, points_out) = inside_area(catalog, &index);
    let out_set: std::collections::HashSet<&str> = points_out.iter().map(String::as_str).collect();
    let at_risk: Vec<&Entry<ChildProps>> =
        affected.iter().filter(|c| c.props.autonomy_h().is_some_and(|h| h < hours)).collect();
    let mut candidates = Candidates::new(at_risk.len());
    let solution = loop {
        candidates.fetch(catalog, &at_risk, &out_set);
        let refs: Vec<&PowerPointProps> = candidates.points.iter().map(|p| &p.props).collect();
        let short_h: Vec<f64> =
            holds_of(&candidates.points, &inside, hours).iter().map(|h| h.map_or(0.0, |h| hours - h)).collect();
        let solution = assign_lasting_first(&refs, &candidates.demands, &short_h);
        if !candidates.widen(&solution.extend) {
            break solution;
        }
    };
    let holds = holds_of(&candidates.points, &inside, hours);
    let picked: Vec<Choice> =
        solution.point_of.iter().zip(&candidates.demands).map(|(p, d)| (*p, d.candidates.as_slice())).collect();
    let mut result = answer(&at_risk, &picked, &candidates.points, &holds, (travel, plans, hours));
    result.affected = affected.iter().map(|c| c.id.clone()).collect();
    result.hazard_exposure = affected
        .iter()
        .map(|c| (c.id.clone(), catalog.exposure_at(c.lon, c.lat)))
        .filter(|(_, e)| !e.is_empty())
        .collect();
    result.points_out = points_out;
    result.optimal = solution.optimal;
    result.lower_bound_m = if solution.optimal { result.total_distance_m } else { round1(solution.lower_bound_m) };
    result.gap = if result.total_distance_m > 0.0 {
        ((result.total_distance_m - result.lower_bound_m) / result.total_distance_m).max(0.0)
    } else {
        0.0
    };
    result
}

/// The children inside the area and the grid-dependent points it darkens, each by id;
/// candidates come from the R-trees inside the area's envelope, not a scan of everything.
fn inside_area(catalog: &Catalog, index: &IndexedArea) -> (Vec<Entry<ChildProps>>, Vec<String>) {
    let children = catalog.children.read();
    let points = catalog.power_points.read();
    let b = index.bbox;
    let mut affected: Vec<Entry<ChildProps>> = children
        .in_bbox(b.0, b.1, b.2, b.3)
        .into_iter()
        .filter(|(_, lon, lat, _)| index.covers(*lon, *lat))
        .map(|(_, _, _, c)| c.clone())
        .collect();
    affected.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out: Vec<String> = points
        .in_bbox(b.0, b.1, b.2, b.3)
        .into_iter()
        .filter(|(_, lon, lat, p)| index.covers(*lon, *lat) && !p.props.grid_independent)
        .map(|(id, _, _, _)| id.to_owned())
        .collect();
    out.sort();
    (affected, out)
}

/// Candidate points per at-risk child from the index (its k nearest compatible points that
/// are up), points numbered in order of first appearance. When the potentials cannot rule
/// out a farther point for some children, those get twice as many candidates and the flow
/// is solved again, up to [`MAX_CANDIDATES_PER_CHILD`].
struct Candidates<'a> {
    point_index: HashMap<String, usize>,
    points: Vec<Entry<PowerPointProps>>,
    k_of: Vec<usize>,
    demands: Vec<Demand<'a>>,
    /// The children whose candidates the next [`Candidates::fetch`] reads.
    pending: Vec<usize>,
}

impl<'a> Candidates<'a> {
    fn new(children: usize) -> Self {
        Candidates {
            point_index: HashMap::new(),
            points: Vec::new(),
            k_of: vec![CANDIDATES_PER_CHILD; children],
            demands: Vec::with_capacity(children),
            pending: (0..children).collect(),
        }
    }

    fn fetch(&mut self, catalog: &Catalog, at_risk: &[&'a Entry<ChildProps>], out: &std::collections::HashSet<&str>) {
        let index = catalog.power_points.read();
        for c in std::mem::take(&mut self.pending) {
            let child = at_risk[c];
            let k = self.k_of[c];
            let hits = index.nearest(child.lon, child.lat, k, None, |p: &Entry<PowerPointProps>| {
                !out.contains(p.id.as_str()) && serves_child(&p.props, &child.props, false)
            });
            let horizon_m = (hits.len() == k).then(|| hits.last().map_or(0.0, |h| h.distance_m));
            let (point_index, points) = (&mut self.point_index, &mut self.points);
            let candidates = hits
                .into_iter()
                .map(|h| {
                    let idx = *point_index.entry(h.id.to_owned()).or_insert_with(|| {
                        points.push(h.value.clone());
                        points.len() - 1
                    });
                    (idx, h.distance_m)
                })
                .collect();
            let demand = Demand { devices: child.props.life_critical().collect(), candidates, horizon_m };
            if c < self.demands.len() {
                self.demands[c] = demand;
            } else {
                self.demands.push(demand);
            }
        }
    }

    /// Doubles the candidates of the children the solver asked to extend; `false` when none
    /// can grow any more (the solution stands).
    fn widen(&mut self, extend: &[usize]) -> bool {
        self.pending = extend.iter().copied().filter(|&c| self.k_of[c] < MAX_CANDIDATES_PER_CHILD).collect();
        for &c in &self.pending {
            self.k_of[c] = (self.k_of[c] * 2).min(MAX_CANDIDATES_PER_CHILD);
        }
        !self.pending.is_empty()
    }
}

/// Per point, how long it holds when that is less than the outage (`None`: it lasts).
fn holds_of(points: &[Entry<PowerPointProps>], inside: &impl Fn(f64, f64) -> bool, hours: f64) -> Vec<Option<f64>> {
    points.iter().map(|p| runs_h(&p.props, inside(p.lon, p.lat)).filter(|&h| h < hours)).collect()
}

/// A child's chosen point (if any) and its candidate list (point index, metres).
type Choice<'a> = (Option<usize>, &'a [(usize, f64)]);

/// The answer for the at-risk children from each one's chosen point and candidate list.
fn answer(
    at_risk: &[&Entry<ChildProps>],
    picked: &[Choice],
    points: &[Entry<PowerPointProps>],
    holds: &[Option<f64>],
    (travel, plans, hours): (&TravelModel, &HashMap<String, Plan>, f64),
) -> OutageResult {
    let mut assignments = Vec::new();
    let mut unassigned = Vec::new();
    let mut warnings = Vec::new();
    for (child, &(point, candidates)) in at_risk.iter().zip(picked) {
        let Some(p) = point else {
            let reason =
                if candidates.is_empty() { UnplacedReason::NoCompatiblePoint } else { UnplacedReason::AllFull };
            unassigned.push(Unplaced { child_id: child.id.clone(), reason });
            continue;
        };
        let distance_m = candidates.iter().find(|(q, _)| *q == p).map_or(0.0, |(_, d)| *d);
        let minutes = travel.minutes(distance_m, plans.get(&child.id).and_then(|plan| plan.body.transport));
        if let Some(h) = holds[p] {
            warnings.push(format!(
                "{}: no point that runs the whole {hours} h is free; {} holds {h} h, then a second move or a refuel is needed",
                child.id, points[p].id
            ));
        }
        assignments.push(Placement {
            child_id: child.id.clone(),
            power_point_id: points[p].id.clone(),
            distance_m: round1(distance_m),
            travel_min: round1(minutes),
            within_battery: within_battery(minutes, child.props.autonomy_h()),
            holds_h: holds[p],
            needs_second_move: holds[p].is_some(),
        });
    }
    let mut needs_second_move: Vec<String> =
        assignments.iter().filter(|a| a.needs_second_move).map(|a| a.child_id.clone()).collect();
    needs_second_move.sort();
    OutageResult {
        optimal: false,
        affected: Vec::new(),
        at_risk: at_risk.iter().map(|c| c.id.clone()).collect(),
        total_distance_m: round1(assignments.iter().map(|a| a.distance_m).sum()),
        assignments,
        unassigned,
        points_out: Vec::new(),
        lower_bound_m: 0.0,
        gap: 0.0,
        model: MODEL.into(),
        needs_second_move,
        warnings,
        hazard_exposure: Default::default(),
    }
}
