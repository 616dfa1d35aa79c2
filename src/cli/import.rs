//! `powermap import KIND FILE`: a GeoJSON FeatureCollection in one transaction.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::Kind;
use crate::domain::feature::{BodyError, new_id, parse_features};
use crate::domain::{ChildProps, PowerPointProps, Resource, ShelterProps};
use crate::store::{AccessEntry, Store, WriteMode};

pub(super) async fn run(db: &str, kind: Kind, file: &Path) -> Result<()> {
    if matches!(kind, Kind::GsiShelters) {
        return gsi_shelters(db, file).await;
    }
    let bytes = super::fetch::read(file).await?;
    let text = String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8", file.display()))?;
    let body: Value = serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", file.display()))?;
    let store = Store::connect(db).await?;
    let n = match kind {
        Kind::PowerPoints => import::<PowerPointProps>(&store, &body, file, false).await?,
        Kind::Shelters => import::<ShelterProps>(&store, &body, file, false).await?,
        Kind::Children => import::<ChildProps>(&store, &body, file, true).await?,
        Kind::Plans => bail!("plans are written through the API (PUT /api/v1/children/{{id}}/plan), not imported"),
        Kind::GsiShelters | Kind::ChildrenCsv => bail!("this import reads CSV, not GeoJSON"),
    };
    eprintln!("{}: imported {n} features", file.display());
    Ok(())
}

/// Validates everything first, then writes in one transaction: a bad feature stores nothing.
pub(crate) async fn import<P: Resource>(store: &Store, body: &Value, file: &Path, log: bool) -> Result<usize> {
    if body.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        bail!("{}: must be a GeoJSON FeatureCollection", file.display());
    }
    let items = match parse_features::<P>(body, new_id::<P>) {
        Ok((items, _)) => items,
        Err(BodyError::TooMany(n)) => bail!("{}: {n} features is over the limit", file.display()),
        Err(BodyError::Invalid(errors)) => {
            let (index, e) = &errors[0];
            let id = body["features"][*index]["id"].as_str().map(|id| format!(" (id {id})")).unwrap_or_default();
            let more = if errors.len() > 1 { format!(" (+{} more problems)", errors.len() - 1) } else { String::new() };
            bail!("{}: feature {index}{id}: {}: {}{more}; nothing was imported", file.display(), e.field, e.message);
        }
    };
    let entries: Vec<AccessEntry> =
        if log { super::cli_log("import", items.iter().map(|c| &c.id)) } else { Vec::new() };
    let writing = super::progress::writing(items.len());
    store.write(&items, WriteMode::Upsert, &entries).await?;
    writing.finish_and_clear();
    Ok(items.len())
}

/// The national shelter CSV: decoded, parsed and checked row by row (the first bad row
/// refuses the file with its line number), then written like a FeatureCollection.
async fn gsi_shelters(db: &str, file: &Path) -> Result<()> {
    let bytes = super::fetch::read(file).await?;
    let refuse = |e: super::gsi::RowError| {
        let at = if e.line > 0 { format!(" line {}:", e.line) } else { String::new() };
        anyhow::anyhow!("{}:{at} {}; nothing was imported", file.display(), e.message)
    };
    let text = super::gsi::decode(&bytes).map_err(refuse)?;
    let store = Store::connect(db).await?;
    let existing: std::collections::HashMap<String, String> = store
        .load_all::<ShelterProps>()
        .await?
        .into_iter()
        .filter_map(|s| s.props.gsi_id.clone().map(|g| (g, s.id)))
        .collect();
    let rows = super::gsi::parse(&text, &existing).map_err(refuse)?;
    let stored: std::collections::HashSet<&String> = existing.values().collect();
    let updated =
        rows.iter().filter(|(_, f)| f["id"].as_str().is_some_and(|id| stored.contains(&id.to_owned()))).count();
    let features: Vec<Value> = rows.into_iter().map(|(_, f)| f).collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    let n = import::<ShelterProps>(&store, &body, file, false).await?;
    eprintln!("{}: imported {n} shelters ({} new, {updated} updated)", file.display(), n - updated);
    Ok(())
}
