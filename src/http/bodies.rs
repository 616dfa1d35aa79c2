//! The shapes of the bodies the incident and live-report routes take, for the OpenAPI
//! document. The routes parse them field by field (`planning::incident_input`) so every
//! problem names its field; these types state the same rules to clients and to schemathesis.
//! What JSON Schema cannot say (one field against another, against the clock, against stored
//! records, or a ring that closes) is a 422 and is listed in `schemathesis.toml`.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::Status;
use crate::domain::incident::{CheckChannel, CheckStatus};

/// `POST /incidents`: a new incident; the server makes the id when none is given.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // read by the document only
pub struct NewIncident {
    /// Optional client id.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    id: Option<String>,
    /// What the desk calls it.
    name: String,
    /// When it began.
    #[schema(value_type = String, format = DateTime)]
    started_at: String,
    /// When it was closed (not before `started_at`).
    #[schema(value_type = Option<String>, format = DateTime)]
    closed_at: Option<String>,
    /// Free text.
    notes: Option<String>,
}

/// `PUT /incidents/{id}`: the fields given replace the stored ones; `null` clears `notes`
/// or `closed_at`. `id` and `started_at` may be echoed back but not changed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct IncidentChange {
    /// The incident's own id.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", nullable = false)]
    id: Option<String>,
    /// The stored start, unchanged.
    #[schema(value_type = Option<String>, format = DateTime, nullable = false)]
    started_at: Option<String>,
    /// A new name.
    #[schema(nullable = false)]
    name: Option<String>,
    /// New notes; `null` clears them.
    notes: Option<String>,
    /// Closes the incident (not before `started_at`); `null` while it is open.
    #[schema(value_type = Option<String>, format = DateTime)]
    closed_at: Option<String>,
}

/// `POST /incidents/{id}/checks`: a welfare check (安否確認). `status` is required when
/// `reached` is true and absent when it is false; `at` (default now) at most 5 min ahead.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CheckBody {
    /// The child checked on.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    child_id: String,
    /// When; absent: now.
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<String>,
    /// How.
    channel: CheckChannel,
    /// Whether anyone answered.
    reached: bool,
    /// What they said.
    status: Option<CheckStatus>,
    /// Hours of battery the family says are left.
    #[schema(minimum = 0, maximum = 100000)]
    battery_h_left: Option<f64>,
    /// Where the child is (a power point or shelter id).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    location_id: Option<String>,
    /// Free text.
    note: Option<String>,
}

/// `POST /power-points/{id}/reports`: the point's state now; `at` (default now) at most
/// 5 min ahead.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ReportBody {
    /// When it was true; absent: now.
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<String>,
    /// The point's status from then on.
    status: Status,
    /// Outlets free for another device.
    #[schema(minimum = 0, maximum = 2147483647)]
    free_outlets: Option<u32>,
    /// Hours of fuel or stored energy left.
    #[schema(minimum = 0, maximum = 100000)]
    fuel_h_left: Option<f64>,
    /// People waiting.
    #[schema(minimum = 0, maximum = 2147483647)]
    queue_people: Option<u32>,
    /// Free text.
    note: Option<String>,
}

/// The two shapes an outage area may have.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub enum AreaKind {
    Polygon,
    MultiPolygon,
}

/// A GeoJSON Polygon or MultiPolygon (closed rings that do not cross; holes allowed).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AreaGeometry {
    #[serde(rename = "type")]
    kind: AreaKind,
    /// Rings of `[lon, lat]` positions (a MultiPolygon: polygons of rings).
    #[schema(value_type = Vec<Vec<Object>>, min_items = 1)]
    coordinates: Vec<serde_json::Value>,
}

/// The properties of an outage area.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct OutageProperties {
    /// When power went out there.
    #[schema(value_type = String, format = DateTime)]
    since: String,
    /// When it came back (not before `since`).
    #[schema(value_type = Option<String>, format = DateTime)]
    restored_at: Option<String>,
    /// The 町字, required when `geometry` is null.
    district: Option<String>,
    /// Where the area came from (`tepco`, `drawn`, …).
    source: Option<String>,
    /// Households out, as the utility counts them.
    #[schema(minimum = 0, maximum = 2147483647)]
    households: Option<u32>,
    /// Echoed from a `GET`: must be the incident in the path.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    incident_id: Option<String>,
}

/// The one tag a Feature has.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub enum FeatureTag {
    Feature,
}

/// The one tag a FeatureCollection has.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub enum CollectionTag {
    FeatureCollection,
}

/// One outage area: a shape, or `geometry: null` with a district.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct OutageFeature {
    #[serde(rename = "type")]
    kind: FeatureTag,
    /// Absent or null: the server makes one (on a `PUT`, the path's).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    id: Option<String>,
    /// The dark area; null for a district.
    geometry: Option<AreaGeometry>,
    properties: OutageProperties,
}

/// Several outage areas, stored all or nothing (ids unique within it).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct OutageCollection {
    #[serde(rename = "type")]
    kind: CollectionTag,
    #[schema(max_items = 1000000)]
    features: Vec<OutageFeature>,
}

/// `POST /incidents/{id}/outages`: one area or a collection of them.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum OutageBody {
    One(OutageFeature),
    Many(OutageCollection),
}

/// One hazard zone: a Polygon or MultiPolygon and its hazard, level and depth.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ZoneFeature {
    #[serde(rename = "type")]
    kind: FeatureTag,
    /// Absent or null: the server makes one.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    id: Option<String>,
    geometry: AreaGeometry,
    #[schema(value_type = crate::domain::hazard_zone::ZoneProps)]
    properties: serde_json::Value,
}

/// Several zones, stored all or nothing (ids unique within it).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ZoneCollection {
    #[serde(rename = "type")]
    kind: CollectionTag,
    #[schema(max_items = 1000000)]
    features: Vec<ZoneFeature>,
}

/// `POST /hazard-zones`: one zone or a collection of them.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ZoneBody {
    One(ZoneFeature),
    Many(ZoneCollection),
}
