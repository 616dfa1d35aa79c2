//! Optimal assignment of at-risk children to power points: min-cost flow.
//!
//! Each child is one unit of flow from the source to the sink, through an edge to each
//! candidate point (cost: geodesic distance in decimetres) or, at a prohibitive cost, through
//! an "unassigned" edge. A point passes at most `slots` children to the sink. Children are
//! added one at a time, each by a shortest augmenting path found with Dijkstra on reduced
//! costs (successive shortest paths with Johnson potentials; the search stops when it reaches
//! the sink, so an uncontested child costs only its own few edges). After each child the flow
//! is a minimum-cost flow for the children added so far, so the final flow first maximises the
//! number placed and then minimises the total distance.
//!
//! A point's `slots` is an upper bound on how many children it can hold (by outlets and by
//! watts). If the optimal flow for those bounds fits every point's real outlets and capacity,
//! it is optimal for the real problem (`optimal: true`). Otherwise, the bounds of the points
//! that do not fit are lowered to what they can hold and the flow is solved again; the result
//! always fits, but is no longer proven optimal (`optimal: false`).
//!
//! # References
//! Ahuja, Magnanti, Orlin, *Network Flows* (1993), §9.7 successive shortest paths.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::domain::compat::can_run_all;
use crate::domain::{Device, OutletType, PowerPointProps};

/// Cost of leaving a child unplaced: more than any real distance (in decimetres) could add up to.
const UNASSIGNED_COST: i64 = 1 << 50;

/// A child to place: its life-critical devices and its candidate points with distances.
#[derive(Debug, Clone)]
pub struct Demand<'a> {
    /// Life-critical devices, all of which must run at the point.
    pub devices: Vec<&'a Device>,
    /// (point index, geodesic distance in metres) for every compatible candidate.
    pub candidates: Vec<(usize, f64)>,
    /// `None` when `candidates` holds every compatible point; otherwise every compatible point
    /// left out is at least this many metres away (the scenario takes the k nearest).
    pub horizon_m: Option<f64>,
}

/// The result: for each child, the index of its point (or `None`), and whether it is proven optimal.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Point index per child.
    pub point_of: Vec<Option<usize>>,
    /// Proven optimal: the first flow already fitted every point, and no left-out candidate
    /// could improve it (the potentials certify it over the complete candidate lists).
    pub optimal: bool,
    /// Children whose left-out candidates might improve the answer: give them more and solve again.
    pub extend: Vec<usize>,
}

/// Whether `point` can run the devices of all `children` together.
pub fn fits(point: &PowerPointProps, children: &[&Demand]) -> bool {
    can_run_all(point, children.iter().flat_map(|c| c.devices.iter().copied()))
}

/// An upper bound on how many of `users` (the children that list `point` as a candidate) could
/// share it: any k of them together need at least the k smallest outlet counts of each type and
/// the k smallest critical loads, so k can grow only while those sums fit. Every feasible
/// assignment respects it.
fn slot_bound(point: &PowerPointProps, users: &[&Demand]) -> usize {
    Needs::of(users).bound(point)
}

/// The needs of a set of children, each dimension sorted ascending: critical load, and
/// outlets per type.
struct Needs {
    loads: Vec<f64>,
    outlets: [Vec<f64>; 3],
}

const KINDS: [OutletType; 3] = [OutletType::Ac100v, OutletType::Dc12v, OutletType::Usb];

impl Needs {
    fn of(children: &[&Demand]) -> Self {
        let sorted = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v
        };
        Needs {
            loads: sorted(children.iter().map(|d| d.devices.iter().map(|x| x.rated_w).sum()).collect()),
            outlets: KINDS.map(|kind| {
                sorted(children.iter().map(|d| d.devices.iter().filter(|x| x.input == kind).count() as f64).collect())
            }),
        }
    }

    /// The largest k whose k smallest needs fit `point` in every dimension.
    fn bound(&self, point: &PowerPointProps) -> usize {
        let fit_count = |needs: &[f64], have: f64| -> usize {
            let mut used = 0.0;
            needs
                .iter()
                .take_while(|n| {
                    used += **n;
                    used <= have
                })
                .count()
        };
        let mut bound = fit_count(&self.loads, point.capacity_w);
        for (kind, needs) in KINDS.iter().zip(&self.outlets) {
            let have: u32 = point.outlets.iter().filter(|o| o.kind == *kind).map(|o| o.count).sum();
            bound = bound.min(fit_count(needs, f64::from(have)));
        }
        bound
    }
}

/// Solves the assignment for `demands` over `points`.
pub fn assign(points: &[&PowerPointProps], demands: &[Demand]) -> Assignment {
    let mut users: Vec<Vec<&Demand>> = vec![Vec::new(); points.len()];
    for d in demands {
        for &(p, _) in &d.candidates {
            users[p].push(d);
        }
    }
    let mut slots: Vec<usize> = points.iter().zip(&users).map(|(p, u)| slot_bound(p, u)).collect();
    let mut flow = Flow::new(points.len(), demands, &slots);
    for c in 0..demands.len() {
        flow.augment(c);
    }
    let mut optimal = true;
    loop {
        let point_of = flow.point_of();
        let mut at_point: Vec<Vec<usize>> = vec![Vec::new(); points.len()];
        for (c, p) in point_of.iter().enumerate() {
            if let Some(p) = p {
                at_point[*p].push(c);
            }
        }
        let mut evicted = Vec::new();
        for (p, point) in points.iter().enumerate() {
            let mine = &at_point[p];
            if mine.is_empty() || fits(point, &mine.iter().map(|&c| &demands[c]).collect::<Vec<_>>()) {
                continue;
            }
            // Keep the children closest to this point while they fit; the bound becomes that many
            // and the others are taken out of the flow, to be routed again.
            let mut by_distance: Vec<(f64, usize)> = mine
                .iter()
                .map(|&c| (demands[c].candidates.iter().find(|(q, _)| *q == p).map(|(_, d)| *d).unwrap_or(f64::MAX), c))
                .collect();
            by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut kept: Vec<&Demand> = Vec::new();
            for &(_, c) in &by_distance {
                kept.push(&demands[c]);
                if !fits(point, &kept) {
                    kept.pop();
                    evicted.push((c, p));
                }
            }
        }
        if evicted.is_empty() {
            let extend = if optimal { flow.uncertified(points, demands) } else { Vec::new() };
            let certified = extend.is_empty() && (!optimal || flow.saturation_certified(points, demands, &slots));
            return Assignment { point_of, optimal: optimal && certified, extend };
        }
        optimal = false;
        for &(c, p) in &evicted {
            flow.evict(c, p);
            slots[p] -= 1;
        }
        for &(c, _) in &evicted {
            flow.augment(c);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    to: usize,
    rev: usize,
    cap: i64,
    cost: i64,
}

/// Min-cost flow on source → children → points → sink (plus each child → sink at
/// [`UNASSIGNED_COST`]), kept between rounds so that a repair re-routes only the children it
/// evicts: the remaining flow stays a minimum-cost flow, certified by the potentials.
struct Flow {
    n: usize,
    sink: usize,
    graph: Vec<Vec<Edge>>,
    /// Index of each point's edge to the sink in its adjacency list.
    sink_edge: Vec<usize>,
    potential: Vec<i64>,
    dist: Vec<i64>,
    prev: Vec<(usize, usize)>,
    touched: Vec<usize>,
}

impl Flow {
    fn new(n_points: usize, demands: &[Demand], slots: &[usize]) -> Self {
        let n = demands.len();
        let sink = n + n_points;
        let mut graph: Vec<Vec<Edge>> = vec![Vec::new(); sink + 1];
        let add = |graph: &mut Vec<Vec<Edge>>, from: usize, to: usize, cap: i64, cost: i64| {
            let (rf, rt) = (graph[to].len(), graph[from].len());
            graph[from].push(Edge { to, rev: rf, cap, cost });
            graph[to].push(Edge { to: from, rev: rt, cap: 0, cost: -cost });
        };
        for (c, d) in demands.iter().enumerate() {
            for &(p, metres) in &d.candidates {
                add(&mut graph, c, n + p, 1, (metres * 10.0).round() as i64);
            }
            add(&mut graph, c, sink, 1, UNASSIGNED_COST);
        }
        let mut sink_edge = Vec::with_capacity(n_points);
        for (p, &s) in slots.iter().enumerate() {
            sink_edge.push(graph[n + p].len());
            add(&mut graph, n + p, sink, s as i64, 0);
        }
        Flow {
            n,
            sink,
            graph,
            sink_edge,
            potential: vec![0; sink + 1],
            dist: vec![i64::MAX; sink + 1],
            prev: vec![(usize::MAX, 0); sink + 1],
            touched: Vec::new(),
        }
    }

    /// One successive-shortest-path step: routes child `c` by Dijkstra on reduced costs,
    /// stopping when the sink is settled.
    fn augment(&mut self, c: usize) {
        let sink = self.sink;
        for &v in &self.touched {
            self.dist[v] = i64::MAX;
        }
        self.touched.clear();
        let mut heap = BinaryHeap::new();
        self.dist[c] = 0;
        self.touched.push(c);
        heap.push(Reverse((0_i64, c)));
        while let Some(Reverse((d, v))) = heap.pop() {
            if d > self.dist[v] {
                continue;
            }
            if v == sink {
                break;
            }
            for (i, e) in self.graph[v].iter().enumerate() {
                if e.cap <= 0 {
                    continue;
                }
                let nd = d + e.cost + self.potential[v] - self.potential[e.to];
                if nd < self.dist[e.to] {
                    if self.dist[e.to] == i64::MAX {
                        self.touched.push(e.to);
                    }
                    self.dist[e.to] = nd;
                    self.prev[e.to] = (v, i);
                    heap.push(Reverse((nd, e.to)));
                }
            }
        }
        let d_sink = self.dist[sink];
        if d_sink == i64::MAX {
            return; // cannot happen: the unassigned edge always reaches the sink
        }
        // Potentials: π(v) += min(d(v), d(sink)) for every node keeps all residual reduced
        // costs ≥ 0. Only differences matter, so subtract d(sink) throughout: untouched nodes
        // then change by 0 and only the nodes this search reached are updated.
        for &v in &self.touched {
            self.potential[v] += self.dist[v].min(d_sink) - d_sink;
        }
        let mut v = sink;
        while v != c {
            let (u, i) = self.prev[v];
            self.graph[u][i].cap -= 1;
            let r = self.graph[u][i].rev;
            self.graph[v][r].cap += 1;
            v = u;
        }
    }

    /// Takes child `c` off point `p` and lowers the point's slots by one, so the point stays
    /// as full as it was. Raising π(c) keeps every reduced cost ≥ 0: nothing flows into `c` now.
    fn evict(&mut self, c: usize, p: usize) {
        let node = self.n + p;
        let Some(i) = self.graph[c].iter().position(|e| e.to == node && e.cap == 0) else {
            return;
        };
        self.graph[c][i].cap = 1;
        let r = self.graph[c][i].rev;
        self.graph[node][r].cap = 0;
        // One unit less through p → sink, and one slot less: the forward residual is unchanged.
        let s = self.sink_edge[p];
        let back = self.graph[node][s].rev;
        self.graph[self.sink][back].cap -= 1;
        let highest = self.graph[c]
            .iter()
            .filter(|e| e.cap > 0)
            .map(|e| self.potential[e.to] - e.cost)
            .max()
            .unwrap_or(self.potential[c]);
        self.potential[c] = self.potential[c].max(highest);
    }

    /// The children with left-out candidates whose cheapest possible left-out edge would have a
    /// negative reduced cost: cost ≥ horizon, and the point's potential is at most the largest
    /// of any point's (a point outside the graph would sit at the sink's).
    fn uncertified(&self, points: &[&PowerPointProps], demands: &[Demand]) -> Vec<usize> {
        let pi_max = (0..points.len()).map(|p| self.potential[self.n + p]).chain([self.potential[self.sink]]).max();
        let pi_max = pi_max.unwrap_or(0);
        demands
            .iter()
            .enumerate()
            .filter(|(c, d)| d.horizon_m.is_some_and(|h| (h * 10.0).round() as i64 + self.potential[*c] - pi_max < 0))
            .map(|(c, _)| c)
            .collect()
    }

    /// With left-out candidates, a full point's bound could grow once more children list it;
    /// that cannot lower the cost when π(p) ≥ π(sink), or when no set of children at all
    /// (the lightest needs among every child) would raise the point's bound.
    fn saturation_certified(&self, points: &[&PowerPointProps], demands: &[Demand], slots: &[usize]) -> bool {
        if demands.iter().all(|d| d.horizon_m.is_none()) {
            return true;
        }
        let everyone = Needs::of(&demands.iter().collect::<Vec<_>>());
        points.iter().enumerate().all(|(p, point)| {
            let node = self.n + p;
            let full = self.graph[node][self.sink_edge[p]].cap == 0;
            !full || self.potential[node] >= self.potential[self.sink] || everyone.bound(point) <= slots[p]
        })
    }

    /// Each child's point, read off the saturated child → point edges.
    fn point_of(&self) -> Vec<Option<usize>> {
        (0..self.n)
            .map(|c| {
                self.graph[c].iter().find(|e| e.cap == 0 && e.to >= self.n && e.to < self.sink).map(|e| e.to - self.n)
            })
            .collect()
    }
}
