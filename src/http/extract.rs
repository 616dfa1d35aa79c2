//! Request parsing that always fails with the contract's JSON errors.

use std::collections::HashMap;

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

/// Query-string parameters, parsed by name with errors that name the parameter.
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .map(|pairs| Params(pairs.into_iter().collect()))
            .map_err(|e| Error::param(format!("query string does not parse: {e}")))
    }
}

impl Params {
    /// A raw parameter, if present and not empty.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|s| !s.is_empty())
    }

    /// An optional finite number.
    pub fn f64(&self, name: &str) -> Result<Option<f64>> {
        self.str(name)
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| Error::param(format!("{name} must be a number")))
            })
            .transpose()
    }

    /// An optional number that must be at least `min`.
    pub fn f64_min(&self, name: &str, min: f64) -> Result<Option<f64>> {
        match self.f64(name)? {
            Some(v) if v < min => Err(Error::param(format!("{name} must be {min} or more"))),
            other => Ok(other),
        }
    }

    /// An optional whole number in `lo..=hi`, `default` when absent.
    pub fn int_in(&self, name: &str, lo: usize, hi: usize, default: usize) -> Result<usize> {
        match self.str(name) {
            None => Ok(default),
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|v| (lo..=hi).contains(v))
                .ok_or_else(|| Error::param(format!("{name} must be a whole number from {lo} to {hi}"))),
        }
    }

    /// An optional `true`/`false` flag.
    pub fn flag(&self, name: &str) -> Result<bool> {
        match self.str(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(Error::param(format!("{name} must be true or false"))),
        }
    }

    /// An optional enum value, parsed with its serde name.
    pub fn variant<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        self.str(name)
            .map(|s| {
                serde_json::from_value::<T>(Value::String(s.to_owned()))
                    .map_err(|e| Error::param(format!("{name}: {e}")))
            })
            .transpose()
    }

    /// The optional `at` (RFC 3339) a time-dependent answer is computed for; now when absent.
    pub fn at(&self) -> Result<time::OffsetDateTime> {
        match self.str("at") {
            None => Ok(time::OffsetDateTime::now_utc()),
            Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| Error::param("at must be an RFC 3339 time, e.g. 2026-12-01T20:00:00+09:00")),
        }
    }

    /// The required `lat` and `lon` of a query, in range.
    pub fn lat_lon(&self) -> Result<(f64, f64)> {
        let bad = |message: String| Error::BadRequest { code: "invalid_coordinates", message };
        let get = |name: &str| -> Result<f64> {
            let raw = self.str(name).ok_or_else(|| bad(format!("{name} is required")))?;
            raw.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(format!("{name} must be a number")))
        };
        let (lat, lon) = (get("lat")?, get("lon")?);
        validate_lon_lat(lon, lat).map_err(bad)?;
        Ok((lat, lon))
    }

    /// The optional `bbox=minLon,minLat,maxLon,maxLat` of a list.
    pub fn bbox(&self) -> Result<Option<[f64; 4]>> {
        let Some(raw) = self.str("bbox") else { return Ok(None) };
        let bad = || Error::BadRequest {
            code: "invalid_bbox",
            message: "bbox must be minLon,minLat,maxLon,maxLat in degrees".into(),
        };
        let v: Vec<f64> = raw.split(',').map(|p| p.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_>>()?;
        let [min_lon, min_lat, max_lon, max_lat] = v.as_slice() else { return Err(bad()) };
        validate_lon_lat(*min_lon, *min_lat).map_err(|_| bad())?;
        validate_lon_lat(*max_lon, *max_lat).map_err(|_| bad())?;
        if min_lat > max_lat {
            return Err(bad());
        }
        Ok(Some([*min_lon, *min_lat, *max_lon, *max_lat]))
    }
}
