//! The outage assignment against independent optima: brute force over every assignment for
//! small instances (up to 8 children), and the Hungarian method (pathfinding's Kuhn–Munkres) over outlet slots
//! for larger single-device ones. Limits are never exceeded.

use powermap::domain::{Device, PowerPointProps};
use powermap::planning::assign::{Assignment, Demand, assign, fits};
use proptest::prelude::*;
use serde_json::json;

fn point(ac: u32, max_w: f64, capacity_w: f64) -> PowerPointProps {
    serde_json::from_value(json!({"name": "p", "kind": "generator", "capacity_w": capacity_w, "pure_sine": true,
        "outlets": [{"type": "ac100v", "count": ac, "max_w": max_w}, {"type": "usb", "count": 1, "max_w": 10}]}))
    .unwrap()
}

fn device(rated_w: f64, usb: bool) -> Device {
    serde_json::from_value(
        json!({"kind": "ventilator", "rated_w": rated_w, "input": if usb { "usb" } else { "ac100v" },
        "battery_h": 1, "life_critical": true}),
    )
    .unwrap()
}

/// (children placed, total cost in decimetres) — what the flow optimises, lexicographically.
fn score(a: &[Option<usize>], demands: &[Demand]) -> (usize, i64) {
    let mut cost = 0;
    for (c, p) in a.iter().enumerate() {
        if let Some(p) = p {
            let d = demands[c].candidates.iter().find(|(q, _)| q == p).unwrap().1;
            cost += (d * 10.0).round() as i64;
        }
    }
    (a.iter().filter(|p| p.is_some()).count(), cost)
}

fn feasible(a: &[Option<usize>], points: &[&PowerPointProps], demands: &[Demand]) -> bool {
    points.iter().enumerate().all(|(p, point)| {
        let mine: Vec<&Demand> = (0..demands.len()).filter(|&c| a[c] == Some(p)).map(|c| &demands[c]).collect();
        mine.is_empty() || fits(point, &mine)
    }) && a.iter().enumerate().all(|(c, p)| p.is_none_or(|p| demands[c].candidates.iter().any(|(q, _)| *q == p)))
}

fn brute_force(points: &[&PowerPointProps], demands: &[Demand]) -> (usize, i64) {
    let mut best = (0, 0);
    let mut current = vec![None; demands.len()];
    fn walk(c: usize, cur: &mut Vec<Option<usize>>, pts: &[&PowerPointProps], ds: &[Demand], best: &mut (usize, i64)) {
        if c == ds.len() {
            if feasible(cur, pts, ds) {
                let s = score(cur, ds);
                if s.0 > best.0 || (s.0 == best.0 && s.1 < best.1) {
                    *best = s;
                }
            }
            return;
        }
        let options: Vec<Option<usize>> =
            std::iter::once(None).chain(ds[c].candidates.iter().map(|(p, _)| Some(*p))).collect();
        for o in options {
            cur[c] = o;
            walk(c + 1, cur, pts, ds, best);
        }
        cur[c] = None;
    }
    walk(0, &mut current, points, demands, &mut best);
    best
}

/// Random small instance: points with a few outlets and watt limits, children with 1–2 devices.
/// Points, and per child its devices and (point, metres) candidates.
type Instance = (Vec<PowerPointProps>, Vec<(Vec<Device>, Vec<(usize, f64)>)>);

fn instance() -> impl Strategy<Value = Instance> {
    let points = prop::collection::vec(
        (1u32..=3, prop::sample::select(vec![200.0, 500.0, 1500.0]), prop::sample::select(vec![300.0, 600.0, 3000.0])),
        1..=4,
    );
    points
        .prop_flat_map(|ps| {
            let m = ps.len();
            let child = (
                prop::collection::vec(
                    (prop::sample::select(vec![30.0, 150.0, 250.0, 400.0]), prop::bool::weighted(0.15)),
                    1..=2,
                ),
                prop::collection::vec((0..m, 100.0..20_000.0f64), 1..=m),
            );
            (
                Just(ps.into_iter().map(|(n, w, cap)| point(n, w, cap)).collect::<Vec<_>>()),
                prop::collection::vec(child, 1..=8),
            )
        })
        .prop_map(|(points, children)| {
            let children = children
                .into_iter()
                .map(|(devs, mut cands)| {
                    cands.sort_by_key(|c| c.0);
                    cands.dedup_by_key(|c| c.0);
                    (devs.into_iter().map(|(w, usb)| device(if usb { 5.0 } else { w }, usb)).collect(), cands)
                })
                .collect();
            (points, children)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn matches_brute_force_when_it_claims_optimality_and_never_exceeds_limits((points, children) in instance()) {
        let refs: Vec<&PowerPointProps> = points.iter().collect();
        // Only candidates that can run the child alone, as the scenario gives.
        let demands: Vec<Demand> = children.iter().map(|(devs, cands)| {
            let devices: Vec<&Device> = devs.iter().collect();
            let candidates = cands.iter().copied().filter(|(p, _)| fits(refs[*p], &[&Demand { devices: devices.clone(), candidates: vec![], horizon_m: None }])).collect();
            Demand { devices, candidates, horizon_m: None }
        }).collect();
        let Assignment { point_of, optimal, .. } = assign(&refs, &demands);
        prop_assert!(feasible(&point_of, &refs, &demands), "limits exceeded: {point_of:?}");
        let ours = score(&point_of, &demands);
        let best = brute_force(&refs, &demands);
        if optimal {
            prop_assert_eq!(ours, best);
        } else {
            prop_assert!(ours.0 < best.0 || (ours.0 == best.0 && ours.1 >= best.1), "better than the optimum? {ours:?} vs {best:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The scenario gives each child only its nearest candidates. When the answer claims
    /// optimality, it must be the optimum over the complete candidate lists.
    #[test]
    fn truncated_candidate_lists_claim_optimality_only_when_it_holds_for_all(
        (points, children) in instance(),
        keep in prop::collection::vec(1usize..=4, 8),
    ) {
        let refs: Vec<&PowerPointProps> = points.iter().collect();
        let full: Vec<Demand> = children.iter().map(|(devs, cands)| {
            let devices: Vec<&Device> = devs.iter().collect();
            let mut candidates: Vec<(usize, f64)> = cands.iter().copied()
                .filter(|(p, _)| fits(refs[*p], &[&Demand { devices: devices.clone(), candidates: vec![], horizon_m: None }]))
                .collect();
            candidates.sort_by(|a, b| a.1.total_cmp(&b.1));
            Demand { devices, candidates, horizon_m: None }
        }).collect();
        let truncated: Vec<Demand> = full.iter().zip(&keep).map(|(d, &t)| {
            let t = t.min(d.candidates.len());
            Demand {
                devices: d.devices.clone(),
                candidates: d.candidates[..t].to_vec(),
                horizon_m: (t < d.candidates.len()).then(|| d.candidates[t - 1].1),
            }
        }).collect();
        let result = assign(&refs, &truncated);
        prop_assert!(feasible(&result.point_of, &refs, &truncated), "limits exceeded: {:?}", result.point_of);
        if result.optimal {
            prop_assert!(result.extend.is_empty());
            prop_assert_eq!(score(&result.point_of, &full), brute_force(&refs, &full));
        }
    }
}

/// Larger single-device instances, where outlets bind and watts do not: the answer must be
/// proven optimal and equal the Hungarian method over individual outlet slots.
#[test]
fn matches_the_hungarian_method_on_larger_outlet_bound_instances() {
    use pathfinding::prelude::{Matrix, kuhn_munkres_min};
    let mut seed = 0x2545F4914F6CDD1D_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..20 {
        let m = 6 + (next() % 6) as usize;
        let n = 20 + (next() % 30) as usize;
        let points: Vec<PowerPointProps> = (0..m).map(|_| point(1 + (next() % 4) as u32, 1500.0, 1e6)).collect();
        let refs: Vec<&PowerPointProps> = points.iter().collect();
        let dev = device(150.0, false);
        let demands: Vec<Demand> = (0..n)
            .map(|_| {
                let mut cands: Vec<(usize, f64)> = Vec::new();
                for p in 0..m {
                    if next() % 3 != 0 {
                        cands.push((p, (next() % 200_000) as f64 / 10.0));
                    }
                }
                if cands.is_empty() {
                    cands.push((0, 10.0));
                }
                Demand { devices: vec![&dev], candidates: cands, horizon_m: None }
            })
            .collect();
        let result = assign(&refs, &demands);
        assert!(result.optimal, "round {round}: one-outlet children cannot make watts bind");
        // Hungarian: rows = children, columns = outlet slots + one "unplaced" column per child.
        let slots: Vec<usize> = points
            .iter()
            .enumerate()
            .flat_map(|(p, pt)| std::iter::repeat_n(p, pt.outlets[0].count as usize))
            .collect();
        const UNPLACED: i64 = 1 << 40;
        let cols = slots.len() + n;
        let weights = Matrix::from_fn(n, cols, |(c, j)| {
            if j < slots.len() {
                demands[c]
                    .candidates
                    .iter()
                    .find(|(p, _)| *p == slots[j])
                    .map(|(_, d)| (d * 10.0).round() as i64)
                    .unwrap_or(UNPLACED * 4)
            } else {
                UNPLACED
            }
        });
        let (total, _) = kuhn_munkres_min(&weights);
        let (placed, cost) = score(&result.point_of, &demands);
        assert_eq!((n - placed) as i64 * UNPLACED + cost, total, "round {round}");
    }
}
