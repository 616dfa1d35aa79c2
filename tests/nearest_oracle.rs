#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The geodesic R-tree against brute force: random points over the whole globe (poles and
//! the antimeridian included), random filters and k — the answers must be identical.

use powermap::spatial::SpatialIndex;
use powermap::spatial::geodesy::{
    MARGIN, MAX_RADIUS_M, MIN_RADIUS_M, candidate_chord, geodesic_distance_m, unit_vector,
};
use proptest::prelude::*;

/// Points clustered where trouble lives: anywhere, near the poles, across the antimeridian,
/// a dense city (Shiroi), and exact duplicates.
fn place() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (-180.0..=180.0f64, -90.0..=90.0f64),
        (-180.0..=180.0f64, 85.0..=90.0f64),
        (-180.0..=180.0f64, -90.0..=-85.0f64),
        (prop_oneof![175.0..=180.0f64, -180.0..=-175.0f64], -60.0..=60.0f64),
        (140.00..=140.13f64, 35.76..=35.83f64),
        Just((140.0559, 35.7912)),
    ]
}

fn brute(
    points: &[(String, f64, f64, u32)],
    lon: f64,
    lat: f64,
    k: usize,
    max: Option<f64>,
    keep: impl Fn(u32) -> bool,
) -> Vec<(&str, f64)> {
    let mut all: Vec<(&str, f64)> = points
        .iter()
        .filter(|p| keep(p.3))
        .map(|p| (p.0.as_str(), geodesic_distance_m(lon, lat, p.1, p.2)))
        .filter(|(_, d)| max.is_none_or(|m| *d <= m))
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(b.0)));
    all.truncate(k);
    all
}

fn dataset() -> impl Strategy<Value = Vec<(String, f64, f64, u32)>> {
    prop::collection::vec((place(), 0u32..1000), 0..250).prop_map(|v| {
        v.into_iter().enumerate().map(|(i, ((lon, lat), tag))| (format!("p{i:04}"), lon, lat, tag)).collect()
    })
}

proptest! {
    // 60 point sets × 200 queries = 12,000 queries with random filters, k and radius.
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn nearest_equals_brute_force(
        points in dataset(),
        queries in prop::collection::vec((place(), 0usize..=20, 1u32..=5, 0u32..5, prop::option::of(1.0..3.0e6f64)), 200),
    ) {
        let index = SpatialIndex::bulk_load(points.clone());
        for ((lon, lat), k, m, r, max) in queries {
            let keep = |tag: u32| tag % m == r % m;
            let got: Vec<(&str, f64)> =
                index.nearest(lon, lat, k, max, |t| keep(*t)).iter().map(|h| (h.id, h.distance_m)).collect();
            prop_assert_eq!(got, brute(&points, lon, lat, k, max, keep), "query ({}, {}) k={} m={} r={} max={:?}", lon, lat, k, m, r, max);
        }
    }

    #[test]
    fn within_distance_and_bbox_equal_brute_force(
        points in dataset(),
        (lon, lat) in place(),
        radius in 1.0..5.0e6f64,
        (w, s, e, n) in (-180.0..=180.0f64, -90.0..=90.0f64, -180.0..=180.0f64, -90.0..=90.0f64),
    ) {
        let index = SpatialIndex::bulk_load(points.clone());
        let got: Vec<&str> = index.within_distance(lon, lat, radius, |_| true).iter().map(|h| h.id).collect();
        let want: Vec<&str> = brute(&points, lon, lat, usize::MAX, Some(radius), |_| true).iter().map(|p| p.0).collect();
        prop_assert_eq!(got, want);

        let (s, n) = (s.min(n), s.max(n)); // w > e crosses the antimeridian
        let inside = |plon: f64| if w <= e { plon >= w && plon <= e } else { plon >= w || plon <= e };
        let mut got: Vec<&str> = index.in_bbox(w, s, e, n).iter().map(|p| p.0).collect();
        got.sort();
        let want: Vec<&str> = points.iter().filter(|p| inside(p.1) && p.2 >= s && p.2 <= n).map(|p| p.0.as_str()).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn upserts_and_removals_keep_answers_exact(
        points in dataset(),
        moves in prop::collection::vec((0usize..250, place(), prop::bool::ANY), 0..60),
        (lon, lat) in place(),
    ) {
        let mut index = SpatialIndex::bulk_load(points.clone());
        let mut truth = points.clone();
        for (i, (nlon, nlat), delete) in moves {
            if truth.is_empty() { break; }
            let i = i % truth.len();
            let id = truth[i].0.clone();
            if delete {
                prop_assert_eq!(index.remove(&id), Some(truth[i].3));
                truth.remove(i);
            } else {
                index.upsert(id, nlon, nlat, truth[i].3);
                truth[i].1 = nlon;
                truth[i].2 = nlat;
            }
        }
        prop_assert_eq!(index.len(), truth.len());
        let got: Vec<(&str, f64)> = index.nearest(lon, lat, 10, None, |_| true).iter().map(|h| (h.id, h.distance_m)).collect();
        prop_assert_eq!(got, brute(&truth, lon, lat, 10, None, |_| true));
    }

    /// The stopping rule's premise: a geodesic of s metres spans a central angle of at most
    /// s / MIN_RADIUS_M on the unit sphere of the same latitudes and longitudes.
    #[test]
    fn the_chord_bound_never_cuts_off_a_true_neighbour(a in place(), b in place()) {
        let s = geodesic_distance_m(a.0, a.1, b.0, b.1);
        let (u, v) = (unit_vector(a.0, a.1), unit_vector(b.0, b.1));
        let dot: f64 = u.iter().zip(&v).map(|(x, y)| x * y).sum();
        let angle = dot.clamp(-1.0, 1.0).acos();
        prop_assert!(angle * MIN_RADIUS_M <= s * MARGIN + 1e-6, "angle {angle} s {s}");
        // And the margin is not absurdly loose: the sphere is within 1 % of the ellipsoid.
        if s > 1000.0 {
            prop_assert!(s / (angle * MIN_RADIUS_M) < 1.011, "ratio {}", s / (angle * MIN_RADIUS_M));
        }
    }

    /// The pruning rule's premise: a geodesic is never longer than its unit-sphere angle
    /// times MAX_RADIUS_M, so a point at chord c is within `angle(c) × MAX_RADIUS_M` metres
    /// and [`candidate_chord`] of c keeps every point that could be nearer.
    #[test]
    fn the_candidate_bound_never_cuts_off_a_true_neighbour(a in place(), b in place(), c in place()) {
        let chord = |p: (f64, f64), q: (f64, f64)| {
            let (u, v) = (unit_vector(p.0, p.1), unit_vector(q.0, q.1));
            u.iter().zip(&v).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
        };
        let (ab, ac) = (chord(a, b), chord(a, c));
        let s = geodesic_distance_m(a.0, a.1, b.0, b.1);
        let angle = 2.0 * (ab / 2.0).min(1.0).asin();
        prop_assert!(s <= angle * MAX_RADIUS_M + 1e-6, "s {s} angle {angle}");
        // c at least as near as b, geodesically, must lie within the candidate chord of b.
        if geodesic_distance_m(a.0, a.1, c.0, c.1) <= s {
            prop_assert!(ac <= candidate_chord(ab), "chord {ac} beyond {}", candidate_chord(ab));
        }
    }
}
