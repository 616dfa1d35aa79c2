//! Hazard zones (洪水浸水想定区域, 土砂災害警戒区域, 高潮, 津波 …): polygons with a hazard and a
//! severity, what a home or a shelter inside them is exposed to, and the order in which
//! 個別避難計画 should be made (内閣府's guideline: the hazard at home and the person's
//! condition first).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Checker, ChildProps, Hazard};

/// The hazards whose `level` is the national depth rank (1–6).
pub fn is_water(hazard: Hazard) -> bool {
    matches!(hazard, Hazard::Flood | Hazard::StormSurge | Hazard::Tsunami | Hazard::InlandFlood)
}

/// Landslide levels: 1 = 警戒区域 (yellow), 2 = 特別警戒区域 (red).
pub const LANDSLIDE_SPECIAL: u8 = 2;

/// The lower bound, metres, of a national depth rank: 1 = < 0.5 m, 2 = 0.5–3 m, 3 = 3–5 m,
/// 4 = 5–10 m, 5 = 10–20 m, 6 = ≥ 20 m.
pub fn rank_depth_m(rank: u8) -> Option<f64> {
    [0.0, 0.5, 3.0, 5.0, 10.0, 20.0].get(usize::from(rank).checked_sub(1)?).copied()
}

/// The highest level a hazard's zones may have.
pub fn max_level(hazard: Hazard) -> u8 {
    if hazard == Hazard::Landslide { LANDSLIDE_SPECIAL } else { 6 }
}

/// A zone's properties as stored and answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneProps {
    /// What comes: the shelters' hazard vocabulary.
    pub hazard: Hazard,
    /// For water the national depth rank 1–6; for landslide 1 = 警戒区域, 2 = 特別警戒区域.
    #[schema(minimum = 1, maximum = 6)]
    pub level: u8,
    /// The rank's lower bound in metres (derived for water when absent), or null.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub depth_m: Option<f64>,
    /// What the source calls the zone (河川名, 区域名).
    #[serde(default)]
    pub name: Option<String>,
    /// Where it came from (`A31a-2023`, `city`, `demo`).
    #[serde(default)]
    pub source: Option<String>,
}

impl ZoneProps {
    /// A level the hazard has, a depth that fits it, bounded texts; fills the depth of a
    /// water rank when none was given.
    pub fn checked(mut self, check: &mut Checker) -> Self {
        let top = max_level(self.hazard);
        if !(1..=top).contains(&self.level) {
            check.fail("properties.level", format!("must be 1–{top} for {}", self.hazard.label_ja()));
        }
        match self.depth_m {
            Some(d) if !(d.is_finite() && (0.0..=100.0).contains(&d)) => {
                check.fail("properties.depth_m", "must be a number of metres from 0 to 100");
            }
            None if is_water(self.hazard) => self.depth_m = rank_depth_m(self.level),
            _ => {}
        }
        check.text_limits(&self);
        self
    }
}

/// A zone: its properties and its shape (lon/lat, holes allowed).
#[derive(Debug, Clone, PartialEq)]
pub struct HazardZone {
    /// Stable identifier.
    pub id: String,
    /// Hazard, level, depth, name, source.
    pub props: ZoneProps,
    /// Polygons in WGS 84 lon/lat, already checked (closed, not crossing).
    pub geometry: geo::MultiPolygon<f64>,
}

impl HazardZone {
    /// Severity within a hazard, larger first: the level, then the depth.
    fn severity(&self) -> (u8, i64) {
        (self.props.level, self.props.depth_m.map_or(-1, |d| (d * 100.0) as i64))
    }

    /// Orders zones most severe first (then by id, so answers are stable).
    pub fn most_severe_first(a: &HazardZone, b: &HazardZone) -> std::cmp::Ordering {
        b.severity().cmp(&a.severity()).then_with(|| a.id.cmp(&b.id))
    }
}

/// The change feed's name for zone writes.
pub const HAZARD_ZONES: &str = "hazard_zones";

/// A checked GeoJSON Polygon or MultiPolygon as polygons; `None` for anything else. The
/// checks (closed rings, no crossings) are the caller's: this only reads positions.
pub fn polygons_of(geometry: &serde_json::Value) -> Option<geo::MultiPolygon<f64>> {
    use geo::{LineString, Polygon};
    let ring = |r: &serde_json::Value| -> Option<LineString<f64>> {
        let pts: Option<Vec<(f64, f64)>> =
            r.as_array()?.iter().map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect();
        Some(LineString::from(pts?))
    };
    let polygon = |p: &serde_json::Value| -> Option<Polygon<f64>> {
        let mut rings = p.as_array()?.iter().map(ring);
        let outer = rings.next()??;
        Some(Polygon::new(outer, rings.collect::<Option<Vec<_>>>()?))
    };
    let coords = geometry.get("coordinates")?;
    let polygons = match geometry.get("type")?.as_str()? {
        "Polygon" => vec![polygon(coords)?],
        "MultiPolygon" => coords.as_array()?.iter().map(polygon).collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(geo::MultiPolygon(polygons))
}

/// Polygons as GeoJSON: a Polygon when there is one, else a MultiPolygon.
pub fn geometry_json(shape: &geo::MultiPolygon<f64>) -> serde_json::Value {
    let ring = |l: &geo::LineString<f64>| l.coords().map(|c| [c.x, c.y]).collect::<Vec<_>>();
    let polygon = |p: &geo::Polygon<f64>| {
        std::iter::once(ring(p.exterior())).chain(p.interiors().iter().map(ring)).collect::<Vec<_>>()
    };
    match shape.0.as_slice() {
        [one] => serde_json::json!({"type": "Polygon", "coordinates": polygon(one)}),
        many => {
            serde_json::json!({"type": "MultiPolygon", "coordinates": many.iter().map(polygon).collect::<Vec<_>>()})
        }
    }
}

impl HazardZone {
    /// The Feature a client sees.
    pub fn to_feature(&self) -> serde_json::Value {
        serde_json::json!({"type": "Feature", "id": self.id, "geometry": geometry_json(&self.geometry),
                           "properties": self.props})
    }
}

/// One hazard a place is exposed to: the most severe zone of that hazard covering it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Exposure {
    /// The hazard.
    pub hazard: Hazard,
    /// The zone's level.
    pub level: u8,
    /// The zone's depth, metres, or null.
    pub depth_m: Option<f64>,
    /// The zone.
    pub zone_id: String,
}

impl Exposure {
    /// Water of depth rank 3 (3 m) or more, or a landslide 特別警戒区域: 内閣府's first tier.
    pub fn is_grave(&self) -> bool {
        (is_water(self.hazard) && self.level >= 3)
            || (self.hazard == Hazard::Landslide && self.level >= LANDSLIDE_SPECIAL)
    }
}

/// The exposure of a place covered by `zones`: per hazard its most severe zone, the most
/// severe hazards first.
pub fn exposure_of<'z>(zones: impl IntoIterator<Item = &'z HazardZone>) -> Vec<Exposure> {
    let mut zones: Vec<&HazardZone> = zones.into_iter().collect();
    zones.sort_by(|a, b| HazardZone::most_severe_first(a, b));
    let mut out: Vec<Exposure> = Vec::new();
    for z in zones {
        if !out.iter().any(|e| e.hazard == z.props.hazard) {
            out.push(Exposure {
                hazard: z.props.hazard,
                level: z.props.level,
                depth_m: z.props.depth_m,
                zone_id: z.id.clone(),
            });
        }
    }
    out
}

/// Why a child's plan comes early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorityReason {
    /// Home in a landslide 特別警戒区域.
    LandslideSpecial,
    /// Home in a flood, storm-surge or tsunami zone of depth rank 3 (3 m) or more.
    DeepWater,
    /// A life-critical device with less than [`SHORT_BATTERY_H`] hours of battery.
    ShortBattery,
    /// Home in any hazard zone.
    HazardZone,
    /// Any life-critical device.
    LifeCritical,
}

/// Batteries shorter than this (hours) put a child in the first tier.
pub const SHORT_BATTERY_H: f64 = 12.0;

/// The tier (1 first) and every reason that applies, from the home's exposure and the
/// child's devices.
pub fn priority(child: &ChildProps, exposure: &[Exposure]) -> (u8, Vec<PriorityReason>) {
    let mut reasons = Vec::new();
    if exposure.iter().any(|e| e.hazard == Hazard::Landslide && e.level >= LANDSLIDE_SPECIAL) {
        reasons.push(PriorityReason::LandslideSpecial);
    }
    if exposure.iter().any(|e| is_water(e.hazard) && e.level >= 3) {
        reasons.push(PriorityReason::DeepWater);
    }
    if child.autonomy_h().is_some_and(|h| h < SHORT_BATTERY_H) {
        reasons.push(PriorityReason::ShortBattery);
    }
    if !exposure.is_empty() {
        reasons.push(PriorityReason::HazardZone);
    }
    if child.life_critical().next().is_some() {
        reasons.push(PriorityReason::LifeCritical);
    }
    let first = [PriorityReason::LandslideSpecial, PriorityReason::DeepWater, PriorityReason::ShortBattery];
    let tier = if reasons.iter().any(|r| first.contains(r)) {
        1
    } else if reasons.is_empty() {
        3
    } else {
        2
    };
    (tier, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, MultiPolygon, Polygon};

    fn zone(id: &str, hazard: Hazard, level: u8) -> HazardZone {
        let mut check = Checker::default();
        let props = ZoneProps { hazard, level, depth_m: None, name: None, source: None }.checked(&mut check);
        assert!(check.errors.is_empty(), "{:?}", check.errors);
        let square = Polygon::new(LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]), vec![]);
        HazardZone { id: id.into(), props, geometry: MultiPolygon(vec![square]) }
    }

    fn child(battery_h: &[(f64, bool)]) -> ChildProps {
        let devices: Vec<_> = battery_h
            .iter()
            .map(|&(h, critical)| {
                serde_json::json!({"kind": "ventilator", "rated_w": 100, "input": "ac100v", "battery_h": h, "life_critical": critical})
            })
            .collect();
        serde_json::from_value(serde_json::json!({"name": "c", "devices": devices})).unwrap()
    }

    #[test]
    fn a_water_rank_gets_its_depth_and_levels_are_bounded_by_hazard() {
        assert_eq!(zone("z", Hazard::Flood, 3).props.depth_m, Some(3.0));
        assert_eq!(zone("z", Hazard::Tsunami, 6).props.depth_m, Some(20.0));
        assert_eq!(zone("z", Hazard::Landslide, 2).props.depth_m, None);
        let mut check = Checker::default();
        ZoneProps { hazard: Hazard::Landslide, level: 3, depth_m: None, name: None, source: None }.checked(&mut check);
        ZoneProps { hazard: Hazard::Flood, level: 0, depth_m: Some(f64::NAN), name: None, source: None }
            .checked(&mut check);
        let fields: Vec<&str> = check.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["properties.level", "properties.level", "properties.depth_m"]);
    }

    #[test]
    fn exposure_keeps_the_most_severe_zone_of_each_hazard() {
        let zones = [zone("f2", Hazard::Flood, 2), zone("l1", Hazard::Landslide, 1), zone("f4", Hazard::Flood, 4)];
        let e = exposure_of(&zones);
        let got: Vec<(Hazard, u8, &str)> = e.iter().map(|e| (e.hazard, e.level, e.zone_id.as_str())).collect();
        assert_eq!(got, [(Hazard::Flood, 4, "f4"), (Hazard::Landslide, 1, "l1")]);
        assert!(e[0].is_grave() && !e[1].is_grave());
    }

    #[test]
    fn tiers_follow_hazard_at_home_and_battery() {
        use PriorityReason::*;
        let deep = exposure_of(&[zone("f", Hazard::Flood, 3)]);
        let shallow = exposure_of(&[zone("f", Hazard::Flood, 2)]);
        let red = exposure_of(&[zone("l", Hazard::Landslide, 2)]);
        let (well, short, none) =
            (child(&[(24.0, true)]), child(&[(8.0, true), (30.0, false)]), child(&[(2.0, false)]));
        assert_eq!(priority(&well, &deep), (1, vec![DeepWater, HazardZone, LifeCritical]));
        assert_eq!(priority(&none, &red), (1, vec![LandslideSpecial, HazardZone]));
        assert_eq!(priority(&short, &[]), (1, vec![ShortBattery, LifeCritical]));
        assert_eq!(priority(&well, &shallow), (2, vec![HazardZone, LifeCritical]));
        assert_eq!(priority(&none, &shallow), (2, vec![HazardZone]));
        assert_eq!(priority(&well, &[]), (2, vec![LifeCritical]));
        assert_eq!(priority(&none, &[]), (3, vec![]));
    }
}
