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
}

/// The result: for each child, the index of its point (or `None`), and whether it is proven optimal.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Point index per child.
    pub point_of: Vec<Option<usize>>,
    /// Proven optimal (the first flow already fitted every point).
    pub optimal: bool,
}

/// Whether `point` can run the devices of all `children` together.
pub fn fits(point: &PowerPointProps, children: &[&Demand]) -> bool {
    can_run_all(point, children.iter().flat_map(|c| c.devices.iter().copied()))
}

/// An upper bound on how many of `demands` could share `point`: any k of them together need
/// at least the k smallest outlet counts of each type and the k smallest critical loads, so
/// k can grow only while those sums fit. Every feasible assignment respects it.
fn slot_bound(point: &PowerPointProps, demands: &[Demand], index: usize) -> usize {
    let users: Vec<&Demand> = demands.iter().filter(|d| d.candidates.iter().any(|(p, _)| *p == index)).collect();
    let fit_count = |mut needs: Vec<f64>, have: f64| -> usize {
        needs.sort_by(f64::total_cmp);
        let mut used = 0.0;
        needs
            .iter()
            .take_while(|n| {
                used += **n;
                used <= have
            })
            .count()
    };
    let mut bound =
        fit_count(users.iter().map(|d| d.devices.iter().map(|x| x.rated_w).sum()).collect(), point.capacity_w);
    for kind in [OutletType::Ac100v, OutletType::Dc12v, OutletType::Usb] {
        let have: u32 = point.outlets.iter().filter(|o| o.kind == kind).map(|o| o.count).sum();
        let needs = users.iter().map(|d| d.devices.iter().filter(|x| x.input == kind).count() as f64).collect();
        bound = bound.min(fit_count(needs, f64::from(have)));
    }
    bound
}

/// Solves the assignment for `demands` over `points`.
pub fn assign(points: &[&PowerPointProps], demands: &[Demand]) -> Assignment {
    let mut slots: Vec<usize> = points.iter().enumerate().map(|(i, p)| slot_bound(p, demands, i)).collect();
    let mut optimal = true;
    loop {
        let point_of = min_cost_flow(points.len(), demands, &slots);
        let mut changed = false;
        for (p, point) in points.iter().enumerate() {
            let mine: Vec<usize> = (0..demands.len()).filter(|&c| point_of[c] == Some(p)).collect();
            if mine.is_empty() || fits(point, &mine.iter().map(|&c| &demands[c]).collect::<Vec<_>>()) {
                continue;
            }
            // Keep the children closest to this point while they fit; the bound becomes that many.
            let mut by_distance: Vec<(f64, usize)> = mine
                .iter()
                .map(|&c| (demands[c].candidates.iter().find(|(q, _)| *q == p).map(|(_, d)| *d).unwrap_or(f64::MAX), c))
                .collect();
            by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut kept: Vec<&Demand> = Vec::new();
            for (_, c) in by_distance {
                kept.push(&demands[c]);
                if !fits(point, &kept) {
                    kept.pop();
                }
            }
            slots[p] = kept.len().min(slots[p] - 1);
            changed = true;
        }
        if !changed {
            return Assignment { point_of, optimal };
        }
        optimal = false;
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
/// [`UNASSIGNED_COST`]). Returns each child's point.
fn min_cost_flow(n_points: usize, demands: &[Demand], slots: &[usize]) -> Vec<Option<usize>> {
    let n = demands.len();
    let child = |c: usize| c;
    let point = |p: usize| n + p;
    let sink = n + n_points;
    let mut graph: Vec<Vec<Edge>> = vec![Vec::new(); sink + 1];
    let add = |graph: &mut Vec<Vec<Edge>>, from: usize, to: usize, cap: i64, cost: i64| {
        let (rf, rt) = (graph[to].len(), graph[from].len());
        graph[from].push(Edge { to, rev: rf, cap, cost });
        graph[to].push(Edge { to: from, rev: rt, cap: 0, cost: -cost });
    };
    for (c, d) in demands.iter().enumerate() {
        for &(p, metres) in &d.candidates {
            add(&mut graph, child(c), point(p), 1, (metres * 10.0).round() as i64);
        }
        add(&mut graph, child(c), sink, 1, UNASSIGNED_COST);
    }
    for (p, &s) in slots.iter().enumerate() {
        if s > 0 {
            add(&mut graph, point(p), sink, s as i64, 0);
        }
    }
    let mut potential = vec![0_i64; sink + 1];
    let mut dist = vec![i64::MAX; sink + 1];
    let mut prev: Vec<(usize, usize)> = vec![(usize::MAX, 0); sink + 1];
    let mut touched: Vec<usize> = Vec::new();
    for c in 0..n {
        // Dijkstra from child c on reduced costs, stopping when the sink is settled.
        for &v in &touched {
            dist[v] = i64::MAX;
        }
        touched.clear();
        let mut heap = BinaryHeap::new();
        dist[c] = 0;
        touched.push(c);
        heap.push(Reverse((0_i64, c)));
        while let Some(Reverse((d, v))) = heap.pop() {
            if d > dist[v] {
                continue;
            }
            if v == sink {
                break;
            }
            for (i, e) in graph[v].iter().enumerate() {
                if e.cap <= 0 {
                    continue;
                }
                let nd = d + e.cost + potential[v] - potential[e.to];
                if nd < dist[e.to] {
                    if dist[e.to] == i64::MAX {
                        touched.push(e.to);
                    }
                    dist[e.to] = nd;
                    prev[e.to] = (v, i);
                    heap.push(Reverse((nd, e.to)));
                }
            }
        }
        let d_sink = dist[sink];
        if d_sink == i64::MAX {
            continue; // cannot happen: the unassigned edge always reaches the sink
        }
        // Potentials: π(v) += min(d(v), d(sink)) for every node keeps all residual reduced
        // costs ≥ 0. Only differences matter, so subtract d(sink) throughout: untouched nodes
        // then change by 0 and only the nodes this search reached are updated.
        for &v in &touched {
            potential[v] += dist[v].min(d_sink) - d_sink;
        }
        let mut v = sink;
        while v != c {
            let (u, i) = prev[v];
            graph[u][i].cap -= 1;
            let r = graph[u][i].rev;
            graph[v][r].cap += 1;
            v = u;
        }
    }
    (0..n).map(|c| graph[child(c)].iter().find(|e| e.cap == 0 && e.to >= n && e.to < sink).map(|e| e.to - n)).collect()
}
