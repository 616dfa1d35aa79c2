//! The outage in progress (発災時対応): incidents, the areas that are dark, welfare checks
//! (安否確認) and live reports from power points — plain values; the clock is in `planning`.
//!
//! A scenario asks "what if"; an incident is a fact with a clock, so every value here carries
//! the time it speaks of, and rules that depend on "now" take it as a parameter.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Checker, MAX_HOURS, Status};

/// How a welfare check was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckChannel {
    /// 電話.
    Phone,
    /// LINE.
    Line,
    /// SMS.
    Sms,
    /// 訪問 (a door knock).
    Visit,
    /// The family reported itself with its own token.
    #[serde(rename = "self")]
    SelfReport,
    /// Anything else.
    Other,
}

/// What a reached family said about where the child is and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// 自宅で無事.
    SafeAtHome,
    /// 電源が必要.
    NeedsPower,
    /// 避難中.
    Evacuating,
    /// 電源ポイントにいる: the devices run on outside power, the battery clock stops.
    AtPowerPoint,
    /// 避難所にいる.
    AtShelter,
    /// 入院: the hospital powers the devices, the battery clock stops.
    InHospital,
    /// 救助が必要.
    NeedsRescue,
}

impl CheckStatus {
    /// Whether the child's devices run on outside power, so its batteries are not draining.
    pub fn on_power(self) -> bool {
        matches!(self, CheckStatus::AtPowerPoint | CheckStatus::InHospital)
    }
}

/// One welfare check (安否確認): append-only, the latest relevant one wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WelfareCheck {
    /// When the family was called, visited, or reported.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// How.
    pub channel: CheckChannel,
    /// Whether anyone answered.
    pub reached: bool,
    /// What they said; required when reached.
    #[serde(default)]
    pub status: Option<CheckStatus>,
    /// Hours of battery the family says are left: resets the clock.
    #[serde(default)]
    pub battery_h_left: Option<f64>,
    /// Where the child is, when at a power point or shelter (its id).
    #[serde(default)]
    pub location_id: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

impl WelfareCheck {
    /// The contract's rules for a check body: a reached check says how the child is, a battery
    /// figure is a real number of hours, and texts are bounded.
    pub fn validate(&self) -> Result<(), Vec<super::FieldError>> {
        let mut c = Checker::default();
        if self.reached && self.status.is_none() {
            c.fail("status", "is required when reached is true");
        }
        if !self.reached && self.status.is_some() {
            c.fail("status", "must be absent when reached is false: nobody said it");
        }
        c.duration("battery_h_left", self.battery_h_left, MAX_HOURS);
        c.text_limits(self);
        c.finish()
    }
}

/// A report from a power point during an outage: what is free, how long the fuel lasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PowerReport {
    /// When it was true.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The point's status from then on.
    pub status: Status,
    /// Outlets free for another device.
    #[serde(default, deserialize_with = "super::whole::opt_u32")]
    pub free_outlets: Option<u32>,
    /// Hours of fuel (or stored energy) left at `at`.
    #[serde(default)]
    pub fuel_h_left: Option<f64>,
    /// People waiting.
    #[serde(default, deserialize_with = "super::whole::opt_u32")]
    pub queue_people: Option<u32>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

impl PowerReport {
    /// When the fuel runs out, if the report said how long it lasts.
    pub fn fuel_out_at(&self) -> Option<OffsetDateTime> {
        self.fuel_h_left.map(|h| self.at + hours(h))
    }

    /// Bounds the figures and texts of a report.
    pub fn validate(&self) -> Result<(), Vec<super::FieldError>> {
        let mut c = Checker::default();
        c.duration("fuel_h_left", self.fuel_h_left, MAX_HOURS);
        c.text_limits(self);
        c.finish()
    }
}

/// The time one outage area was dark: from `since`, until `restored_at` if power came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DarkSpan {
    /// When power went out there.
    pub since: OffsetDateTime,
    /// When it came back; `None` while it is still out.
    pub restored_at: Option<OffsetDateTime>,
}

impl DarkSpan {
    /// The contract's rule: dark at `at` when `since <= at` and not restored by `at`.
    pub fn dark_at(&self, at: OffsetDateTime) -> bool {
        self.since <= at && self.restored_at.is_none_or(|r| r > at)
    }
}

/// A duration in hours as a `time::Duration`, to the millisecond (hours come as decimals).
pub fn hours(h: f64) -> time::Duration {
    time::Duration::milliseconds((h * 3_600_000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn check(reached: bool, status: Option<CheckStatus>) -> WelfareCheck {
        WelfareCheck {
            at: datetime!(2026-09-09 03:00 UTC),
            channel: CheckChannel::Phone,
            reached,
            status,
            battery_h_left: None,
            location_id: None,
            note: None,
        }
    }

    #[test]
    fn a_reached_check_needs_a_status_and_an_unreached_one_has_none() {
        assert!(check(true, Some(CheckStatus::SafeAtHome)).validate().is_ok());
        assert!(check(false, None).validate().is_ok());
        let e = check(true, None).validate().unwrap_err();
        assert_eq!(e[0].field, "status");
        let e = check(false, Some(CheckStatus::NeedsPower)).validate().unwrap_err();
        assert_eq!(e[0].field, "status");
    }

    #[test]
    fn battery_left_must_be_a_real_number_of_hours() {
        let mut c = check(true, Some(CheckStatus::SafeAtHome));
        for bad in [-0.5, f64::NAN, f64::INFINITY] {
            c.battery_h_left = Some(bad);
            assert_eq!(c.validate().unwrap_err()[0].field, "battery_h_left");
        }
        c.battery_h_left = Some(0.0);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn channel_self_is_spelt_self_on_the_wire() {
        assert_eq!(serde_json::to_value(CheckChannel::SelfReport).unwrap(), "self");
        let c: CheckChannel = serde_json::from_value(serde_json::json!("self")).unwrap();
        assert_eq!(c, CheckChannel::SelfReport);
    }

    #[test]
    fn a_span_is_dark_from_since_until_but_not_at_restored_at() {
        let span =
            DarkSpan { since: datetime!(2026-09-09 00:00 UTC), restored_at: Some(datetime!(2026-09-09 06:00 UTC)) };
        assert!(!span.dark_at(datetime!(2026-09-08 23:59 UTC)));
        assert!(span.dark_at(datetime!(2026-09-09 00:00 UTC)));
        assert!(span.dark_at(datetime!(2026-09-09 05:59 UTC)));
        assert!(!span.dark_at(datetime!(2026-09-09 06:00 UTC)));
    }

    #[test]
    fn fuel_runs_out_at_the_report_time_plus_the_hours_left() {
        let r = PowerReport {
            at: datetime!(2026-09-09 10:00 UTC),
            status: Status::Available,
            free_outlets: Some(2),
            fuel_h_left: Some(1.5),
            queue_people: None,
            note: None,
        };
        assert_eq!(r.fuel_out_at(), Some(datetime!(2026-09-09 11:30 UTC)));
    }
}
