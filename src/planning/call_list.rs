//! The call list of an incident (電話リスト): gathers the children under the dark areas, the
//! areas, the checks, the points' live reports and the plans into one row per child, with the
//! battery clock of [`super::incident`], ordered by when the family must leave.
//!
//! Outage areas are few (tens to hundreds); children and points many. So the areas are
//! walked, not the children: each shape takes its candidates from the children's R-tree
//! inside its envelope and tests them exactly ([`IndexedArea`]); district areas are matched
//! in one pass by name (DESIGN.md, "the incident clock").

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;

use super::area::{IndexedArea, parse_area};
use super::incident::{Clock, ClockInput, NearestUp, call_order, clock, point_up};
use crate::domain::compat::can_run_all;
use crate::domain::incident::{DarkSpan, OutageArea, PowerReport, StoredCheck, WelfareCheck};
use crate::domain::plan::Plan;
use crate::domain::travel::{TravelModel, round1};
use crate::domain::{ChildProps, Located, OutletType, PowerPointProps, ShelterProps};
use crate::spatial::{Catalog, Entry, SpatialIndex};
use crate::store::{Store, StoreError};

/// An incident's outage areas, indexed for "which areas cover this place".
pub struct DarkAreas {
    shapes: Vec<(IndexedArea, DarkSpan)>,
    districts: HashMap<String, Vec<DarkSpan>>,
}

impl DarkAreas {
    /// Indexes the areas. A stored shape was checked when written; one that no longer
    /// parses (written by another version) is left out with a warning rather than failing
    /// the desk's whole list.
    pub fn new(areas: &[OutageArea]) -> Self {
        let mut shapes = Vec::new();
        let mut districts: HashMap<String, Vec<DarkSpan>> = HashMap::new();
        for a in areas {
            match (&a.geometry, &a.district) {
                (Some(g), _) => match parse_area(g) {
                    Ok(shape) => shapes.push((IndexedArea::new(&shape), a.span())),
                    Err(e) => tracing::warn!(area = %a.id, error = %e, "stored outage area does not parse; skipped"),
                },
                (None, Some(d)) => districts.entry(d.clone()).or_default().push(a.span()),
                (None, None) => {}
            }
        }
        Self { shapes, districts }
    }

    /// Every span covering one place, by shape or by its district: for a single child or point.
    pub fn spans_at(&self, lon: f64, lat: f64, district: Option<&str>) -> Vec<DarkSpan> {
        let mut spans: Vec<DarkSpan> = district.and_then(|d| self.districts.get(d)).cloned().unwrap_or_default();
        for (shape, span) in &self.shapes {
            let (w, s, e, n) = shape.bbox;
            if (w..=e).contains(&lon) && (s..=n).contains(&lat) && shape.covers(lon, lat) {
                spans.push(*span);
            }
        }
        spans
    }

    /// The entries of an index that any area covers, each with the spans covering it, walking
    /// the areas: each shape's envelope in the R-tree, then one pass by district if there are
    /// any. Keyed by the entry's address, which identifies it while the caller holds the index.
    pub fn covered<P>(&self, index: &SpatialIndex<Entry<P>>, district_of: impl Fn(&P) -> Option<&str>) -> Covered<P> {
        let mut out: Covered<P> = Covered::default();
        let mut add = |e: &Entry<P>, span: DarkSpan| {
            out.entry(Arc::as_ptr(e)).or_insert_with(|| (Arc::clone(e), Vec::new())).1.push(span);
        };
        for (shape, span) in &self.shapes {
            let (w, s, e, n) = shape.bbox;
            for (_, lon, lat, entry) in index.in_bbox(w, s, e, n) {
                if shape.covers(lon, lat) {
                    add(entry, *span);
                }
            }
        }
        if !self.districts.is_empty() {
            for (_, _, _, entry) in index.iter() {
                for span in district_of(&entry.props).and_then(|d| self.districts.get(d)).into_iter().flatten() {
                    add(entry, *span);
                }
            }
        }
        out
    }
}

/// What [`DarkAreas::covered`] finds: per entry (by address), the entry and its spans.
pub type Covered<P> = foldhash::HashMap<*const Located<P>, (Entry<P>, Vec<DarkSpan>)>;

/// The points that are up at `at`, decided once per point before the children's searches
/// (which then only look them up). Points are known by address: the set holds each one it
/// names, so no address can be reused while it lives, and a point rewritten meanwhile is a new
/// address, not offered in this list (the next one will).
struct UpPoints {
    up: foldhash::HashSet<*const Located<PowerPointProps>>,
    held: Vec<Entry<PowerPointProps>>,
}

impl UpPoints {
    fn new(input: &CallListInput<'_>, areas: &DarkAreas) -> Self {
        let points = input.catalog.power_points.read();
        let covered = areas.covered(&points, |p| p.district.as_deref());
        let held: Vec<Entry<PowerPointProps>> = points
            .iter()
            .filter(|(id, _, _, p)| {
                let spans = covered.get(&Arc::as_ptr(p)).map_or(&[][..], |(_, s)| s.as_slice());
                point_up(&p.props, spans, reports_of(input, id), input.at)
            })
            .map(|(_, _, _, p)| Arc::clone(p))
            .collect();
        Self { up: held.iter().map(Arc::as_ptr).collect(), held }
    }

    fn contains(&self, p: &Located<PowerPointProps>) -> bool {
        self.up.contains(&std::ptr::from_ref(p))
    }
}

/// What the call list is computed from; every answer speaks of `at`.
pub struct CallListInput<'a> {
    /// The live indexes (children and points).
    pub catalog: &'a Catalog,
    /// The incident's outage areas.
    pub areas: &'a [OutageArea],
    /// The incident's checks (any order; those after `at` are ignored).
    pub checks: &'a [StoredCheck],
    /// Per point, its newest report at or before `at`.
    pub reports: &'a HashMap<String, PowerReport>,
    /// Current plans by child: the transport decides walking or driving.
    pub plans: &'a HashMap<String, Plan>,
    /// The travel assumptions.
    pub travel: &'a TravelModel,
    /// The moment the list speaks of.
    pub at: OffsetDateTime,
    /// Safety margin before the batteries run out, minutes.
    pub margin_min: i64,
}

/// One row of the call list: the child, its clock, the nearest point that is up.
#[derive(Debug, Clone)]
pub struct CallRow {
    /// The child as stored.
    pub child: Entry<ChildProps>,
    /// The battery clock.
    pub clock: Clock,
    /// The nearest point that runs all its life-critical devices and is up at `at`.
    pub nearest: Option<NearestUp>,
}

/// The call list: every child whose home has no power at `at`, or who has a check in this
/// incident by `at`, ordered by `must_leave_by` (nulls last), then id.
pub fn call_list(input: &CallListInput<'_>) -> Vec<CallRow> {
    let areas = DarkAreas::new(input.areas);
    let covered = areas.covered(&input.catalog.children.read(), |c| c.district.as_deref());
    let mut checks_of: foldhash::HashMap<&str, Vec<WelfareCheck>> = foldhash::HashMap::default();
    for c in input.checks.iter().filter(|c| c.check.at <= input.at) {
        checks_of.entry(c.child_id.as_str()).or_default().push(c.check.clone());
    }
    let mut listed: Vec<(Entry<ChildProps>, &[DarkSpan], Vec<WelfareCheck>)> = Vec::with_capacity(covered.len());
    for (child, spans) in covered.values() {
        let checks = checks_of.remove(child.id.as_str()).unwrap_or_default();
        if super::incident::power_lost_at(spans, input.at).is_some() || !checks.is_empty() {
            listed.push((Arc::clone(child), spans, checks));
        }
    }
    // Children with a check whose home no area covers (any more).
    for (id, checks) in checks_of {
        if let Some(child) = input.catalog.get::<ChildProps>(id) {
            listed.push((child, &[], checks));
        }
    }
    let children: Vec<&Entry<ChildProps>> = listed.iter().map(|(c, _, _)| c).collect();
    let finder = Finder::new(input, UpPoints::new(input, &areas), &children);
    let mut rows: Vec<CallRow> = listed
        .into_iter()
        .map(|(child, spans, checks)| {
            let nearest = finder.nearest(&child);
            row_with(input, child, spans, &checks, nearest)
        })
        .collect();
    rows.sort_by(|a, b| call_order((&a.clock.must_leave_by, &a.child.id), (&b.clock.must_leave_by, &b.child.id)));
    rows
}

/// One child's row, with the spans over its home and its checks already gathered.
pub fn row(
    input: &CallListInput<'_>,
    child: Entry<ChildProps>,
    spans: &[DarkSpan],
    checks: &[WelfareCheck],
    is_up: &dyn Fn(&Located<PowerPointProps>) -> bool,
) -> CallRow {
    let nearest = nearest_up(input, &child, 1, is_up).into_iter().next();
    row_with(input, child, spans, checks, nearest)
}

/// One child's row with its nearest point that is up already found.
fn row_with(
    input: &CallListInput<'_>,
    child: Entry<ChildProps>,
    spans: &[DarkSpan],
    checks: &[WelfareCheck],
    nearest: Option<NearestUp>,
) -> CallRow {
    let clock = clock(&ClockInput {
        autonomy_h: child.props.autonomy_h(),
        spans,
        checks,
        nearest: nearest.as_ref(),
        margin_min: input.margin_min,
        at: input.at,
    });
    CallRow { child, clock, nearest }
}

/// What decides whether a point runs a child's life-critical devices ([`can_run_all`] reads
/// nothing else): each device's plug and watts, and whether any needs a pure sine wave.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Need {
    pure_sine: bool,
    devices: Vec<(OutletType, u64)>,
}

impl Need {
    fn of(child: &ChildProps) -> Self {
        let mut devices: Vec<(OutletType, u64)> =
            child.life_critical().map(|d| (d.input, d.rated_w.to_bits())).collect();
        devices.sort_unstable();
        Self { pure_sine: child.life_critical().any(|d| d.pure_sine_required), devices }
    }
}

/// Children that need the same this many times share an index of the points that are up and
/// serve that need, searched with no filter; rarer needs search the whole index with one.
const SHARED_NEED: usize = 8;

/// The nearest point up for each child of the call list. Most children share a few device
/// sets, and during an outage most points are down: so for each common need the up points
/// serving it get their own R-tree, and each child's search walks only those (the same exact
/// geodesic order and tie-break as a filtered search over all points).
struct Finder<'a, 'i> {
    input: &'a CallListInput<'i>,
    up: UpPoints,
    by_need: foldhash::HashMap<Need, SpatialIndex<Entry<PowerPointProps>>>,
}

impl<'a, 'i> Finder<'a, 'i> {
    fn new(input: &'a CallListInput<'i>, up: UpPoints, children: &[&Entry<ChildProps>]) -> Self {
        let mut count: foldhash::HashMap<Need, (usize, &ChildProps)> = foldhash::HashMap::default();
        for c in children {
            count.entry(Need::of(&c.props)).or_insert((0, &c.props)).0 += 1;
        }
        let by_need = count
            .into_iter()
            .filter(|(_, (n, _))| *n >= SHARED_NEED)
            .map(|(need, (_, child))| {
                let serving = up
                    .held
                    .iter()
                    .filter(|p| !p.props.charge_only && can_run_all(&p.props, child.life_critical()))
                    .map(|p| (p.id.clone(), p.lon, p.lat, Arc::clone(p)))
                    .collect();
                (need, SpatialIndex::bulk_load(serving))
            })
            .collect();
        Self { input, up, by_need }
    }

    fn nearest(&self, child: &Entry<ChildProps>) -> Option<NearestUp> {
        let Some(index) = self.by_need.get(&Need::of(&child.props)) else {
            return nearest_up(self.input, child, 1, &|p| self.up.contains(p)).into_iter().next();
        };
        let hit = index.nearest(child.lon, child.lat, 1, None, |_| true).into_iter().next()?;
        Some(self.input.reach(child, hit.id, hit.distance_m))
    }
}

impl CallListInput<'_> {
    /// The way to a point as the child's plan travels (driving without a plan).
    fn reach(&self, child: &Located<ChildProps>, id: &str, distance_m: f64) -> NearestUp {
        let transport = self.plans.get(&child.id).and_then(|p| p.body.transport);
        NearestUp {
            id: id.to_owned(),
            distance_m: round1(distance_m),
            travel_min: round1(self.travel.minutes(distance_m, transport)),
        }
    }
}

/// The `k` nearest points that run all the child's life-critical devices at once (not
/// charge-only) and are up at `at`: not dark there, not `unavailable` by the newest report
/// by then, not past its fuel. Travel as the child's plan says (driving without a plan).
pub fn nearest_up(
    input: &CallListInput<'_>,
    child: &Located<ChildProps>,
    k: usize,
    is_up: &dyn Fn(&Located<PowerPointProps>) -> bool,
) -> Vec<NearestUp> {
    let points = input.catalog.power_points.read();
    let hits = points.nearest(child.lon, child.lat, k, None, |p: &Entry<PowerPointProps>| {
        !p.props.charge_only && is_up(p) && can_run_all(&p.props, child.props.life_critical())
    });
    hits.into_iter().map(|h| input.reach(child, h.id, h.distance_m)).collect()
}

/// The one child's row in one incident, or `None` when its home has power at `at` and it
/// has no check by then: what `GET /children/{id}/incident` lists per open incident.
pub fn child_row(input: &CallListInput<'_>, child: Entry<ChildProps>) -> Option<CallRow> {
    let areas = DarkAreas::new(input.areas);
    let spans = areas.spans_at(child.lon, child.lat, child.props.district.as_deref());
    let checks: Vec<WelfareCheck> = input
        .checks
        .iter()
        .filter(|c| c.child_id == child.id && c.check.at <= input.at)
        .map(|c| c.check.clone())
        .collect();
    if super::incident::power_lost_at(&spans, input.at).is_none() && checks.is_empty() {
        return None;
    }
    Some(row(input, child, &spans, &checks, &point_up_at(input, &areas)))
}

/// The point's newest report by `at`, as a slice for [`point_up`].
fn reports_of<'a>(input: &'a CallListInput<'_>, id: &str) -> &'a [PowerReport] {
    input.reports.get(id).map(std::slice::from_ref).unwrap_or(&[])
}

/// "Is this point up at `at`", decided per point as asked: for one child's answers, where
/// deciding it for every point first would cost more than the few candidates asked about.
pub fn point_up_at<'a>(
    input: &'a CallListInput<'_>,
    areas: &'a DarkAreas,
) -> impl Fn(&Located<PowerPointProps>) -> bool + 'a {
    move |p| {
        let spans = areas.spans_at(p.lon, p.lat, p.props.district.as_deref());
        point_up(&p.props, &spans, reports_of(input, &p.id), input.at)
    }
}

/// What an incident's answers are computed from, read from the store as of `at`.
pub struct Gathered {
    /// The incident's outage areas.
    pub areas: Vec<OutageArea>,
    /// Its checks (of one child, when asked for one).
    pub checks: Vec<StoredCheck>,
    /// Per point, its newest report at or before `at`.
    pub reports: HashMap<String, PowerReport>,
}

impl Gathered {
    /// Reads the areas, the checks (all, or of `child_id`) and the reports as of `at`.
    pub async fn load(
        store: &Store,
        incident_id: &str,
        child_id: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            areas: store.incidents().outages(incident_id).await?,
            checks: store.incidents().checks(incident_id, child_id).await?,
            reports: store.reports().latest_at(at).await?,
        })
    }

    /// The call list's input over these records.
    pub fn input<'a>(
        &'a self,
        catalog: &'a Catalog,
        plans: &'a HashMap<String, Plan>,
        travel: &'a TravelModel,
        at: OffsetDateTime,
        margin_min: i64,
    ) -> CallListInput<'a> {
        CallListInput {
            catalog,
            areas: &self.areas,
            checks: &self.checks,
            reports: &self.reports,
            plans,
            travel,
            at,
            margin_min,
        }
    }
}

/// One destination of a child's plan and whether it is up at `at`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Destination {
    /// The power point's or shelter's id.
    pub id: String,
    /// `power_point` or `shelter`.
    pub kind: &'static str,
    /// A power point: stored and up (as for the call list). A shelter: stored, and either
    /// its site has power or one of its on-site power points is up.
    pub up: bool,
}

/// The plan's power points and shelters (first choice, then backup), each with `up`.
pub fn plan_destinations(input: &CallListInput<'_>, plan: &Plan) -> Vec<Destination> {
    let areas = DarkAreas::new(input.areas);
    let point_up_by_id = |id: &str| {
        input.catalog.get::<PowerPointProps>(id).is_some_and(|p| {
            let spans = areas.spans_at(p.lon, p.lat, p.props.district.as_deref());
            let reports = input.reports.get(&p.id).map(std::slice::from_ref).unwrap_or(&[]);
            point_up(&p.props, &spans, reports, input.at)
        })
    };
    let b = &plan.body;
    let mut out = Vec::new();
    for id in [&b.power_point_id, &b.backup_power_point_id].into_iter().flatten() {
        out.push(Destination { id: id.clone(), kind: "power_point", up: point_up_by_id(id) });
    }
    for id in [&b.shelter_id, &b.backup_shelter_id].into_iter().flatten() {
        let up = input.catalog.get::<ShelterProps>(id).is_some_and(|s| {
            let spans = areas.spans_at(s.lon, s.lat, s.props.district.as_deref());
            super::incident::power_lost_at(&spans, input.at).is_none()
                || s.props.power_point_ids.iter().any(|p| point_up_by_id(p))
        });
        out.push(Destination { id: id.clone(), kind: "shelter", up });
    }
    out
}

/// A time as the desk reads it: Japan time to the minute (`2026-09-09 12:30`).
fn jst(t: Option<OffsetDateTime>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.and_then(|t| t.to_offset(crate::domain::hours::JST).format(&format).ok()).unwrap_or_default()
}

/// The call list for the phone desk: one row per child in the list's order, Japanese
/// headers, times in JST, Excel-safe (BOM, CRLF, no cell that runs as a formula).
pub fn call_list_csv(rows: &[CallRow]) -> Result<String, csv::Error> {
    use crate::domain::spreadsheet::{finish, text_cell, writer};
    let mut w = writer();
    w.write_record([
        "順",
        "児童ID",
        "氏名",
        "地区",
        "住所",
        "連絡先",
        "停電開始",
        "電池切れ予定",
        "残り（分）",
        "出発期限",
        "最寄り電源",
        "距離（m）",
        "移動（分）",
        "外部電源",
        "安否",
        "確認回数",
        "最終確認",
        "要訪問",
    ])?;
    for (i, r) in rows.iter().enumerate() {
        let (c, k) = (&r.child.props, &r.clock);
        let contacts: Vec<String> = c
            .contacts
            .iter()
            .map(|p| {
                [Some(p.name.as_str()), p.relation.as_deref(), p.phone.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let near = r.nearest.as_ref();
        let cells = [
            (i + 1).to_string(),
            r.child.id.clone(),
            c.name.clone(),
            c.district.clone().unwrap_or_default(),
            c.address.clone().unwrap_or_default(),
            contacts.join(" / "),
            jst(k.power_lost_at),
            jst(k.depletes_at),
            k.remaining_min.map(|m| m.to_string()).unwrap_or_default(),
            jst(k.must_leave_by),
            near.map(|n| n.id.clone()).unwrap_or_default(),
            near.map(|n| n.distance_m.to_string()).unwrap_or_default(),
            near.map(|n| n.travel_min.to_string()).unwrap_or_default(),
            if k.on_power { "接続中" } else { "" }.to_owned(),
            k.check_status.label_ja().to_owned(),
            k.attempts.to_string(),
            jst(k.last_check_at),
            if k.visit_needed { "要訪問" } else { "" }.to_owned(),
        ];
        w.write_record(cells.iter().map(|cell| text_cell(cell).into_owned()))?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use crate::domain::incident::{CheckChannel, CheckStatus, hours};
    use crate::planning::incident::CheckSummary;
    use serde_json::json;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-09-09 00:00 UTC);

    fn child(id: &str, lon: f64, lat: f64, district: &str, battery_h: Option<f64>) -> Located<ChildProps> {
        let devices = match battery_h {
            Some(h) => json!([{"kind": "ventilator", "rated_w": 150, "input": "ac100v", "battery_h": h,
                               "pure_sine_required": true, "life_critical": true}]),
            None => json!([]),
        };
        let props = serde_json::from_value(json!({"name": id, "district": district, "devices": devices})).unwrap();
        Located { id: id.into(), lon, lat, props }
    }

    fn point(id: &str, lon: f64, lat: f64, grid_independent: bool) -> Located<PowerPointProps> {
        let props = serde_json::from_value(json!({"name": id, "kind": "generator", "capacity_w": 1500,
            "pure_sine": true, "grid_independent": grid_independent, "status": "available",
            "outlets": [{"type": "ac100v", "count": 2, "max_w": 1500}]}))
        .unwrap();
        Located { id: id.into(), lon, lat, props }
    }

    fn square(id: &str, since_h: f64, restored_h: Option<f64>) -> OutageArea {
        OutageArea {
            id: id.into(),
            incident_id: "inc".into(),
            geometry: Some(json!({"type": "Polygon", "coordinates": [[[140.0, 35.8], [140.1, 35.8], [140.1, 35.9],
                                                                       [140.0, 35.9], [140.0, 35.8]]]})),
            district: None,
            since: T0 + hours(since_h),
            restored_at: restored_h.map(|h| T0 + hours(h)),
            source: Some("drawn".into()),
            households: None,
        }
    }

    fn district(id: &str, name: &str, since_h: f64) -> OutageArea {
        OutageArea { geometry: None, district: Some(name.into()), ..square(id, since_h, None) }
    }

    fn check(child: &str, at_h: f64, reached: bool, status: Option<CheckStatus>) -> StoredCheck {
        StoredCheck {
            id: format!("chk-{child}-{at_h}"),
            incident_id: "inc".into(),
            child_id: child.into(),
            check: WelfareCheck {
                at: T0 + hours(at_h),
                channel: CheckChannel::Phone,
                reached,
                status,
                battery_h_left: None,
                location_id: None,
                note: None,
            },
            token_name: "desk".into(),
            role: "coordinator".into(),
        }
    }

    /// North (inside the square): a 6 h child and a 3 h child; 復 (by district): a 10 h
    /// child far south; outside: one with a check, one without. Points: one on the grid
    /// inside the square (dark), one on its own power south of it.
    fn catalog() -> Catalog {
        let c = Catalog::default();
        c.load(vec![
            child("a-north-6h", 140.05, 35.85, "笹塚", Some(6.0)),
            child("b-north-3h", 140.06, 35.86, "笹塚", Some(3.0)),
            child("c-fuku-10h", 140.05, 35.70, "復", Some(10.0)),
            child("d-checked", 140.20, 35.70, "冨士", Some(8.0)),
            child("e-lit", 140.21, 35.70, "冨士", Some(8.0)),
        ]);
        c.load(vec![point("p-grid-north", 140.05, 35.851, false), point("p-gen-south", 140.05, 35.79, true)]);
        c
    }

    fn list(c: &Catalog, areas: &[OutageArea], checks: &[StoredCheck], at_h: f64) -> Vec<CallRow> {
        let (reports, plans, travel) = (HashMap::new(), HashMap::new(), TravelModel::default());
        let input = CallListInput {
            catalog: c,
            areas,
            checks,
            reports: &reports,
            plans: &plans,
            travel: &travel,
            at: T0 + hours(at_h),
            margin_min: 60,
        };
        call_list(&input)
    }

    fn ids(rows: &[CallRow]) -> Vec<&str> {
        rows.iter().map(|r| r.child.id.as_str()).collect()
    }

    #[test]
    fn dark_homes_by_shape_and_district_and_checked_children_are_listed_in_leaving_order() {
        let c = catalog();
        let areas = [square("sq", 0.0, None), district("fk", "復", 1.0)];
        let checks = [check("d-checked", 0.5, false, None)];
        let rows = list(&c, &areas, &checks, 2.0);
        // must_leave_by: b 3 h − travel − 60 min; a 6 h − …; c 1 h + 10 h − …; d has no clock.
        assert_eq!(ids(&rows), ["b-north-3h", "a-north-6h", "c-fuku-10h", "d-checked"]);
        let b = &rows[0];
        assert_eq!(b.clock.power_lost_at, Some(T0));
        assert_eq!(b.clock.depletes_at, Some(T0 + hours(3.0)));
        assert_eq!(b.clock.remaining_min, Some(60));
        assert!(b.clock.visit_needed, "60 min left and never reached");
        // The grid point inside the dark square is out; the generator to the south serves.
        let near = b.nearest.as_ref().unwrap();
        assert_eq!(near.id, "p-gen-south");
        let travel_ms = (near.travel_min * 60_000.0).round() as i64;
        assert_eq!(b.clock.must_leave_by, Some(T0 + hours(2.0) - time::Duration::milliseconds(travel_ms)));
        assert_eq!(rows[2].clock.power_lost_at, Some(T0 + hours(1.0)), "復 went dark at 1 h");
        let d = &rows[3];
        assert_eq!((d.clock.power_lost_at, d.clock.must_leave_by), (None, None));
        assert_eq!(d.clock.check_status, CheckSummary::Unreached);
    }

    #[test]
    fn before_since_and_after_restored_at_a_home_is_not_dark() {
        let c = catalog();
        let areas = [square("sq", 1.0, Some(5.0))];
        assert!(list(&c, &areas, &[], 0.5).is_empty(), "not dark yet");
        assert_eq!(ids(&list(&c, &areas, &[], 1.0)), ["b-north-3h", "a-north-6h"]);
        assert!(list(&c, &areas, &[], 5.0).is_empty(), "restored at 5 h");
        // A check later than `at` does not list the child either.
        assert!(list(&c, &areas, &[check("d-checked", 6.0, false, None)], 5.5).is_empty());
    }

    #[test]
    fn a_grid_point_outside_the_dark_is_nearest_and_an_unavailable_report_takes_it_away() {
        let c = catalog();
        let areas = [district("fk", "復", 0.0)];
        let (plans, travel) = (HashMap::new(), TravelModel::default());
        let mut reports = HashMap::new();
        let input = |reports: &HashMap<String, PowerReport>| {
            let rows = call_list(&CallListInput {
                catalog: &c,
                areas: &areas,
                checks: &[],
                reports,
                plans: &plans,
                travel: &travel,
                at: T0 + hours(1.0),
                margin_min: 60,
            });
            rows[0].nearest.as_ref().map(|n| n.id.clone())
        };
        // c-fuku is far south; the south generator is nearer than the north grid point.
        assert_eq!(input(&reports).as_deref(), Some("p-gen-south"));
        let down = PowerReport {
            at: T0 + hours(0.5),
            status: Status::Unavailable,
            free_outlets: None,
            fuel_h_left: None,
            queue_people: None,
            note: None,
        };
        reports.insert("p-gen-south".to_owned(), down);
        assert_eq!(input(&reports).as_deref(), Some("p-grid-north"), "the grid is up in the north (not dark)");
    }

    #[test]
    fn one_childs_row_matches_its_row_in_the_list() {
        let c = catalog();
        let areas = [square("sq", 0.0, None), district("fk", "復", 1.0)];
        let checks = [check("a-north-6h", 1.0, true, Some(CheckStatus::SafeAtHome))];
        let (reports, plans, travel) = (HashMap::new(), HashMap::new(), TravelModel::default());
        let input = CallListInput {
            catalog: &c,
            areas: &areas,
            checks: &checks,
            reports: &reports,
            plans: &plans,
            travel: &travel,
            at: T0 + hours(2.0),
            margin_min: 30,
        };
        let all = call_list(&input);
        for id in ["a-north-6h", "c-fuku-10h"] {
            let child = c.get::<ChildProps>(id).unwrap();
            let one = child_row(&input, child).unwrap();
            let listed = all.iter().find(|r| r.child.id == id).unwrap();
            assert_eq!((&one.clock, &one.nearest), (&listed.clock, &listed.nearest), "{id}");
        }
        assert!(child_row(&input, c.get::<ChildProps>("e-lit").unwrap()).is_none());
        assert_eq!(all[1].clock.check_status, CheckSummary::Reached(CheckStatus::SafeAtHome));
    }

    /// The list's shared per-need indexes give each child the same nearest point as its own
    /// filtered search: common and rare device sets, points that serve some sets and not
    /// others (watts, outlets, sine wave, charge-only), and dark grid points among them.
    #[test]
    fn shared_need_indexes_find_what_a_filtered_search_finds() {
        let mut seed = 0x2019_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let sets = [
            json!([{"kind": "ventilator", "rated_w": 150, "input": "ac100v", "battery_h": 6, "pure_sine_required": true, "life_critical": true}]),
            json!([{"kind": "oxygen_concentrator", "rated_w": 400, "input": "ac100v", "battery_h": 3, "life_critical": true},
                   {"kind": "feeding_pump", "rated_w": 5, "input": "dc12v", "battery_h": 8, "life_critical": true}]),
            json!([{"kind": "suction", "rated_w": 900, "input": "ac100v", "battery_h": 1, "life_critical": true}]),
        ];
        let c = Catalog::default();
        c.load(
            (0..200)
                .map(|i| {
                    // Sets 0 and 1 are common (shared indexes); set 2 only three children have.
                    let set = if i < 3 { 2 } else { i % 2 };
                    let props = serde_json::from_value(json!({"name": "c", "devices": sets[set]})).unwrap();
                    Located { id: format!("c{i:03}"), lon: 140.0 + 0.1 * next(), lat: 35.8 + 0.1 * next(), props }
                })
                .collect::<Vec<Located<ChildProps>>>(),
        );
        c.load(
            (0..120)
                .map(|i| {
                    let capacity_w = [300, 1000, 1500][i % 3];
                    let props = serde_json::from_value(json!({"name": "p", "kind": "generator",
                        "capacity_w": capacity_w, "pure_sine": i % 4 != 0, "grid_independent": i % 5 != 0,
                        "charge_only": i % 7 == 0, "status": "available",
                        "outlets": [{"type": "ac100v", "count": 1 + i % 2, "max_w": 1500},
                                    {"type": "dc12v", "count": i % 3 / 2, "max_w": 100}]}))
                    .unwrap();
                    Located { id: format!("p{i:03}"), lon: 139.98 + 0.14 * next(), lat: 35.78 + 0.14 * next(), props }
                })
                .collect::<Vec<Located<PowerPointProps>>>(),
        );
        let areas = [square("sq", 0.0, None)];
        let (reports, plans, travel) = (HashMap::new(), HashMap::new(), TravelModel::default());
        let input = CallListInput {
            catalog: &c,
            areas: &areas,
            checks: &[],
            reports: &reports,
            plans: &plans,
            travel: &travel,
            at: T0 + hours(1.0),
            margin_min: 60,
        };
        let all = call_list(&input);
        assert_eq!(all.len(), 200);
        let mut found = std::collections::HashSet::new();
        for listed in &all {
            let one = child_row(&input, Arc::clone(&listed.child)).unwrap();
            assert_eq!(one.nearest, listed.nearest, "{}", listed.child.id);
            found.insert(listed.nearest.as_ref().map(|n| n.id.clone()));
        }
        assert!(found.len() > 10, "the children should reach many different points: {found:?}");
    }
}
