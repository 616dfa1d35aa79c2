//! Power points (電源ポイント): where a family can run or charge a device in an outage.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{Checker, Located, MAX_HOURS, MAX_OUTLETS, Resource};

/// A power point at its place.
pub type PowerPoint = Located<PowerPointProps>;

/// What kind of site supplies the power; the UI picks icons and wording by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PowerPointKind {
    /// Fuel generator (often cassette gas or petrol).
    Generator,
    /// A site that offers charging to the public.
    ChargingStation,
    /// Power supplied from an electric or plug-in hybrid vehicle.
    EvSupply,
    /// Portable power stations lent or charged on site.
    BatteryStation,
    /// A building's ordinary outlet (works only while the grid does unless backed up).
    FacilityOutlet,
    /// A hospital with emergency power.
    Hospital,
}

/// The plug a device needs; matching is exact (no adapters are assumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutletType {
    /// Japanese household AC, 100 V.
    Ac100v,
    /// 12 V DC (cigarette-lighter style).
    Dc12v,
    /// USB power.
    Usb,
}

/// Whether a point is usable now; `unavailable` points are left out of answers unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Working and open.
    Available,
    /// Working with restrictions (queue, fuel running low).
    Limited,
    /// Not working.
    Unavailable,
    /// Nobody has reported.
    #[default]
    Unknown,
}

/// A group of identical outlets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Outlet {
    /// Plug type.
    #[serde(rename = "type")]
    pub kind: OutletType,
    /// How many such outlets (1–1000); each runs one device.
    #[schema(minimum = 1, maximum = 1000)]
    #[serde(deserialize_with = "super::whole::u32")]
    pub count: u32,
    /// Most one outlet delivers, watts.
    #[schema(exclusive_minimum = 0)]
    pub max_w: f64,
}

/// Properties of a power point, as in the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PowerPointProps {
    /// Display name.
    pub name: String,
    /// Site kind.
    pub kind: PowerPointKind,
    /// Outlet groups (at least one).
    #[schema(min_items = 1)]
    pub outlets: Vec<Outlet>,
    /// What the point delivers in total, watts.
    #[schema(exclusive_minimum = 0)]
    pub capacity_w: f64,
    /// AC output is a pure sine wave (medical devices want it).
    #[serde(default)]
    pub pure_sine: bool,
    /// Keeps working in a grid outage.
    #[serde(default)]
    pub grid_independent: bool,
    /// Hours of autonomous supply.
    #[serde(default)]
    pub fuel_h: Option<f64>,
    /// Only detached batteries are charged here; devices are not run on site.
    #[serde(default)]
    pub charge_only: bool,
    /// Current status.
    #[serde(default)]
    pub status: Status,
    /// When the status was last reported (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub status_updated_at: Option<OffsetDateTime>,
    /// Date someone last confirmed the facts.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub last_verified: Option<Date>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// District (町字), for summaries and filters.
    #[serde(default)]
    pub district: Option<String>,
    /// Opening hours, free text.
    #[serde(default)]
    pub hours: Option<String>,
    /// Users must register in advance.
    #[serde(default)]
    pub requires_registration: bool,
    /// Users should call before coming.
    #[serde(default)]
    pub call_first: bool,
    /// Longest session allowed, minutes.
    #[serde(default)]
    pub session_limit_min: Option<f64>,
    /// Phone or other contact.
    #[serde(default)]
    pub contact: Option<String>,
    /// Anything else.
    #[serde(default)]
    pub notes: Option<String>,
    /// What the newest report from the point said during an outage (read-only: written by
    /// `POST /power-points/{id}/reports`, kept when a `PUT` echoes it back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub live: Option<LiveStatus>,
}

/// The newest live report of a point, as its properties show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LiveStatus {
    /// Outlets free for another device.
    #[serde(default)]
    pub free_outlets: Option<u32>,
    /// Hours of fuel (or stored energy) left at `reported_at`.
    #[serde(default)]
    pub fuel_h_left: Option<f64>,
    /// `reported_at + fuel_h_left`: after it the point counts as unavailable.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub fuel_out_at: Option<OffsetDateTime>,
    /// People waiting.
    #[serde(default)]
    pub queue_people: Option<u32>,
    /// When the report was true.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: OffsetDateTime,
    /// The reporter's role (`coordinator`, `planner`): the point is public, so the person's
    /// token name is shown only to staff, in the report list.
    pub reported_by: String,
}

impl PowerPointProps {
    /// Whether the point's reported fuel has run out by `at` (until a newer report says
    /// otherwise): such a point counts as `unavailable` in every answer (the contract).
    pub fn out_of_fuel(&self, at: OffsetDateTime) -> bool {
        self.live.as_ref().and_then(|l| l.fuel_out_at).is_some_and(|out| out <= at)
    }

    /// Whether the point has an outlet of `kind` that delivers at least `min_w` (any outlet when `kind` is `None`).
    pub fn has_outlet(&self, kind: Option<OutletType>, min_w: f64) -> bool {
        self.outlets.iter().any(|o| kind.is_none_or(|k| o.kind == k) && o.max_w >= min_w)
    }
}

impl Resource for PowerPointProps {
    const COLLECTION: &'static str = "power_points";
    const ID_PREFIX: &'static str = "pp";

    fn validate(&self, check: &mut Checker) {
        check.name("name", &self.name);
        if self.outlets.is_empty() {
            check.fail("outlets", "must list at least one outlet");
        }
        for (i, o) in self.outlets.iter().enumerate() {
            if !(1..=MAX_OUTLETS).contains(&o.count) {
                check.fail(format!("outlets[{i}].count"), format!("must be from 1 to {MAX_OUTLETS}"));
            }
            check.watts(&format!("outlets[{i}].max_w"), o.max_w);
        }
        check.watts("capacity_w", self.capacity_w);
        check.duration("fuel_h", self.fuel_h, MAX_HOURS);
        check.duration("session_limit_min", self.session_limit_min, MAX_HOURS * 60.0);
        check.text_limits(self);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::parse_feature;
    use serde_json::json;

    /// A valid power point Feature body to vary in tests.
    pub fn feature_json() -> serde_json::Value {
        json!({"type": "Feature", "id": "pp-1", "geometry": {"type": "Point", "coordinates": [140.05, 35.79]},
               "properties": {"name": "市役所", "kind": "generator", "capacity_w": 900,
                              "outlets": [{"type": "ac100v", "count": 2, "max_w": 900}]}})
    }

    #[test]
    fn defaults_follow_the_contract() {
        let (id, lon, lat, p) = parse_feature::<PowerPointProps>(&feature_json()).unwrap();
        assert_eq!((id.as_deref(), lon, lat), (Some("pp-1"), 140.05, 35.79));
        assert_eq!(p.status, Status::Unknown);
        assert!(!p.pure_sine && !p.charge_only && !p.grid_independent);
        assert_eq!(p.fuel_h, None);
    }

    #[test]
    fn errors_name_the_field() {
        let mut f = feature_json();
        f["properties"]["outlets"] = json!([]);
        f["properties"]["capacity_w"] = json!(-5);
        let errs = parse_feature::<PowerPointProps>(&f).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["properties.outlets", "properties.capacity_w"]);
    }

    #[test]
    fn unknown_outlet_type_is_reported_with_its_path() {
        let mut f = feature_json();
        f["properties"]["outlets"][0]["type"] = json!("ac200v");
        let errs = parse_feature::<PowerPointProps>(&f).unwrap_err();
        assert_eq!(errs[0].field, "properties.outlets[0].type");
        assert!(errs[0].message.contains("ac200v"), "{}", errs[0].message);
    }

    #[test]
    fn out_of_range_latitude_is_refused() {
        let mut f = feature_json();
        f["geometry"]["coordinates"] = json!([140.0, 95.0]);
        let errs = parse_feature::<PowerPointProps>(&f).unwrap_err();
        assert_eq!(errs[0].field, "geometry.coordinates");
        assert!(errs[0].message.starts_with("lat"));
    }

    #[test]
    fn name_limits_count_characters_not_bytes() {
        let mut f = feature_json();
        f["properties"]["name"] = json!("電".repeat(200));
        assert!(parse_feature::<PowerPointProps>(&f).is_ok());
        f["properties"]["name"] = json!("電".repeat(201));
        assert_eq!(parse_feature::<PowerPointProps>(&f).unwrap_err()[0].field, "properties.name");
    }

    #[test]
    fn bad_ids_are_refused() {
        let mut f = feature_json();
        f["id"] = json!("has space");
        assert_eq!(parse_feature::<PowerPointProps>(&f).unwrap_err()[0].field, "id");
        f["id"] = json!("x".repeat(65));
        assert!(parse_feature::<PowerPointProps>(&f).is_err());
        f["id"] = json!("..");
        assert_eq!(parse_feature::<PowerPointProps>(&f).unwrap_err()[0].field, "id");
        f["id"] = json!("a..b");
        assert!(parse_feature::<PowerPointProps>(&f).is_ok());
    }

    fn fields_of(f: &serde_json::Value) -> Vec<String> {
        parse_feature::<PowerPointProps>(f)
            .map(|_| Vec::new())
            .unwrap_or_else(|e| e.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn null_means_not_given_and_a_missing_field_is_named() {
        let mut f = feature_json();
        f["properties"]["status"] = json!(null);
        f["properties"]["pure_sine"] = json!(null);
        let (_, _, _, p) = parse_feature::<PowerPointProps>(&f).unwrap();
        assert_eq!((p.status, p.pure_sine), (Status::Unknown, false));
        f["properties"]["name"] = json!(null);
        assert_eq!(fields_of(&f), ["properties.name"]);
        f["properties"].as_object_mut().unwrap().remove("name");
        assert_eq!(fields_of(&f), ["properties.name"]);
    }

    #[test]
    fn an_array_is_not_accepted_where_an_object_belongs() {
        let mut f = feature_json();
        f["properties"]["outlets"] = json!([["usb", 2, 10]]);
        assert_eq!(fields_of(&f), ["properties.outlets[0]"]);
    }

    #[test]
    fn counts_and_watts_have_upper_bounds() {
        let mut f = feature_json();
        f["properties"]["outlets"][0]["count"] = json!(1001);
        f["properties"]["capacity_w"] = json!(1e308);
        assert_eq!(fields_of(&f), ["properties.outlets[0].count", "properties.capacity_w"]);
        f["properties"]["outlets"][0]["count"] = json!(1000);
        f["properties"]["capacity_w"] = json!(10_000_000.0);
        assert!(fields_of(&f).is_empty());
    }

    #[test]
    fn every_text_field_is_bounded() {
        let mut f = feature_json();
        f["properties"]["notes"] = json!("x".repeat(2000));
        assert!(fields_of(&f).is_empty());
        f["properties"]["notes"] = json!("x".repeat(2001));
        f["properties"]["hours"] = json!("9時".repeat(1001));
        assert_eq!(fields_of(&f), ["properties.hours", "properties.notes"]);
    }

    #[test]
    fn a_height_must_be_a_number_too() {
        let mut f = feature_json();
        f["geometry"]["coordinates"] = json!([140.05, 35.79, 12.5]);
        assert!(fields_of(&f).is_empty());
        f["geometry"]["coordinates"] = json!([140.05, 35.79, "x"]);
        assert_eq!(fields_of(&f), ["geometry.coordinates"]);
    }
}
