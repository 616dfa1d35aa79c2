#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, not a request path
//! Planning at city-to-prefecture scale: the 個別避難計画 audit over 10,000 children with
//! plans, and the outage assignment for 1,000 / 10,000 / 50,000 at-risk children over 5,000
//! power points, and the incident call list for 1,000 / 10,000 / 50,000 children under outage
//! over 5,000 points. Reproduce with `cargo bench --bench planning` (one group:
//! `cargo bench --bench planning -- call_list`).

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use powermap::domain::plan::Plan;
use powermap::domain::travel::TravelModel;
use powermap::domain::{ChildProps, Located, PowerPointProps, ShelterProps};
use powermap::planning::audit::{Ctx, audit};
use powermap::planning::outage::{parse_area, run_outage};
use powermap::spatial::Catalog;
use serde_json::{Value, json};

/// A deterministic xorshift so every run builds the same city.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_f64() * n as f64) as usize % n
    }
    /// A point in Chiba prefecture's bounding box.
    fn chiba(&mut self) -> (f64, f64) {
        (139.75 + self.next_f64() * 1.1, 34.9 + self.next_f64() * 1.2)
    }
}

fn located<P: serde::de::DeserializeOwned>(id: String, (lon, lat): (f64, f64), props: Value) -> Located<P> {
    Located { id, lon, lat, props: serde_json::from_value(props).expect("valid bench fixture") }
}

fn power_points(rng: &mut Rng, n: usize) -> Vec<Located<PowerPointProps>> {
    (0..n)
        .map(|i| {
            let outlets = 2 + rng.below(5) as u32;
            let capacity = [1500.0, 3000.0, 6000.0][rng.below(3)];
            located(
                format!("pp-{i}"),
                rng.chiba(),
                json!({"name": format!("電源 {i}"), "kind": "generator", "capacity_w": capacity,
                       "pure_sine": rng.below(5) > 0, "grid_independent": true,
                       "status": if rng.below(20) == 0 { "unavailable" } else { "available" },
                       "last_verified": "2026-06-01",
                       "outlets": [{"type": "ac100v", "count": outlets, "max_w": capacity},
                                   {"type": "dc12v", "count": rng.below(3) as u32, "max_w": 120.0}]}),
            )
        })
        .collect()
}

fn children(rng: &mut Rng, n: usize) -> Vec<Located<ChildProps>> {
    let sets = [
        json!([{"id": "v", "kind": "ventilator", "rated_w": 150, "input": "ac100v", "battery_h": 8, "pure_sine_required": true, "life_critical": true},
               {"id": "s", "kind": "suction", "rated_w": 80, "input": "ac100v", "battery_h": 1.5, "life_critical": true}]),
        json!([{"id": "o", "kind": "oxygen_concentrator", "rated_w": 400, "input": "ac100v", "battery_h": 2, "life_critical": true}]),
        json!([{"id": "s", "kind": "suction", "rated_w": 90, "input": "ac100v", "battery_h": 1, "life_critical": true},
               {"id": "f", "kind": "feeding_pump", "rated_w": 5, "input": "dc12v", "battery_h": 8, "life_critical": true}]),
        json!([{"id": "o", "kind": "oxygen_concentrator", "rated_w": 150, "input": "ac100v", "battery_h": 4, "life_critical": true}]),
    ];
    (0..n)
        .map(|i| {
            located(
                format!("child-{i}"),
                rng.chiba(),
                json!({"name": format!("架空 {i}"), "district": format!("地区{}", i % 40), "home_hazards": ["flood"],
                       "consent_to_share": rng.below(10) > 0, "devices": sets[rng.below(sets.len())]}),
            )
        })
        .collect()
}

fn shelters(rng: &mut Rng, n: usize) -> Vec<Located<ShelterProps>> {
    (0..n)
        .map(|i| {
            let hazards = if rng.below(3) == 0 { json!(["earthquake"]) } else { json!(["earthquake", "flood"]) };
            located(
                format!("sh-{i}"),
                rng.chiba(),
                json!({"name": format!("避難所 {i}"), "kind": "designated", "hazards": hazards}),
            )
        })
        .collect()
}

fn plans(rng: &mut Rng, kids: &[Located<ChildProps>], points: usize, shelters: usize) -> HashMap<String, Plan> {
    kids.iter()
        .map(|c| {
            let plan: Plan = serde_json::from_value(json!({
                "child_id": c.id, "version": 1, "author": "bench", "created_at": "2026-10-01T00:00:00Z",
                "status": "agreed", "power_point_id": format!("pp-{}", rng.below(points)),
                "shelter_id": format!("sh-{}", rng.below(shelters)), "transport": "family_car",
                "supporters": if rng.below(4) == 0 { json!([]) } else { json!([{"name": "支援者"}]) },
                "reviewed_at": "2026-01-10", "next_review_due": if rng.below(5) == 0 { "2026-06-01" } else { "2027-01-10" },
            }))
            .expect("valid bench plan");
            (c.id.clone(), plan)
        })
        .collect()
}

fn catalog(
    points: Vec<Located<PowerPointProps>>,
    kids: Vec<Located<ChildProps>>,
    sh: Vec<Located<ShelterProps>>,
) -> Catalog {
    let catalog = Catalog::default();
    catalog.load(points);
    catalog.load(kids);
    catalog.load(sh);
    catalog
}

fn audit_bench(c: &mut Criterion) {
    let mut rng = Rng(0x5151_2019);
    let kids = children(&mut rng, 10_000);
    let plans = plans(&mut rng, &kids, 5_000, 2_000);
    let catalog = catalog(power_points(&mut rng, 5_000), kids, shelters(&mut rng, 2_000));
    let entries = catalog.list::<ChildProps>(None);
    let ctx = Ctx { catalog: &catalog, travel: TravelModel::default(), today: time::macros::date!(2026 - 11 - 24) };
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.bench_function("10000_children_with_plans", |b| b.iter(|| black_box(audit(&ctx, &entries, &plans).len())));
    group.finish();
}

fn outage_bench(c: &mut Criterion) {
    let area = parse_area(&json!({"type": "Polygon",
        "coordinates": [[[139.7, 34.8], [141.0, 34.8], [141.0, 36.2], [139.7, 36.2], [139.7, 34.8]]]}))
    .expect("valid area");
    let mut group = c.benchmark_group("outage_assignment_5000_points");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 50_000] {
        let mut rng = Rng(0xFA_C5A1 + n as u64);
        let catalog = catalog(power_points(&mut rng, 5_000), children(&mut rng, n), Vec::new());
        let result = run_outage(&catalog, &area, 72.0, &TravelModel::default(), &HashMap::new());
        eprintln!(
            "outage {n} children: at risk {}, assigned {}, unassigned {}, total {:.1} km, optimal {}, bound {:.1} km, gap {:.2} %",
            result.at_risk.len(),
            result.assignments.len(),
            result.unassigned.len(),
            result.total_distance_m / 1000.0,
            result.optimal,
            result.lower_bound_m / 1000.0,
            result.gap * 100.0
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &catalog, |b, catalog| {
            b.iter(|| {
                black_box(run_outage(catalog, &area, 72.0, &TravelModel::default(), &HashMap::new()).assignments.len())
            })
        });
    }
    group.finish();
}

/// Opening hours: parsing a text (what a nearest answer would pay per point without the
/// cache) against evaluating an already parsed one.
fn hours_bench(c: &mut Criterion) {
    use powermap::domain::hours::{open_state, parse_hours};
    let text = "Mo-Fr 09:00-17:00; Sa 09:00-12:00; PH off";
    let at = time::macros::datetime!(2026-12-01 20:00 +9);
    let mut group = c.benchmark_group("opening_hours");
    group.bench_function("parse", |b| b.iter(|| black_box(text.parse::<opening_hours::OpeningHours>().is_ok())));
    let _ = parse_hours(text);
    group.bench_function("open_state_cached", |b| b.iter(|| black_box(open_state(Some(text), at).open_now)));
    group.finish();
}

/// The desk's call list (電話リスト) with the whole prefecture dark since two hours: every
/// child is listed, and only the one point in ten on its own power is up, so each child's
/// nearest search passes over the dark grid-dependent points around it.
fn call_list_bench(c: &mut Criterion) {
    use powermap::domain::incident::OutageArea;
    use powermap::planning::call_list::{CallListInput, call_list};
    let since = time::macros::datetime!(2026-09-09 00:00 UTC);
    let area = OutageArea {
        id: "chiba".into(),
        incident_id: "bench".into(),
        geometry: Some(json!({"type": "Polygon",
            "coordinates": [[[139.7, 34.8], [141.0, 34.8], [141.0, 36.2], [139.7, 36.2], [139.7, 34.8]]]})),
        district: None,
        since,
        restored_at: None,
        source: None,
        households: None,
    };
    let (reports, plans, travel) = (HashMap::new(), HashMap::new(), TravelModel::default());
    let mut group = c.benchmark_group("call_list_5000_points");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 50_000] {
        let mut rng = Rng(0x3A_2019 + n as u64);
        let mut points = power_points(&mut rng, 5_000);
        for (i, p) in points.iter_mut().enumerate() {
            p.props.grid_independent = i % 10 == 0;
        }
        let catalog = catalog(points, children(&mut rng, n), Vec::new());
        let input = CallListInput {
            catalog: &catalog,
            areas: std::slice::from_ref(&area),
            checks: &[],
            reports: &reports,
            plans: &plans,
            travel: &travel,
            at: since + time::Duration::hours(2),
            margin_min: 60,
        };
        let rows = call_list(&input);
        let placed = rows.iter().filter(|r| r.nearest.is_some()).count();
        eprintln!("call list {n} children: {} rows, {placed} with a point up", rows.len());
        group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
            b.iter(|| black_box(call_list(input).len()))
        });
    }
    group.finish();
}

/// Exposure at read time: 10,000 homes against 50,000 zone polygons of 200 vertices each
/// (the size of a prefecture's flood and landslide layers), through the catalog's zone index.
fn exposure_bench(c: &mut Criterion) {
    use powermap::domain::Hazard;
    use powermap::domain::hazard_zone::{HazardZone, ZoneProps};
    let mut rng = Rng(0x5A0E5);
    let zones: Vec<HazardZone> = (0..50_000)
        .map(|i| {
            let (lon, lat) = rng.chiba();
            let r = 0.002 + rng.next_f64() * 0.01;
            let ring: Vec<(f64, f64)> = (0..=200)
                .map(|k| {
                    let a = std::f64::consts::TAU * f64::from(k % 200) / 200.0;
                    let wobble = 1.0 + 0.2 * (a * 5.0).sin();
                    (lon + r * wobble * a.cos(), lat + r * wobble * a.sin())
                })
                .collect();
            let (hazard, level) =
                if i % 4 == 0 { (Hazard::Landslide, 1 + (i % 2) as u8) } else { (Hazard::Flood, 1 + (i % 6) as u8) };
            HazardZone {
                id: format!("z{i}"),
                props: ZoneProps { hazard, level, depth_m: None, name: None, source: None },
                geometry: geo::MultiPolygon(vec![geo::Polygon::new(geo::LineString::from(ring), vec![])]),
            }
        })
        .collect();
    let homes: Vec<(f64, f64)> = (0..10_000).map(|_| rng.chiba()).collect();
    let catalog = Catalog::default();
    let started = std::time::Instant::now();
    catalog.load_zones(zones);
    eprintln!("zone index of 50,000 polygons built in {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    let exposed = homes.iter().filter(|(lon, lat)| !catalog.exposure_at(*lon, *lat).is_empty()).count();
    eprintln!("{exposed} of 10,000 homes lie in a zone");
    let mut group = c.benchmark_group("hazard_exposure");
    group.sample_size(10);
    group.bench_function("10000_homes_50000_zones", |b| {
        b.iter(|| black_box(homes.iter().map(|(lon, lat)| catalog.exposure_at(*lon, *lat).len()).sum::<usize>()))
    });
    group.finish();
}

criterion_group!(benches, audit_bench, outage_bench, hours_bench, call_list_bench, exposure_bench);
criterion_main!(benches);
