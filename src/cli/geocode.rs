//! Addresses to coordinates for rows that have none, behind a trait so the importer does not
//! care which service answers. The implementation asks the GSI address search
//! (国土地理院 住所検索API); tests point it at a local stub with recorded answers.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

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

/// The 47 prefectures, as an address may begin.
#[rustfmt::skip]
const PREFECTURES: [&str; 47] = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県",
    "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
];

/// 1–99 in kanji, as the address search writes 丁目 (`二丁目`, `十二丁目`).
fn kanji_number(digits: &str) -> Option<String> {
    const KANJI: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let n: usize = digits.parse().ok().filter(|n| (1..100).contains(n))?;
    let (tens, ones) = (n / 10, n % 10);
    let mut out = String::new();
    if tens > 1 {
        out.push(KANJI[tens]);
    }
    if tens > 0 {
        out.push('十');
    }
    if ones > 0 {
        out.push(KANJI[ones]);
    }
    Some(out)
}

/// An address as compared with what the service matched: NFKC (full-width digits), no
/// spaces, no leading prefecture (lists often leave out 千葉県, the service never does) and
/// 丁目 numbers in kanji (lists write `2丁目`, the service answers `二丁目`).
fn comparable(address: &str) -> String {
    let flat: String = address.nfkc().filter(|c| !c.is_whitespace()).collect();
    let rest = PREFECTURES.iter().find_map(|p| flat.strip_prefix(p)).unwrap_or(&flat);
    let mut out = String::new();
    let mut digits = String::new();
    for (i, c) in rest.char_indices() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            let chome = rest[i..].starts_with("丁目");
            out.push_str(&chome.then(|| kanji_number(&digits)).flatten().unwrap_or_else(|| digits.clone()));
            digits.clear();
        }
        out.push(c);
    }
    out + &digits
}

/// The first result, accepted only when what it matched is part of the address asked for
/// (the service also answers with loose matches elsewhere in Japan; those are not guesses
/// to act on).
pub fn pick(address: &str, answer: &Value) -> Option<Located> {
    let first = answer.as_array()?.first()?;
    let coords = first.pointer("/geometry/coordinates")?.as_array()?;
    let (lon, lat) = (coords.first()?.as_f64()?, coords.get(1)?.as_f64()?);
    let matched = first.pointer("/properties/title")?.as_str()?.to_owned();
    let key = comparable(&matched);
    (!key.is_empty() && comparable(address).starts_with(&key)).then_some(Located { lon, lat, matched })
}

impl Geocoder for GsiAddressSearch {
    async fn locate(&self, address: &str) -> Result<Option<Located>> {
        let response = self
            .client
            .get(&self.base)
            .query(&[("q", address)])
            .send()
            .await
            .map_err(reqwest::Error::without_url)
            .with_context(|| format!("{}: cannot reach the address search", self.base))?;
        if !response.status().is_success() {
            return Err(anyhow!("{}: HTTP {}", self.base, response.status()));
        }
        let answer: Value = response
            .json()
            .await
            .map_err(reqwest::Error::without_url)
            .with_context(|| format!("{}: the answer is not JSON", self.base))?;
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

    #[test]
    fn the_prefecture_full_width_digits_and_chome_numbers_do_not_stop_a_match() {
        let answer = json!([{"geometry": {"coordinates": [140.0342, 35.8051], "type": "Point"}, "type": "Feature",
                             "properties": {"addressCode": "", "title": "千葉県白井市笹塚二丁目"}}]);
        for address in ["白井市笹塚二丁目3-4", "千葉県白井市笹塚２丁目3-4", "千葉県 白井市笹塚2丁目3-4"]
        {
            assert!(pick(address, &answer).is_some(), "{address}");
        }
        assert!(pick("白井市笹塚12丁目3-4", &answer).is_none());
        assert!(pick("白井市笹塚3丁目2", &answer).is_none());
        assert_eq!(comparable("大阪府大阪市12丁目"), "大阪市十二丁目");
    }
}
