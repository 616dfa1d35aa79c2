//! Proving (or finding) the optimum once the relaxation is over-full somewhere.
//!
//! Reduced-cost fixing: with the dual of the relaxation, any assignment costs the bound plus
//! the reduced costs of its edges (all ≥ 0), so one that beats the incumbent by any amount
//! uses only edges whose reduced cost is at most `gap = incumbent − bound` (the incumbent's
//! own edges among them). A child with one such edge keeps it; the others form groups that
//! share no point, each solved on its own by branch and bound.
//!
//! Branch and bound: a node is the flow relaxation of the group with some children forced
//! onto a point and some (child, point) pairs forbidden, the points' slot bounds recomputed
//! for what the forced children leave. Its cost bounds every completion. If its flow fits
//! every point, it is the node's optimum; otherwise some point p is over-full with children
//! t₁ … t_k flowing to it, and since they cannot all stay, branch i keeps t₁ … t_{i−1} at p
//! and forbids t_i there — a partition of the node's assignments.

use std::collections::HashMap;

use super::flow::Flow;
use super::{Dual, Needs, Plan, Problem, Room, UNASSIGNED_COST};
use crate::domain::Device;
use crate::domain::compat::can_run_all;

/// Largest group of contested children the branch and bound takes on.
const MAX_GROUP: usize = 200;

/// Tries to prove `plan` optimal, improving it when a better assignment turns up. Returns
/// whether the optimum was proven within `budget` child routings.
pub(super) fn prove(pb: &Problem, plan: &mut Plan, dual: &Dual, mut budget: u64) -> bool {
    let gap = plan.cost(pb) - dual.bound;
    if gap <= 0 {
        return true;
    }
    let n = plan.point_of.len();
    let options: Vec<Vec<(usize, i64)>> =
        (0..n).map(|c| pb.costs[c].iter().copied().filter(|&(p, d)| dual.reduced(c, p, d) <= gap).collect()).collect();
    let may_wait: Vec<bool> = (0..n).map(|c| i128::from(UNASSIGNED_COST) - i128::from(dual.alpha[c]) <= gap).collect();
    let free: Vec<usize> = (0..n).filter(|&c| options[c].len() + usize::from(may_wait[c]) >= 2).collect();

    // Groups of free children that share candidate points (union-find over points).
    let mut parent: Vec<usize> = (0..pb.points.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &c in &free {
        if let Some(&(first, _)) = options[c].first() {
            for &(p, _) in &options[c][1..] {
                let (a, b) = (root(&mut parent, first), root(&mut parent, p));
                parent[a] = b;
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for &c in &free {
        // A free child has at least one point (it cannot be free with only "unplaced").
        let Some(&(p, _)) = options[c].first() else { continue };
        groups.entry(root(&mut parent, p)).or_default().push(c);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_by_key(|g| (g.len(), g[0]));

    let mut proven = true;
    for group in groups {
        // Every node re-solves the whole group's flow: past this size the budget would buy too
        // few nodes to finish, so the group keeps the local search's answer.
        if group.len() > MAX_GROUP {
            proven = false;
            continue;
        }
        let choices = group.iter().map(|&c| options[c].clone()).collect();
        proven &= Group::new(pb, plan, &group, choices).solve(pb, plan, &mut budget);
    }
    proven
}

/// One independent group: its children, its points (numbered locally), and what the children
/// outside the group already use at those points.
struct Group<'g, 'a> {
    kids: &'g [usize],
    points: Vec<usize>,
    /// Per child: (local point, cost) it may take.
    options: Vec<Vec<(usize, i64)>>,
    /// Per local point: the devices of children outside the group that stay there.
    base: Vec<Vec<&'a Device>>,
    room: Vec<Room>,
}

#[derive(Clone, Default)]
struct Node {
    forced: Vec<(usize, usize)>,
    forbidden: Vec<(usize, usize)>,
}

impl<'g, 'a> Group<'g, 'a> {
    /// `choices[k]` lists the (point, cost) child `kids[k]` may take.
    fn new(pb: &Problem<'_, 'a>, plan: &Plan, kids: &'g [usize], choices: Vec<Vec<(usize, i64)>>) -> Self {
        let mut local: HashMap<usize, usize> = HashMap::new();
        let mut points = Vec::new();
        let options: Vec<Vec<(usize, i64)>> = choices
            .iter()
            .map(|list| {
                list.iter()
                    .map(|&(p, d)| {
                        let lp = *local.entry(p).or_insert_with(|| {
                            points.push(p);
                            points.len() - 1
                        });
                        (lp, d)
                    })
                    .collect()
            })
            .collect();
        let mine: std::collections::HashSet<usize> = kids.iter().copied().collect();
        let base: Vec<Vec<&'a Device>> = points
            .iter()
            .map(|&p| {
                plan.at[p].iter().filter(|c| !mine.contains(c)).flat_map(|&c| pb.devices(c).iter().copied()).collect()
            })
            .collect();
        let room = points.iter().zip(&base).map(|(&p, b)| Room::of(pb.points[p]).without(b.iter().copied())).collect();
        Group { kids, points, options, base, room }
    }

    fn fits(&self, pb: &Problem, lp: usize, kids: impl Iterator<Item = usize>) -> bool {
        let extra = kids.flat_map(|k| pb.devices(self.kids[k]).iter().copied());
        can_run_all(pb.points[self.points[lp]], self.base[lp].iter().copied().chain(extra))
    }

    /// Depth-first branch and bound from the incumbent; writes the best found into `plan`.
    fn solve(&self, pb: &Problem, plan: &mut Plan, budget: &mut u64) -> bool {
        let lp_of = |c: usize| plan.point_of[c].and_then(|p| self.points.iter().position(|&q| q == p));
        let start: Vec<Option<usize>> = self.kids.iter().map(|&c| lp_of(c)).collect();
        let mut best_cost: i128 = self.kids.iter().map(|&c| i128::from(pb.cost(c, plan.point_of[c]))).sum();
        let mut best: Option<Vec<Option<usize>>> = None;
        let mut stack = vec![Node::default()];
        let mut complete = true;
        while let Some(node) = stack.pop() {
            let work = self.kids.len() as u64;
            if *budget < work {
                complete = false;
                break;
            }
            *budget -= work;
            match self.evaluate(pb, &node, best_cost) {
                Outcome::Pruned => {}
                Outcome::Feasible(cost, at) => {
                    best_cost = cost;
                    best = Some(at);
                }
                Outcome::Branch(children) => stack.extend(children.into_iter().rev()),
            }
        }
        if let Some(at) = best.filter(|at| *at != start) {
            for (k, lp) in at.into_iter().enumerate() {
                plan.set(self.kids[k], lp.map(|lp| self.points[lp]));
            }
        }
        complete
    }

    fn evaluate(&self, pb: &Problem, node: &Node, best_cost: i128) -> Outcome {
        let n = self.kids.len();
        let mut forced_at: Vec<Vec<usize>> = vec![Vec::new(); self.points.len()];
        let mut placed: Vec<Option<usize>> = vec![None; n];
        let mut cost: i128 = 0;
        for &(k, lp) in &node.forced {
            forced_at[lp].push(k);
            placed[k] = Some(lp);
            cost += i128::from(self.cost(k, lp));
        }
        let rest: Vec<usize> = (0..n).filter(|&k| placed[k].is_none()).collect();
        let candidates: Vec<Vec<(usize, i64)>> = rest
            .iter()
            .map(|&k| self.options[k].iter().copied().filter(|&(lp, _)| !node.forbidden.contains(&(k, lp))).collect())
            .collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); self.points.len()];
        for (i, list) in candidates.iter().enumerate() {
            for &(lp, _) in list {
                users[lp].push(rest[i]);
            }
        }
        let slots: Vec<usize> = (0..self.points.len())
            .map(|lp| {
                let room =
                    self.room[lp].without(forced_at[lp].iter().flat_map(|&k| pb.devices(self.kids[k]).iter().copied()));
                Needs::of(users[lp].iter().map(|&k| pb.devices(self.kids[k]))).bound(room)
            })
            .collect();
        let mut flow = Flow::new(self.points.len(), &candidates, &slots);
        flow.solve();
        let mut flowed: Vec<Vec<usize>> = vec![Vec::new(); self.points.len()];
        for (i, lp) in flow.point_of().into_iter().enumerate() {
            let k = rest[i];
            placed[k] = lp;
            cost += i128::from(lp.map_or(UNASSIGNED_COST, |lp| self.cost(k, lp)));
            if let Some(lp) = lp {
                flowed[lp].push(k);
            }
        }
        if cost >= best_cost {
            return Outcome::Pruned;
        }
        let over = (0..self.points.len())
            .find(|&lp| !flowed[lp].is_empty() && !self.fits(pb, lp, forced_at[lp].iter().chain(&flowed[lp]).copied()));
        let Some(lp) = over else {
            return Outcome::Feasible(cost, placed);
        };
        // Those cheapest to send elsewhere are tried elsewhere first.
        let mut movers = flowed[lp].clone();
        let regret = |k: usize| {
            let others = self.options[k].iter().filter(|&&(q, _)| q != lp && !node.forbidden.contains(&(k, q)));
            others.map(|&(_, d)| d).min().unwrap_or(UNASSIGNED_COST) - self.cost(k, lp)
        };
        movers.sort_by_key(|&k| (regret(k), k));
        let mut children = Vec::with_capacity(movers.len());
        for i in 0..movers.len() {
            if i > 0 && !self.fits(pb, lp, forced_at[lp].iter().chain(&movers[..i]).copied()) {
                break;
            }
            let mut child = node.clone();
            child.forbidden.push((movers[i], lp));
            child.forced.extend(movers[..i].iter().map(|&k| (k, lp)));
            children.push(child);
        }
        Outcome::Branch(children)
    }

    fn cost(&self, k: usize, lp: usize) -> i64 {
        self.options[k].iter().find(|(q, _)| *q == lp).map_or(UNASSIGNED_COST, |&(_, d)| d)
    }
}

enum Outcome {
    Pruned,
    Feasible(i128, Vec<Option<usize>>),
    Branch(Vec<Node>),
}
