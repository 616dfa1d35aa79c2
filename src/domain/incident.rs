//! The outage in progress (発災時対応): incidents, the areas that are dark, welfare checks
//! (安否確認) and live reports from power points — plain values; the clock is in `planning`.
//!
//! A scenario asks "what if"; an incident is a fact with a clock, so every value here carries
//! the time it speaks of, and rules that depend on "now" take it as a parameter.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Checker, MAX_HOURS, Status};

/// The change-feed kinds of an incident's writes (beside `power_points` for live reports):
/// the indexes' follower passes over them; an event stream announces them. A change's id is
/// the incident's id, or `incident_id/item_id` for its outage areas and checks.
pub const FEED_KINDS: [&str; 3] = ["incident", "outage", "check"];

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
    /// The word the phone desk's sheet uses.
    pub fn label_ja(self) -> &'static str {
        match self {
            CheckStatus::SafeAtHome => "自宅で無事",
            CheckStatus::NeedsPower => "電源が必要",
            CheckStatus::Evacuating => "避難中",
            CheckStatus::AtPowerPoint => "電源ポイント",
            CheckStatus::AtShelter => "避難所",
            CheckStatus::InHospital => "入院",
            CheckStatus::NeedsRescue => "救助が必要",
        }
    }

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

/// An incident (発災時対応): a real outage in progress, from `started_at` until it is closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    /// Identifier (`inc-…` when the server assigns it).
    pub id: String,
    /// What the desk calls it (台風15号 北部停電).
    pub name: String,
    /// When the incident began.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    /// When it was closed; a closed incident is read-only.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
}

impl Incident {
    /// Whether further writes are refused: once `closed_at` is set, the record of what was
    /// done is final (a closing time in the future closes it too, at once).
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// A name, bounded texts, and no closing before the start.
    pub fn validate(&self) -> Result<(), Vec<super::FieldError>> {
        let mut c = Checker::default();
        c.name("name", &self.name);
        if self.closed_at.is_some_and(|closed| closed < self.started_at) {
            c.fail("closed_at", "must not be before started_at");
        }
        c.text_limits(self);
        c.finish()
    }
}

/// One dark area of an incident: a shape (drawn, or from a utility's GeoJSON) or a district
/// (町字, as a utility lists its outages), with when it went dark and came back.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageArea {
    /// Identifier (`out-…` when the server assigns it).
    pub id: String,
    /// The incident it belongs to.
    pub incident_id: String,
    /// A GeoJSON Polygon or MultiPolygon, already checked; `None` for a district area.
    pub geometry: Option<serde_json::Value>,
    /// The 町字 name; matched against homes and points only when there is no geometry.
    pub district: Option<String>,
    /// When power went out there.
    pub since: OffsetDateTime,
    /// When it came back, if it has.
    pub restored_at: Option<OffsetDateTime>,
    /// Where the area came from: `tepco`, `drawn`, …
    pub source: Option<String>,
    /// Households out, as the utility counts them.
    pub households: Option<u32>,
}

impl OutageArea {
    /// The time the area is dark.
    pub fn span(&self) -> DarkSpan {
        DarkSpan { since: self.since, restored_at: self.restored_at }
    }

    /// `since` before `restored_at`, and a bounded source and district.
    pub fn validate(&self) -> Result<(), Vec<super::FieldError>> {
        let mut c = Checker::default();
        if self.restored_at.is_some_and(|r| r < self.since) {
            c.fail("properties.restored_at", "must not be before since");
        }
        for (field, text) in [("properties.district", &self.district), ("properties.source", &self.source)] {
            if text.as_ref().is_some_and(|t| t.chars().count() > super::MAX_TEXT_CHARS) {
                c.fail(field, format!("must be at most {} characters", super::MAX_TEXT_CHARS));
            }
        }
        if self.geometry.is_none() && self.district.as_deref().is_none_or(|d| d.trim().is_empty()) {
            c.fail("properties.district", "is required when geometry is null");
        }
        c.finish()
    }

    /// The Feature a client sees: `id`, the shape (or null), the rest in `properties`.
    pub fn to_feature(&self) -> serde_json::Value {
        let stamp =
            |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        serde_json::json!({
            "type": "Feature", "id": self.id, "geometry": self.geometry,
            "properties": {
                "incident_id": self.incident_id, "district": self.district,
                "since": stamp(Some(self.since)), "restored_at": stamp(self.restored_at),
                "source": self.source, "households": self.households,
            }
        })
    }
}

/// A welfare check as stored: the check, whose it is, and who recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredCheck {
    /// Identifier (`chk-…`).
    pub id: String,
    /// The incident.
    pub incident_id: String,
    /// The child.
    pub child_id: String,
    /// The check itself.
    #[serde(flatten)]
    pub check: WelfareCheck,
    /// The token that recorded it (a staff member, or the family's own token).
    pub token_name: String,
    /// That token's role.
    pub role: String,
}

/// A live report as stored, with who made it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredReport {
    /// Identifier (`rep-…`).
    pub id: String,
    /// The power point.
    pub power_point_id: String,
    /// The report itself.
    #[serde(flatten)]
    pub report: PowerReport,
    /// `reported_at + fuel_h_left`.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub fuel_out_at: Option<OffsetDateTime>,
    /// The reporter's token name; shown to staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<String>,
    /// The reporter's role.
    pub role: String,
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
