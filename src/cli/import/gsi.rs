//! The national designated-shelter data (指定緊急避難場所・指定避難所), as published per
//! municipality: the emergency-site layout with its eight hazard columns, the designated-
//! shelter layout with 受入対象者, and the Digital Agency's standard layouts (災害種別_…,
//! 想定収容人数). UTF-8 with or without BOM, or Shift_JIS. Rows are matched to stored shelters
//! by 共通ID, so a re-import updates instead of duplicating.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use anyhow::Result;

use super::csv::{Records, RowError, decode, fail, header_name, nfkc, position};
use crate::cli::geocode::Geocoder;
use crate::domain::intake::{ShelterReport, merge_shelter};
use crate::domain::{Checker, Hazard, Located, Resource, ShelterKind, ShelterProps};
use crate::store::Store;

/// The hazard columns' names in the national data, in [`Hazard::ALL`] order.
pub const HAZARD_COLUMNS: [&str; 8] =
    ["洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象"];

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

/// The national shelter CSV: decoded, parsed and checked row by row (the first bad row
/// refuses the file with its line number), merged with the stored shelters by 共通ID, then
/// the new and changed ones written in one transaction.
pub(super) async fn run(db: &str, file: &Path, dry_run: bool, geocoder: Option<&impl Geocoder>) -> Result<()> {
    let bytes = crate::cli::fetch::read(file).await?;
    let text = decode(bytes).map_err(|e| e.refuse(file))?;
    let mut rows = parse(&text, geocoder.is_some()).map_err(|e| e.refuse(file))?;
    drop(text);
    let mut located = Vec::new();
    if let Some(geocoder) = geocoder {
        for r in rows.iter_mut().filter(|r| r.position.is_none()) {
            let found = match &r.address {
                Some(address) => geocoder.locate(address).await?,
                None => None,
            };
            let Some(found) = found else {
                let why = if r.address.is_some() {
                    "住所から位置が決まりません"
                } else {
                    "住所もありません"
                };
                return Err(fail(r.line, format!("緯度・経度がなく、{why}")).refuse(file));
            };
            r.position = Some((found.lon, found.lat));
            located.push((r.line, r.name.clone(), found.matched));
        }
    }
    let store = Store::connect(db).await?;
    let stored = store.resources().load_all::<ShelterProps>().await?;
    let plan = plan(&stored, rows).map_err(|e| e.refuse(file))?;
    drop(stored);
    println!(
        "{}: 新規 {} 件、更新 {} 件、変更なし {} 件{}",
        file.display(),
        plan.new,
        plan.updated,
        plan.unchanged,
        if dry_run { "（--dry-run: 書き込みません）" } else { "" }
    );
    for (line, name, matched) in &located {
        println!("  住所検索 {line} 行目 {name}: 「{matched}」の位置を使います");
    }
    if !dry_run {
        super::write::write(&store, &plan.items, &[]).await?;
    }
    Ok(())
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
