//! The battery clock of an incident (発災時の電池時計): for each child, when power was lost,
//! when the batteries run out, when the family must leave, and whether someone must knock.
//!
//! Pure functions of (the child's autonomy, the outage spans covering its home, its welfare
//! checks, the nearest point that is up, `at`), so every rule is a unit test with a fixed
//! clock and the HTTP layer only gathers the inputs (DESIGN.md, "the incident clock").

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use crate::domain::incident::{CheckStatus, DarkSpan, PowerReport, WelfareCheck, hours};
use crate::domain::{PowerPointProps, Status};

/// Minutes left at which a child who has not been reached needs a door knock (the contract).
pub const VISIT_BELOW_MIN: i64 = 180;
/// Failed calls since power was lost after which someone must go (the contract).
pub const VISIT_AFTER_FAILED: usize = 2;

/// The nearest point that can run the child's devices and is up: found by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NearestUp {
    /// The power point.
    pub id: String,
    /// Geodesic distance from home, metres (rounded to 0.1 m).
    pub distance_m: f64,
    /// Travel minutes by the child's planned transport (the travel rule), rounded to 0.1.
    pub travel_min: f64,
}

/// Where the child's call-list row comes from.
#[derive(Debug, Clone, Copy)]
pub struct ClockInput<'a> {
    /// The smallest `battery_h` among life-critical devices; `None`: no such device.
    pub autonomy_h: Option<f64>,
    /// The outage spans of this incident covering the home (by geometry or district).
    pub spans: &'a [DarkSpan],
    /// This child's checks in this incident, in any order; those after `at` are ignored.
    pub checks: &'a [WelfareCheck],
    /// The nearest point that is up at `at`, if any.
    pub nearest: Option<&'a NearestUp>,
    /// Safety margin before the batteries run out, minutes.
    pub margin_min: i64,
    /// The moment the answer speaks of.
    pub at: OffsetDateTime,
}

/// What the desk sees of a family whose time is running: the contract's call-list fields.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Clock {
    /// Start of the dark period the home is in at `at`; `None` when it has power.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub power_lost_at: Option<OffsetDateTime>,
    /// When the batteries run out; `None` on outside power, with power, or with no
    /// life-critical device.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub depletes_at: Option<OffsetDateTime>,
    /// Whole minutes from `at` to `depletes_at`, rounded down; negative once run out.
    pub remaining_min: Option<i64>,
    /// The latest check with a status says the child is at a power point or in hospital.
    pub on_power: bool,
    /// `depletes_at − travel_min − margin_min`.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub must_leave_by: Option<OffsetDateTime>,
    /// Latest reached status, `unreached` (checks, none reached) or `unknown` (no checks).
    pub check_status: CheckSummary,
    /// Checks made so far in this incident.
    pub attempts: usize,
    /// When the latest check was made.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_check_at: Option<OffsetDateTime>,
    /// Nobody reached since power was lost, and calls failed twice or time is short.
    pub visit_needed: bool,
}

/// The call list's `check_status`: a reached status, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckSummary {
    /// No check yet.
    Unknown,
    /// Checks were made; nobody answered.
    Unreached,
    /// What the latest reached check said.
    #[serde(untagged)]
    Reached(CheckStatus),
}

impl CheckSummary {
    /// The word the phone desk's sheet uses.
    pub fn label_ja(self) -> &'static str {
        match self {
            CheckSummary::Unknown => "未確認",
            CheckSummary::Unreached => "不通",
            CheckSummary::Reached(s) => s.label_ja(),
        }
    }
}

/// When the home lost power, as of `at`: the start of the unbroken dark period that holds
/// `at`, built from every span covering the home.
///
/// The contract says "the earliest `since` among the areas dark at `at`"; where one area's
/// outage runs into another's (a feeder switched, a district re-listed), the batteries have
/// been draining since the first, so the period is followed back through overlapping spans.
/// Without such chains the two rules agree.
pub fn power_lost_at(spans: &[DarkSpan], at: OffsetDateTime) -> Option<OffsetDateTime> {
    let mut start = spans.iter().filter(|s| s.dark_at(at)).map(|s| s.since).min()?;
    // Walk back: a span that was dark at `start` (since < start, restored at or after it)
    // extends the period. Spans are few (tens), so the quadratic walk is cheap.
    while let Some(earlier) =
        spans.iter().filter(|s| s.since < start && s.restored_at.is_none_or(|r| r >= start)).map(|s| s.since).min()
    {
        start = earlier;
    }
    Some(start)
}

/// Whether a point runs at `at`: not dark there (or on its own power and fuel), not
/// `unavailable` by its newest report at or before `at` (or its stored status without one),
/// and not past the fuel that report gave.
pub fn point_up(
    point: &PowerPointProps,
    point_spans: &[DarkSpan],
    reports: &[PowerReport],
    at: OffsetDateTime,
) -> bool {
    let latest = reports.iter().filter(|r| r.at <= at).max_by_key(|r| r.at);
    let status = latest.map_or(point.status, |r| r.status);
    if status == Status::Unavailable {
        return false;
    }
    if latest.and_then(PowerReport::fuel_out_at).is_some_and(|out| out <= at) {
        return false;
    }
    match power_lost_at(point_spans, at) {
        None => true,
        Some(_) if !point.grid_independent => false,
        // On its own power: a reported fuel figure rules (above); otherwise its stored runtime
        // counts from when the area went dark (null: unknown, treated as lasting).
        Some(since) => {
            latest.and_then(|r| r.fuel_h_left).is_some() || point.fuel_h.is_none_or(|h| since + hours(h) > at)
        }
    }
}

/// The call-list row of one child at `input.at`.
pub fn clock(input: &ClockInput<'_>) -> Clock {
    let at = input.at;
    let mut checks: Vec<&WelfareCheck> = input.checks.iter().filter(|c| c.at <= at).collect();
    checks.sort_by_key(|c| c.at);
    let power_lost_at = power_lost_at(input.spans, at);
    let latest_reached = checks.iter().rev().find(|c| c.reached && c.status.is_some());
    let on_power = latest_reached.and_then(|c| c.status).is_some_and(CheckStatus::on_power);
    let depletes_at = match (power_lost_at, input.autonomy_h) {
        (Some(lost), Some(autonomy_h)) if !on_power => Some(depletes(lost, autonomy_h, &checks)),
        _ => None,
    };
    let remaining_min = depletes_at.map(|d| floor_minutes(d - at));
    let must_leave_by = depletes_at.map(|d| {
        // With no point up, the family still must be reached before the batteries run out:
        // travel counts as nothing, so the child is not sorted last for lack of a place.
        let travel = input.nearest.map_or(0.0, |n| n.travel_min);
        d - Duration::milliseconds((travel * 60_000.0).round() as i64) - Duration::minutes(input.margin_min)
    });
    let check_status = match (latest_reached, checks.is_empty()) {
        (Some(c), _) => c.status.map_or(CheckSummary::Unreached, CheckSummary::Reached),
        (None, true) => CheckSummary::Unknown,
        (None, false) => CheckSummary::Unreached,
    };
    let visit_needed = power_lost_at.is_some_and(|lost| {
        let since_loss = checks.iter().filter(|c| c.at >= lost);
        let reached = since_loss.clone().any(|c| c.reached);
        let failed = since_loss.filter(|c| !c.reached).count();
        !on_power && !reached && (failed >= VISIT_AFTER_FAILED || remaining_min.is_some_and(|m| m <= VISIT_BELOW_MIN))
    });
    Clock {
        power_lost_at,
        depletes_at,
        remaining_min,
        on_power,
        must_leave_by,
        check_status,
        attempts: checks.len(),
        last_check_at: checks.last().map(|c| c.at),
        visit_needed,
    }
}

/// When the batteries run out, from power loss and the checks (sorted, none after `at`).
///
/// The latest check with `battery_h_left` resets the clock to its `at` plus what was left.
/// A stint on outside power (at a power point, in hospital) that has ended recharges the
/// batteries: the clock restarts with the full autonomy at the first check off power.
fn depletes(lost: OffsetDateTime, autonomy_h: f64, checks: &[&WelfareCheck]) -> OffsetDateTime {
    let mut start = (lost, autonomy_h);
    let mut on_power = false;
    for c in checks {
        let status = if c.reached { c.status } else { None };
        match status {
            Some(s) if s.on_power() => on_power = true,
            Some(_) if on_power => {
                on_power = false;
                start = (c.at.max(lost), autonomy_h);
            }
            _ => {}
        }
        if let Some(left) = c.battery_h_left {
            start = (c.at, left);
        }
    }
    start.0 + hours(start.1)
}

/// Whole minutes of a duration, rounded towards minus infinity (−30 s is −1 min).
fn floor_minutes(d: Duration) -> i64 {
    let ms = d.whole_milliseconds();
    ms.div_euclid(60_000) as i64
}

/// The call list's order: `must_leave_by` ascending with nulls last, then id.
pub fn call_order(a: (&Option<OffsetDateTime>, &str), b: (&Option<OffsetDateTime>, &str)) -> std::cmp::Ordering {
    match (a.0, b.0) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
    .then_with(|| a.1.cmp(b.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::CheckChannel;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-09-09 00:00 UTC);

    fn h(n: f64) -> Duration {
        hours(n)
    }

    fn span(since_h: f64, restored_h: Option<f64>) -> DarkSpan {
        DarkSpan { since: T0 + h(since_h), restored_at: restored_h.map(|r| T0 + h(r)) }
    }

    fn check(at_h: f64, reached: bool, status: Option<CheckStatus>, battery: Option<f64>) -> WelfareCheck {
        WelfareCheck {
            at: T0 + h(at_h),
            channel: CheckChannel::Phone,
            reached,
            status,
            battery_h_left: battery,
            location_id: None,
            note: None,
        }
    }

    fn near(travel_min: f64) -> NearestUp {
        NearestUp { id: "pp-1".into(), distance_m: 1000.0, travel_min }
    }

    fn run(autonomy_h: Option<f64>, spans: &[DarkSpan], checks: &[WelfareCheck], at_h: f64) -> Clock {
        clock(&ClockInput { autonomy_h, spans, checks, nearest: None, margin_min: 60, at: T0 + h(at_h) })
    }

    #[test]
    fn every_field_for_a_dark_home_with_no_checks() {
        let n = near(30.0);
        let spans = [span(1.0, None)];
        let c = clock(&ClockInput {
            autonomy_h: Some(8.0),
            spans: &spans,
            checks: &[],
            nearest: Some(&n),
            margin_min: 60,
            at: T0 + h(3.0),
        });
        assert_eq!(c.power_lost_at, Some(T0 + h(1.0)));
        assert_eq!(c.depletes_at, Some(T0 + h(9.0)));
        assert_eq!(c.remaining_min, Some(360));
        // 9:00 − 30 min travel − 60 min margin = 7:30.
        assert_eq!(c.must_leave_by, Some(T0 + h(7.5)));
        assert!(!c.on_power);
        assert_eq!(c.check_status, CheckSummary::Unknown);
        assert_eq!((c.attempts, c.last_check_at), (0, None));
        assert!(!c.visit_needed, "360 min left, no failed calls");
    }

    #[test]
    fn remaining_minutes_round_down_and_go_negative_once_run_out() {
        let spans = [span(0.0, None)];
        // 2 h battery, asked at 1 h 59 min 30 s: 30 s left → 0 whole minutes.
        let c = clock(&ClockInput {
            autonomy_h: Some(2.0),
            spans: &spans,
            checks: &[],
            nearest: None,
            margin_min: 0,
            at: T0 + Duration::seconds(7170),
        });
        assert_eq!(c.remaining_min, Some(0));
        let c = run(Some(2.0), &spans, &[], 2.0 + 1.0 / 120.0);
        assert_eq!(c.remaining_min, Some(-1), "30 s past is −1 minute, rounded down");
        let c = run(Some(2.0), &spans, &[], 5.0);
        assert_eq!(c.remaining_min, Some(-180));
    }

    #[test]
    fn without_a_point_up_must_leave_by_still_orders_by_the_battery() {
        let c = run(Some(4.0), &[span(0.0, None)], &[], 1.0);
        assert_eq!(c.must_leave_by, Some(T0 + h(3.0)), "depletes 4:00 − margin 60 min");
    }

    #[test]
    fn a_home_with_power_has_no_clock() {
        let c = run(Some(4.0), &[span(0.0, Some(2.0))], &[], 3.0);
        assert_eq!((c.power_lost_at, c.depletes_at, c.remaining_min, c.must_leave_by), (None, None, None, None));
        assert!(!c.visit_needed);
        let c = run(Some(4.0), &[span(5.0, None)], &[], 3.0);
        assert_eq!(c.power_lost_at, None, "an area whose outage starts later is not dark yet");
    }

    #[test]
    fn restored_and_overlapping_areas() {
        // Two areas dark at 6 h: the earliest since wins.
        assert_eq!(power_lost_at(&[span(3.0, None), span(1.0, None)], T0 + h(6.0)), Some(T0 + h(1.0)));
        // A restored area no longer counts…
        assert_eq!(power_lost_at(&[span(1.0, Some(2.0)), span(4.0, None)], T0 + h(6.0)), Some(T0 + h(4.0)));
        // …unless its outage ran into the one still dark: the batteries drained since 1 h.
        assert_eq!(power_lost_at(&[span(1.0, Some(5.0)), span(4.0, None)], T0 + h(6.0)), Some(T0 + h(1.0)));
        // A chain of three, touching end to start.
        assert_eq!(
            power_lost_at(&[span(0.0, Some(2.0)), span(2.0, Some(4.0)), span(4.0, None)], T0 + h(5.0)),
            Some(T0)
        );
        assert_eq!(power_lost_at(&[], T0), None);
    }

    #[test]
    fn a_reported_battery_resets_the_clock_and_the_latest_report_wins() {
        let spans = [span(0.0, None)];
        let checks = [
            check(1.0, true, Some(CheckStatus::SafeAtHome), Some(10.0)),
            check(2.0, true, Some(CheckStatus::SafeAtHome), Some(1.5)),
        ];
        let c = run(Some(8.0), &spans, &checks, 3.0);
        assert_eq!(c.depletes_at, Some(T0 + h(3.5)));
        assert_eq!(c.remaining_min, Some(30));
        // Asked before the second report, only the first counts.
        let c = run(Some(8.0), &spans, &checks, 1.5);
        assert_eq!(c.depletes_at, Some(T0 + h(11.0)));
        assert_eq!(c.attempts, 1, "a check after `at` does not count");
    }

    #[test]
    fn at_a_power_point_or_in_hospital_the_clock_stops_and_leaving_restarts_it_full() {
        let spans = [span(0.0, None)];
        for status in [CheckStatus::AtPowerPoint, CheckStatus::InHospital] {
            let checks = [check(2.0, true, Some(status), None)];
            let c = run(Some(4.0), &spans, &checks, 10.0);
            assert!(c.on_power);
            assert_eq!((c.depletes_at, c.remaining_min, c.must_leave_by), (None, None, None));
            assert!(!c.visit_needed);
        }
        // An unreached call afterwards says nothing about where the child is: still on power.
        let checks = [check(2.0, true, Some(CheckStatus::AtPowerPoint), None), check(3.0, false, None, None)];
        assert!(run(Some(4.0), &spans, &checks, 4.0).on_power);
        // Back home at 6 h: charged, the full 4 h count from there.
        let checks = [
            check(2.0, true, Some(CheckStatus::AtPowerPoint), None),
            check(6.0, true, Some(CheckStatus::SafeAtHome), None),
        ];
        let c = run(Some(4.0), &spans, &checks, 7.0);
        assert!(!c.on_power);
        assert_eq!(c.depletes_at, Some(T0 + h(10.0)));
    }

    #[test]
    fn a_child_with_no_life_critical_device_has_no_clock_but_is_listed_with_checks() {
        let checks = [check(1.0, false, None, None), check(2.0, false, None, None)];
        let c = run(None, &[span(0.0, None)], &checks, 3.0);
        assert_eq!((c.depletes_at, c.remaining_min, c.must_leave_by), (None, None, None));
        assert_eq!(c.check_status, CheckSummary::Unreached);
        assert!(c.visit_needed, "two failed calls since power was lost need a visit, battery or not");
    }

    #[test]
    fn check_status_is_the_latest_reached_one() {
        let spans = [span(0.0, None)];
        let checks = [check(1.0, true, Some(CheckStatus::NeedsPower), None), check(2.0, false, None, None)];
        let c = run(Some(8.0), &spans, &checks, 3.0);
        assert_eq!(c.check_status, CheckSummary::Reached(CheckStatus::NeedsPower));
        assert_eq!((c.attempts, c.last_check_at), (2, Some(T0 + h(2.0))));
        assert_eq!(serde_json::to_value(c.check_status).unwrap(), "needs_power");
        assert_eq!(serde_json::to_value(CheckSummary::Unreached).unwrap(), "unreached");
    }

    #[test]
    fn visit_needed_branches() {
        let spans = [span(0.0, None)];
        // Short time, never called: visit.
        assert!(run(Some(3.0), &spans, &[], 0.0).visit_needed, "180 min left is within the limit");
        assert!(!run(Some(3.1), &spans, &[], 0.0).visit_needed, "186 min left, no failed call");
        // One failed call, long time: no visit yet; two: visit.
        let one = [check(1.0, false, None, None)];
        assert!(!run(Some(20.0), &spans, &one, 2.0).visit_needed);
        let two = [check(1.0, false, None, None), check(1.5, false, None, None)];
        assert!(run(Some(20.0), &spans, &two, 2.0).visit_needed);
        // Reached since power was lost: no visit, however short the time.
        let reached = [check(1.0, true, Some(CheckStatus::SafeAtHome), None)];
        assert!(!run(Some(2.0), &spans, &reached, 1.5).visit_needed);
        // Reached before power was lost does not count; failed calls before it neither.
        let before = [
            check(0.5, true, Some(CheckStatus::SafeAtHome), None),
            check(0.6, false, None, None),
            check(0.7, false, None, None),
        ];
        let late = [span(1.0, None)];
        let c = run(Some(20.0), &late, &before, 2.0);
        assert!(!c.visit_needed, "the failed calls were before the outage reached the home");
        let c = run(Some(3.0), &late, &before, 2.0);
        assert!(c.visit_needed, "120 min left and nobody reached since 1 h");
    }

    #[test]
    fn call_order_is_must_leave_by_then_id_with_nulls_last() {
        let mut rows =
            [(None, "c"), (Some(T0 + h(2.0)), "b"), (Some(T0 + h(1.0)), "z"), (None, "a"), (Some(T0 + h(2.0)), "a")];
        rows.sort_by(|x, y| call_order((&x.0, x.1), (&y.0, y.1)));
        let ids: Vec<_> = rows.iter().map(|r| r.1).collect();
        assert_eq!(ids, ["z", "a", "b", "a", "c"]);
        assert_eq!(rows[3].0, None);
    }

    fn point(grid_independent: bool, fuel_h: Option<f64>, status: Status) -> PowerPointProps {
        let mut p: PowerPointProps = serde_json::from_value(serde_json::json!({
            "name": "p", "kind": "generator", "outlets": [{"type": "ac100v", "count": 1, "max_w": 1500}],
            "capacity_w": 1500
        }))
        .unwrap();
        p.grid_independent = grid_independent;
        p.fuel_h = fuel_h;
        p.status = status;
        p
    }

    fn report(at_h: f64, status: Status, fuel_h_left: Option<f64>) -> PowerReport {
        PowerReport { at: T0 + h(at_h), status, free_outlets: None, fuel_h_left, queue_people: None, note: None }
    }

    #[test]
    fn a_point_is_up_unless_dark_unavailable_or_out_of_fuel() {
        let dark = [span(0.0, None)];
        let at = T0 + h(3.0);
        assert!(point_up(&point(false, None, Status::Available), &[], &[], at));
        assert!(!point_up(&point(false, None, Status::Available), &dark, &[], at), "on the grid in a dark area");
        assert!(point_up(&point(true, None, Status::Available), &dark, &[], at), "own power, unknown runtime lasts");
        assert!(point_up(&point(true, Some(5.0), Status::Available), &dark, &[], at));
        assert!(!point_up(&point(true, Some(2.0), Status::Available), &dark, &[], at), "2 h of fuel since 0 h");
        assert!(!point_up(&point(false, None, Status::Unavailable), &[], &[], at));
        // The newest report at or before `at` rules the status; a later one does not count yet.
        let reports = [report(1.0, Status::Unavailable, None), report(2.0, Status::Available, None)];
        assert!(point_up(&point(false, None, Status::Unknown), &[], &reports, at));
        assert!(!point_up(&point(false, None, Status::Unknown), &[], &reports, T0 + h(1.5)));
        // Reported fuel: out at 2 h + 0.5 h.
        let fuel = [report(2.0, Status::Available, Some(0.5))];
        assert!(
            point_up(&point(true, Some(1.0), Status::Available), &dark, &fuel, T0 + h(2.4)),
            "the report's figure rules over the stored runtime"
        );
        assert!(!point_up(&point(true, None, Status::Available), &dark, &fuel, T0 + h(2.5)));
    }
}
