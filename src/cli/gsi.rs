//! The national designated-shelter data (指定緊急避難場所・指定避難所), as published per
//! municipality: the emergency-site layout with its eight hazard columns, the designated-
//! shelter layout with 受入対象者, and the Digital Agency's standard layouts (災害種別_…,
//! 想定収容人数). UTF-8 with or without BOM, or Shift_JIS. Rows are matched to stored shelters
//! by 共通ID, so a re-import updates instead of duplicating. Also the CSV helpers the
//! children's list shares (decoding, line numbers, numbers and coordinates).

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::domain::intake::{ShelterReport, merge_shelter};
use crate::domain::{Checker, Hazard, Located, Resource, ShelterKind, ShelterProps};

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

impl RowError {
    /// The one-line reason the command prints: file, line, what is wrong, nothing imported.
    pub fn refuse(self, file: &Path) -> anyhow::Error {
        let at = if self.line > 0 { format!(" {} 行目:", self.line) } else { String::new() };
        anyhow::anyhow!("{}:{at} {}（何も取り込んでいません）", file.display(), self.message)
    }
}

/// A [`RowError`] at `line`.
pub fn fail(line: u64, message: impl Into<String>) -> RowError {
    RowError { line, message: message.into() }
}

/// UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, otherwise Shift_JIS; anything
/// that is neither is refused rather than imported as mojibake. Takes the bytes so valid
/// UTF-8 is not copied (the national files run to hundreds of thousands of rows).
pub fn decode(bytes: Vec<u8>) -> Result<String, RowError> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(e) => {
            let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(e.as_bytes());
            if had_errors {
                return Err(fail(0, "UTF-8 でも Shift_JIS でもありません"));
            }
            Ok(text.into_owned())
        }
    }
}

/// A cell as numbers and flags are read: NFKC (full-width digits, signs and letters become
/// ASCII, as Excel users type them) and trimmed.
pub fn nfkc(value: &str) -> String {
    value.trim().nfkc().collect::<String>().trim().to_owned()
}

/// A header cell as columns are looked up: BOM, spaces and full-width forms do not matter.
pub fn header_name(h: &str) -> String {
    nfkc(h.trim_start_matches('\u{feff}'))
}

/// A number cell (`1,200` and full-width digits allowed); `column` names it in the error.
pub fn number(column: &str, value: &str, line: u64) -> Result<f64, RowError> {
    nfkc(value)
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| fail(line, format!("{column}: 「{value}」は数値ではありません")))
}

/// (lon, lat) from the 緯度 and 経度 cells: both blank is `None`; one of them, a
/// non-number or a value out of range is an error naming the column.
pub fn position(lat: (&str, &str), lon: (&str, &str), line: u64) -> Result<Option<(f64, f64)>, RowError> {
    let ((lat_col, lat_v), (lon_col, lon_v)) = (lat, lon);
    match (lat_v.trim().is_empty(), lon_v.trim().is_empty()) {
        (true, true) => return Ok(None),
        (false, true) => {
            return Err(fail(line, format!("{lon_col}: 空欄です（{lat_col} だけでは位置が決まりません）")));
        }
        (true, false) => {
            return Err(fail(line, format!("{lat_col}: 空欄です（{lon_col} だけでは位置が決まりません）")));
        }
        (false, false) => {}
    }
    let (y, x) = (number(lat_col, lat_v, line)?, number(lon_col, lon_v, line)?);
    let swapped =
        if (-90.0..=90.0).contains(&x) { "（緯度と経度が入れ替わっていませんか）" } else { "" };
    if !(-90.0..=90.0).contains(&y) {
        return Err(fail(line, format!("{lat_col}: {y} は -90〜90 の範囲外です{swapped}")));
    }
    if !(-180.0..=180.0).contains(&x) {
        return Err(fail(line, format!("{lon_col}: {x} は -180〜180 の範囲外です")));
    }
    Ok(Some((x, y)))
}

/// Which columns hold what; found by header name so column order and extra columns do not matter.
struct Layout {
    headers: Vec<String>,
    name: usize,
    gsi_id: usize,
    lat: Option<usize>,
    lon: Option<usize>,
    address: Option<usize>,
    accepts: Option<usize>,
    capacity: Option<usize>,
    hazards: Vec<(Hazard, usize)>,
}

impl Layout {
    fn of(headers: &csv::StringRecord, need_coordinates: bool) -> Result<Self, RowError> {
        let names: Vec<String> = headers.iter().map(header_name).collect();
        let find = |candidates: &[&str]| names.iter().position(|n| candidates.contains(&n.as_str()));
        let need = |candidates: &[&str]| {
            find(candidates)
                .ok_or_else(|| fail(1, format!("見出し行: 列「{}」がありません", candidates.join("」または「"))))
        };
        let hazards: Vec<(Hazard, usize)> = Hazard::ALL
            .iter()
            .zip(HAZARD_COLUMNS)
            .filter_map(|(h, col)| find(&[col, &format!("災害種別_{col}")]).map(|i| (*h, i)))
            .collect();
        let accepts = find(&["受入対象者"]);
        let capacity = find(&["想定収容人数"]);
        if hazards.is_empty() && accepts.is_none() && capacity.is_none() {
            return Err(fail(
                1,
                "見出し行: 災害種別の列（洪水、地震…）も「受入対象者」も「想定収容人数」もありません（国の避難場所・避難所データの形式ではありません）",
            ));
        }
        let (lat, lon) = (find(&["緯度"]), find(&["経度"]));
        if need_coordinates {
            need(&["緯度"])?;
            need(&["経度"])?;
        }
        Ok(Layout {
            name: need(&["施設・場所名", "名称"])?,
            gsi_id: need(&["共通ID", "ID"])?,
            lat,
            lon,
            address: find(&["住所", "所在地_連結表記", "所在地"]),
            accepts,
            capacity,
            hazards,
            headers: names,
        })
    }

    fn column(&self, i: usize) -> &str {
        self.headers.get(i).map_or("", String::as_str)
    }

    /// A hazard layout is the emergency-site list; the others list designated shelters.
    fn kind(&self) -> ShelterKind {
        if self.hazards.is_empty() { ShelterKind::Designated } else { ShelterKind::EmergencySite }
    }
}

/// `1` (or a circle mark) means designated; blank means not.
fn flag(value: &str) -> Option<bool> {
    match nfkc(value).as_str() {
        "" | "0" => Some(false),
        "1" | "○" | "◯" | "●" | "〇" => Some(true),
        _ => None,
    }
}

/// An id the API accepts, derived from 共通ID. When the 共通ID has characters an id cannot
/// hold, or is too long, a short hash of it is appended, so two 共通IDs never collapse into
/// one record (`12232 001` and `12232_001`).
pub fn id_for(gsi_id: &str) -> String {
    let clean: String = gsi_id
        .nfkc()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect();
    if clean == gsi_id && clean.len() <= 60 {
        return format!("gsi-{clean}");
    }
    let hash = hex::encode(&Sha256::digest(gsi_id.as_bytes())[..4]);
    format!("gsi-{}-{hash}", clean.chars().take(50).collect::<String>())
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

/// A CSV file's records, each with the line it starts on, read one at a time into one
/// buffer (the national files run to hundreds of thousands of rows); blank rows are skipped.
pub struct Records<'a> {
    text: &'a str,
    reader: csv::Reader<&'a [u8]>,
    lines: Lines<'a>,
    record: csv::StringRecord,
    progress: indicatif::ProgressBar,
}

impl<'a> Records<'a> {
    /// The reader and the header row.
    pub fn new(text: &'a str) -> Result<(Self, csv::StringRecord), RowError> {
        if text.trim().is_empty() {
            return Err(fail(0, "ファイルが空です"));
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| fail(1, format!("見出し行: {e}")))?.clone();
        let progress = super::progress::reading(text.len());
        let records = Records { text, reader, lines: Lines::new(text), record: csv::StringRecord::new(), progress };
        Ok((records, headers))
    }

    /// The next non-blank record and its line; a malformed record is an error at its line.
    pub fn next_record(&mut self) -> Result<Option<(u64, &csv::StringRecord)>, RowError> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Err(e) => return Err(fail(Lines::new(self.text).of(e.position()), e.to_string())),
                Ok(false) => {
                    self.progress.finish_and_clear();
                    return Ok(None);
                }
                Ok(true) => {
                    self.progress.set_position(self.record.position().map_or(0, csv::Position::byte));
                    if !self.record.iter().all(|f| f.trim().is_empty()) {
                        let line = self.lines.of(self.record.position());
                        return Ok(Some((line, &self.record)));
                    }
                }
            }
        }
    }
}

/// Reads the file's rows. A row without 緯度・経度 is an error unless `geocode` (its
/// position is then looked up from 住所 later); the first bad row refuses the whole file.
pub fn parse(text: &str, geocode: bool) -> Result<Vec<ShelterReport>, RowError> {
    let (mut records, headers) = Records::new(text)?;
    let layout = Layout::of(&headers, !geocode)?;
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    while let Some((line, record)) = records.next_record()? {
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        let column = |i: usize| layout.column(i);
        let name = get(layout.name);
        if name.is_empty() {
            return Err(fail(line, format!("{}: 空欄です", column(layout.name))));
        }
        let gsi_id = get(layout.gsi_id);
        if gsi_id.is_empty() {
            return Err(fail(line, format!("{}: 空欄です（再取り込みの照合に使います）", column(layout.gsi_id))));
        }
        if let Some(first) = seen.insert(gsi_id.to_owned(), line) {
            return Err(fail(line, format!("{}: 「{gsi_id}」は {first} 行目にもあります", column(layout.gsi_id))));
        }
        let cell = |i: Option<usize>| i.map_or("", get);
        let position = position(
            (layout.lat.map_or("緯度", column), cell(layout.lat)),
            (layout.lon.map_or("経度", column), cell(layout.lon)),
            line,
        )?;
        if position.is_none() && !geocode {
            return Err(fail(line, "緯度・経度がありません（--geocode を付けると住所から位置を求めます）"));
        }
        let mut hazards = Vec::new();
        for (hazard, i) in &layout.hazards {
            match flag(get(*i)) {
                Some(true) => hazards.push(*hazard),
                Some(false) => {}
                None => return Err(fail(line, format!("{}: 1 か空欄のはずが「{}」です", column(*i), get(*i)))),
            }
        }
        let capacity = match layout.capacity.map(|i| (i, get(i))).filter(|(_, v)| !v.is_empty()) {
            Some((i, v)) => Some(
                nfkc(v)
                    .replace(',', "")
                    .parse::<u32>()
                    .map_err(|_| fail(line, format!("{}: 「{v}」は人数（整数）ではありません", column(i))))?,
            ),
            None => None,
        };
        let text_of = |i: usize| Some(get(i)).filter(|v| !v.is_empty()).map(str::to_owned);
        out.push(ShelterReport {
            line,
            gsi_id: gsi_id.to_owned(),
            name: name.to_owned(),
            kind: layout.kind(),
            address: layout.address.and_then(text_of),
            hazards: (!layout.hazards.is_empty()).then_some(hazards),
            accepts: layout.accepts.map(text_of),
            capacity_people: layout.capacity.map(|_| capacity),
            position,
        });
    }
    Ok(out)
}

/// What an import of the national data will write.
#[derive(Debug, Default)]
pub struct Plan {
    /// New and changed shelters (unchanged ones are not rewritten).
    pub items: Vec<Located<ShelterProps>>,
    /// How many are new.
    pub new: usize,
    /// How many stored shelters change.
    pub updated: usize,
    /// How many stored shelters the file lists as they are.
    pub unchanged: usize,
}

/// The contract's field names, as the national file's columns.
fn column_of(field: &str) -> &str {
    match field {
        "name" => "施設・場所名",
        "gsi_id" => "共通ID",
        "address" => "住所",
        "accepts" => "受入対象者",
        other => other,
    }
}

/// Matches rows to the stored shelters by 共通ID and merges them ([`merge_shelter`]); new
/// rows get an id from their 共通ID. Every result is validated here, so the write cannot
/// fail half-way on a bad row. Every row must have a position by now.
pub fn plan(stored: &[Located<ShelterProps>], reports: Vec<ShelterReport>) -> Result<Plan, RowError> {
    let by_gsi: HashMap<&str, usize> =
        stored.iter().enumerate().filter_map(|(i, s)| s.props.gsi_id.as_deref().map(|g| (g, i))).collect();
    let mut taken: HashMap<String, u64> = stored.iter().map(|s| (s.id.clone(), 0)).collect();
    let mut plan = Plan::default();
    for r in reports {
        let Some((lon, lat)) = r.position else {
            return Err(fail(r.line, "緯度・経度がありません"));
        };
        let item = match by_gsi.get(r.gsi_id.as_str()).map(|&i| &stored[i]) {
            Some(s) => {
                let props = merge_shelter(Some(&s.props), &r);
                if props == s.props && (lon, lat) == (s.lon, s.lat) {
                    plan.unchanged += 1;
                    continue;
                }
                plan.updated += 1;
                Located { id: s.id.clone(), lon, lat, props }
            }
            None => {
                let id = id_for(&r.gsi_id);
                match taken.get(&id) {
                    Some(0) => {
                        return Err(fail(
                            r.line,
                            format!("共通ID: 「{}」のID {id} は別の避難所が使っています", r.gsi_id),
                        ));
                    }
                    Some(first) => {
                        return Err(fail(
                            r.line,
                            format!("共通ID: 「{}」のID {id} が {first} 行目の共通IDと同じになります", r.gsi_id),
                        ));
                    }
                    None => {}
                }
                taken.insert(id.clone(), r.line);
                plan.new += 1;
                Located { id, lon, lat, props: merge_shelter(None, &r) }
            }
        };
        let mut check = Checker::default();
        item.props.validate(&mut check);
        if let Some(e) = check.errors.first() {
            return Err(fail(r.line, format!("{}: {}", column_of(&e.field), e.message)));
        }
        plan.items.push(item);
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMERGENCY: &str = "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考\n\
        1,122320001,白井市役所,千葉県白井市復1123,1,,,1,,1,1,,1,35.7916,140.0563,\"正面玄関\n北側\"\n\
        2,122320002,白井第一小学校,千葉県白井市白井1,,,,1,,1,,,,35.7950,140.0600,\n";

    #[test]
    fn hazard_flags_become_the_vocabulary_and_quoted_newlines_stay_in_one_record() {
        let rows = parse(EMERGENCY, false).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 4, "the quoted newline makes record 2 start on line 4");
        let crlf = parse(&EMERGENCY.replace('\n', "\r\n"), false).unwrap();
        assert_eq!((crlf[0].line, crlf[1].line), (2, 4), "CRLF line ends count the same");
        assert_eq!(rows[0].hazards, Some(vec![Hazard::Flood, Hazard::Earthquake, Hazard::Fire, Hazard::InlandFlood]));
        assert_eq!(rows[0].kind, ShelterKind::EmergencySite);
        assert_eq!((rows[0].accepts.clone(), rows[0].capacity_people), (None, None), "no such columns");
        let plan = plan(&[], rows).unwrap();
        assert_eq!(plan.items[0].id, "gsi-122320001");
    }

    #[test]
    fn full_width_digits_in_flags_and_coordinates_are_read() {
        let text = EMERGENCY.replace("1,,,1,,1,1,,1,35.7916", "１,,,1,,1,1,,1,３５.７９１６");
        let rows = parse(&text, false).unwrap();
        assert_eq!(rows[0].hazards.as_ref().unwrap()[0], Hazard::Flood);
        assert_eq!(rows[0].position, Some((140.0563, 35.7916)));
    }

    #[test]
    fn stored_shelters_are_matched_by_gsi_id_and_unchanged_ones_are_not_rewritten() {
        let first = plan(&[], parse(EMERGENCY, false).unwrap()).unwrap();
        let mut stored = first.items;
        stored[1].id = "sh-001".into();
        let again = plan(&stored, parse(EMERGENCY, false).unwrap()).unwrap();
        assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 2));
        assert!(again.items.is_empty());
        let renamed = plan(&stored, parse(&EMERGENCY.replace("白井第一小学校", "白井第一小"), false).unwrap()).unwrap();
        assert_eq!((renamed.updated, renamed.items[0].id.as_str()), (1, "sh-001"));
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let bad = EMERGENCY.replace("35.7950", "北緯35度");
        assert_eq!(parse(&bad, false).unwrap_err(), fail(4, "緯度: 「北緯35度」は数値ではありません"));
        let flag = EMERGENCY.replace(",1,,,1,,1,1,,1,", ",x,,,1,,1,1,,1,");
        assert_eq!(parse(&flag, false).unwrap_err().message, "洪水: 1 か空欄のはずが「x」です");
        assert_eq!(parse("a,b\n1,2\n", false).unwrap_err().line, 1);
        assert_eq!(parse("\r\n", false).unwrap_err(), fail(0, "ファイルが空です"));
        let twice = EMERGENCY.replace("122320002", "122320001");
        assert_eq!(parse(&twice, false).unwrap_err(), fail(4, "共通ID: 「122320001」は 2 行目にもあります"));
        let swapped = EMERGENCY.replace("35.7950,140.0600", "140.0600,35.7950");
        assert!(parse(&swapped, false).unwrap_err().message.contains("入れ替わって"));
    }

    #[test]
    fn a_row_without_coordinates_is_refused_unless_geocoding() {
        let none = EMERGENCY.replace("35.7950,140.0600", ",");
        assert_eq!(
            parse(&none, false).unwrap_err(),
            fail(4, "緯度・経度がありません（--geocode を付けると住所から位置を求めます）")
        );
        assert_eq!(parse(&none, true).unwrap()[1].position, None);
        let half = EMERGENCY.replace("35.7950,140.0600", "35.7950,");
        assert_eq!(parse(&half, true).unwrap_err().line, 4, "one of the two is an error even when geocoding");
    }

    #[test]
    fn distinct_gsi_ids_never_share_a_record_id() {
        let (a, b) = (id_for("12232 001"), id_for("12232_001"));
        assert_ne!(a, b);
        assert_eq!(b, "gsi-12232_001", "a clean ID is kept as it is");
        assert!(a.starts_with("gsi-12232_001-"));
        assert_eq!(a, id_for("12232 001"), "stable");
        assert_ne!(id_for("白井１"), id_for("白井２"));
        for id in [a, id_for("白井１"), id_for(&"x".repeat(100))] {
            crate::domain::validate_id(&id).unwrap();
        }
    }

    #[test]
    fn shift_jis_and_bom_decode() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("施設・場所名,白井市役所");
        assert_eq!(decode(sjis.into_owned()).unwrap(), "施設・場所名,白井市役所");
        assert_eq!(decode("\u{feff}共通ID".as_bytes().to_vec()).unwrap(), "共通ID");
        assert!(decode(vec![0xff, 0xff, 0xff]).is_err());
        let utf16: Vec<u8> =
            [0xfeff_u16].into_iter().chain("共通ID".encode_utf16()).flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(utf16).unwrap(), "共通ID", "UTF-16 with a BOM (Excel's Unicode text)");
    }

    #[test]
    fn the_digital_agency_designated_layout_lists_designated_shelters_with_capacity() {
        let text = "ID,名称,所在地_連結表記,緯度,経度,想定収容人数\n122320001,白井第一小学校,千葉県白井市白井1,35.795,140.06,\"1,200\"\n";
        let rows = parse(text, false).unwrap();
        assert_eq!((rows[0].kind, rows[0].capacity_people), (ShelterKind::Designated, Some(Some(1200))));
        assert_eq!((rows[0].hazards.clone(), rows[0].accepts.clone()), (None, None), "neither column: kept on update");
    }
}
