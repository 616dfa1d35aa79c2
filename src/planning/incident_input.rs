//! Bodies of the incident routes, parsed into domain values with errors that name the field
//! (and the feature's index in a collection), so a desk gets every problem at once and a bad
//! body stores nothing. `now` is a parameter: a time left out means "now", and tests fix it.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::area::parse_area;
use crate::domain::incident::{Incident, OutageArea, PowerReport, WelfareCheck};
use crate::domain::{FieldError, MAX_FEATURES, validate_id};

/// Field errors with the index of the feature they belong to (0 for a single body).
pub type Problems = Vec<(usize, FieldError)>;

/// A fresh id such as `out-3f9a0c2b71d4e8a6`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{:016x}", rand::random::<u64>())
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problems {
    vec![(0, FieldError::new(field, message))]
}

/// The body as an object, with explicit nulls dropped (null means "not given").
fn object(body: &Value) -> Result<Map<String, Value>, Problems> {
    let map = body.as_object().ok_or_else(|| problem("body", "must be a JSON object"))?;
    Ok(map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// A typed value from an object, the failing field named by its path under `prefix`.
fn typed<T: DeserializeOwned>(map: Map<String, Value>, prefix: &str) -> Result<T, Problems> {
    serde_path_to_error::deserialize::<_, T>(Value::Object(map)).map_err(|e| {
        let message = e.inner().to_string();
        let path = e.path().to_string();
        let mut field = if path == "." { prefix.to_owned() } else { format!("{prefix}{path}") };
        // serde names a missing field at its parent; name the field itself.
        if let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
            if !field.is_empty() && !field.ends_with('.') {
                field.push('.');
            }
            field.push_str(missing);
        }
        let field = field.trim_end_matches('.');
        problem(if field.is_empty() { "body" } else { field }, message)
    })
}

fn with_index(index: usize, errors: Vec<FieldError>) -> Problems {
    errors.into_iter().map(|e| (index, e)).collect()
}

/// `POST /incidents`: `{"name", "started_at", "notes"?}`, an optional client `id`.
pub fn parse_incident(body: &Value) -> Result<Incident, Problems> {
    let mut map = object(body)?;
    let id = match map.remove("id") {
        None => new_id("inc"),
        Some(Value::String(s)) => validate_id(&s).map(|()| s).map_err(|m| problem("id", m))?,
        Some(_) => return Err(problem("id", "must be a string")),
    };
    map.insert("id".into(), Value::String(id));
    let incident: Incident = typed(map, "")?;
    incident.validate().map_err(|e| with_index(0, e))?;
    Ok(incident)
}

/// `PUT /incidents/{id}`: the fields given among `name`, `notes`, `closed_at` replace the
/// stored ones (`null` clears `notes` or `closed_at`); any other field is refused, so a
/// desk that believes it can move `started_at` is told it cannot.
pub fn apply_incident_change(current: Incident, body: &Value) -> Result<Incident, Vec<FieldError>> {
    let Some(map) = body.as_object() else { return Err(vec![FieldError::new("body", "must be a JSON object")]) };
    let mut next = current.clone();
    for (key, value) in map {
        match (key.as_str(), value) {
            ("id", Value::String(s)) if *s == current.id => {}
            ("started_at", Value::String(s)) if parse_time(s) == Some(current.started_at) => {}
            ("name", Value::String(s)) => next.name = s.clone(),
            ("notes", Value::Null) => next.notes = None,
            ("notes", Value::String(s)) => next.notes = Some(s.clone()),
            ("closed_at", Value::Null) => next.closed_at = None,
            ("closed_at", Value::String(s)) => {
                next.closed_at =
                    Some(parse_time(s).ok_or_else(|| vec![FieldError::new("closed_at", "must be an RFC 3339 time")])?);
            }
            ("name" | "notes" | "closed_at", _) => return Err(vec![FieldError::new(key.clone(), "must be a string")]),
            _ => return Err(vec![FieldError::new(key.clone(), "cannot be changed (only name, notes, closed_at)")]),
        }
    }
    next.validate()?;
    Ok(next)
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// The properties of an outage feature, as they arrive.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageProps {
    #[serde(with = "time::serde::rfc3339")]
    since: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    restored_at: Option<OffsetDateTime>,
    #[serde(default)]
    district: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    households: Option<u32>,
    /// Echoed back from a `GET`; must be this incident's.
    #[serde(default)]
    incident_id: Option<String>,
}

/// `POST /incidents/{id}/outages`: one Feature or a FeatureCollection, all or nothing. A
/// feature is a checked Polygon/MultiPolygon, or `geometry: null` with a district.
pub fn parse_outages(incident_id: &str, body: &Value) -> Result<(Vec<OutageArea>, bool), Problems> {
    let (features, is_collection) = features_of(body)?;
    let mut areas = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, f) in features.into_iter().enumerate() {
        match parse_outage(incident_id, None, f) {
            Ok(a) if !seen.insert(a.id.clone()) => {
                problems.push((index, FieldError::new("id", format!("duplicate id {} in this collection", a.id))));
            }
            Ok(a) => areas.push(a),
            Err(errors) => problems.extend(errors.into_iter().map(|(_, e)| (index, e))),
        }
    }
    if problems.is_empty() { Ok((areas, is_collection)) } else { Err(problems) }
}

/// The features of a body that is one Feature or a FeatureCollection (at most
/// [`MAX_FEATURES`]), and whether it was a collection.
pub fn features_of(body: &Value) -> Result<(Vec<&Value>, bool), Problems> {
    if body.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Ok((vec![body], false));
    }
    let list = body.get("features").and_then(Value::as_array);
    let list = list.ok_or_else(|| problem("features", "must be an array of Features"))?;
    if list.len() > MAX_FEATURES {
        return Err(problem("features", format!("at most {MAX_FEATURES} features")));
    }
    Ok((list.iter().collect(), true))
}

/// One outage Feature; `path_id` is the id a `PUT` names (the body's id must agree).
pub fn parse_outage(incident_id: &str, path_id: Option<&str>, feature: &Value) -> Result<OutageArea, Problems> {
    let f = feature.as_object().ok_or_else(|| problem("", "must be a GeoJSON Feature object"))?;
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(problem("type", "must be \"Feature\""));
    }
    let id = match (f.get("id"), path_id) {
        (None | Some(Value::Null), Some(p)) => p.to_owned(),
        (None | Some(Value::Null), None) => new_id("out"),
        (Some(Value::String(s)), Some(p)) if s != p => return Err(problem("id", "must equal the id in the path")),
        (Some(Value::String(s)), _) => validate_id(s).map(|()| s.clone()).map_err(|m| problem("id", m))?,
        (Some(_), _) => return Err(problem("id", "must be a string")),
    };
    let geometry = match f.get("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => {
            parse_area(g).map_err(|e| problem("geometry", e.0))?;
            Some(g.clone())
        }
    };
    let props =
        object(f.get("properties").unwrap_or(&Value::Null)).map_err(|_| problem("properties", "must be an object"))?;
    let p: OutageProps = typed(props, "properties.")?;
    if p.incident_id.as_deref().is_some_and(|i| i != incident_id) {
        return Err(problem("properties.incident_id", format!("must be {incident_id}, the incident in the path")));
    }
    let area = OutageArea {
        id,
        incident_id: incident_id.to_owned(),
        geometry,
        district: p.district.map(|d| d.trim().to_owned()),
        since: p.since,
        restored_at: p.restored_at,
        source: p.source,
        households: p.households,
    };
    area.validate().map_err(|e| with_index(0, e))?;
    Ok(area)
}

/// `POST /incidents/{id}/checks`: the child and the check; `at` defaults to `now`.
pub fn parse_check(body: &Value, now: OffsetDateTime) -> Result<(String, WelfareCheck), Problems> {
    let mut map = object(body)?;
    let child_id = match map.remove("child_id") {
        Some(Value::String(s)) => validate_id(&s).map(|()| s).map_err(|m| problem("child_id", m))?,
        Some(_) => return Err(problem("child_id", "must be a string")),
        None => return Err(problem("child_id", "is required")),
    };
    if let Some(Value::String(loc)) = map.get("location_id")
        && let Err(m) = validate_id(loc)
    {
        return Err(problem("location_id", m));
    }
    default_now(&mut map, now);
    let check: WelfareCheck = typed(map, "")?;
    check.validate().map_err(|e| with_index(0, e))?;
    not_ahead(check.at, now)?;
    Ok((child_id, check))
}

/// `POST /power-points/{id}/reports`; `at` defaults to `now`.
pub fn parse_report(body: &Value, now: OffsetDateTime) -> Result<PowerReport, Problems> {
    let mut map = object(body)?;
    default_now(&mut map, now);
    let report: PowerReport = typed(map, "")?;
    report.validate().map_err(|e| with_index(0, e))?;
    not_ahead(report.at, now)?;
    Ok(report)
}

/// How far ahead of the server's clock an `at` may be: a phone's clock that runs fast.
pub const MAX_CLOCK_SKEW_MIN: i64 = 5;

/// Refuses an `at` in the future: a check dated ahead would count as "reached" later
/// without anyone having called (and stop a door knock), a report would set a status nobody saw.
fn not_ahead(at: OffsetDateTime, now: OffsetDateTime) -> Result<(), Problems> {
    if at > now + time::Duration::minutes(MAX_CLOCK_SKEW_MIN) {
        return Err(problem("at", format!("must not be in the future (more than {MAX_CLOCK_SKEW_MIN} min ahead)")));
    }
    Ok(())
}

fn default_now(map: &mut Map<String, Value>, now: OffsetDateTime) {
    if !map.contains_key("at") {
        map.insert("at".into(), Value::String(now.format(&Rfc3339).unwrap_or_default()));
    }
}
