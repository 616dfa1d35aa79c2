//! Min-cost flow on source → children → points → sink (plus each child → sink at
//! [`UNASSIGNED_COST`]): the relaxation every bound in the assignment comes from.
//!
//! Children are added one at a time, each by a shortest augmenting path found with Dijkstra
//! on reduced costs (successive shortest paths with Johnson potentials; the search stops when
//! it reaches the sink, so an uncontested child costs only its own few edges). After each
//! child the flow is a minimum-cost flow for the children added so far.
//!
//! Ahuja, Magnanti, Orlin, *Network Flows* (1993), §9.7 successive shortest paths.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::UNASSIGNED_COST;

#[derive(Debug, Clone, Copy)]
struct Edge {
    to: usize,
    rev: usize,
    cap: i64,
    cost: i64,
}

/// The flow network and its potentials.
pub(super) struct Flow {
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
    /// `candidates[c]` lists (point, cost) for child `c`; point `p` passes at most `slots[p]` children.
    pub(super) fn new(n_points: usize, candidates: &[Vec<(usize, i64)>], slots: &[usize]) -> Self {
        let n = candidates.len();
        let sink = n + n_points;
        let mut graph: Vec<Vec<Edge>> = vec![Vec::new(); sink + 1];
        let add = |graph: &mut Vec<Vec<Edge>>, from: usize, to: usize, cap: i64, cost: i64| {
            let (rf, rt) = (graph[to].len(), graph[from].len());
            graph[from].push(Edge { to, rev: rf, cap, cost });
            graph[to].push(Edge { to: from, rev: rt, cap: 0, cost: -cost });
        };
        for (c, list) in candidates.iter().enumerate() {
            for &(p, cost) in list {
                add(&mut graph, c, n + p, 1, cost);
            }
            add(&mut graph, c, sink, 1, UNASSIGNED_COST);
        }
        let mut sink_edge = Vec::with_capacity(slots.len());
        for (p, &s) in slots.iter().enumerate() {
            sink_edge.push(graph[n + p].len());
            add(&mut graph, n + p, sink, i64::try_from(s).unwrap_or(i64::MAX), 0);
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

    /// Routes every child, in order.
    pub(super) fn solve(&mut self) {
        for c in 0..self.n {
            self.augment(c);
        }
    }

    /// One successive-shortest-path step: routes child `c` by Dijkstra on reduced costs,
    /// stopping when the sink is settled.
    pub(super) fn augment(&mut self, c: usize) {
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
    /// as full as it was; [`Flow::augment`] then routes `c` again, moving others along if that
    /// is cheapest. Raising π(c) keeps every reduced cost ≥ 0: nothing flows into `c` now.
    pub(super) fn evict(&mut self, c: usize, p: usize) {
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

    /// Each child's point, read off the saturated child → point edges.
    pub(super) fn point_of(&self) -> Vec<Option<usize>> {
        (0..self.n)
            .map(|c| {
                self.graph[c].iter().find(|e| e.cap == 0 && e.to >= self.n && e.to < self.sink).map(|e| e.to - self.n)
            })
            .collect()
    }

    /// The shadow price of one more slot at each point, π(sink) − π(p) where positive: the
    /// dual of the slot bound, from which the lower bound and reduced costs are computed.
    pub(super) fn slot_prices(&self, n_points: usize) -> Vec<i64> {
        (0..n_points).map(|p| (self.potential[self.sink] - self.potential[self.n + p]).max(0)).collect()
    }
}
