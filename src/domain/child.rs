//! Power-dependent children (医療的ケア児): devices, batteries and who to call.
//!
//! This is 要配慮個人情報; the type itself is plain, the access rules live in `http`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::Date;
use utoipa::ToSchema;

use super::{Checker, Hazard, Located, MAX_HOURS, OutletType, Resource};

/// A child at home.
pub type Child = Located<ChildProps>;

/// Device kinds; the area summary counts children by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// 人工呼吸器.
    Ventilator,
    /// 吸引器.
    Suction,
    /// 酸素濃縮装置.
    OxygenConcentrator,
    /// 経管栄養ポンプ.
    FeedingPump,
    /// パルスオキシメーター.
    PulseOximeter,
    /// ネブライザー.
    Nebulizer,
    /// 加温加湿器.
    Humidifier,
    /// その他.
    Other,
}

impl DeviceKind {
    /// Every kind, in the contract's order.
    pub const ALL: [DeviceKind; 8] = [
        DeviceKind::Ventilator,
        DeviceKind::Suction,
        DeviceKind::OxygenConcentrator,
        DeviceKind::FeedingPump,
        DeviceKind::PulseOximeter,
        DeviceKind::Nebulizer,
        DeviceKind::Humidifier,
        DeviceKind::Other,
    ];

    /// Japanese name for printed plans and reports (see [`super::vocabulary`]).
    pub fn label_ja(self) -> &'static str {
        super::vocabulary::Vocabulary::label_ja(self)
    }

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Ventilator => "ventilator",
            DeviceKind::Suction => "suction",
            DeviceKind::OxygenConcentrator => "oxygen_concentrator",
            DeviceKind::FeedingPump => "feeding_pump",
            DeviceKind::PulseOximeter => "pulse_oximeter",
            DeviceKind::Nebulizer => "nebulizer",
            DeviceKind::Humidifier => "humidifier",
            DeviceKind::Other => "other",
        }
    }
}

/// One medical device the child depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    /// Identifier within the child.
    #[serde(default)]
    pub id: Option<String>,
    /// Device kind.
    pub kind: DeviceKind,
    /// Model name.
    #[serde(default)]
    pub model: Option<String>,
    /// Maker's rated power, watts: sizes outlets and capacity.
    #[schema(exclusive_minimum = 0, maximum = 10000000)]
    pub rated_w: f64,
    /// Measured typical draw, watts: informational only.
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 10000000)]
    pub draw_w: Option<f64>,
    /// Plug the device (or its adapter) needs.
    pub input: OutletType,
    /// Runtime on internal plus external batteries, hours.
    #[serde(default)]
    pub battery_h: f64,
    /// Needs pure-sine AC.
    #[serde(default)]
    pub pure_sine_required: bool,
    /// The child cannot do without it.
    #[serde(default)]
    pub life_critical: bool,
    /// What the family does by hand if power fails (e.g. a bag valve mask).
    #[serde(default)]
    pub manual_alternative: Option<String>,
}

/// Someone to call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Relation to the child (母, 父, …).
    #[serde(default)]
    pub relation: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// The child's hospital.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hospital {
    /// Name.
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Properties of a child, as in the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChildProps {
    /// Name.
    pub name: String,
    /// Name in kana; with `birth_date`, how reports from several divisions are matched.
    #[serde(default)]
    pub name_kana: Option<String>,
    /// Birth date.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<Date>,
    /// Home address.
    #[serde(default)]
    pub address: Option<String>,
    /// District (町字).
    #[serde(default)]
    pub district: Option<String>,
    /// Contacts; two or more expected.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Hospital.
    #[serde(default)]
    pub hospital: Option<Hospital>,
    /// Mobility, free text (e.g. wheelchair).
    #[serde(default)]
    pub mobility: Option<String>,
    /// The family has a car.
    #[serde(default)]
    pub has_vehicle: bool,
    /// Registered with the power utility for outage calls.
    #[serde(default)]
    pub utility_registered: bool,
    /// Hazards at home.
    #[serde(default)]
    pub home_hazards: Vec<Hazard>,
    /// Consent to share with supporters.
    #[serde(default)]
    pub consent_to_share: bool,
    /// When consent was given.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub consent_date: Option<Date>,
    /// Divisions that reported the child.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Identifiers the reporting divisions use, as `課名:ID`, so their next report matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_ids: Vec<String>,
    /// Reports that disagree with what is stored, kept for a coordinator to resolve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// Devices.
    #[serde(default)]
    pub devices: Vec<Device>,
}

/// One field a division reported differently from the stored record; never applied silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Conflict {
    /// The field, as in the contract (`birth_date`, …).
    pub field: String,
    /// What is stored.
    pub stored: String,
    /// What the division reported.
    pub reported: String,
    /// The reporting division.
    pub source: String,
}

impl ChildProps {
    /// Devices the child cannot do without; only these size the power a point must give.
    pub fn life_critical(&self) -> impl Iterator<Item = &Device> {
        self.devices.iter().filter(|d| d.life_critical)
    }

    /// Sum of `rated_w` of life-critical devices: what a point must deliver at once.
    pub fn critical_load_w(&self) -> f64 {
        // A fold from +0.0: an empty `sum()` of floats is -0.0, which prints as "-0".
        self.life_critical().fold(0.0, |load, d| load + d.rated_w)
    }

    /// Hours until the first life-critical device runs flat; `None` when none is life-critical.
    pub fn autonomy_h(&self) -> Option<f64> {
        self.life_critical().map(|d| d.battery_h).reduce(f64::min)
    }
}

impl Resource for ChildProps {
    const COLLECTION: &'static str = "children";
    const ID_PREFIX: &'static str = "ch";

    fn validate(&self, check: &mut Checker) {
        check.name("name", &self.name);
        for (i, d) in self.devices.iter().enumerate() {
            check.watts(&format!("devices[{i}].rated_w"), d.rated_w);
            if let Some(w) = d.draw_w {
                check.watts(&format!("devices[{i}].draw_w"), w);
            }
            check.duration(&format!("devices[{i}].battery_h"), Some(d.battery_h), MAX_HOURS);
        }
        for (i, c) in self.contacts.iter().enumerate() {
            check.name(&format!("contacts[{i}].name"), &c.name);
        }
        if let Some(h) = &self.hospital {
            check.name("hospital.name", &h.name);
        }
        check.unique("home_hazards", &self.home_hazards);
        check.text_limits(self);
    }

    fn derived(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("critical_load_w".into(), json!(self.critical_load_w()));
        m.insert("autonomy_h".into(), json!(self.autonomy_h()));
        m
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A device for tests: life-critical unless stated otherwise.
    pub fn device(kind: DeviceKind, input: OutletType, rated_w: f64, battery_h: f64) -> Device {
        Device {
            id: None,
            kind,
            model: None,
            rated_w,
            draw_w: None,
            input,
            battery_h,
            pure_sine_required: false,
            life_critical: true,
            manual_alternative: None,
        }
    }

    /// A child with the given devices and nothing else.
    pub fn child_with(devices: Vec<Device>) -> ChildProps {
        serde_json::from_value::<ChildProps>(serde_json::json!({"name": "テスト（架空）"}))
            .map(|mut c| {
                c.devices = devices;
                c
            })
            .unwrap()
    }

    #[test]
    fn critical_load_and_autonomy_count_only_life_critical_devices() {
        let mut oximeter = device(DeviceKind::PulseOximeter, OutletType::Usb, 2.0, 1.0);
        oximeter.life_critical = false;
        let c = child_with(vec![
            device(DeviceKind::Ventilator, OutletType::Ac100v, 150.0, 8.0),
            device(DeviceKind::Suction, OutletType::Ac100v, 80.0, 1.5),
            oximeter,
        ]);
        assert_eq!(c.critical_load_w(), 230.0);
        assert_eq!(c.autonomy_h(), Some(1.5));
        let d = c.derived();
        assert_eq!(d["critical_load_w"], json!(230.0));
        assert_eq!(d["autonomy_h"], json!(1.5));
    }

    #[test]
    fn no_life_critical_device_means_no_autonomy_limit() {
        let mut pump = device(DeviceKind::FeedingPump, OutletType::Dc12v, 5.0, 12.0);
        pump.life_critical = false;
        let c = child_with(vec![pump]);
        assert_eq!(c.critical_load_w(), 0.0);
        assert!(c.critical_load_w().is_sign_positive(), "-0.0 would print as -0");
        assert_eq!(c.autonomy_h(), None);
    }

    #[test]
    fn nested_text_and_names_are_bounded_and_home_hazards_unique() {
        let feature = |props: Value| json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [140.05, 35.79]}, "properties": props});
        let fields = |props: Value| -> Vec<String> {
            crate::domain::parse_feature::<ChildProps>(&feature(props))
                .map(|_| Vec::new())
                .unwrap_or_else(|e| e.into_iter().map(|e| e.field).collect())
        };
        let long = "あ".repeat(2001);
        assert_eq!(
            fields(json!({"name": "テスト（架空）", "contacts": [{"name": "母", "relation": long}],
                          "hospital": {"name": "病".repeat(201)}, "sources": ["健康課", "課".repeat(2001)]})),
            ["properties.contacts[0].relation", "properties.hospital.name", "properties.sources[1]"]
        );
        assert_eq!(
            fields(json!({"name": "テスト（架空）", "home_hazards": ["flood", "earthquake", "flood"]})),
            ["properties.home_hazards[2]"]
        );
        assert_eq!(fields(json!({"name": "テスト（架空）", "hospital": {"name": " "}})), ["properties.hospital.name"]);
    }
}
