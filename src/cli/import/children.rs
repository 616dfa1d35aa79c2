//! `powermap import children-csv FILE --source 課名 [--dry-run] [--geocode]`: a division's
//! list of children (CSV with Japanese headers, UTF-8 or Shift_JIS), merged into the register.
//! The layout is in the README; unknown columns are ignored.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, anyhow};
use time::Date;

use super::csv::{RowError, decode, fail, header_name, nfkc};
use crate::domain::auth::Action;
use crate::domain::intake::era::parse_date;
use crate::domain::intake::{Loose, Outcome, Report, ReportedDevice, Unlocated, merge};
use crate::domain::{Checker, ChildProps, Contact, DeviceKind, Hazard, Located, OutletType, Resource};
use crate::store::Store;

/// Up to this many devices per row: 機器1_… to 機器4_….
const DEVICE_COLUMNS: usize = 4;

/// Headers accepted for the name kana, as divisions label it.
const KANA_HEADERS: [&str; 5] = ["ふりがな", "フリガナ", "よみがな", "カナ", "かな"];

/// はい / いいえ and the other ways lists write yes and no; blank is "not known". Anything
/// else (`要`, `済`) is refused, not read as no: a life-critical device must not turn into
/// an optional one because of a typo.
fn yes(column: &str, v: &str, line: u64) -> Result<Option<bool>, RowError> {
    match nfkc(v).to_lowercase().as_str() {
        "" => Ok(None),
        "はい" | "有" | "あり" | "1" | "○" | "◯" | "〇" | "true" | "yes" | "y" => Ok(Some(true)),
        "いいえ" | "無" | "なし" | "0" | "×" | "false" | "no" | "n" => Ok(Some(false)),
        _ => Err(fail(line, format!("{column}: 「{v}」は はい・いいえ のどちらでもありません"))),
    }
}

/// A date cell, read by the era table's rules ([`parse_date`]); errors name line and column.
fn date(column: &str, v: &str, line: u64) -> Result<Date, RowError> {
    parse_date(v).map_err(|e| fail(line, format!("{column}: 「{v}」{e}")))
}

/// The header row: each known column's position, under the name this file gives it.
struct Columns {
    names: Vec<String>,
    at: HashMap<String, usize>,
}

impl Columns {
    fn of(headers: &csv::StringRecord) -> Self {
        let names: Vec<String> = headers.iter().map(header_name).collect();
        let mut at = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            at.entry(n.clone()).or_insert(i);
        }
        Columns { names, at }
    }

    /// The first of `candidates` the file has, as (index, its header).
    fn find(&self, candidates: &[&str]) -> Option<(usize, &str)> {
        candidates.iter().find_map(|c| self.at.get(*c)).map(|&i| (i, self.names[i].as_str()))
    }
}

/// One row, read cell by cell; every error names the row's line and the column.
struct Row<'a> {
    line: u64,
    record: &'a csv::StringRecord,
    columns: &'a Columns,
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.columns.at.get(column).and_then(|&i| self.record.get(i)).map_or("", str::trim)
    }

    fn text(&self, column: &str) -> Option<String> {
        Some(self.get(column)).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    fn number(&self, column: &str) -> Result<Option<f64>, RowError> {
        self.text(column).map(|v| super::csv::number(column, &v, self.line)).transpose()
    }

    fn yes(&self, column: &str) -> Result<Option<bool>, RowError> {
        yes(column, self.get(column), self.line)
    }

    fn fail(&self, message: impl Into<String>) -> RowError {
        fail(self.line, message)
    }

    fn device(&self, n: usize) -> Result<Option<ReportedDevice>, RowError> {
        let col = |f: &str| format!("機器{n}_{f}");
        let kind = nfkc(self.get(&col("種類")));
        if kind.is_empty() {
            if let Some(other) =
                ["定格W", "電源", "バッテリー時間", "生命維持"].iter().find(|f| !self.get(&col(f)).is_empty())
            {
                return Err(self.fail(format!("{}: 空欄ですが {} に値があります", col("種類"), col(other))));
            }
            return Ok(None);
        }
        let Some(k) = DeviceKind::ALL.iter().find(|k| k.label_ja() == kind || k.as_str() == kind) else {
            let known: Vec<_> = DeviceKind::ALL.iter().map(|k| k.label_ja()).collect();
            return Err(self.fail(format!(
                "{}: 「{kind}」は機器の種類にありません（{}）",
                col("種類"),
                known.join("、")
            )));
        };
        let Some(rated_w) = self.number(&col("定格W"))? else {
            return Err(self.fail(format!("{}: 空欄です（機器の定格消費電力 W）", col("定格W"))));
        };
        if rated_w <= 0.0 {
            return Err(self.fail(format!("{}: 0 より大きい数を書いてください", col("定格W"))));
        }
        let battery_h = self.number(&col("バッテリー時間"))?;
        if battery_h.is_some_and(|h| h < 0.0) {
            return Err(self.fail(format!("{}: 0 以上の数を書いてください", col("バッテリー時間"))));
        }
        let input = match nfkc(self.get(&col("電源"))).to_ascii_lowercase().replace(' ', "").as_str() {
            "" => None,
            "ac100v" | "ac" | "ac100" | "100v" => Some(OutletType::Ac100v),
            "dc12v" | "dc" | "12v" => Some(OutletType::Dc12v),
            "usb" => Some(OutletType::Usb),
            _ => {
                return Err(self.fail(format!(
                    "{}: 「{}」は AC100V・DC12V・USB のどれでもありません",
                    col("電源"),
                    self.get(&col("電源"))
                )));
            }
        };
        Ok(Some(ReportedDevice { kind: *k, rated_w, input, battery_h, life_critical: self.yes(&col("生命維持"))? }))
    }

    fn hazards(&self) -> Result<Vec<Hazard>, RowError> {
        let mut hazards = Vec::new();
        let value = nfkc(self.get("災害リスク"));
        for label in value.split(['、', ',', '・', ' ', '/', '／']).filter(|s| !s.is_empty()) {
            let code = |h: &Hazard| serde_json::to_value(h).ok().and_then(|v| v.as_str().map(str::to_owned));
            let Some(h) = Hazard::ALL.iter().find(|h| h.label_ja() == label || code(h).as_deref() == Some(label))
            else {
                let known: Vec<_> = Hazard::ALL.iter().map(|h| h.label_ja()).collect();
                return Err(
                    self.fail(format!("災害リスク: 「{label}」は災害の種類にありません（{}）", known.join("、")))
                );
            };
            if !hazards.contains(h) {
                hazards.push(*h);
            }
        }
        Ok(hazards)
    }

    fn report(&self, kana: Option<(usize, &str)>) -> Result<Report, RowError> {
        let name = self.get("氏名");
        if name.is_empty() {
            return Err(self.fail("氏名: 空欄です"));
        }
        let mut props: ChildProps =
            serde_json::from_value(serde_json::json!({"name": name})).map_err(|e| self.fail(format!("氏名: {e}")))?;
        props.name_kana = kana.and_then(|(_, header)| self.text(header));
        props.birth_date = self.text("生年月日").map(|v| date("生年月日", &v, self.line)).transpose()?;
        props.address = self.text("住所");
        props.district = self.text("町字");
        match self.text("保護者氏名") {
            Some(name) => {
                props.contacts = vec![Contact { name, relation: self.text("続柄"), phone: self.text("電話") }]
            }
            None => {
                if let Some(other) = ["続柄", "電話"].iter().find(|c| !self.get(c).is_empty()) {
                    return Err(self.fail(format!("保護者氏名: 空欄ですが {other} に値があります")));
                }
            }
        }
        let consent = self.yes("情報提供の同意")?;
        props.home_hazards = self.hazards()?;
        let mut devices = Vec::new();
        let mut device_columns = Vec::new();
        for n in 1..=DEVICE_COLUMNS {
            if let Some(d) = self.device(n)? {
                devices.push(d);
                device_columns.push(n);
            }
        }
        let position = super::csv::position(("緯度", self.get("緯度")), ("経度", self.get("経度")), self.line)?;
        let report = Report {
            line: self.line,
            external_id: self.text("外部ID"),
            props,
            consent,
            devices,
            position,
            geocoded: None,
        };
        // What the contract checks besides (lengths …), named by this file's columns.
        let mut check = Checker::default();
        let mut whole = report.props.clone();
        whole.devices = report.devices.iter().map(|d| d.to_device(String::new())).collect();
        whole.validate(&mut check);
        if let Some(e) = check.errors.first() {
            let column = column_of(&e.field, kana.map_or("ふりがな", |(_, h)| h), &device_columns);
            return Err(self.fail(format!("{column}: {}", e.message)));
        }
        Ok(report)
    }
}

/// A contract field path (`devices[0].model`, `contacts[0].phone`) as this file's column.
fn column_of(field: &str, kana: &str, device_columns: &[usize]) -> String {
    if let Some(rest) = field.strip_prefix("devices[")
        && let Some((i, f)) = rest.split_once("].")
        && let Some(n) = i.parse::<usize>().ok().and_then(|i| device_columns.get(i))
    {
        let column = match f {
            "rated_w" => "定格W",
            "battery_h" => "バッテリー時間",
            "input" => "電源",
            "life_critical" => "生命維持",
            _ => "種類",
        };
        return format!("機器{n}_{column}");
    }
    match field {
        "name" => "氏名",
        "name_kana" => kana,
        "birth_date" => "生年月日",
        "address" => "住所",
        "district" => "町字",
        "consent_to_share" => "情報提供の同意",
        "geometry" => "緯度・経度",
        f if f.starts_with("contacts") && f.ends_with("phone") => "電話",
        f if f.starts_with("contacts") && f.ends_with("relation") => "続柄",
        f if f.starts_with("contacts") => "保護者氏名",
        other => other,
    }
    .to_owned()
}

/// Parses the rows into reports; the first bad row refuses the file.
pub fn parse(text: &str) -> Result<Vec<Report>, RowError> {
    let (mut records, headers) = super::csv::Records::new(text)?;
    let columns = Columns::of(&headers);
    if columns.find(&["氏名"]).is_none() {
        return Err(fail(1, "見出し行: 列「氏名」がありません"));
    }
    let kana = columns.find(&KANA_HEADERS);
    let mut out = Vec::new();
    while let Some((line, record)) = records.next_record()? {
        out.push(Row { line, record, columns: &columns }.report(kana)?);
    }
    Ok(out)
}

/// A conflict's field in the report's words (the CSV's columns).
fn label(field: &str, devices: &[crate::domain::Device]) -> String {
    if let Some(rest) = field.strip_prefix("devices[")
        && let Some((i, f)) = rest.split_once("].")
    {
        let kind = i.parse::<usize>().ok().and_then(|i| devices.get(i)).map_or("機器", |d| d.kind.label_ja());
        let what = match f {
            "rated_w" => "定格W",
            "input" => "電源",
            "battery_h" => "バッテリー時間",
            "life_critical" => "生命維持",
            other => other,
        };
        return format!("{kind}の{what}");
    }
    match field {
        "name" => "氏名",
        "name_kana" => "ふりがな",
        "birth_date" => "生年月日",
        "address" => "住所",
        "district" => "町字",
        "consent_to_share" => "情報提供の同意",
        "geometry" => "自宅の位置（緯度,経度）",
        other => other,
    }
    .to_owned()
}

/// The report, in Japanese on standard output: counts, then one line per thing to look at.
fn print(
    file: &Path,
    stored: &[Located<ChildProps>],
    out: &Outcome,
    located: &[(u64, String, String)],
    geocoding: bool,
    dry_run: bool,
) {
    println!(
        "{}: 新規 {} 人、統合 {} 人、変更なし {} 人、食い違い {} 件、要確認 {} 行、位置不明 {} 行{}",
        file.display(),
        out.created.len(),
        out.merged.len(),
        out.unchanged.len(),
        out.conflicts.len(),
        out.loose.len() + out.ambiguous.len(),
        out.unlocated.len(),
        if dry_run { "（--dry-run: 書き込みません）" } else { "" }
    );
    let devices: HashMap<&str, &[crate::domain::Device]> = stored
        .iter()
        .chain(&out.merged)
        .chain(&out.created)
        .map(|c| (c.id.as_str(), c.props.devices.as_slice()))
        .collect();
    let shown = |v: &str| if v.is_empty() { "（なし）".to_owned() } else { format!("「{v}」") };
    for f in &out.conflicts {
        let c = &f.conflict;
        println!(
            "  食い違い {} 行目 {} {}: 登録済み{}／{}{}（登録済みの値を保持）",
            f.line,
            f.child_id,
            label(&c.field, devices.get(f.child_id.as_str()).copied().unwrap_or_default()),
            shown(&c.stored),
            c.source,
            shown(&c.reported)
        );
    }
    for m in &out.loose {
        let why = match m.why {
            Loose::BirthDateDiffers => "ふりがなが同じで生年月日が違います",
            Loose::BirthDateMissing => "ふりがなが同じで、生年月日が片方にしかありません",
            Loose::KanaDiffers => "氏名と生年月日が同じで、ふりがなが違います",
        };
        println!(
            "  要確認 {} 行目 {} → {}: {why}。同じ児童として統合しました。別の児童なら分けてください",
            m.line, m.name, m.child_id
        );
    }
    for a in &out.ambiguous {
        println!(
            "  要確認 {} 行目 {}: {} のどれとも同じ児童でありえます。決められないので取り込みません（外部IDか生年月日で特定してください）",
            a.line,
            a.name,
            a.candidates.join("、")
        );
    }
    for (line, name, matched) in located {
        println!("  住所検索 {line} 行目 {name}: 「{matched}」の位置を使います");
    }
    for Unlocated { line, name, has_address } in &out.unlocated {
        let why = match (has_address, geocoding) {
            (false, _) => "緯度・経度も住所もありません",
            (true, false) => "緯度・経度がありません（--geocode を付けると住所から位置を探します）",
            (true, true) => "緯度・経度がなく、住所からも位置が決まりません",
        };
        println!("  位置不明 {line} 行目 {name}: {why}。取り込みません");
    }
}

/// Reads, merges and (unless `dry_run`) writes one division's list; the report goes to
/// standard output, a refused file is the one-line error.
pub(super) async fn run(
    db: &str,
    file: &Path,
    source: &str,
    dry_run: bool,
    geocoder: Option<&impl crate::cli::geocode::Geocoder>,
) -> Result<()> {
    if source.trim().is_empty() {
        return Err(anyhow!("--source: 報告した課の名前を指定してください（例: 健康課）"));
    }
    let bytes = crate::cli::fetch::read(file).await?;
    let mut reports = parse(&decode(bytes).map_err(|e| e.refuse(file))?).map_err(|e| e.refuse(file))?;
    let store = Store::connect(db).await?;
    let stored = store.resources().load_all::<ChildProps>().await?;
    let new_id = crate::domain::feature::new_id::<ChildProps>;
    let mut outcome = merge(&stored, &reports, source.trim(), new_id);
    // Only new children without coordinates are looked up; a stored child keeps its home.
    let mut located = Vec::new();
    if let Some(geocoder) = geocoder
        && !outcome.unlocated.is_empty()
    {
        for u in &outcome.unlocated {
            let Some(r) = reports.iter_mut().find(|r| r.line == u.line) else { continue };
            let Some(address) = r.props.address.as_deref() else { continue };
            if let Some(found) = geocoder.locate(address).await? {
                r.geocoded = Some((found.lon, found.lat));
                located.push((r.line, r.props.name.clone(), found.matched));
            }
        }
        outcome = merge(&stored, &reports, source.trim(), new_id);
    }
    print(file, &stored, &outcome, &located, geocoder.is_some(), dry_run);
    if dry_run {
        return Ok(());
    }
    let items: Vec<_> = outcome.created.into_iter().chain(outcome.merged).collect();
    for item in &items {
        let mut check = Checker::default();
        item.props.validate(&mut check);
        if let Some(e) = check.errors.first() {
            return Err(anyhow!(
                "{}: {} {}: {}（何も取り込んでいません）",
                file.display(),
                item.id,
                e.field,
                e.message
            ));
        }
    }
    // Logged: every child written. Children matched but unchanged are not rewritten.
    let log = crate::cli::cli_log(Action::Import, items.iter().map(|c| &c.id));
    super::write::write(&store, &items, &log).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "外部ID,氏名,フリガナ,生年月日,緯度,経度,情報提供の同意,機器1_種類,機器1_定格W,機器1_電源,機器1_バッテリー時間,機器1_生命維持";

    fn one(row: &str) -> Result<Report, RowError> {
        parse(&format!("{HEADER}\n{row}\n")).map(|mut r| r.remove(0))
    }

    #[test]
    fn dates_as_excel_and_the_japanese_era_write_them() {
        for v in ["2021-03-03", "2021/3/3", "２０２１／３／３", "2021年3月3日", "令和3年3月3日", "R3.3.3"]
        {
            assert_eq!(date("生年月日", v, 2).unwrap().to_string(), "2021-03-03", "{v}");
        }
        assert_eq!(date("生年月日", "令和元年5月1日", 2).unwrap().to_string(), "2019-05-01");
        let e = date("生年月日", "2020-13-01", 3).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.starts_with("生年月日: 「2020-13-01」は日付ではありません"), "{e:?}");
        assert!(date("生年月日", "21/3/3", 2).is_err(), "a two-digit year is not guessed");
        let e = one("X-9,令和（架空）,レイワ,令和1年1月1日,35.8,140.03,,,,,,").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.starts_with("生年月日: 「令和1年1月1日」は令和にない日です"), "{e:?}");
        assert!(e.message.contains("平成31年1月1日"), "{e:?}");
        assert!(one("X-9,平成（架空）,ヘイセイ,平成40年1月1日,35.8,140.03,,,,,,").is_err());
    }

    #[test]
    fn unknown_yes_no_values_are_errors_with_line_and_column() {
        let e =
            one("X-3,生命 維持（架空）,セイメイ イジ,2020-02-02,35.8,140.03,,人工呼吸器,150,AC100V,8,要").unwrap_err();
        assert_eq!(e, fail(2, "機器1_生命維持: 「要」は はい・いいえ のどちらでもありません"));
        let e = one("X-4,同意 済（架空）,ドウイ ズミ,2020-02-03,35.8,140.03,済,,,,,").unwrap_err();
        assert_eq!(e.message, "情報提供の同意: 「済」は はい・いいえ のどちらでもありません");
        let r = one("X-5,確認（架空）,カクニン,2020-02-03,35.8,140.03,,吸引器,80,,,").unwrap();
        assert_eq!((r.consent, r.devices[0].life_critical, r.devices[0].input), (None, None, None), "blank is unknown");
    }

    #[test]
    fn errors_name_the_japanese_column() {
        let e = one("N-1,定格 なし（架空）,テイカク ナシ,2020-01-01,35.8,140.0,,吸引器,,AC100V,1,はい").unwrap_err();
        assert_eq!(e.message, "機器1_定格W: 空欄です（機器の定格消費電力 W）");
        let e = one("N-2,範囲（架空）,ハンイ,2020-01-01,35.8,140.0,,吸引器,-5,AC100V,1,はい").unwrap_err();
        assert!(e.message.starts_with("機器1_定格W:"), "{e:?}");
        let long = "あ".repeat(2001);
        let e = one(&format!("N-3,長い（架空）,{long},2020-01-01,35.8,140.0,,,,,,")).unwrap_err();
        assert!(e.message.starts_with("フリガナ:"), "{e:?}");
    }

    #[test]
    fn full_width_digits_and_a_katakana_header_are_read() {
        let r = one(
            "Z-1,全角（架空）,ゼンカク,２０２０-０１-０１,３５.８,１４０.０３,はい,吸引器,８０,ＡＣ１００Ｖ,１.５,はい",
        )
        .unwrap();
        assert_eq!(r.props.name_kana.as_deref(), Some("ゼンカク"));
        assert_eq!(r.position, Some((140.03, 35.8)));
        assert_eq!((r.devices[0].rated_w, r.devices[0].battery_h), (80.0, Some(1.5)));
        assert_eq!(r.devices[0].input, Some(OutletType::Ac100v));
    }

    #[test]
    fn one_coordinate_without_the_other_is_an_error() {
        let e = one("Q-1,片方 座標（架空）,カタホウ,2020-01-01,35.8,,,,,,,").unwrap_err();
        assert_eq!(e, fail(2, "経度: 空欄です（緯度 だけでは位置が決まりません）"));
    }

    #[test]
    fn conflict_labels_are_the_csv_columns() {
        assert_eq!(label("birth_date", &[]), "生年月日");
        let d = ReportedDevice {
            kind: DeviceKind::Ventilator,
            rated_w: 1.0,
            input: None,
            battery_h: None,
            life_critical: None,
        };
        assert_eq!(label("devices[0].input", &[d.to_device("d1".into())]), "人工呼吸器の電源");
        assert_eq!(crate::domain::intake::input_label(OutletType::Dc12v), "DC12V");
    }
}
