//! GeoJSON Feature ⇄ typed resource, with errors that name the field.
//!
//! Parsing is done by hand on `serde_json::Value` (not by a derive) so that every problem
//! — a missing geometry, a latitude of 95, an unknown outlet type — comes back with the
//! path a client can act on (`geometry.coordinates`, `properties.outlets[0].type`).

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use super::Checker;

/// One problem with one field of one Feature; `field` is a path such as `properties.outlets`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path of the offending field inside the Feature.
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

impl FieldError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A resource's properties: the part of a Feature that is neither id nor geometry.
pub trait Resource: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// Collection name in URLs, tables and messages (`power_points`).
    const COLLECTION: &'static str;
    /// Prefix of server-assigned ids, so an id tells what it names.
    const ID_PREFIX: &'static str;

    /// Checks the rules serde cannot express (ranges, lengths, at least one outlet).
    fn validate(&self, check: &mut Checker);

    /// Read-only fields computed from the stored ones, added to every answer.
    fn derived(&self) -> Map<String, Value> {
        Map::new()
    }
}

/// A resource at a place: what the store keeps and the index holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<P> {
    /// Stable identifier, `[A-Za-z0-9._-]{1,64}`.
    pub id: String,
    /// WGS 84 longitude in degrees.
    pub lon: f64,
    /// WGS 84 latitude in degrees.
    pub lat: f64,
    /// Everything else.
    pub props: P,
}

impl<P: Resource> Located<P> {
    /// The Feature a client sees: stored properties plus the derived ones.
    pub fn to_feature(&self) -> geojson::Feature {
        self.to_feature_with(Map::new())
    }

    /// The Feature with extra per-answer properties (`distance_m`, …) appended.
    pub fn to_feature_with(&self, extra: Map<String, Value>) -> geojson::Feature {
        let mut properties = match serde_json::to_value(&self.props) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        properties.extend(self.props.derived());
        properties.extend(extra);
        geojson::Feature {
            bbox: None,
            geometry: Some(geojson::Geometry::new_point([self.lon, self.lat])),
            id: Some(geojson::feature::Id::String(self.id.clone())),
            properties: Some(properties),
            foreign_members: None,
        }
    }
}

/// Checks an id against the contract's `[A-Za-z0-9._-]{1,64}`.
pub fn validate_id(id: &str) -> Result<(), String> {
    let ok_len = (1..=64).contains(&id.len());
    let ok_chars = id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if matches!(id, "." | "..") {
        // They match the pattern, but URLs normalise them away: such a record could never be read.
        return Err("must not be . or .. (a URL cannot name it)".to_owned());
    }
    if ok_len && ok_chars { Ok(()) } else { Err("must match [A-Za-z0-9._-]{1,64}".to_owned()) }
}

/// Checks a WGS 84 position; the message names `lat` or `lon` as the contract's examples do.
pub fn validate_lon_lat(lon: f64, lat: f64) -> Result<(), String> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err("lat must be between -90 and 90".to_owned());
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err("lon must be between -180 and 180".to_owned());
    }
    Ok(())
}

/// A parsed Feature: the id is `None` when the client left it to the server.
pub type Parsed<P> = (Option<String>, f64, f64, P);

/// Parses and validates one Feature, collecting every field error.
pub fn parse_feature<P: Resource>(value: &Value) -> Result<Parsed<P>, Vec<FieldError>> {
    let mut check = Checker::default();
    let Some(obj) = value.as_object() else {
        return Err(vec![FieldError::new("", "must be a GeoJSON Feature object")]);
    };
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        check.fail("type", "must be \"Feature\"");
    }
    let id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            if let Err(m) = validate_id(s) {
                check.fail("id", m);
            }
            Some(s.clone())
        }
        Some(_) => {
            check.fail("id", "must be a string");
            None
        }
    };
    let position = parse_point(obj.get("geometry"), &mut check);
    let props = match obj.get("properties") {
        Some(given @ Value::Object(_)) => parse_properties::<P>(given, &mut check),
        _ => {
            check.fail("properties", "must be an object");
            None
        }
    };
    match (check.finish(), position, props) {
        (Ok(()), Some((lon, lat)), Some(props)) => Ok((id, lon, lat, props)),
        (Err(errors), _, _) => Err(errors),
        _ => Err(vec![FieldError::new("", "invalid Feature")]),
    }
}

/// Typed properties from a JSON object, every problem recorded under `properties.…`.
///
/// An explicit `null` counts as "not given", so the contract's defaults apply (GIS exports
/// write nulls for empty attributes); a required field that is null is reported missing.
fn parse_properties<P: Resource>(given: &Value, check: &mut Checker) -> Option<P> {
    match given {
        Value::Object(map) if map.values().any(Value::is_null) => {
            let present: Map<String, Value> =
                map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect();
            parse_present::<P>(&Value::Object(present), check)
        }
        _ => parse_present::<P>(given, check),
    }
}

fn parse_present<P: Resource>(given: &Value, check: &mut Checker) -> Option<P> {
    match serde_path_to_error::deserialize::<_, P>(given) {
        Ok(props) => {
            if let Ok(stored) = serde_json::to_value(&props) {
                let mut path = String::from("properties");
                objects_where_expected(given, &stored, &mut path, check);
            }
            let mut inner = Checker::default();
            props.validate(&mut inner);
            for e in inner.errors {
                check.fail(format!("properties.{}", e.field), e.message);
            }
            Some(props)
        }
        Err(e) => {
            let message = e.inner().to_string();
            let mut field = match e.path().to_string() {
                p if p == "." => "properties".to_owned(),
                p => format!("properties.{p}"),
            };
            // serde reports a missing field at its parent; name the field itself.
            if let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
                field = format!("{field}.{missing}");
            }
            check.fail(field, message);
            None
        }
    }
}

/// serde's derive also fills a struct from a JSON array (`[["usb", 2, 10]]` as an outlet);
/// the contract's fields are objects, so wherever the typed value is an object the input
/// must have been one too.
fn objects_where_expected(given: &Value, stored: &Value, path: &mut String, check: &mut Checker) {
    match (given, stored) {
        (Value::Object(g), Value::Object(s)) => {
            for (key, s_value) in s {
                if let Some(g_value) = g.get(key) {
                    let len = path.len();
                    path.push('.');
                    path.push_str(key);
                    objects_where_expected(g_value, s_value, path, check);
                    path.truncate(len);
                }
            }
        }
        (Value::Array(g), Value::Array(s)) => {
            for (i, (g_value, s_value)) in g.iter().zip(s).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                objects_where_expected(g_value, s_value, path, check);
                path.truncate(len);
            }
        }
        (_, Value::Object(_)) => check.fail(path.clone(), "must be an object"),
        _ => {}
    }
}

fn parse_point(geometry: Option<&Value>, check: &mut Checker) -> Option<(f64, f64)> {
    let Some(geom) = geometry.and_then(Value::as_object) else {
        check.fail("geometry", "must be a GeoJSON Point");
        return None;
    };
    if geom.get("type").and_then(Value::as_str) != Some("Point") {
        check.fail("geometry.type", "must be \"Point\"");
        return None;
    }
    let coords = geom.get("coordinates").and_then(Value::as_array);
    let pair = coords.and_then(|c| match c.as_slice() {
        [lon, lat] => Some((lon.as_f64()?, lat.as_f64()?)),
        [lon, lat, height] => height.as_f64().and(Some((lon.as_f64()?, lat.as_f64()?))),
        _ => None,
    });
    let Some((lon, lat)) = pair else {
        check.fail("geometry.coordinates", "must be [lon, lat] or [lon, lat, height] numbers");
        return None;
    };
    match validate_lon_lat(lon, lat) {
        Ok(()) => Some((lon, lat)),
        Err(m) => {
            check.fail("geometry.coordinates", m);
            None
        }
    }
}

/// Why a Feature or FeatureCollection was refused as a whole.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyError {
    /// More than [`super::MAX_FEATURES`] features.
    TooMany(usize),
    /// Invalid features: (index in the collection, field error), in order.
    Invalid(Vec<(usize, FieldError)>),
}

/// Parses one Feature or a FeatureCollection, all or nothing; ids missing from the input
/// come from `new_id`, and an id repeated within the input is an error of the later one.
///
/// Returns the resources and whether the input was a collection.
pub fn parse_features<P: Resource>(
    body: &Value,
    mut new_id: impl FnMut() -> String,
) -> Result<(Vec<Located<P>>, bool), BodyError> {
    let is_collection = body.get("type").and_then(Value::as_str) == Some("FeatureCollection");
    let raw: Vec<&Value> = if is_collection {
        let Some(features) = body.get("features").and_then(Value::as_array) else {
            return Err(BodyError::Invalid(vec![(0, FieldError::new("features", "must be an array of Features"))]));
        };
        if features.len() > super::MAX_FEATURES {
            return Err(BodyError::TooMany(features.len()));
        }
        features.iter().collect()
    } else {
        vec![body]
    };
    let mut errors = Vec::new();
    let mut items = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::new();
    for (index, value) in raw.into_iter().enumerate() {
        match parse_feature::<P>(value) {
            Ok((id, lon, lat, props)) => {
                let id = id.unwrap_or_else(&mut new_id);
                if !seen.insert(id.clone()) {
                    errors.push((index, FieldError::new("id", format!("duplicate id {id} in this collection"))));
                }
                items.push(Located { id, lon, lat, props });
            }
            Err(errs) => errors.extend(errs.into_iter().map(|e| (index, e))),
        }
    }
    if errors.is_empty() { Ok((items, is_collection)) } else { Err(BodyError::Invalid(errors)) }
}

/// A fresh server-assigned id such as `pp-3f9a0c2b71d4e8a6`: the prefix tells what it names.
pub fn new_id<P: Resource>() -> String {
    format!("{}-{:016x}", P::ID_PREFIX, rand::random::<u64>())
}
