//! `powermap incident outages`: an incident's outage areas from a file or URL, all or nothing.
//!
//! GeoJSON is taken as `POST …/outages` takes it; areas with an id already stored in the
//! incident are replaced (a re-sent area with `restored_at` set updates it). The utility's
//! per-district XML only says "listed now", so each reading goes through the feed's state
//! machine ([`crate::domain::outage_feed`]): listed with households > 0 → out since that
//! update; no longer listed → restored at that update. `--watch` reads again every SECONDS,
//! `--times` in all, and continues from what is stored when restarted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Subcommand, ValueEnum};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::domain::incident::OutageArea;
use crate::domain::outage_feed::{DistrictOutage, FeedState, Snapshot};
use crate::planning::incident_input::parse_outages;
use crate::store::{Store, WriteMode};

/// The `source` of areas read from the utility's XML.
const TEPCO: &str = "tepco";

/// Incident actions.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Add or update an incident's outage areas.
    Outages {
        /// The incident.
        #[arg(long)]
        incident: String,
        /// File or http(s) URL.
        file: PathBuf,
        /// What the source holds.
        #[arg(long, value_enum, default_value_t = OutageFormat::Geojson)]
        format: OutageFormat,
        /// Read the source again every SECONDS.
        #[arg(long, default_value_t = 0)]
        watch: u64,
        /// How many readings in all (bounded, so a forgotten watch ends).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        times: u32,
    },
}

/// Outage source formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutageFormat {
    /// A GeoJSON Feature or FeatureCollection of outage areas (as `POST …/outages` takes).
    Geojson,
    /// The utility's per-district outage XML (`<エリア>`, `<名前>`, `<停電軒数>`, `<更新日時>` JST).
    TepcoXml,
}

/// Runs an incident action.
pub async fn run(db: &str, action: IncidentCommand) -> Result<()> {
    let IncidentCommand::Outages { incident, file, format, watch, times } = action;
    let store = Store::connect(db).await?;
    let mut feed = match format {
        OutageFormat::TepcoXml => Some(stored_feed(&store, &incident).await?),
        OutageFormat::Geojson => None,
    };
    for reading in 0..times {
        if reading > 0 {
            tokio::time::sleep(Duration::from_secs(watch)).await;
        }
        let done = read_once(&store, &incident, &file, feed.as_mut()).await;
        match done {
            Ok(n) => println!("incident {incident}: {n} outage areas written from {}", file.display()),
            // A watch survives a failed reading (the feed is down for a minute); the first must succeed.
            Err(e) if reading > 0 => eprintln!("powermap: reading {} failed, will retry: {e:#}", reading + 1),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One reading of the source, written all or nothing; how many areas it wrote.
async fn read_once(store: &Store, incident: &str, file: &Path, feed: Option<&mut FeedState>) -> Result<usize> {
    let bytes = super::fetch::read(file).await?;
    let name = file.display();
    let areas = match feed {
        None => geojson_areas(incident, &bytes).with_context(|| format!("{name}"))?,
        Some(feed) => {
            let snapshot = parse_xml(&decode(&bytes)).with_context(|| format!("{name}"))?;
            let changed = feed.apply(&snapshot);
            changed.into_iter().map(|i| area_of(incident, &feed.outages[i])).collect()
        }
    };
    if !areas.is_empty() {
        store.incidents().add_outages(incident, &areas, WriteMode::Upsert).await.with_context(|| format!("{name}"))?;
    }
    Ok(areas.len())
}

fn geojson_areas(incident: &str, bytes: &[u8]) -> Result<Vec<OutageArea>> {
    let body: serde_json::Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    let (areas, _) = parse_outages(incident, &body).map_err(|problems| {
        let (index, e) = problems.into_iter().next().unwrap_or((0, crate::domain::FieldError::new("", "invalid")));
        anyhow!("feature {index}: {}: {}; nothing was written", e.field, e.message)
    })?;
    if areas.is_empty() {
        bail!("no outage areas; nothing was written");
    }
    Ok(areas)
}

/// The feed's outages stored in this incident, so a restarted watch continues them.
async fn stored_feed(store: &Store, incident: &str) -> Result<FeedState> {
    let areas = store.incidents().outages(incident).await?;
    let outages = areas
        .into_iter()
        .filter(|a| a.source.as_deref() == Some(TEPCO) && a.geometry.is_none())
        .filter_map(|a| {
            let district = a.district?;
            Some(DistrictOutage {
                district,
                since: a.since,
                restored_at: a.restored_at,
                households: a.households.map(u64::from),
            })
        })
        .collect();
    Ok(FeedState::from_stored(outages))
}

/// An outage of the feed as a stored area: its id is made from the district and `since`,
/// so the same outage is the same row on every reading (and a later one is a new row).
fn area_of(incident: &str, o: &DistrictOutage) -> OutageArea {
    let digest = hex::encode(Sha256::digest(o.district.as_bytes()));
    OutageArea {
        id: format!("tepco-{}-{}", &digest[..16], o.since.unix_timestamp()),
        incident_id: incident.to_owned(),
        geometry: None,
        district: Some(o.district.clone()),
        since: o.since,
        restored_at: o.restored_at,
        source: Some(TEPCO.to_owned()),
        households: o.households.map(|h| u32::try_from(h).unwrap_or(u32::MAX)),
    }
}

/// The XML as text: UTF-8 unless its declaration says Shift_JIS.
fn decode(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    if head.contains("shift_jis") || head.contains("shift-jis") || head.contains("sjis") {
        encoding_rs::SHIFT_JIS.decode(bytes).0.into_owned()
    } else {
        String::from_utf8_lossy(bytes).trim_start_matches('\u{feff}').to_owned()
    }
}

/// The text inside the first `<name>…</name>` of `text`.
fn tag<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    Some(text[start..end].trim())
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// One snapshot of the per-district outage XML: `<更新日時>YYYYMMDDHHmm</更新日時>` (JST) and
/// every `<エリア>` with its `<名前>` and `<停電軒数>` (a name listed twice adds up).
fn parse_xml(text: &str) -> Result<Snapshot> {
    let stamp = tag(text, "更新日時").ok_or_else(|| anyhow!("no <更新日時>"))?;
    let updated_at = jst_minute(stamp).ok_or_else(|| anyhow!("<更新日時> {stamp:?} is not YYYYMMDDHHmm"))?;
    let mut districts = BTreeMap::new();
    let mut rest = text;
    let mut index = 0;
    while let Some(start) = rest.find("<エリア") {
        let after = &rest[start + "<エリア".len()..];
        if !after.starts_with([' ', '>', '\t', '\n', '\r']) {
            rest = after;
            continue;
        }
        let end = after.find("</エリア>").ok_or_else(|| anyhow!("<エリア> {index} is not closed"))?;
        let area = &after[..end];
        let name =
            tag(area, "名前").filter(|n| !n.is_empty()).ok_or_else(|| anyhow!("<エリア> {index} has no <名前>"))?;
        let count = tag(area, "停電軒数").unwrap_or("0");
        let households: u64 = count
            .replace(',', "")
            .parse()
            .map_err(|_| anyhow!("<エリア> {index}: <停電軒数> {count:?} is not a number"))?;
        *districts.entry(unescape(name)).or_insert(0) += households;
        rest = &after[end..];
        index += 1;
    }
    Ok(Snapshot { updated_at, districts })
}

/// `YYYYMMDDHHmm` in Japan time.
fn jst_minute(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year][month][day][hour][minute]");
    Some(PrimitiveDateTime::parse(s, &format).ok()?.assume_offset(crate::domain::hours::JST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xml_gives_the_update_time_in_jst_and_households_per_district() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><停電情報><更新日時>202609090130</更新日時><エリア一覧>\
            <エリア コード=\"1\"><名前>復</名前><停電軒数>120</停電軒数></エリア>\
            <エリア コード=\"2\"><名前>根 &amp; 中</名前><停電軒数>1,040</停電軒数></エリア></エリア一覧></停電情報>";
        let s = parse_xml(xml).unwrap();
        assert_eq!(s.updated_at, time::macros::datetime!(2026-09-09 01:30 +9));
        assert_eq!(s.districts.get("復"), Some(&120));
        assert_eq!(s.districts.get("根 & 中"), Some(&1040));
        assert_eq!(s.districts.len(), 2, "<エリア一覧> is not an area");
        assert!(parse_xml("<エリア><名前>復</名前></エリア>").unwrap_err().to_string().contains("更新日時"));
        let bad = "<更新日時>202609090130</更新日時><エリア><名前>復</名前><停電軒数>many</停電軒数></エリア>";
        assert!(parse_xml(bad).unwrap_err().to_string().contains("停電軒数"));
    }

    #[test]
    fn shift_jis_is_decoded_when_the_declaration_says_so() {
        let text = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><更新日時>202609090130</更新日時>\
                    <エリア><名前>清水口</名前><停電軒数>5</停電軒数></エリア>";
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        assert_eq!(parse_xml(&decode(&bytes)).unwrap().districts.get("清水口"), Some(&5));
    }
}
