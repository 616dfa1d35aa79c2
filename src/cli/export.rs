//! `powermap export KIND --format geojson|csv` to standard output.

use std::io::Write;

use anyhow::Result;
use serde_json::Value;

use super::{Format, Kind};
use crate::domain::auth::{AccessEntry, Action};
use crate::domain::{ChildProps, Located, PowerPointProps, Resource, ShelterProps, spreadsheet};
use crate::store::Store;

pub(super) async fn run(db: &str, kind: Kind, format: Format) -> Result<()> {
    let store = Store::connect(db).await?;
    let text = match kind {
        Kind::PowerPoints => render(&store.resources().load_all::<PowerPointProps>().await?, format)?,
        Kind::Shelters => render(&store.resources().load_all::<ShelterProps>().await?, format)?,
        Kind::Children => {
            let children = store.resources().load_all::<ChildProps>().await?;
            let log: Vec<AccessEntry> = super::cli_log(Action::Export, children.iter().map(|c| &c.id));
            store.access_log().append(&log).await?;
            render(&children, format)?
        }
        Kind::Plans => plans(&store, format).await?,
        Kind::HazardZones => zones(&store, format).await?,
        Kind::GsiShelters | Kind::ChildrenCsv => {
            anyhow::bail!("that is an import format; export shelters or children instead")
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// Current plans, one row per child: JSON lines or CSV (UTF-8 with BOM) with Japanese headers.
async fn plans(store: &Store, format: Format) -> Result<String> {
    let children = store.resources().load_all::<ChildProps>().await?;
    let plans = store.plans().all_current().await?;
    let log: Vec<AccessEntry> = super::cli_log(Action::ExportPlan, plans.keys());
    store.access_log().append(&log).await?;
    if format == Format::Geojson {
        let mut ordered: Vec<_> = plans.values().collect();
        ordered.sort_by(|a, b| a.child_id.cmp(&b.child_id));
        return Ok(serde_json::to_string_pretty(&ordered)? + "\n");
    }
    let mut out = spreadsheet::writer();
    out.write_record([
        "児童ID",
        "氏名",
        "地区",
        "版",
        "状態",
        "避難所",
        "予備避難所",
        "電源ポイント",
        "予備電源ポイント",
        "移動手段",
        "支援者",
        "最終見直し",
        "次回見直し期限",
        "作成者",
        "作成日時",
    ])?;
    for child in &children {
        let Some(p) = plans.get(&child.id) else { continue };
        let b = &p.body;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let supporters: Vec<String> =
            b.supporters.iter().map(|s| format!("{} {}", s.name, s.phone.clone().unwrap_or_default())).collect();
        let record = [
            child.id.clone(),
            child.props.name.clone(),
            text(&child.props.district),
            p.version.to_string(),
            wire_name(&b.status),
            text(&b.shelter_id),
            text(&b.backup_shelter_id),
            text(&b.power_point_id),
            text(&b.backup_power_point_id),
            wire_name(&b.transport),
            supporters.join(" / "),
            b.reviewed_at.map(|d| d.to_string()).unwrap_or_default(),
            b.next_review_due.map(|d| d.to_string()).unwrap_or_default(),
            p.author.clone(),
            p.created_at.clone(),
        ];
        out.write_record(record.iter().map(|cell| spreadsheet::text_cell(cell).into_owned()))?;
    }
    Ok(spreadsheet::finish(out)?)
}

/// A serde enum's wire name (`agreed`, `family_car`), for CSV cells.
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// GeoJSON, or CSV with one column per top-level property (nested values as JSON text).
pub(crate) fn render<P: Resource>(items: &[Located<P>], format: Format) -> Result<String> {
    if format == Format::Geojson {
        let fc = geojson::FeatureCollection {
            bbox: None,
            features: items.iter().map(Located::to_feature).collect(),
            foreign_members: None,
        };
        return Ok(serde_json::to_string_pretty(&fc)? + "\n");
    }
    let rows: Vec<serde_json::Map<String, Value>> =
        items.iter().map(|i| i.to_feature().properties.unwrap_or_default()).collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        for key in row.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    let mut out = spreadsheet::writer();
    let header = ["id", "lon", "lat"].into_iter().map(String::from).chain(columns.iter().cloned());
    out.write_record(header)?;
    for (item, row) in items.iter().zip(&rows) {
        let cells = columns.iter().map(|c| match row.get(c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => spreadsheet::text_cell(s).into_owned(),
            Some(other) => other.to_string(),
        });
        let record: Vec<String> =
            [item.id.clone(), item.lon.to_string(), item.lat.to_string()].into_iter().chain(cells).collect();
        out.write_record(&record)?;
    }
    Ok(spreadsheet::finish(out)?)
}

/// Hazard zones as a GeoJSON FeatureCollection (their shapes have no CSV form).
async fn zones(store: &Store, format: Format) -> Result<String> {
    if format != Format::Geojson {
        anyhow::bail!("hazard zones export as GeoJSON only");
    }
    let features: Vec<serde_json::Value> =
        store.hazard_zones().load_all().await?.iter().map(|z| z.to_feature()).collect();
    Ok(serde_json::json!({"type": "FeatureCollection", "features": features}).to_string() + "\n")
}
