//! Addresses to coordinates for rows that have none, behind a trait so the importer does not
//! care which service answers. The implementation asks the GSI address search
//! (国土地理院 住所検索API); tests point it at a local stub with recorded answers.

use std::time::Duration;

use anyhow::{Result, anyhow};
use serde_json::Value;

/// The public GSI address search endpoint.
pub const GSI_ADDRESS_SEARCH: &str = "https://msearch.gsi.go.jp/address-search/AddressSearch";

/// A place found for an address, and the name the service matched it to.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// WGS 84 longitude.
    pub lon: f64,
    /// WGS 84 latitude.
    pub lat: f64,
    /// What the service matched (shown in the report, so a person can judge it).
    pub matched: String,
}

/// Looks addresses up; `Ok(None)` when the service has no answer it stands behind.
pub trait Geocoder {
    /// One address.
    fn locate(&self, address: &str) -> impl std::future::Future<Output = Result<Option<Located>>>;
}

/// The GSI address search over HTTP.
pub struct GsiAddressSearch {
    base: String,
    client: reqwest::Client,
}

impl GsiAddressSearch {
    /// A client for `base` (the endpoint URL).
    pub fn new(base: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("powermap/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { base: base.to_owned(), client })
    }
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The first result, accepted only when what it matched is part of the address asked for
/// (the service also answers with loose matches elsewhere in Japan; those are not guesses
/// to act on).
pub fn pick(address: &str, answer: &Value) -> Option<Located> {
    let first = answer.as_array()?.first()?;
    let coords = first.pointer("/geometry/coordinates")?.as_array()?;
    let (lon, lat) = (coords.first()?.as_f64()?, coords.get(1)?.as_f64()?);
    let matched = first.pointer("/properties/title")?.as_str()?.to_owned();
    (!matched.is_empty() && compact(address).starts_with(&compact(&matched))).then_some(Located { lon, lat, matched })
}

impl Geocoder for GsiAddressSearch {
    async fn locate(&self, address: &str) -> Result<Option<Located>> {
        let response = self
            .client
            .get(&self.base)
            .query(&[("q", address)])
            .send()
            .await
            .map_err(|e| anyhow!("{}: cannot reach the address search: {e}", self.base))?;
        if !response.status().is_success() {
            return Err(anyhow!("{}: HTTP {}", self.base, response.status()));
        }
        let answer: Value = response.json().await.map_err(|e| anyhow!("{}: not JSON: {e}", self.base))?;
        Ok(pick(address, &answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_matches_inside_the_address_are_taken() {
        let answer = json!([{"geometry": {"coordinates": [140.0559, 35.7912], "type": "Point"}, "type": "Feature",
                             "properties": {"addressCode": "", "title": "千葉県白井市復"}}]);
        assert_eq!(pick("千葉県白井市復 1123", &answer).unwrap().matched, "千葉県白井市復");
        assert!(pick("東京都千代田区永田町1", &answer).is_none());
        assert!(pick("千葉県白井市復", &json!([])).is_none());
    }
}
