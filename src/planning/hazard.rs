//! Hazard zones as they arrive — the API's GeoJSON, or the national data's attributes — read
//! into checked zones with errors that name the feature and the field; and the plan priority
//! list built from the zone index and the children.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::area::parse_area;
use super::incident_input::{Problems, features_of, new_id};
use crate::domain::ChildProps;
use crate::domain::hazard_zone::{HazardZone, PriorityReason, ZoneProps, priority};
use crate::domain::plan::PlanStatus;
use crate::domain::{Checker, FieldError, Hazard, validate_id};
use crate::spatial::{Catalog, Entry};

/// How to read a feature's properties: the API's names, or the national data's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoneHint {
    /// The hazard of every zone in the file when its attributes do not say (`--hazard`).
    pub hazard: Option<Hazard>,
}

/// The zones of a Feature or a FeatureCollection, all checked; every problem at once.
pub fn parse_zones(body: &Value, hint: ZoneHint) -> Result<(Vec<HazardZone>, bool), Problems> {
    let (features, is_collection) = features_of(body)?;
    let mut zones = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, f) in features.into_iter().enumerate() {
        match parse_zone(f, hint) {
            Ok(z) if !seen.insert(z.id.clone()) => {
                problems.push((index, FieldError::new("id", format!("duplicate id {} in this collection", z.id))));
            }
            Ok(z) => zones.push(z),
            Err(errors) => problems.extend(errors.into_iter().map(|e| (index, e))),
        }
    }
    if problems.is_empty() { Ok((zones, is_collection)) } else { Err(problems) }
}

/// One zone Feature.
pub fn parse_zone(feature: &Value, hint: ZoneHint) -> Result<HazardZone, Vec<FieldError>> {
    let fail = |field: &str, message: String| vec![FieldError::new(field, message)];
    let f = feature.as_object().ok_or_else(|| fail("", "must be a GeoJSON Feature object".into()))?;
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(fail("type", "must be \"Feature\"".into()));
    }
    let id = match f.get("id") {
        None | Some(Value::Null) => new_id("hz"),
        Some(Value::String(s)) => validate_id(s).map(|()| s.clone()).map_err(|m| fail("id", m))?,
        Some(_) => return Err(fail("id", "must be a string".into())),
    };
    let geometry = f.get("geometry").filter(|g| g.is_object()).ok_or_else(|| fail("geometry", "is required".into()))?;
    let geometry = parse_area(geometry).map_err(|e| fail("geometry", e.0))?;
    let empty = Map::new();
    let props = f.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    let props: Map<String, Value> =
        props.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect();
    let props = national(props, hint);
    let props: ZoneProps = serde_json::from_value(Value::Object(props)).map_err(|e| {
        let message = e.to_string();
        let field = message.split('`').nth(1).filter(|_| message.contains("field")).unwrap_or("properties");
        fail(&format!("properties.{field}").replace("properties.properties", "properties"), message)
    })?;
    let mut check = Checker::default();
    let props = props.checked(&mut check);
    if !check.errors.is_empty() {
        return Err(check.errors);
    }
    Ok(HazardZone { id, props, geometry })
}

/// The national data's attributes read as the API's: 洪水浸水想定区域 A31a (`A31a_205` the
/// 想定最大規模 depth rank, else `A31a_105` 計画規模), 土砂災害警戒区域 A33 (`A33_002` 区域区分
/// 1 警戒 / 2 特別警戒), the hint's hazard for the rest. Attributes it does not know stay out
/// of the zone (the source's own columns are not ours to keep); names already the API's win.
fn national(mut props: Map<String, Value>, hint: ZoneHint) -> Map<String, Value> {
    let code = |props: &Map<String, Value>, key: &str| -> Option<i64> {
        match props.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let mut out = Map::new();
    let rank = code(&props, "A31a_205").or_else(|| code(&props, "A31a_105"));
    let landslide = code(&props, "A33_002");
    let (hazard, level) = match (rank, landslide) {
        (Some(r), _) => (Some(Hazard::Flood), Some(r)),
        (None, Some(l)) => (Some(Hazard::Landslide), Some(l)),
        (None, None) => (hint.hazard, None),
    };
    if let Some(h) = hazard.and_then(|h| serde_json::to_value(h).ok()) {
        out.insert("hazard".into(), h);
    }
    if let Some(l) = level {
        out.insert("level".into(), Value::from(l));
    }
    for key in ["hazard", "level", "depth_m", "name", "source"] {
        if let Some(v) = props.remove(key) {
            out.insert(key.into(), v);
        }
    }
    // Anything else the API does not know is refused, as for the other resources, unless the
    // file is the national data (its other columns are ignored).
    if rank.is_none() && landslide.is_none() {
        out.extend(props.into_iter().filter(|(k, _)| !k.starts_with("A31a_") && !k.starts_with("A33_")));
    }
    out
}

/// One child's place in the order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PriorityRow {
    /// The child.
    pub child_id: String,
    /// 1 first.
    pub tier: u8,
    /// Every reason that applies.
    pub reasons: Vec<PriorityReason>,
    /// The current plan's status; null without a plan.
    pub plan_status: Option<PlanStatus>,
    /// Hours of the shortest life-critical battery (the order within a tier); null if none.
    pub autonomy_h: Option<f64>,
}

/// The plan priority list: each child's tier and reasons from the zones at home and its
/// devices, tier 1 first, then the shortest life-critical battery, then id.
pub fn priority_list(
    catalog: &Catalog,
    children: &[Entry<ChildProps>],
    plans: &std::collections::HashMap<String, crate::domain::plan::Plan>,
) -> Vec<PriorityRow> {
    let mut rows: Vec<PriorityRow> = children
        .iter()
        .map(|c| {
            let (tier, reasons) = priority(&c.props, &catalog.exposure_at(c.lon, c.lat));
            let plan_status = plans.get(&c.id).map(|p| p.body.status);
            PriorityRow { child_id: c.id.clone(), tier, reasons, plan_status, autonomy_h: c.props.autonomy_h() }
        })
        .collect();
    rows.sort_by(|a, b| {
        let battery = |r: &PriorityRow| r.autonomy_h.unwrap_or(f64::INFINITY);
        a.tier.cmp(&b.tier).then(battery(a).total_cmp(&battery(b))).then_with(|| a.child_id.cmp(&b.child_id))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(props: Value) -> Value {
        json!({"type": "Feature", "geometry": {"type": "Polygon",
               "coordinates": [[[140.0, 35.7], [140.1, 35.7], [140.1, 35.8], [140.0, 35.8], [140.0, 35.7]]]},
               "properties": props})
    }

    #[test]
    fn national_attributes_are_read_as_hazard_and_level() {
        let flood =
            parse_zone(&square(json!({"A31a_205": 3, "A31a_105": 2, "A31a_001": "神崎川"})), ZoneHint::default())
                .unwrap();
        assert_eq!((flood.props.hazard, flood.props.level, flood.props.depth_m), (Hazard::Flood, 3, Some(3.0)));
        let slide = parse_zone(&square(json!({"A33_001": "2", "A33_002": "2"})), ZoneHint::default()).unwrap();
        assert_eq!((slide.props.hazard, slide.props.level), (Hazard::Landslide, 2));
        let hinted = ZoneHint { hazard: Some(Hazard::Tsunami) };
        let tsunami = parse_zone(&square(json!({"level": 4})), hinted).unwrap();
        assert_eq!((tsunami.props.hazard, tsunami.props.depth_m), (Hazard::Tsunami, Some(5.0)));
    }

    #[test]
    fn every_bad_feature_is_named_and_nothing_is_kept() {
        let ring_open = json!({"type": "Feature", "geometry": {"type": "Polygon",
            "coordinates": [[[140.0, 35.7], [140.1, 35.7], [140.1, 35.8], [140.0, 35.8]]]},
            "properties": {"hazard": "flood", "level": 2}});
        let body = json!({"type": "FeatureCollection", "features": [
            square(json!({"hazard": "flood", "level": 2})),
            ring_open,
            square(json!({"hazard": "landslide", "level": 3})),
            square(json!({"level": 1})),
            square(json!({"hazard": "flood", "level": 1, "colour": "blue"})),
        ]});
        let problems = parse_zones(&body, ZoneHint::default()).unwrap_err();
        let got: Vec<(usize, &str)> = problems.iter().map(|(i, e)| (*i, e.field.as_str())).collect();
        assert_eq!(got, [(1, "geometry"), (2, "properties.level"), (3, "properties.hazard"), (4, "properties.colour")]);
    }

    #[test]
    fn the_priority_list_orders_by_tier_then_battery_then_id() {
        use crate::domain::Located;
        let child = |id: &str, lon: f64, battery_h: f64| -> Entry<ChildProps> {
            let props = json!({"name": id, "devices": [{"kind": "ventilator", "rated_w": 100, "input": "ac100v",
                "battery_h": battery_h, "life_critical": true}]});
            std::sync::Arc::new(Located {
                id: id.into(),
                lon,
                lat: 35.75,
                props: serde_json::from_value(props).unwrap(),
            })
        };
        let catalog = Catalog::default();
        catalog.load_zones(vec![
            parse_zone(&square(json!({"hazard": "flood", "level": 3})), ZoneHint::default()).unwrap(),
        ]);
        // b and c in the deep zone (tier 1), a short battery outside (tier 1), d and e outside (tier 2).
        let children = [
            child("e", 141.0, 30.0),
            child("d", 141.0, 30.0),
            child("c", 140.05, 20.0),
            child("b", 140.05, 20.0),
            child("a", 141.0, 4.0),
        ];
        let rows = priority_list(&catalog, &children, &Default::default());
        let got: Vec<(&str, u8)> = rows.iter().map(|r| (r.child_id.as_str(), r.tier)).collect();
        assert_eq!(got, [("a", 1), ("b", 1), ("c", 1), ("d", 2), ("e", 2)]);
        assert_eq!(
            rows[1].reasons,
            [PriorityReason::DeepWater, PriorityReason::HazardZone, PriorityReason::LifeCritical]
        );
    }
}
