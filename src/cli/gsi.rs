//! The national designated-shelter data (指定緊急避難場所・指定避難所), as published per
//! municipality: the emergency-site layout with its eight hazard columns, the designated-
//! shelter layout with 受入対象者, and the Digital Agency's standard layout (災害種別_…).
//! UTF-8 with or without BOM, or Shift_JIS. Rows become shelter Features keyed by 共通ID so a
//! re-import updates instead of duplicating.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::domain::{Hazard, ShelterProps, parse_feature};

/// The hazard columns' names in the national data, in [`Hazard::ALL`] order.
pub const HAZARD_COLUMNS: [&str; 8] =
    ["洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象"];

/// One refused file: the 1-based line and what is wrong there, in words an operator can fix.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// Line in the file where the record starts (0 when the whole file is wrong).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

fn fail(line: u64, message: impl Into<String>) -> RowError {
    RowError { line, message: message.into() }
}

/// UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, otherwise Shift_JIS; anything
/// that is neither is refused rather than imported as mojibake.
pub fn decode(bytes: &[u8]) -> Result<String, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if had_errors {
        return Err(fail(0, "neither UTF-8 nor Shift_JIS"));
    }
    Ok(text.into_owned())
}

/// Which columns hold what; found by header name so column order and extra columns do not matter.
struct Layout {
    name: usize,
    gsi_id: usize,
    lat: usize,
    lon: usize,
    address: Option<usize>,
    accepts: Option<usize>,
    capacity: Option<usize>,
    hazards: Vec<(Hazard, usize)>,
}

impl Layout {
    fn of(headers: &csv::StringRecord) -> Result<Self, RowError> {
        let names: Vec<&str> = headers.iter().map(|h| h.trim().trim_start_matches('\u{feff}')).collect();
        let find = |candidates: &[&str]| names.iter().position(|n| candidates.contains(n));
        let need = |candidates: &[&str]| {
            find(candidates).ok_or_else(|| fail(1, format!("header: no column {}", candidates.join(" / "))))
        };
        let hazards: Vec<(Hazard, usize)> = Hazard::ALL
            .iter()
            .zip(HAZARD_COLUMNS)
            .filter_map(|(h, col)| find(&[col, &format!("災害種別_{col}")]).map(|i| (*h, i)))
            .collect();
        let accepts = find(&["受入対象者"]);
        if hazards.is_empty() && accepts.is_none() {
            return Err(fail(
                1,
                "header: neither hazard columns (洪水, 地震, …) nor 受入対象者: not a national shelter layout",
            ));
        }
        Ok(Layout {
            name: need(&["施設・場所名", "名称"])?,
            gsi_id: need(&["共通ID", "ID"])?,
            lat: need(&["緯度"])?,
            lon: need(&["経度"])?,
            address: find(&["住所", "所在地_連結表記", "所在地"]),
            accepts,
            capacity: find(&["想定収容人数"]),
            hazards,
        })
    }
}

/// `1` (or a circle mark) means designated; blank means not.
fn flag(value: &str) -> Option<bool> {
    match value.trim() {
        "" | "0" => Some(false),
        "1" | "○" | "◯" | "●" | "〇" => Some(true),
        _ => None,
    }
}

/// An id the API accepts, derived from 共通ID.
fn id_for(gsi_id: &str) -> String {
    let clean: String = gsi_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .take(60)
        .collect();
    format!("gsi-{clean}")
}

/// The 1-based line each record starts on, counted from the text itself (csv's own count
/// lags by one after CRLF line ends, and spreadsheets write CRLF). Records come in order, so
/// counting resumes where the last one stopped: linear in the file, not quadratic.
pub struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    /// Counts over `text`.
    pub fn new(text: &'a str) -> Self {
        Lines { bytes: text.as_bytes(), at: 0, line: 1 }
    }

    /// The line of the record at `position` (0 when unknown).
    pub fn of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(p) = position else { return 0 };
        let mut target = (p.byte() as usize).min(self.bytes.len());
        while target < self.bytes.len() && matches!(self.bytes[target], b'\r' | b'\n') {
            target += 1;
        }
        if target < self.at {
            self.at = 0;
            self.line = 1;
        }
        self.line += self.bytes[self.at..target].iter().filter(|b| **b == b'\n').count() as u64;
        self.at = target;
        self.line
    }
}

/// Turns the file into shelter Features, each with the line its record starts on. `existing`
/// maps 共通ID to the id of a shelter already stored with it, so that row updates that shelter.
/// The first bad row refuses the whole file.
pub fn parse(text: &str, existing: &HashMap<String, String>) -> Result<Vec<(u64, Value)>, RowError> {
    let progress = super::progress::reading(text.len());
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| fail(1, format!("header: {e}")))?.clone();
    let layout = Layout::of(&headers)?;
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut lines = Lines::new(text);
    for record in reader.records() {
        let record = record.map_err(|e| fail(Lines::new(text).of(e.position()), e.to_string()))?;
        let line = lines.of(record.position());
        progress.set_position(record.position().map_or(0, csv::Position::byte));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        let column = |i: usize| headers.get(i).unwrap_or("").trim().to_owned();
        let name = get(layout.name);
        if name.is_empty() {
            return Err(fail(line, format!("{}: empty", column(layout.name))));
        }
        let gsi_id = get(layout.gsi_id);
        if gsi_id.is_empty() {
            return Err(fail(line, format!("{}: empty (it keys re-imports)", column(layout.gsi_id))));
        }
        if let Some(first) = seen.insert(gsi_id.to_owned(), line) {
            return Err(fail(line, format!("{}: {gsi_id} already on line {first}", column(layout.gsi_id))));
        }
        let number = |i: usize| {
            get(i).parse::<f64>().map_err(|_| fail(line, format!("{}: '{}' is not a number", column(i), get(i))))
        };
        let (lat, lon) = (number(layout.lat)?, number(layout.lon)?);
        let mut hazards = Vec::new();
        for (hazard, i) in &layout.hazards {
            match flag(get(*i)) {
                Some(true) => hazards.push(*hazard),
                Some(false) => {}
                None => return Err(fail(line, format!("{}: expected 1 or blank, got '{}'", column(*i), get(*i)))),
            }
        }
        let capacity = match layout.capacity.map(get).filter(|v| !v.is_empty()) {
            Some(v) => Some(
                v.replace(',', "")
                    .parse::<u32>()
                    .map_err(|_| fail(line, format!("想定収容人数: '{v}' is not a whole number")))?,
            ),
            None => None,
        };
        let text_of = |i: Option<usize>| i.map(get).filter(|v| !v.is_empty());
        let id = existing.get(gsi_id).cloned().unwrap_or_else(|| id_for(gsi_id));
        let feature = json!({
            "type": "Feature",
            "id": id,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "name": name,
                "kind": if layout.hazards.is_empty() { "designated" } else { "emergency_site" },
                "hazards": hazards,
                "capacity_people": capacity,
                "accepts": text_of(layout.accepts),
                "gsi_id": gsi_id,
                "address": text_of(layout.address),
            },
        });
        if let Err(errors) = parse_feature::<ShelterProps>(&feature) {
            let e = &errors[0];
            return Err(fail(line, format!("{}: {}", e.field, e.message)));
        }
        out.push((line, feature));
    }
    progress.finish_and_clear();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMERGENCY: &str = "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考\n\
        1,122320001,白井市役所,千葉県白井市復1123,1,,,1,,1,1,,1,35.7916,140.0563,\"正面玄関\n北側\"\n\
        2,122320002,白井第一小学校,千葉県白井市白井1,,,,1,,1,,,,35.7950,140.0600,\n";

    #[test]
    fn hazard_flags_become_the_vocabulary_and_quoted_newlines_stay_in_one_record() {
        let rows = parse(EMERGENCY, &HashMap::new()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[1].0, 4, "the quoted newline makes record 2 start on line 4");
        let crlf = parse(&EMERGENCY.replace('\n', "\r\n"), &HashMap::new()).unwrap();
        assert_eq!((crlf[0].0, crlf[1].0), (2, 4), "CRLF line ends count the same");
        let p = &rows[0].1["properties"];
        assert_eq!(p["hazards"], json!(["flood", "earthquake", "fire", "inland_flood"]));
        assert_eq!(p["kind"], "emergency_site");
        assert_eq!(rows[0].1["id"], "gsi-122320001");
    }

    #[test]
    fn stored_shelters_are_matched_by_gsi_id() {
        let existing = HashMap::from([("122320002".to_owned(), "sh-001".to_owned())]);
        let rows = parse(EMERGENCY, &existing).unwrap();
        assert_eq!(rows[1].1["id"], "sh-001");
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let bad = EMERGENCY.replace("35.7950", "北緯35度");
        assert_eq!(parse(&bad, &HashMap::new()).unwrap_err(), fail(4, "緯度: '北緯35度' is not a number"));
        let flag = EMERGENCY.replace(",1,,,1,,1,1,,1,", ",x,,,1,,1,1,,1,");
        assert_eq!(parse(&flag, &HashMap::new()).unwrap_err().message, "洪水: expected 1 or blank, got 'x'");
        assert_eq!(parse("a,b\n1,2\n", &HashMap::new()).unwrap_err().line, 1);
    }

    #[test]
    fn shift_jis_and_bom_decode() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("施設・場所名,白井市役所");
        assert_eq!(decode(&sjis).unwrap(), "施設・場所名,白井市役所");
        assert_eq!(decode("\u{feff}共通ID".as_bytes()).unwrap(), "共通ID");
        assert!(decode(&[0xff, 0xff, 0xff]).is_err());
    }
}
