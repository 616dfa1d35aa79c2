//! Shelters (避難所) with the eight hazard designations of the national data.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Checker, Located, Resource};

/// A shelter at its place.
pub type Shelter = Located<ShelterProps>;

/// The legal kind of site; welfare shelters (福祉避難所) are where a ventilated child can stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShelterKind {
    /// 指定避難所.
    Designated,
    /// 福祉避難所.
    Welfare,
    /// 指定緊急避難場所.
    EmergencySite,
}

/// The eight hazard categories of the national designation data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hazard {
    /// 洪水.
    Flood,
    /// 崖崩れ、土石流及び地滑り.
    Landslide,
    /// 高潮.
    StormSurge,
    /// 地震.
    Earthquake,
    /// 津波.
    Tsunami,
    /// 大規模な火事.
    Fire,
    /// 内水氾濫.
    InlandFlood,
    /// 火山現象.
    Volcano,
}

impl Hazard {
    /// Japanese name (see [`super::vocabulary`], where every label lives).
    pub fn label_ja(self) -> &'static str {
        super::vocabulary::Vocabulary::label_ja(self)
    }

    /// Every hazard, in the national data's column order.
    pub const ALL: [Hazard; 8] = [
        Hazard::Flood,
        Hazard::Landslide,
        Hazard::StormSurge,
        Hazard::Earthquake,
        Hazard::Tsunami,
        Hazard::Fire,
        Hazard::InlandFlood,
        Hazard::Volcano,
    ];
}

/// Properties of a shelter, as in the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ShelterProps {
    /// Display name.
    pub name: String,
    /// Legal kind.
    pub kind: ShelterKind,
    /// Hazards the site is designated for.
    #[serde(default)]
    pub hazards: Vec<Hazard>,
    /// People it holds.
    #[serde(default, deserialize_with = "super::whole::opt_u32")]
    pub capacity_people: Option<u32>,
    /// Step-free, wheelchair accessible.
    #[serde(default)]
    pub accessible: bool,
    /// 受入対象者 (who it takes in), free text.
    #[serde(default)]
    pub accepts: Option<String>,
    /// On-site power points.
    #[serde(default)]
    pub power_point_ids: Vec<String>,
    /// 共通ID of the national designation data.
    #[serde(default)]
    pub gsi_id: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// District (町字).
    #[serde(default)]
    pub district: Option<String>,
    /// Phone or other contact.
    #[serde(default)]
    pub contact: Option<String>,
}

impl Resource for ShelterProps {
    const COLLECTION: &'static str = "shelters";
    const ID_PREFIX: &'static str = "sh";

    fn validate(&self, check: &mut Checker) {
        check.name("name", &self.name);
        check.unique("hazards", &self.hazards);
        for (i, id) in self.power_point_ids.iter().enumerate() {
            if let Err(m) = super::validate_id(id) {
                check.fail(format!("power_point_ids[{i}]"), m);
            }
        }
        check.text_limits(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_feature;
    use serde_json::json;

    #[test]
    fn hazards_use_the_national_vocabulary() {
        let f = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [140.0, 35.8]},
                       "properties": {"name": "白井第一小学校", "kind": "designated", "hazards": ["earthquake", "inland_flood"]}});
        let (id, _, _, s) = parse_feature::<ShelterProps>(&f).unwrap();
        assert_eq!(id, None);
        assert_eq!(s.hazards, [Hazard::Earthquake, Hazard::InlandFlood]);
        let bad = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [140.0, 35.8]},
                         "properties": {"name": "x", "kind": "designated", "hazards": ["meteor"]}});
        assert_eq!(parse_feature::<ShelterProps>(&bad).unwrap_err()[0].field, "properties.hazards[0]");
        let twice = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [140.05, 35.79]},
                           "properties": {"name": "x", "kind": "designated", "hazards": ["fire", "flood", "fire"]}});
        assert_eq!(parse_feature::<ShelterProps>(&twice).unwrap_err()[0].field, "properties.hazards[2]");
    }
}
