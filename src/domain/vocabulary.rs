//! The closed vocabularies of the API with their Japanese and English labels: the one place
//! the pages, the sheet and the reports take the words for a kind, a hazard or a status from.
//!
//! Each label table is an exhaustive `match`, so a new variant does not compile without its
//! labels; a test checks each `ALL` list against the type's OpenAPI enum.

use serde::Serialize;
use utoipa::ToSchema;

use super::hazard_zone::PriorityReason;
use super::incident::{CheckChannel, CheckStatus};
use super::plan::{PlanStatus, Severity, Transport};
use super::{DeviceKind, Hazard, OutletType, PowerPointKind, ShelterKind, Status};

/// A closed set of values the API speaks, each with a label in both languages.
pub trait Vocabulary: Copy + Serialize + 'static {
    /// Name of the vocabulary in `GET /api/v1/config`.
    const NAME: &'static str;
    /// Every value, in the order lists and legends show them.
    const ALL: &'static [Self];
    /// (Japanese, English) label.
    fn labels(self) -> (&'static str, &'static str);

    /// Japanese label.
    fn label_ja(self) -> &'static str {
        self.labels().0
    }

    /// English label.
    fn label_en(self) -> &'static str {
        self.labels().1
    }

    /// The value as the API writes it (`charging_station`).
    fn value(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// One value of a vocabulary with its labels, as `GET /api/v1/config` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Term {
    /// The value the API uses.
    pub value: String,
    /// Japanese label.
    pub ja: &'static str,
    /// English label.
    pub en: &'static str,
}

/// Every value of `V` with its labels.
pub fn terms<V: Vocabulary>() -> Vec<Term> {
    V::ALL.iter().map(|v| Term { value: v.value(), ja: v.label_ja(), en: v.label_en() }).collect()
}

/// Every vocabulary by name: the body of `"vocabularies"` in `GET /api/v1/config`.
pub fn all() -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    let mut add = |name: &str, list: Vec<Term>| {
        map.insert(name.to_owned(), serde_json::to_value(list).unwrap_or_default());
    };
    add(PowerPointKind::NAME, terms::<PowerPointKind>());
    add(Status::NAME, terms::<Status>());
    add(OutletType::NAME, terms::<OutletType>());
    add(ShelterKind::NAME, terms::<ShelterKind>());
    add(Hazard::NAME, terms::<Hazard>());
    add(DeviceKind::NAME, terms::<DeviceKind>());
    add(Severity::NAME, terms::<Severity>());
    add(PlanStatus::NAME, terms::<PlanStatus>());
    add(PriorityReason::NAME, terms::<PriorityReason>());
    add(Transport::NAME, terms::<Transport>());
    add(CheckStatus::NAME, terms::<CheckStatus>());
    add(CheckChannel::NAME, terms::<CheckChannel>());
    map
}

impl Vocabulary for CheckStatus {
    const NAME: &'static str = "check_statuses";
    const ALL: &'static [Self] = &[
        Self::SafeAtHome,
        Self::NeedsPower,
        Self::Evacuating,
        Self::AtPowerPoint,
        Self::AtShelter,
        Self::InHospital,
        Self::NeedsRescue,
    ];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::SafeAtHome => ("自宅で無事", "Safe at home"),
            Self::NeedsPower => ("電源が必要", "Needs power"),
            Self::Evacuating => ("避難中", "Evacuating"),
            Self::AtPowerPoint => ("電源ポイントにいる", "At a power point"),
            Self::AtShelter => ("避難所にいる", "At a shelter"),
            Self::InHospital => ("入院中", "In hospital"),
            Self::NeedsRescue => ("救助が必要", "Needs rescue"),
        }
    }
}

impl Vocabulary for CheckChannel {
    const NAME: &'static str = "check_channels";
    const ALL: &'static [Self] = &[Self::Phone, Self::Line, Self::Sms, Self::Visit, Self::SelfReport, Self::Other];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Phone => ("電話", "Phone"),
            Self::Line => ("LINE", "LINE"),
            Self::Sms => ("SMS", "SMS"),
            Self::Visit => ("訪問", "Visit"),
            Self::SelfReport => ("本人・家族から", "Self-report"),
            Self::Other => ("その他", "Other"),
        }
    }
}

impl Vocabulary for PowerPointKind {
    const NAME: &'static str = "power_point_kinds";
    const ALL: &'static [Self] = &[
        Self::Generator,
        Self::ChargingStation,
        Self::EvSupply,
        Self::BatteryStation,
        Self::FacilityOutlet,
        Self::Hospital,
    ];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Generator => ("発電機", "Generator"),
            Self::ChargingStation => ("充電スポット", "Charging spot"),
            Self::EvSupply => ("EV給電", "EV supply"),
            Self::BatteryStation => ("蓄電池", "Battery station"),
            Self::FacilityOutlet => ("施設コンセント", "Facility outlet"),
            Self::Hospital => ("病院", "Hospital"),
        }
    }
}

impl Vocabulary for Status {
    const NAME: &'static str = "statuses";
    const ALL: &'static [Self] = &[Self::Available, Self::Limited, Self::Unavailable, Self::Unknown];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Available => ("利用可", "available"),
            Self::Limited => ("制限あり", "limited"),
            Self::Unavailable => ("使用不可", "unavailable"),
            Self::Unknown => ("不明", "unknown"),
        }
    }
}

impl Vocabulary for OutletType {
    const NAME: &'static str = "outlet_types";
    const ALL: &'static [Self] = &[Self::Ac100v, Self::Dc12v, Self::Usb];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Ac100v => ("AC100V", "AC100V"),
            Self::Dc12v => ("DC12V", "DC12V"),
            Self::Usb => ("USB", "USB"),
        }
    }
}

impl Vocabulary for ShelterKind {
    const NAME: &'static str = "shelter_kinds";
    const ALL: &'static [Self] = &[Self::Designated, Self::Welfare, Self::EmergencySite];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Designated => ("指定避難所", "Designated shelter"),
            Self::Welfare => ("福祉避難所", "Welfare shelter"),
            Self::EmergencySite => ("指定緊急避難場所", "Emergency evacuation site"),
        }
    }
}

impl Vocabulary for Hazard {
    const NAME: &'static str = "hazards";
    const ALL: &'static [Self] = &Hazard::ALL;
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Flood => ("洪水", "Flood"),
            Self::Landslide => ("土砂災害", "Landslide"),
            Self::StormSurge => ("高潮", "Storm surge"),
            Self::Earthquake => ("地震", "Earthquake"),
            Self::Tsunami => ("津波", "Tsunami"),
            Self::Fire => ("大規模な火事", "Large fire"),
            Self::InlandFlood => ("内水氾濫", "Inland flood"),
            Self::Volcano => ("火山現象", "Volcano"),
        }
    }
}

impl Vocabulary for DeviceKind {
    const NAME: &'static str = "device_kinds";
    const ALL: &'static [Self] = &DeviceKind::ALL;
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Ventilator => ("人工呼吸器", "Ventilator"),
            Self::Suction => ("吸引器", "Suction"),
            Self::OxygenConcentrator => ("酸素濃縮装置", "Oxygen concentrator"),
            Self::FeedingPump => ("経管栄養ポンプ", "Feeding pump"),
            Self::PulseOximeter => ("パルスオキシメーター", "Pulse oximeter"),
            Self::Nebulizer => ("ネブライザー", "Nebulizer"),
            Self::Humidifier => ("加温加湿器", "Humidifier"),
            Self::Other => ("その他", "Other"),
        }
    }
}

impl Vocabulary for Severity {
    const NAME: &'static str = "severities";
    const ALL: &'static [Self] = &[Self::Error, Self::Warning, Self::Info];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Error => ("エラー", "error"),
            Self::Warning => ("警告", "warning"),
            Self::Info => ("情報", "info"),
        }
    }
}

impl Vocabulary for PlanStatus {
    const NAME: &'static str = "plan_statuses";
    const ALL: &'static [Self] = &[Self::Draft, Self::Agreed, Self::NeedsReview];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Draft => ("作成中", "draft"),
            Self::Agreed => ("合意済み", "agreed"),
            Self::NeedsReview => ("要見直し", "needs review"),
        }
    }
}

impl Vocabulary for Transport {
    const NAME: &'static str = "transports";
    const ALL: &'static [Self] = &[Self::Walk, Self::FamilyCar, Self::WelfareVehicle, Self::Ambulance, Self::Other];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Walk => ("徒歩", "On foot"),
            Self::FamilyCar => ("自家用車", "Family car"),
            Self::WelfareVehicle => ("福祉車両", "Welfare vehicle"),
            Self::Ambulance => ("救急車", "Ambulance"),
            Self::Other => ("その他", "Other"),
        }
    }
}

impl Vocabulary for PriorityReason {
    const NAME: &'static str = "priority_reasons";
    const ALL: &'static [Self] =
        &[Self::LandslideSpecial, Self::DeepWater, Self::ShortBattery, Self::HazardZone, Self::LifeCritical];
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::LandslideSpecial => ("土砂災害特別警戒区域", "Landslide special warning zone"),
            Self::DeepWater => ("浸水3m以上", "Water 3 m or deeper"),
            Self::ShortBattery => ("バッテリー12時間未満", "Battery under 12 h"),
            Self::HazardZone => ("ハザード区域内", "In a hazard zone"),
            Self::LifeCritical => ("生命維持機器", "Life-critical device"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;
    use utoipa::openapi::{RefOr, Schema};

    /// The values the OpenAPI document lists for `V`: every variant serde knows.
    fn schema_values<V: Vocabulary + PartialSchema>() -> Vec<String> {
        let RefOr::T(Schema::Object(object)) = V::schema() else { panic!("{} is not an enum schema", V::NAME) };
        object.enum_values.unwrap_or_default().iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
    }

    fn complete<V: Vocabulary + PartialSchema>() {
        let listed: Vec<String> = V::ALL.iter().map(|v| v.value()).collect();
        let mut want = schema_values::<V>();
        let mut got = listed.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{} lists every value once", V::NAME);
        assert!(V::ALL.iter().all(|v| !v.label_ja().is_empty() && !v.label_en().is_empty()));
    }

    #[test]
    fn every_vocabulary_lists_every_value_of_its_type() {
        complete::<PowerPointKind>();
        complete::<Status>();
        complete::<OutletType>();
        complete::<ShelterKind>();
        complete::<Hazard>();
        complete::<DeviceKind>();
        complete::<Severity>();
        complete::<PlanStatus>();
        complete::<PriorityReason>();
        complete::<Transport>();
        complete::<CheckStatus>();
        complete::<CheckChannel>();
        assert_eq!(all().len(), 12);
    }

    #[test]
    fn terms_carry_the_api_value_and_both_labels() {
        let kinds = terms::<PowerPointKind>();
        assert_eq!(kinds[1], Term { value: "charging_station".into(), ja: "充電スポット", en: "Charging spot" });
        assert_eq!(Severity::Error.label_ja(), "エラー");
    }
}
