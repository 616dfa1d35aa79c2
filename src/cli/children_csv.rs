//! `powermap import children-csv FILE --source 課名 [--dry-run]`: a division's list of
//! children (CSV with Japanese headers, UTF-8 or Shift_JIS), merged into the register.
//! The layout is in the README; unknown columns are ignored.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, anyhow};
use serde_json::json;

use super::gsi::{RowError, decode};
use crate::domain::intake::{Report, merge};
use crate::domain::{ChildProps, DeviceKind, Hazard, Resource, parse_feature};
use crate::store::{AccessEntry, Store, WriteMode};

/// Up to this many devices per row: 機器1_… to 機器4_….
const DEVICE_COLUMNS: usize = 4;

fn fail(line: u64, message: impl Into<String>) -> RowError {
    RowError { line, message: message.into() }
}

fn yes(v: &str) -> Option<bool> {
    match v.trim() {
        "" => None,
        "はい" | "有" | "あり" | "1" | "○" | "◯" | "true" => Some(true),
        "いいえ" | "無" | "なし" | "0" | "×" | "false" => Some(false),
        _ => None,
    }
}

/// Parses the rows into reports; the first bad row refuses the file.
pub fn parse(text: &str) -> Result<Vec<Report>, RowError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| fail(1, format!("header: {e}")))?.clone();
    let col: HashMap<String, usize> = headers.iter().enumerate().map(|(i, h)| (h.trim().to_owned(), i)).collect();
    if !col.contains_key("氏名") {
        return Err(fail(1, "header: no column 氏名"));
    }
    let hazard_labels: Vec<(Hazard, &str)> = Hazard::ALL.iter().copied().zip(super::gsi::HAZARD_COLUMNS).collect();
    let mut out = Vec::new();
    let mut lines = super::gsi::Lines::new(text);
    let progress = super::progress::reading(text.len());
    for record in reader.records() {
        let record = record.map_err(|e| fail(super::gsi::Lines::new(text).of(e.position()), e.to_string()))?;
        let line = lines.of(record.position());
        progress.set_position(record.position().map_or(0, csv::Position::byte));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |name: &str| col.get(name).and_then(|&i| record.get(i)).map(str::trim).unwrap_or("");
        let opt = |name: &str| Some(get(name)).filter(|v| !v.is_empty()).map(str::to_owned);
        let number = |name: &str| -> Result<Option<f64>, RowError> {
            opt(name)
                .map(|v| v.parse::<f64>().map_err(|_| fail(line, format!("{name}: '{v}' is not a number"))))
                .transpose()
        };
        let mut props = json!({"name": get("氏名"), "name_kana": opt("ふりがな"), "birth_date": opt("生年月日"),
                               "address": opt("住所"), "district": opt("町字"),
                               "consent_to_share": yes(get("情報提供の同意")).unwrap_or(false)});
        if let Some(name) = opt("保護者氏名") {
            props["contacts"] = json!([{"name": name, "relation": opt("続柄"), "phone": opt("電話")}]);
        }
        let mut hazards = Vec::new();
        for label in get("災害リスク").split(['、', ',', '・', ' ']).filter(|s| !s.is_empty()) {
            let code = |h: &Hazard| serde_json::to_value(h).ok().and_then(|v| v.as_str().map(str::to_owned));
            let Some((h, _)) = hazard_labels.iter().find(|(h, l)| *l == label || code(h).as_deref() == Some(label))
            else {
                return Err(fail(
                    line,
                    format!("災害リスク: '{label}' is not one of {}", super::gsi::HAZARD_COLUMNS.join("、")),
                ));
            };
            hazards.push(json!(h));
        }
        props["home_hazards"] = json!(hazards);
        let mut devices = Vec::new();
        for n in 1..=DEVICE_COLUMNS {
            let field = |f: &str| format!("機器{n}_{f}");
            let kind = get(&field("種類"));
            if kind.is_empty() {
                continue;
            }
            let Some(k) = DeviceKind::ALL.iter().find(|k| k.label_ja() == kind || k.as_str() == kind) else {
                return Err(fail(line, format!("{}: '{kind}' is not a known device", field("種類"))));
            };
            let input = match get(&field("電源")).to_ascii_lowercase().as_str() {
                "" | "ac100v" | "ac" => "ac100v",
                "dc12v" | "dc" => "dc12v",
                "usb" => "usb",
                other => return Err(fail(line, format!("{}: '{other}' is not AC100V, DC12V or USB", field("電源")))),
            };
            devices.push(json!({"id": format!("d{n}"), "kind": k.as_str(), "input": input,
                "rated_w": number(&field("定格W"))?.unwrap_or(0.0), "battery_h": number(&field("バッテリー時間"))?.unwrap_or(0.0),
                "life_critical": yes(get(&field("生命維持"))).unwrap_or(false)}));
        }
        props["devices"] = json!(devices);
        let position = match (number("経度")?, number("緯度")?) {
            (Some(lon), Some(lat)) => Some((lon, lat)),
            _ => None,
        };
        let (lon, lat) = position.unwrap_or((0.0, 0.0));
        let feature =
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props});
        let parsed = parse_feature::<ChildProps>(&feature)
            .map_err(|e| fail(line, format!("{}: {}", e[0].field, e[0].message)))?;
        out.push(Report { line, external_id: opt("外部ID"), props: parsed.3, position });
    }
    progress.finish_and_clear();
    Ok(out)
}

pub(super) async fn run(
    db: &str,
    file: &Path,
    source: &str,
    dry_run: bool,
    geocoder: Option<&impl super::geocode::Geocoder>,
) -> Result<()> {
    let bytes = super::fetch::read(file).await?;
    let refuse = |e: RowError| {
        let at = if e.line > 0 { format!(" line {}:", e.line) } else { String::new() };
        anyhow!("{}:{at} {}; nothing was imported", file.display(), e.message)
    };
    if source.trim().is_empty() {
        return Err(anyhow!("--source: name the reporting division (e.g. 健康課)"));
    }
    let mut reports = parse(&decode(&bytes).map_err(refuse)?).map_err(refuse)?;
    let mut located = Vec::new();
    if let Some(geocoder) = geocoder {
        for r in reports.iter_mut().filter(|r| r.position.is_none()) {
            let Some(address) = r.props.address.clone() else { continue };
            if let Some(found) = geocoder.locate(&address).await? {
                r.position = Some((found.lon, found.lat));
                located.push((r.line, r.props.name.clone(), found.matched));
            }
        }
    }
    let store = Store::connect(db).await?;
    let stored = store.load_all::<ChildProps>().await?;
    let outcome = merge(&stored, reports, source.trim(), crate::domain::feature::new_id::<ChildProps>);
    println!(
        "{}: 新規 {} 人、統合 {} 人、食い違い {} 件、位置不明 {} 行{}",
        file.display(),
        outcome.created.len(),
        outcome.merged.len(),
        outcome.conflicts.len(),
        outcome.unlocated.len(),
        if dry_run { "（--dry-run: 書き込みません）" } else { "" }
    );
    for (id, c) in &outcome.conflicts {
        println!(
            "  食い違い {id} {}: 登録済み「{}」／{}「{}」（登録済みの値を保持）",
            c.field, c.stored, c.source, c.reported
        );
    }
    for (line, name, matched) in &located {
        println!("  住所検索 {line} 行目 {name}: 「{matched}」の位置を使います");
    }
    for (line, name) in &outcome.unlocated {
        println!("  位置不明 {line} 行目 {name}: 緯度・経度がなく、住所からも位置が決まりません。取り込みません");
    }
    if dry_run {
        return Ok(());
    }
    let items: Vec<_> = outcome.created.into_iter().chain(outcome.merged).collect();
    for item in &items {
        let feature = json!({"type": "Feature", "id": item.id, "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
                             "properties": serde_json::to_value(&item.props)?});
        if let Err(e) = parse_feature::<ChildProps>(&feature) {
            return Err(anyhow!(
                "{}: {} {}: {}; nothing was imported",
                file.display(),
                item.id,
                e[0].field,
                e[0].message
            ));
        }
    }
    let log: Vec<AccessEntry> = super::cli_log("import", items.iter().map(|c| &c.id));
    let writing = super::progress::writing(items.len());
    store.write(&items, WriteMode::Upsert, &log).await?;
    writing.finish_and_clear();
    eprintln!("{}: wrote {} children ({})", file.display(), items.len(), ChildProps::COLLECTION);
    Ok(())
}
