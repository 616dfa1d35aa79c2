//! Request parsing that always fails with the contract's JSON errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde_json::Value;

use super::{Error, Result};
use crate::domain::feature::validate_lon_lat;

/// A JSON body, read only when the handler asks for it, after its role check: an anonymous
/// or under-privileged caller gets 401/403 (not a parse error) and cannot make the server
/// buffer and parse a 64 MiB body.
pub struct JsonBody(Request);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self> {
        Ok(JsonBody(req))
    }
}

impl JsonBody {
    /// Reads and parses the body: 413 past the limit, 400 with line and column when it does
    /// not parse.
    pub async fn read(self) -> Result<Value> {
        let bytes = Bytes::from_request(self.0, &()).await.map_err(|rejection| {
            if rejection.into_response().status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge(format!("the body is over the {} MiB limit", super::MAX_BODY_BYTES >> 20))
            } else {
                Error::BadRequest { code: "invalid_body", message: "the body could not be read".into() }
            }
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::BadRequest { code: "invalid_json", message: format!("body is not valid JSON: {e}") })
    }
}

/// A typed query string: parsed with serde, checked by [`Check`], every failure a 400 that
/// names the parameter. Empty values (`k=`) count as absent, as browsers send them.
pub struct Query<T>(pub T);

/// Range and shape rules a query struct cannot say in its types.
pub trait Check {
    /// `Ok` when every parameter is acceptable; otherwise the 400 naming the first one.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

/// A text filter given empty (`?district=`, as an HTML form's 「すべて」 sends it) means no
/// filter. Only text filters say so: an empty number, flag, time or choice is refused, naming
/// the parameter, as the document's types require.
pub fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    let v: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(v.filter(|s| !s.is_empty()))
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Check> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        let raw = parts.uri.query().unwrap_or("");
        let parsed = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        let value: T = serde_path_to_error::deserialize(parsed).map_err(|e| {
            let name = e.path().to_string();
            let name = if name == "." { "query".to_owned() } else { name };
            let message = format!("{name}: {}", e.inner());
            match name.as_str() {
                "lat" | "lon" => Error::BadRequest { code: "invalid_coordinates", message },
                _ => Error::param(message),
            }
        })?;
        value.check()?;
        Ok(Query(value))
    }
}

/// The `{id}` of a path, checked against the id rule: an id that cannot exist is a 400.
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let axum::extract::Path(id) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| Error::BadRequest { code: "invalid_id", message: format!("id: {e}") })?;
        super::resources::path_id(&id)?;
        Ok(PathId(id))
    }
}

/// A required `lat`/`lon` pair in range, with the contract's `invalid_coordinates` code.
pub fn coordinates(lat: Option<f64>, lon: Option<f64>) -> Result<(f64, f64)> {
    let bad = |message: String| Error::BadRequest { code: "invalid_coordinates", message };
    let lat = lat.ok_or_else(|| bad("lat is required".into()))?;
    let lon = lon.ok_or_else(|| bad("lon is required".into()))?;
    if !lat.is_finite() || !lon.is_finite() {
        return Err(bad("lat and lon must be finite numbers".into()));
    }
    validate_lon_lat(lon, lat).map_err(bad)?;
    Ok((lat, lon))
}

/// An optional whole number that must lie in `lo..=hi`.
pub fn in_range(name: &str, value: Option<usize>, lo: usize, hi: usize) -> Result<()> {
    match value {
        Some(v) if !(lo..=hi).contains(&v) => {
            Err(Error::param(format!("{name} must be a whole number from {lo} to {hi}")))
        }
        _ => Ok(()),
    }
}

/// An optional finite number that must be at least `min`.
pub fn at_least(name: &str, value: Option<f64>, min: f64) -> Result<()> {
    match value {
        Some(v) if !v.is_finite() => Err(Error::param(format!("{name} must be a number"))),
        Some(v) if v < min => Err(Error::param(format!("{name} must be {min} or more"))),
        _ => Ok(()),
    }
}

/// The `at` a time-dependent answer is computed for (RFC 3339 in the query); now when absent.
pub fn at_or_now(at: Option<time::OffsetDateTime>) -> time::OffsetDateTime {
    at.unwrap_or_else(time::OffsetDateTime::now_utc)
}

/// `bbox=minLon,minLat,maxLon,maxLat`, checked.
pub fn parse_bbox(raw: Option<&str>) -> Result<Option<[f64; 4]>> {
    let Some(raw) = raw else { return Ok(None) };
    let bad = || Error::BadRequest {
        code: "invalid_bbox",
        message: "bbox must be minLon,minLat,maxLon,maxLat in degrees".into(),
    };
    let v: Vec<f64> = raw.split(',').map(|p| p.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_>>()?;
    let [min_lon, min_lat, max_lon, max_lat] = v.as_slice() else { return Err(bad()) };
    validate_lon_lat(*min_lon, *min_lat).map_err(|_| bad())?;
    validate_lon_lat(*max_lon, *max_lat).map_err(|_| bad())?;
    // Two opposite corners in either order: no deployment spans the antimeridian.
    Ok(Some([min_lon.min(*max_lon), min_lat.min(*max_lat), min_lon.max(*max_lon), min_lat.max(*max_lat)]))
}
