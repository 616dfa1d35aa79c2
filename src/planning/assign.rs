//! Assignment of at-risk children to power points: fewest children left without power, then
//! least total travel, never past a point's watts or outlets.
//!
//! 1. **Relaxation.** A min-cost flow ([`flow`]) where each child is one unit and a point
//!    takes at most a *slot bound* of children (the most that outlets per type and watts
//!    allow for the lightest of the children that list it). Every real assignment fits the
//!    relaxation, so its cost is a lower bound; its potentials give a dual solution
//!    (α per child, β per point) and a reduced cost `r(c, p) = d(c, p) + β(p) − α(c) ≥ 0`.
//! 2. If the relaxed flow fits every point, it is optimal. Otherwise two **repairs** keep the
//!    children with most to lose at each over-full point and place the rest (greedily, or by
//!    routing them through the flow again); a **local search** (relocate, swap,
//!    eject-and-relocate) improves each within a budget, and the cheaper result is kept.
//! 3. **Proof** ([`exact`]): any assignment costs the lower bound plus the reduced costs of
//!    its edges (plus β for each unused slot), so an assignment better than the incumbent
//!    uses only edges with `r ≤ gap`. Children left with one such edge are fixed; the others
//!    fall into independent groups, each solved by branch and bound over the flow relaxation
//!    (branching on an over-full point: which of its children goes elsewhere). When every
//!    group is finished within the budget the answer is proven optimal.
//!
//! Distances are whole decimetres, so every bound and comparison is exact integer arithmetic.

mod exact;
mod flow;

use std::collections::VecDeque;

use crate::domain::compat::can_run_all;
use crate::domain::{Device, OutletType, PowerPointProps};

/// Cost of leaving a child unplaced: more than any real distance (in decimetres) could add up to.
pub(crate) const UNASSIGNED_COST: i64 = 1 << 50;

/// Feasibility checks the local search may spend (each one [`can_run_all`] call): enough for
/// every child of a large city to try a few moves, small enough to stay in milliseconds.
const SEARCH_BUDGET: u64 = 400_000;
/// Child routings the proof may spend (a branch-and-bound node over k children costs k, a few
/// microseconds each): thousands of nodes for a few dozen contested children, and at most
/// about a third of a second however the instance is shaped.
const PROOF_BUDGET: u64 = 100_000;

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
    /// The least total distance, metres, that any assignment leaving as many children unplaced
    /// and at points that stop early could have: the relaxation's dual bound.
    pub lower_bound_m: f64,
    /// Point index per child.
    pub point_of: Vec<Option<usize>>,
    /// Proven optimal over the complete candidate lists: fewest unplaced, then least distance.
    pub optimal: bool,
    /// Children whose left-out candidates might improve the answer: give them more and solve again.
    pub extend: Vec<usize>,
}

/// Whether `point` can run the devices of all `children` together.
pub fn fits(point: &PowerPointProps, children: &[&Demand]) -> bool {
    can_run_all(point, children.iter().flat_map(|c| c.devices.iter().copied()))
}

/// Metres to the whole decimetres every cost is counted in.
fn decimetres(metres: f64) -> i64 {
    (metres * 10.0).round() as i64
}

const KINDS: [OutletType; 3] = [OutletType::Ac100v, OutletType::Dc12v, OutletType::Usb];

fn kind_index(kind: OutletType) -> usize {
    match kind {
        OutletType::Ac100v => 0,
        OutletType::Dc12v => 1,
        OutletType::Usb => 2,
    }
}

/// What a point has left: watts, and outlets per type (summed in u64, saturating, so no
/// outlet count can overflow the sum).
#[derive(Debug, Clone, Copy)]
struct Room {
    watts: f64,
    outlets: [u64; 3],
}

impl Room {
    fn of(point: &PowerPointProps) -> Self {
        let outlets = KINDS.map(|kind| {
            point.outlets.iter().filter(|o| o.kind == kind).fold(0_u64, |n, o| n.saturating_add(u64::from(o.count)))
        });
        Room { watts: point.capacity_w, outlets }
    }

    /// What is left once `devices` are plugged in.
    fn without<'d>(mut self, devices: impl IntoIterator<Item = &'d Device>) -> Self {
        for d in devices {
            self.watts -= d.rated_w;
            let i = kind_index(d.input);
            self.outlets[i] = self.outlets[i].saturating_sub(1);
        }
        self
    }
}

/// The needs of a set of children, each dimension sorted ascending: critical load, and
/// outlets per type.
struct Needs {
    loads: Vec<f64>,
    outlets: [Vec<u64>; 3],
}

impl Needs {
    fn of<'d>(children: impl Iterator<Item = &'d [&'d Device]> + Clone) -> Self {
        let mut loads: Vec<f64> = children.clone().map(|d| d.iter().map(|x| x.rated_w).sum()).collect();
        loads.sort_by(f64::total_cmp);
        let outlets = KINDS.map(|kind| {
            let mut v: Vec<u64> =
                children.clone().map(|d| d.iter().filter(|x| x.input == kind).count() as u64).collect();
            v.sort_unstable();
            v
        });
        Needs { loads, outlets }
    }

    /// The slot bound: the largest k whose k smallest needs fit `room` in every dimension.
    /// Any k of these children together need at least that much, so every feasible assignment
    /// respects it. Watts get a hair of tolerance so that rounding can only loosen the bound.
    fn bound(&self, room: Room) -> usize {
        let have = room.watts + room.watts.abs() * 1e-9 + 1e-9;
        let mut used = 0.0;
        let mut bound = self
            .loads
            .iter()
            .take_while(|l| {
                used += **l;
                used <= have
            })
            .count();
        for (needs, have) in self.outlets.iter().zip(room.outlets) {
            let mut used = 0_u64;
            let fit = needs
                .iter()
                .take_while(|n| {
                    used = used.saturating_add(**n);
                    used <= have
                })
                .count();
            bound = bound.min(fit);
        }
        bound
    }
}

/// The instance in integer form: candidate costs in decimetres, sorted nearest first.
struct Problem<'p, 'a> {
    points: &'p [&'p PowerPointProps],
    demands: &'p [Demand<'a>],
    costs: Vec<Vec<(usize, i64)>>,
    /// Children listing each point.
    users: Vec<Vec<usize>>,
}

/// Each point's shortfall in whole hours, rounded up (0: it lasts).
fn whole_hours(short_h: &[f64]) -> Vec<i64> {
    short_h.iter().map(|&h| if h > 0.0 { h.ceil().min(1e6) as i64 } else { 0 }).collect()
}

/// What each hour a point falls short of the outage adds to a child's distance: more than the
/// distances of any assignment add up to, so "lasting first" is lexicographic; capped so that
/// leaving a child unplaced still costs more than every shortfall together.
fn hour_cost(demands: &[Demand], short_h: &[f64]) -> i64 {
    let longest = |d: &Demand| d.candidates.iter().map(|&(_, m)| decimetres(m)).max().unwrap_or(0);
    let sum: i64 = demands.iter().map(longest).fold(0_i64, i64::saturating_add);
    let most = whole_hours(short_h).into_iter().max().unwrap_or(0).max(1);
    sum.saturating_add(1).min((UNASSIGNED_COST / 2) / (demands.len() as i64 + 1) / most)
}

impl<'p, 'a> Problem<'p, 'a> {
    fn new(points: &'p [&'p PowerPointProps], demands: &'p [Demand<'a>], short_h: &[f64]) -> Self {
        Self::priced(points, demands, short_h, hour_cost(demands, short_h))
    }

    /// The problem where each hour a placement's point stops early adds `hour_cost` decimetres.
    fn priced(points: &'p [&'p PowerPointProps], demands: &'p [Demand<'a>], short_h: &[f64], hour_cost: i64) -> Self {
        let hours = whole_hours(short_h);
        let costs: Vec<Vec<(usize, i64)>> = demands
            .iter()
            .map(|d| {
                let mut list: Vec<(usize, i64)> = d
                    .candidates
                    .iter()
                    .map(|&(p, m)| (p, decimetres(m) + hours.get(p).map_or(0, |&h| h * hour_cost)))
                    .collect();
                list.sort_by_key(|&(p, cost)| (cost, p));
                list
            })
            .collect();
        let mut users = vec![Vec::new(); points.len()];
        for (c, list) in costs.iter().enumerate() {
            for &(p, _) in list {
                users[p].push(c);
            }
        }
        Problem { points, demands, costs, users }
    }

    fn devices(&self, c: usize) -> &[&'a Device] {
        &self.demands[c].devices
    }

    /// What child `c` costs at `p` (or unplaced).
    fn cost(&self, c: usize, p: Option<usize>) -> i64 {
        p.and_then(|p| self.costs[c].iter().find(|(q, _)| *q == p)).map_or(UNASSIGNED_COST, |&(_, d)| d)
    }

    /// Slot bounds for the given potential users of each point.
    fn slots(&self, users: &[Vec<usize>]) -> Vec<usize> {
        self.points
            .iter()
            .zip(users)
            .map(|(point, u)| Needs::of(u.iter().map(|&c| self.devices(c))).bound(Room::of(point)))
            .collect()
    }

    /// Slot bounds as if every child listed every point (a left-out candidate could join any),
    /// and never below `slots`. The needs of everyone are the same for each point: sorted once.
    fn wide_slots(&self, slots: &[usize]) -> Vec<usize> {
        let everyone = Needs::of((0..self.demands.len()).map(|c| self.devices(c)));
        self.points.iter().zip(slots).map(|(point, &s)| everyone.bound(Room::of(point)).max(s)).collect()
    }
}

/// A dual solution of the relaxation: every assignment that fits the slot bounds costs at
/// least `bound`, and exactly `bound + Σ r(c, p(c)) + Σ β(p)·(unused slots at p)`.
struct Dual {
    /// Price of one slot per point.
    beta: Vec<i64>,
    /// Value of placing each child: min over its candidates of d + β (at most the unplaced cost).
    alpha: Vec<i64>,
    bound: i128,
}

impl Dual {
    /// `horizon` caps α for children with left-out candidates (each at least that far), so the
    /// dual stays feasible over the complete lists; `slots` are the bounds the dual pays for.
    fn new(pb: &Problem, beta: Vec<i64>, slots: &[usize], horizon: impl Fn(usize) -> Option<i64>) -> Self {
        let alpha: Vec<i64> = pb
            .costs
            .iter()
            .enumerate()
            .map(|(c, list)| {
                let listed = list.iter().map(|&(p, d)| d.saturating_add(beta[p])).min().unwrap_or(UNASSIGNED_COST);
                listed.min(UNASSIGNED_COST).min(horizon(c).unwrap_or(i64::MAX))
            })
            .collect();
        let paid: i128 = slots.iter().zip(&beta).map(|(&s, &b)| s as i128 * i128::from(b)).sum();
        let bound = alpha.iter().map(|&a| i128::from(a)).sum::<i128>() - paid;
        Dual { beta, alpha, bound }
    }

    /// r(c, p): how much more than the bound an assignment pays for putting `c` at `p`.
    fn reduced(&self, c: usize, p: usize, cost: i64) -> i128 {
        i128::from(cost) + i128::from(self.beta[p]) - i128::from(self.alpha[c])
    }
}

/// An assignment being improved: each child's point and each point's children.
#[derive(Clone)]
struct Plan {
    point_of: Vec<Option<usize>>,
    at: Vec<Vec<usize>>,
}

impl Plan {
    fn new(n_points: usize, point_of: Vec<Option<usize>>) -> Self {
        let mut at = vec![Vec::new(); n_points];
        for (c, p) in point_of.iter().enumerate() {
            if let Some(p) = p {
                at[*p].push(c);
            }
        }
        Plan { point_of, at }
    }

    fn set(&mut self, c: usize, p: Option<usize>) {
        if let Some(old) = self.point_of[c] {
            self.at[old].retain(|&x| x != c);
        }
        if let Some(new) = p {
            self.at[new].push(c);
        }
        self.point_of[c] = p;
    }

    fn cost(&self, pb: &Problem) -> i128 {
        self.point_of.iter().enumerate().map(|(c, &p)| i128::from(pb.cost(c, p))).sum()
    }

    /// Whether point `p` runs its children, plus `with`, less `without`.
    fn fits_at(&self, pb: &Problem, p: usize, with: Option<usize>, without: Option<usize>) -> bool {
        let stay = self.at[p].iter().filter(|&&c| Some(c) != without);
        let devices = stay.chain(with.iter()).flat_map(|&c| pb.devices(c).iter().copied());
        can_run_all(pb.points[p], devices)
    }

    fn over_full(&self, pb: &Problem) -> Vec<usize> {
        (0..self.at.len()).filter(|&p| !self.at[p].is_empty() && !self.fits_at(pb, p, None, None)).collect()
    }
}

/// How much child `c` loses if it cannot have `p`: its next-best candidate's extra cost.
fn regret(pb: &Problem, c: usize, p: usize) -> i64 {
    let here = pb.cost(c, Some(p));
    let other = pb.costs[c].iter().find(|(q, _)| *q != p).map_or(UNASSIGNED_COST, |&(_, d)| d);
    other - here
}

/// Which children stay at over-full point `p`: those with most to lose, while they fit.
fn keep_at(pb: &Problem, plan: &Plan, p: usize) -> Vec<usize> {
    let mut here: Vec<(i64, usize)> = plan.at[p].iter().map(|&c| (regret(pb, c, p), c)).collect();
    here.sort_by_key(|&(r, c)| (std::cmp::Reverse(r), c));
    let mut kept: Vec<&Device> = Vec::new();
    let mut stay = Vec::new();
    for (_, c) in here {
        let before = kept.len();
        kept.extend(pb.devices(c).iter().copied());
        if can_run_all(pb.points[p], kept.iter().copied()) {
            stay.push(c);
        } else {
            kept.truncate(before);
        }
    }
    stay
}

/// Greedy repair: the children that do not stay go, most to lose first, to their nearest
/// point with room.
fn greedy_repair(pb: &Problem, plan: &mut Plan) {
    let mut evicted: Vec<(i64, usize)> = Vec::new();
    for p in plan.over_full(pb) {
        let stay = keep_at(pb, plan, p);
        for c in plan.at[p].clone() {
            if !stay.contains(&c) {
                plan.set(c, None);
                let best = pb.costs[c].first().map_or(0, |&(_, d)| d);
                let next = pb.costs[c].iter().find(|(q, _)| *q != p).map_or(UNASSIGNED_COST, |&(_, d)| d);
                evicted.push((next - best, c));
            }
        }
    }
    evicted.sort_by_key(|&(r, c)| (std::cmp::Reverse(r), c));
    for (_, c) in evicted {
        let to = pb.costs[c].iter().map(|&(q, _)| q).find(|&q| plan.fits_at(pb, q, Some(c), None));
        plan.set(c, to);
    }
}

/// Flow repair: the children that do not stay are taken out of the flow, the point's slot
/// bound drops to what stays, and they are routed again — along chains of moves where that is
/// cheapest — until every point fits (bounds only fall, so this ends).
fn flow_repair(pb: &Problem, mut flow: flow::Flow) -> Plan {
    loop {
        let plan = Plan::new(pb.points.len(), flow.point_of());
        let mut evicted = Vec::new();
        for p in plan.over_full(pb) {
            let stay = keep_at(pb, &plan, p);
            evicted.extend(plan.at[p].iter().filter(|c| !stay.contains(c)).map(|&c| (c, p)));
        }
        if evicted.is_empty() {
            return plan;
        }
        for &(c, p) in &evicted {
            flow.evict(c, p);
        }
        for &(c, _) in &evicted {
            flow.augment(c);
        }
    }
}

/// First-improvement local search: a child moves to a cheaper point with room (or from
/// nowhere to anywhere), or takes a cheaper point by moving one of its children on to another
/// point (a swap when that is the first child's old point). Stops when no move helps or the
/// budget of feasibility checks is spent.
fn local_search(pb: &Problem, plan: &mut Plan, mut budget: u64) {
    let n = plan.point_of.len();
    let mut queued = vec![false; n];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let push = |queue: &mut VecDeque<usize>, queued: &mut Vec<bool>, c: usize| {
        if !queued[c] {
            queued[c] = true;
            queue.push_back(c);
        }
    };
    for c in 0..n {
        if pb.cost(c, plan.point_of[c]) > pb.costs[c].first().map_or(UNASSIGNED_COST, |&(_, d)| d) {
            push(&mut queue, &mut queued, c);
        }
    }
    while let Some(c) = queue.pop_front() {
        queued[c] = false;
        let from = plan.point_of[c];
        let now = pb.cost(c, from);
        let Some(found) = improving_move(pb, plan, c, now, &mut budget) else {
            if budget == 0 {
                return;
            }
            continue;
        };
        if let Some((other, to)) = found.ejected {
            plan.set(other, to);
            push(&mut queue, &mut queued, other);
        }
        plan.set(c, Some(found.to));
        // Whoever listed the point just left may now have room there.
        if let Some(p) = from {
            for &u in &pb.users[p] {
                if pb.cost(u, plan.point_of[u]) > pb.cost(u, Some(p)) {
                    push(&mut queue, &mut queued, u);
                }
            }
        }
        push(&mut queue, &mut queued, c);
    }
}

/// A move for one child: where it goes, and which child it displaces to where.
struct Move {
    to: usize,
    ejected: Option<(usize, Option<usize>)>,
}

fn improving_move(pb: &Problem, plan: &Plan, c: usize, now: i64, budget: &mut u64) -> Option<Move> {
    let from = plan.point_of[c];
    for &(q, dq) in &pb.costs[c] {
        if dq >= now {
            break;
        }
        if Some(q) == from {
            continue;
        }
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if plan.fits_at(pb, q, Some(c), None) {
            return Some(Move { to: q, ejected: None });
        }
    }
    for &(q, dq) in &pb.costs[c] {
        if dq >= now {
            break;
        }
        if Some(q) == from {
            continue;
        }
        let gain = now - dq;
        for &other in &plan.at[q] {
            let there = pb.cost(other, Some(q));
            // The displaced child's options, cheapest first, then none at all.
            let onward = pb.costs[other].iter().map(|&(r, d)| (Some(r), d)).chain([(None, UNASSIGNED_COST)]);
            let mut room_checked = false;
            for (r, dr) in onward {
                if gain + there - dr <= 0 {
                    break;
                }
                if r == Some(q) {
                    continue;
                }
                if !room_checked {
                    if *budget == 0 {
                        return None;
                    }
                    *budget -= 1;
                    if !plan.fits_at(pb, q, Some(c), Some(other)) {
                        break;
                    }
                    room_checked = true;
                }
                let ok = match r {
                    None => true,
                    Some(r) => {
                        if *budget == 0 {
                            return None;
                        }
                        *budget -= 1;
                        plan.fits_at(pb, r, Some(other), if Some(r) == from { Some(c) } else { None })
                    }
                };
                if ok {
                    return Some(Move { to: q, ejected: Some((other, r)) });
                }
            }
        }
    }
    None
}

/// Solves the assignment for `demands` over `points`.
pub fn assign(points: &[&PowerPointProps], demands: &[Demand]) -> Assignment {
    assign_lasting_first(points, demands, &[])
}

/// As [`assign`], where `short_h[p]` is how many hours point `p` stops before the outage ends
/// (0: it lasts): fewest children unplaced, then fewest child-hours without power (each
/// placement's shortfall in whole hours, rounded up), then least total distance.
pub fn assign_lasting_first(points: &[&PowerPointProps], demands: &[Demand], short_h: &[f64]) -> Assignment {
    let pb = Problem::new(points, demands, short_h);
    let slots = pb.slots(&pb.users);
    let mut flow = flow::Flow::new(points.len(), &pb.costs, &slots);
    flow.solve();
    let mut plan = Plan::new(points.len(), flow.point_of());
    let dual = Dual::new(&pb, flow.slot_prices(points.len()), &slots, |_| None);
    debug_assert!(dual.bound <= plan.cost(&pb), "the dual bound exceeds the relaxed optimum");

    let proven = plan.over_full(&pb).is_empty() || {
        // Two repairs, each better on some instances; each is searched from, the cheaper kept.
        let mut greedy = plan.clone();
        greedy_repair(&pb, &mut greedy);
        let mut rerouted = flow_repair(&pb, flow);
        local_search(&pb, &mut greedy, SEARCH_BUDGET);
        local_search(&pb, &mut rerouted, SEARCH_BUDGET);
        plan = if rerouted.cost(&pb) < greedy.cost(&pb) { rerouted } else { greedy };
        exact::prove(&pb, &mut plan, &dual, PROOF_BUDGET)
    };
    let (extend, full_bound) = truncated_and_uncertified(&pb, &plan, &dual, &slots);
    let extend = if proven { extend } else { Vec::new() };
    let mut lower_bound_m = distance_bound(&pb, &plan, full_bound.unwrap_or(dual.bound));
    if short_h.iter().any(|&h| h > 0.0) && !proven {
        // The penalties make the relaxation loose in metres: search a smaller price per hour.
        lower_bound_m = lower_bound_m.max(lagrangian_distance_bound(points, demands, short_h, &plan));
    }
    Assignment { optimal: proven && extend.is_empty(), point_of: plan.point_of, extend, lower_bound_m }
}

/// Flow solves the bound search may spend, counted in candidate edges (a solve over 10,000
/// children of 16 candidates is 160,000): a dozen prices for a city, none for a prefecture.
const LAGRANGE_BUDGET: usize = 2_000_000;

/// The best bound, over prices per hour λ from 0 to the lexicographic one, on the distance of
/// any assignment no worse than `plan` in (unplaced, child-hours). Every λ gives a valid bound
/// (an assignment with fewer unplaced but more hours pays less than one unplaced child in
/// hours); λ = 0 is the distance-only relaxation, the largest λ the lexicographic one, and a
/// price in between often beats both. The bound is concave in λ: a golden-section search over
/// log λ finds its peak, and any λ it tries is a valid bound whatever the shape.
fn lagrangian_distance_bound(points: &[&PowerPointProps], demands: &[Demand], short_h: &[f64], plan: &Plan) -> f64 {
    let at = |log_l: f64| relaxed_distance_bound(points, demands, short_h, plan, log_l.exp2().round() as i64);
    let edges = demands.iter().map(|d| d.candidates.len()).sum::<usize>().max(1);
    let tries = (LAGRANGE_BUDGET / edges).min(16);
    let mut best = at(f64::NEG_INFINITY); // λ = 0
    if tries < 3 {
        return best;
    }
    let (mut lo, mut hi) = (0.0, (hour_cost(demands, short_h) as f64).log2());
    const G: f64 = 0.618_033_988_749_895;
    let (mut a, mut b) = (hi - G * (hi - lo), lo + G * (hi - lo));
    let (mut fa, mut fb) = (at(a), at(b));
    for _ in 2..tries {
        best = best.max(fa).max(fb);
        if fa < fb {
            (lo, a, fa) = (a, b, fb);
            b = lo + G * (hi - lo);
            fb = at(b);
        } else {
            (hi, b, fb) = (b, a, fa);
            a = hi - G * (hi - lo);
            fa = at(a);
        }
    }
    best.max(fa).max(fb)
}

/// The least total distance of any assignment no worse than `plan` in (unplaced,
/// child-hours), from the relaxation where an hour short costs `hour_cost` decimetres.
fn relaxed_distance_bound(
    points: &[&PowerPointProps],
    demands: &[Demand],
    short_h: &[f64],
    plan: &Plan,
    hour_cost: i64,
) -> f64 {
    let pb = Problem::priced(points, demands, short_h, hour_cost);
    let slots = pb.slots(&pb.users);
    let mut flow = flow::Flow::new(points.len(), &pb.costs, &slots);
    flow.solve();
    let horizon = |c: usize| demands[c].horizon_m.map(decimetres);
    let dual = if demands.iter().any(|d| d.horizon_m.is_some()) {
        Dual::new(&pb, flow.slot_prices(points.len()), &pb.wide_slots(&slots), horizon)
    } else {
        Dual::new(&pb, flow.slot_prices(points.len()), &slots, |_| None)
    };
    let plain = Plan::new(points.len(), plan.point_of.clone());
    distance_bound(&pb, &plain, dual.bound)
}

/// The dual bound, in cost units, as metres of distance: less what the plan pays for its
/// unplaced children and early stops, clamped to `[0, the plan's distance]`.
fn distance_bound(pb: &Problem, plan: &Plan, bound: i128) -> f64 {
    let mut fixed: i128 = 0;
    let mut distance: i128 = 0;
    for (c, &p) in plan.point_of.iter().enumerate() {
        let cost = i128::from(pb.cost(c, p));
        let metres =
            p.and_then(|p| pb.demands[c].candidates.iter().find(|(q, _)| *q == p)).map(|&(_, m)| decimetres(m));
        match metres {
            Some(m) => {
                distance += i128::from(m);
                fixed += cost - i128::from(m);
            }
            None => fixed += cost,
        }
    }
    (bound - fixed).clamp(0, distance) as f64 / 10.0
}

/// With truncated candidate lists, the answer is optimal over the complete lists when no
/// left-out candidate could beat it. The dual is rebuilt to stay feasible for them: α capped
/// by each child's horizon, and each priced point's slots at the bound for *every* child (its
/// users could grow). An assignment using a left-out candidate of child c then costs at least
/// that bound plus horizon(c) − α(c); the children for which that is below the answer's cost
/// are returned, to be given more candidates.
/// Also returns the rebuilt dual's bound, valid over the complete lists.
fn truncated_and_uncertified(pb: &Problem, plan: &Plan, dual: &Dual, slots: &[usize]) -> (Vec<usize>, Option<i128>) {
    if pb.demands.iter().all(|d| d.horizon_m.is_none()) {
        return (Vec::new(), None);
    }
    let horizon = |c: usize| pb.demands[c].horizon_m.map(decimetres);
    let full = Dual::new(pb, dual.beta.clone(), &pb.wide_slots(slots), horizon);
    let gap = plan.cost(pb) - full.bound;
    let extend = (0..pb.demands.len())
        .filter(|&c| horizon(c).is_some_and(|h| i128::from(h) - i128::from(full.alpha[c]) < gap))
        .collect();
    (extend, Some(full.bound))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn point(ac: u32, capacity_w: f64) -> PowerPointProps {
        serde_json::from_value(json!({"name": "p", "kind": "generator", "capacity_w": capacity_w, "pure_sine": true,
            "outlets": [{"type": "ac100v", "count": ac, "max_w": 1500}]}))
        .unwrap()
    }

    fn device(rated_w: f64) -> Device {
        serde_json::from_value(
            json!({"kind": "ventilator", "rated_w": rated_w, "input": "ac100v", "life_critical": true}),
        )
        .unwrap()
    }

    #[test]
    fn outlet_counts_near_u32_max_neither_overflow_nor_panic() {
        // Parsing stops at int32; a store written by another version (or code) may hold more.
        let mut p = point(1, 1e9);
        p.outlets[0].count = u32::MAX;
        p.outlets.push(p.outlets[0].clone());
        let room = Room::of(&p);
        assert_eq!(room.outlets[0], 2 * u64::from(u32::MAX));
        let d = device(10.0);
        let kids: Vec<Vec<&Device>> = vec![vec![&d]; 3];
        assert_eq!(Needs::of(kids.iter().map(Vec::as_slice)).bound(room), 3);
    }

    #[test]
    fn the_slot_bound_counts_outlets_per_child_and_watts() {
        let (one, two) = (device(100.0), device(100.0));
        let single: Vec<&Device> = vec![&one];
        let double: Vec<&Device> = vec![&one, &two];
        let users = [single.as_slice(), double.as_slice(), double.as_slice()];
        let needs = Needs::of(users.iter().copied());
        // 3 outlets: the single (1) and one double (2) fit, not a third child.
        assert_eq!(needs.bound(Room::of(&point(3, 10_000.0))), 2);
        // Watts: 100 + 200 fit 300 W, nothing more.
        assert_eq!(needs.bound(Room::of(&point(10, 300.0))), 2);
        assert_eq!(needs.bound(Room::of(&point(10, 299.0))), 1);
    }

    #[test]
    fn the_dual_bound_equals_the_relaxed_optimum() {
        let points = [point(2, 1500.0), point(1, 1500.0), point(3, 400.0)];
        let refs: Vec<&PowerPointProps> = points.iter().collect();
        let d = device(150.0);
        let demands: Vec<Demand> = (0..6)
            .map(|i| Demand {
                devices: vec![&d],
                candidates: vec![(0, 100.0 + 37.0 * f64::from(i)), (1, 90.0 * f64::from(i)), (2, 500.0)],
                horizon_m: None,
            })
            .collect();
        let pb = Problem::new(&refs, &demands, &[]);
        let slots = pb.slots(&pb.users);
        let mut flow = flow::Flow::new(refs.len(), &pb.costs, &slots);
        flow.solve();
        let plan = Plan::new(refs.len(), flow.point_of());
        let dual = Dual::new(&pb, flow.slot_prices(refs.len()), &slots, |_| None);
        assert_eq!(dual.bound, plan.cost(&pb));
        for (c, list) in pb.costs.iter().enumerate() {
            for &(p, cost) in list {
                assert!(dual.reduced(c, p, cost) >= 0);
            }
        }
    }

    /// (unplaced, child-hours, decimetres): the outage's order.
    type Key = (usize, i64, i64);

    /// Every assignment of `n` children to points or none, with its (unplaced, child-hours,
    /// decimetres): the lexicographic optimum, by brute force.
    fn brute_force(refs: &[&PowerPointProps], demands: &[Demand], short_h: &[f64]) -> (Vec<Option<usize>>, Key) {
        let hours = whole_hours(short_h);
        let options = refs.len() + 1;
        let mut best: Option<(Vec<Option<usize>>, Key)> = None;
        for code in 0..options.pow(demands.len() as u32) {
            let point_of: Vec<Option<usize>> = (0..demands.len())
                .map(|c| Some(code / options.pow(c as u32) % options).filter(|&p| p < refs.len()))
                .collect();
            let listed = |c: usize, p: usize| demands[c].candidates.iter().find(|&&(q, _)| q == p).map(|&(_, m)| m);
            if point_of.iter().enumerate().any(|(c, p)| p.is_some_and(|p| listed(c, p).is_none())) {
                continue;
            }
            let fits_all = (0..refs.len()).all(|p| {
                let here: Vec<&Demand> =
                    (0..demands.len()).filter(|&c| point_of[c] == Some(p)).map(|c| &demands[c]).collect();
                fits(refs[p], &here)
            });
            if !fits_all {
                continue;
            }
            let key = point_of.iter().enumerate().fold((0, 0, 0), |(u, h, d), (c, p)| match p {
                None => (u + 1, h, d),
                Some(p) => (u, h + hours[*p], d + listed(c, *p).map_or(0, decimetres)),
            });
            if best.as_ref().is_none_or(|(_, k)| key < *k) {
                best = Some((point_of, key));
            }
        }
        best.expect("no one placed is always feasible")
    }

    #[test]
    fn every_price_per_hour_bounds_the_lexicographic_optimum_and_some_beat_both_ends() {
        let mut seed = 0x5EED_u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let devices: Vec<Device> = (0..12).map(|i| device(100.0 + 50.0 * f64::from(i % 4))).collect();
        let mut beaten = 0;
        for _ in 0..150 {
            // Few outlets and children with one or two devices: the slot bounds are loose.
            let points: Vec<PowerPointProps> =
                (0..3).map(|_| point(2 + next(3) as u32, 400.0 + 200.0 * next(4) as f64)).collect();
            let refs: Vec<&PowerPointProps> = points.iter().collect();
            let short_h: Vec<f64> = (0..3).map(|_| [0.0, 5.0, 100.0][next(3) as usize]).collect();
            let demands: Vec<Demand> = (0..6)
                .map(|c| Demand {
                    devices: (0..1 + next(2) as usize).map(|k| &devices[(c * 2 + k) % devices.len()]).collect(),
                    candidates: (0..3).map(|p| (p, 100.0 + next(3_000) as f64)).collect(),
                    horizon_m: None,
                })
                .collect();
            let (best, (_, _, optimum)) = brute_force(&refs, &demands, &short_h);
            let plan = Plan::new(refs.len(), best);
            let top = hour_cost(&demands, &short_h);
            let mut ends = 0.0_f64;
            for price in [0, 1, 30, 1_000, 30_000, top / 2, top] {
                let bound = relaxed_distance_bound(&refs, &demands, &short_h, &plan, price);
                assert!(
                    bound * 10.0 <= optimum as f64 + 1e-6,
                    "price {price}: bound {bound} m above the optimum {optimum} dm"
                );
                if price == 0 || price == top {
                    ends = ends.max(bound);
                }
            }
            let searched = lagrangian_distance_bound(&refs, &demands, &short_h, &plan);
            assert!(searched * 10.0 <= optimum as f64 + 1e-6);
            if searched > ends + 0.05 {
                beaten += 1;
            }
        }
        assert!(beaten > 0, "the search never beat the two ends: it is not searching");
    }
}
