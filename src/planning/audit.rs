//! The coordinator's plan audit: one small named function per rule of the contract.
//!
//! Each rule reads the child, its current plan and the live index, and returns at most
//! one finding; `audit` runs them all. Nothing here touches SQL or HTTP.

use std::collections::HashMap;

use serde::Serialize;
use time::{Date, Duration};
use utoipa::ToSchema;

use super::nearest::nearest_power_for_child;
use crate::domain::compat::can_run_all;
use crate::domain::plan::Plan;
pub use crate::domain::plan::Severity;
use crate::domain::travel::{Mode, TravelModel, round1, within_battery};
use crate::domain::{Child, ChildProps, PowerPoint, Shelter, Status};
use crate::spatial::{Catalog, Entry, geodesy::geodesic_inverse};

/// Older than this, a review or a verification is stale.
pub const STALE_AFTER: Duration = Duration::days(365);

/// Today's date in Japan (UTC+9, no daylight saving): dates in plans are Japanese dates, so
/// between 00:00 and 09:00 JST the UTC date would still be yesterday's.
pub fn today_in_japan() -> Date {
    time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9)).date()
}

/// One finding of one rule for one child.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Finding {
    /// Which child.
    pub child_id: String,
    /// How urgent.
    pub severity: Severity,
    /// Rule name (`no_plan`, `power_unreachable`, …).
    pub rule: &'static str,
    /// What is wrong, in Japanese for the coordinator.
    pub message: String,
}

/// What every rule may read.
pub struct Ctx<'a> {
    /// The live index.
    pub catalog: &'a Catalog,
    /// Travel assumptions, the same as the nearest API's.
    pub travel: TravelModel,
    /// The audit date.
    pub today: Date,
}

/// A child and its current plan, with the plan's destinations resolved.
pub struct Case<'a> {
    /// The child.
    pub child: &'a Child,
    /// Current plan.
    pub plan: Option<&'a Plan>,
    /// The planned power point, if it exists.
    pub power: Option<Entry<crate::domain::PowerPointProps>>,
    /// The planned shelter, if it exists.
    pub shelter: Option<Entry<crate::domain::ShelterProps>>,
    /// The hazard zones at home, looked up once for the rules that need them.
    pub home_exposure: Vec<crate::domain::hazard_zone::Exposure>,
}

impl Case<'_> {
    fn finding(&self, severity: Severity, rule: &'static str, message: String) -> Option<Finding> {
        Some(Finding { child_id: self.child.id.clone(), severity, rule, message })
    }

    fn has_life_critical(&self) -> bool {
        self.child.props.life_critical().next().is_some()
    }

    fn distance_to(&self, p: &PowerPoint) -> f64 {
        geodesic_inverse(self.child.lon, self.child.lat, p.lon, p.lat).0
    }
}

/// `no_plan` (error): a life-critical device and no plan.
pub fn no_plan(case: &Case, _: &Ctx) -> Option<Finding> {
    (case.plan.is_none() && case.has_life_critical())
        .then(|| {
            case.finding(Severity::Error, "no_plan", "生命維持に必要な機器があるのに個別避難計画がありません".into())
        })
        .flatten()
}

/// `destination_missing` (error): the plan names a shelter or power point that does not exist.
pub fn destination_missing(case: &Case, ctx: &Ctx) -> Option<Finding> {
    let plan = case.plan?;
    let b = &plan.body;
    let mut missing = Vec::new();
    for id in [&b.shelter_id, &b.backup_shelter_id].into_iter().flatten() {
        if ctx.catalog.get::<crate::domain::ShelterProps>(id).is_none() {
            missing.push(format!("避難所 {id}"));
        }
    }
    for id in [&b.power_point_id, &b.backup_power_point_id].into_iter().flatten() {
        if ctx.catalog.get::<crate::domain::PowerPointProps>(id).is_none() {
            missing.push(format!("電源ポイント {id}"));
        }
    }
    (!missing.is_empty())
        .then(|| {
            case.finding(
                Severity::Error,
                "destination_missing",
                format!("計画の行き先が登録されていません: {}", missing.join("、")),
            )
        })
        .flatten()
}

/// `power_incompatible` (error): the planned point cannot run all life-critical devices at
/// once (outlets, pure sine, capacity) or only charges batteries. Status is its own rule.
pub fn power_incompatible(case: &Case, _: &Ctx) -> Option<Finding> {
    if !case.has_life_critical() {
        return None; // the rule is about life-critical devices; without any, any point will do
    }
    let p = case.power.as_ref()?;
    let runs = can_run_all(&p.props, case.child.props.life_critical()) && !p.props.charge_only;
    (!runs)
        .then(|| {
            case.finding(
                Severity::Error,
                "power_incompatible",
                format!(
                    "{}では生命維持機器（合計 {} W）をすべて同時に使えません",
                    p.props.name,
                    case.child.props.critical_load_w()
                ),
            )
        })
        .flatten()
}

/// `power_unreachable` (error): travel to the planned point takes more than half the battery.
pub fn power_unreachable(case: &Case, ctx: &Ctx) -> Option<Finding> {
    let p = case.power.as_ref()?;
    let transport = case.plan.and_then(|plan| plan.body.transport);
    let minutes = ctx.travel.minutes(case.distance_to(p), transport);
    let autonomy = case.child.props.autonomy_h();
    (!within_battery(minutes, autonomy))
        .then(|| {
            case.finding(
                Severity::Error,
                "power_unreachable",
                format!(
                    "{}まで{}で約{}分かかり、バッテリー（{}時間）の半分を超えます",
                    p.props.name,
                    Mode::of(transport).label_ja(),
                    round1(minutes),
                    autonomy.unwrap_or(0.0)
                ),
            )
        })
        .flatten()
}

/// `power_unavailable` (warning): the planned point is reported unavailable.
pub fn power_unavailable(case: &Case, _: &Ctx) -> Option<Finding> {
    let p = case.power.as_ref()?;
    (p.props.status == Status::Unavailable)
        .then(|| {
            case.finding(Severity::Warning, "power_unavailable", format!("{}は現在「使用不可」です", p.props.name))
        })
        .flatten()
}

/// `shelter_hazard` (warning): the planned shelter is not designated for a hazard at home.
pub fn shelter_hazard(case: &Case, _: &Ctx) -> Option<Finding> {
    let s: &Shelter = case.shelter.as_ref()?;
    let uncovered: Vec<String> = case
        .child
        .props
        .home_hazards
        .iter()
        .filter(|h| !s.props.hazards.contains(h))
        .map(|h| h.label_ja().to_owned())
        .collect();
    (!uncovered.is_empty())
        .then(|| {
            case.finding(
                Severity::Warning,
                "shelter_hazard",
                format!("{}は自宅の災害リスク（{}）に指定されていません", s.props.name, uncovered.join("・")),
            )
        })
        .flatten()
}

/// `review_overdue` (warning): the review date has passed, or the last review is over a year old.
///
/// A plan never reviewed counts as reviewed when it was written (its `created_at`): writing
/// it with the family is the first review, so a new plan is not flagged the day it is made.
pub fn review_overdue(case: &Case, ctx: &Ctx) -> Option<Finding> {
    let plan = case.plan?;
    let b = &plan.body;
    let message = if let Some(due) = b.next_review_due.filter(|due| *due < ctx.today) {
        format!("見直し期限（{due}）を過ぎています")
    } else {
        match b.reviewed_at {
            Some(at) if ctx.today - at > STALE_AFTER => format!("最後の見直し（{at}）から1年以上経っています"),
            Some(_) => return None,
            None => match written_on(plan) {
                Some(at) if ctx.today - at <= STALE_AFTER => return None,
                Some(at) => format!("作成（{at}）から1年以上見直されていません"),
                None => "見直しの記録がありません".to_owned(),
            },
        }
    };
    case.finding(Severity::Warning, "review_overdue", message)
}

/// The date a plan version was stored, from its RFC 3339 `created_at`.
fn written_on(plan: &Plan) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    plan.created_at.get(..10).and_then(|day| Date::parse(day, format).ok())
}

/// `no_supporter` (warning): nobody is assigned to help.
pub fn no_supporter(case: &Case, _: &Ctx) -> Option<Finding> {
    let plan = case.plan?;
    plan.body
        .supporters
        .is_empty()
        .then(|| case.finding(Severity::Warning, "no_supporter", "避難を手伝う支援者が登録されていません".into()))
        .flatten()
}

/// `no_consent` (warning): no consent to share with supporters.
pub fn no_consent(case: &Case, _: &Ctx) -> Option<Finding> {
    (!case.child.props.consent_to_share)
        .then(|| case.finding(Severity::Warning, "no_consent", "避難支援者への情報提供の同意がありません".into()))
        .flatten()
}

/// `power_unverified` (warning): nobody confirmed the planned point's facts within a year.
pub fn power_unverified(case: &Case, ctx: &Ctx) -> Option<Finding> {
    let p = case.power.as_ref()?;
    let message = match p.props.last_verified {
        None => format!("{}の情報は一度も確認されていません", p.props.name),
        Some(d) if ctx.today - d > STALE_AFTER => format!("{}の情報は{}以降確認されていません", p.props.name, d),
        Some(_) => return None,
    };
    case.finding(Severity::Warning, "power_unverified", message)
}

/// `better_power_nearby` (info): a qualifying point less than half as far as the planned one
/// (found with the index, not a scan).
pub fn better_power_nearby(case: &Case, ctx: &Ctx) -> Option<Finding> {
    let p = case.power.as_ref()?;
    let planned = case.distance_to(p);
    let best = nearest_power_for_child(ctx.catalog, case.child, 1, Some(planned / 2.0), false).into_iter().next()?;
    (best.distance_m < planned / 2.0)
        .then(|| {
            case.finding(
                Severity::Info,
                "better_power_nearby",
                format!(
                    "{}（{} m）は計画の{}（{} m）の半分より近くにあります",
                    best.item.props.name,
                    round1(best.distance_m),
                    p.props.name,
                    round1(planned)
                ),
            )
        })
        .flatten()
}

/// A rule: at most one finding for one case.
pub type Rule = fn(&Case, &Ctx) -> Option<Finding>;

/// Every rule, in the contract's order.
/// `hazard_unrecorded` (warning): a hazard zone covers the home for a hazard missing from
/// `home_hazards`, so the plan may have been made without it.
pub fn hazard_unrecorded(case: &Case, _: &Ctx) -> Option<Finding> {
    let home = &case.child.props.home_hazards;
    let missing: Vec<String> = case
        .home_exposure
        .iter()
        .filter(|e| !home.contains(&e.hazard))
        .map(|e| format!("{}（区域 {}）", e.hazard.label_ja(), e.zone_id))
        .collect();
    if missing.is_empty() {
        return None;
    }
    case.finding(
        Severity::Warning,
        "hazard_unrecorded",
        format!("自宅がハザード区域内ですが、自宅の災害リスクに記録がありません: {}", missing.join("、")),
    )
}

/// `shelter_in_hazard_zone` (error): the plan's shelter lies in a zone of a hazard the home
/// faces (recorded, or a zone at home): water of depth rank 2 (0.5 m) or more, any landslide.
pub fn shelter_in_hazard_zone(case: &Case, ctx: &Ctx) -> Option<Finding> {
    use crate::domain::Hazard;
    use crate::domain::hazard_zone::is_water;
    let shelter = case.shelter.as_ref()?;
    let faces =
        |h: Hazard| case.child.props.home_hazards.contains(&h) || case.home_exposure.iter().any(|e| e.hazard == h);
    let bad: Vec<String> = ctx
        .catalog
        .exposure_at(shelter.lon, shelter.lat)
        .into_iter()
        .filter(|e| faces(e.hazard) && ((is_water(e.hazard) && e.level >= 2) || e.hazard == Hazard::Landslide))
        .map(|e| format!("{}（区域 {}、ランク {}）", e.hazard.label_ja(), e.zone_id, e.level))
        .collect();
    if bad.is_empty() {
        return None;
    }
    case.finding(
        Severity::Error,
        "shelter_in_hazard_zone",
        format!("計画の避難所 {} が自宅と同じ災害のハザード区域内にあります: {}", shelter.props.name, bad.join("、")),
    )
}

pub const RULES: [Rule; 13] = [
    no_plan,
    destination_missing,
    power_incompatible,
    power_unreachable,
    power_unavailable,
    shelter_hazard,
    review_overdue,
    no_supporter,
    no_consent,
    power_unverified,
    better_power_nearby,
    hazard_unrecorded,
    shelter_in_hazard_zone,
];

/// Runs every rule for one child.
pub fn audit_child(ctx: &Ctx, child: &Child, plan: Option<&Plan>) -> Vec<Finding> {
    let body = plan.map(|p| &p.body);
    let case = Case {
        child,
        plan,
        power: body.and_then(|b| b.power_point_id.as_deref()).and_then(|id| ctx.catalog.get(id)),
        shelter: body.and_then(|b| b.shelter_id.as_deref()).and_then(|id| ctx.catalog.get(id)),
        home_exposure: ctx.catalog.exposure_at(child.lon, child.lat),
    };
    RULES.iter().filter_map(|rule| rule(&case, ctx)).collect()
}

/// The audit of many children: findings ordered by severity, then child id.
pub fn audit(ctx: &Ctx, children: &[Entry<ChildProps>], plans: &HashMap<String, Plan>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = children.iter().flat_map(|c| audit_child(ctx, c, plans.get(&c.id))).collect();
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.child_id.cmp(&b.child_id)));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan::PlanBody;
    use crate::domain::{Located, PowerPointProps, ShelterProps};
    use serde_json::json;
    use time::macros::date;

    const HOME: (f64, f64) = (140.0559, 35.7912);

    fn power(id: &str, dlon: f64, extra: serde_json::Value) -> Located<PowerPointProps> {
        let mut props = json!({"name": id, "kind": "generator", "capacity_w": 1500, "pure_sine": true,
                               "status": "available", "last_verified": "2026-06-01",
                               "outlets": [{"type": "ac100v", "count": 2, "max_w": 1500}]});
        props.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Located { id: id.into(), lon: HOME.0 + dlon, lat: HOME.1, props: serde_json::from_value(props).unwrap() }
    }

    fn shelter(id: &str, hazards: &[&str]) -> Located<ShelterProps> {
        let props = json!({"name": id, "kind": "welfare", "hazards": hazards});
        Located { id: id.into(), lon: HOME.0, lat: HOME.1 + 0.003, props: serde_json::from_value(props).unwrap() }
    }

    /// A ventilated child with 3 h of battery, flood risk at home, consent given.
    fn child() -> Child {
        let props = json!({"name": "テスト（架空）", "consent_to_share": true, "home_hazards": ["flood"],
            "devices": [{"kind": "ventilator", "rated_w": 150, "input": "ac100v", "battery_h": 3,
                         "pure_sine_required": true, "life_critical": true}]});
        Located { id: "c1".into(), lon: HOME.0, lat: HOME.1, props: serde_json::from_value(props).unwrap() }
    }

    /// A plan that passes every rule: nearby compatible point, flood shelter, supporter, reviewed.
    fn clean_plan() -> Plan {
        let body: PlanBody = serde_json::from_value(json!({
            "status": "agreed", "shelter_id": "s-flood", "power_point_id": "p-ok", "transport": "family_car",
            "supporters": [{"name": "近所の支援者", "relation": "近隣"}],
            "reviewed_at": "2026-05-01", "next_review_due": "2027-05-01"}))
        .unwrap();
        Plan { child_id: "c1".into(), version: 1, body, author: "t".into(), created_at: "2026-05-01T00:00:00Z".into() }
    }

    fn catalog() -> Catalog {
        let c = Catalog::default();
        c.load(vec![
            power("p-ok", 0.004, json!({})),
            power("p-far", 0.6, json!({})),
            power("p-small", 0.004, json!({"outlets": [{"type": "ac100v", "count": 1, "max_w": 100}]})),
            power("p-down", 0.004, json!({"status": "unavailable"})),
            power("p-old", 0.004, json!({"last_verified": "2025-01-01"})),
            power("p-distant", 0.05, json!({})),
        ]);
        c.load(vec![shelter("s-flood", &["flood", "earthquake"]), shelter("s-quake", &["earthquake"])]);
        c
    }

    fn rules_fired(plan: Option<Plan>, child: Child) -> Vec<&'static str> {
        let catalog = catalog();
        let ctx = Ctx { catalog: &catalog, travel: TravelModel::default(), today: date!(2026 - 11 - 24) };
        audit_child(&ctx, &child, plan.as_ref()).iter().map(|f| f.rule).collect()
    }

    fn with(edit: impl FnOnce(&mut PlanBody)) -> Option<Plan> {
        let mut p = clean_plan();
        edit(&mut p.body);
        Some(p)
    }

    #[test]
    fn a_clean_plan_has_no_findings() {
        assert_eq!(rules_fired(Some(clean_plan()), child()), Vec::<&str>::new());
    }

    #[test]
    fn each_rule_fires_exactly_where_expected() {
        assert_eq!(rules_fired(None, child()), ["no_plan"]);
        assert_eq!(rules_fired(with(|b| b.backup_shelter_id = Some("gone".into())), child()), ["destination_missing"]);
        assert_eq!(rules_fired(with(|b| b.power_point_id = Some("p-small".into())), child()), ["power_incompatible"]);
        // 0.6° of longitude ≈ 54 km: about 3.5 h by car, over half of 3 h.
        assert_eq!(
            rules_fired(with(|b| b.power_point_id = Some("p-far".into())), child()),
            ["power_unreachable", "better_power_nearby"]
        );
        assert_eq!(rules_fired(with(|b| b.power_point_id = Some("p-down".into())), child()), ["power_unavailable"]);
        assert_eq!(rules_fired(with(|b| b.shelter_id = Some("s-quake".into())), child()), ["shelter_hazard"]);
        assert_eq!(rules_fired(with(|b| b.next_review_due = Some(date!(2026 - 11 - 01))), child()), ["review_overdue"]);
        assert_eq!(rules_fired(with(|b| b.reviewed_at = Some(date!(2025 - 10 - 01))), child()), ["review_overdue"]);
        // Never reviewed: the plan's writing counts as its review, until a year has passed.
        assert_eq!(rules_fired(with(|b| b.reviewed_at = None), child()), Vec::<&str>::new());
        let mut old_unreviewed = with(|b| b.reviewed_at = None);
        if let Some(p) = old_unreviewed.as_mut() {
            p.created_at = "2025-11-01T09:00:00Z".into();
        }
        assert_eq!(rules_fired(old_unreviewed, child()), ["review_overdue"]);
        assert_eq!(rules_fired(with(|b| b.supporters.clear()), child()), ["no_supporter"]);
        let mut no_consent = child();
        no_consent.props.consent_to_share = false;
        assert_eq!(rules_fired(Some(clean_plan()), no_consent), ["no_consent"]);
        assert_eq!(rules_fired(with(|b| b.power_point_id = Some("p-old".into())), child()), ["power_unverified"]);
        // p-distant (≈4.5 km) is reachable in time, but p-ok is far closer.
        assert_eq!(
            rules_fired(with(|b| b.power_point_id = Some("p-distant".into())), child()),
            ["better_power_nearby"]
        );
    }

    #[test]
    fn walking_families_are_held_to_walking_times() {
        // p-distant is ≈4.5 km: ~13.5 min by car (fine), ~117 min on foot (over 90 min = half of 3 h).
        let fired = rules_fired(
            with(|b| {
                b.power_point_id = Some("p-distant".into());
                b.transport = Some(crate::domain::plan::Transport::Walk);
            }),
            child(),
        );
        assert_eq!(fired, ["power_unreachable", "better_power_nearby"]);
    }

    #[test]
    fn a_charge_only_point_is_no_finding_for_a_child_without_life_critical_devices() {
        let mut c = child();
        c.props.devices[0].life_critical = false;
        let catalog = Catalog::default();
        catalog.load(vec![power("p-charge", 0.004, json!({"charge_only": true}))]);
        catalog.load(vec![shelter("s-flood", &["flood"])]);
        let ctx = Ctx { catalog: &catalog, travel: TravelModel::default(), today: date!(2026 - 11 - 24) };
        let plan = with(|b| b.power_point_id = Some("p-charge".into()));
        let fired: Vec<_> = audit_child(&ctx, &c, plan.as_ref()).iter().map(|f| f.rule).collect();
        assert_eq!(fired, Vec::<&str>::new());
        c.props.devices[0].life_critical = true;
        let fired: Vec<_> = audit_child(&ctx, &c, plan.as_ref()).iter().map(|f| f.rule).collect();
        assert_eq!(fired, ["power_incompatible"]);
    }

    #[test]
    fn children_without_life_critical_devices_need_no_plan() {
        let mut c = child();
        c.props.devices[0].life_critical = false;
        assert_eq!(rules_fired(None, c), Vec::<&str>::new());
    }

    /// A square zone of `hazard` at `level` around (lon, lat), `half` degrees each way.
    fn zone(
        id: &str,
        hazard: &str,
        level: u8,
        (lon, lat): (f64, f64),
        half: f64,
    ) -> crate::domain::hazard_zone::HazardZone {
        let feature = json!({"type": "Feature", "id": id, "properties": {"hazard": hazard, "level": level},
            "geometry": {"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
                [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]]}});
        crate::planning::hazard::parse_zone(&feature, Default::default()).unwrap()
    }

    #[test]
    fn zones_at_home_and_at_the_shelter_are_audited() {
        let catalog = catalog();
        let ctx = Ctx { catalog: &catalog, travel: TravelModel::default(), today: date!(2026 - 11 - 24) };
        let shelter_at = (HOME.0, HOME.1 + 0.003);
        let fired = |zones: Vec<crate::domain::hazard_zone::HazardZone>| -> Vec<&'static str> {
            catalog.load_zones(zones);
            let found = audit_child(&ctx, &child(), Some(&clean_plan()));
            found.iter().map(|f| f.rule).filter(|r| r.starts_with("hazard_") || r.starts_with("shelter_in")).collect()
        };
        assert!(fired(vec![]).is_empty());
        // Flood at home is recorded; a landslide zone there is not.
        assert_eq!(fired(vec![zone("f", "flood", 3, HOME, 0.001)]), Vec::<&str>::new());
        assert_eq!(fired(vec![zone("l", "landslide", 1, HOME, 0.001)]), ["hazard_unrecorded"]);
        // The shelter floods 0.5 m or more, and the home faces flood: an error; below 0.5 m it is not.
        assert_eq!(fired(vec![zone("s", "flood", 2, shelter_at, 0.001)]), ["shelter_in_hazard_zone"]);
        assert!(fired(vec![zone("s", "flood", 1, shelter_at, 0.001)]).is_empty());
        // A hazard the home does not face, at the shelter, is not this rule's business.
        assert!(fired(vec![zone("t", "tsunami", 4, shelter_at, 0.001)]).is_empty());
        // One zone over both: recorded at home (no warning) and the shelter in it (an error).
        assert_eq!(fired(vec![zone("big", "flood", 4, HOME, 0.01)]), ["shelter_in_hazard_zone"]);
    }
}
