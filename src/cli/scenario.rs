//! `powermap scenario outage --area FILE --hours H [--out FILE]`: the outage scenario from
//! the command line, for GIS work: the assignment as GeoJSON lines (child's home → power
//! point) in FILE with a summary on standard output, or without `--out` the GeoJSON on
//! standard output (for a pipe) and the summary on standard error.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::config::Settings;
use crate::domain::auth::{AccessEntry, Action};
use crate::domain::{ChildProps, PowerPointProps, ShelterProps};
use crate::planning::outage::{OutageResult, parse_area, run_outage};
use crate::spatial::Catalog;
use crate::store::Store;

/// Scenario commands.
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Who runs out of battery if AREA loses power for HOURS, and where each of them goes.
    Outage {
        /// GeoJSON file: a Polygon or MultiPolygon (bare, as a Feature, or a FeatureCollection of one).
        #[arg(long)]
        area: PathBuf,
        /// Length of the outage in hours (> 0).
        #[arg(long)]
        hours: f64,
        /// Where to write the assignment as GeoJSON (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub(super) async fn run(settings: &Settings, command: ScenarioCommand) -> Result<()> {
    let ScenarioCommand::Outage { area, hours, out } = command;
    if !(hours.is_finite() && hours > 0.0) {
        bail!("--hours: must be a number greater than 0, got {hours}");
    }
    let text = std::fs::read_to_string(&area).with_context(|| format!("{}: cannot read", area.display()))?;
    let value: Value = serde_json::from_str(&text).with_context(|| format!("{}: not JSON", area.display()))?;
    let polygon = parse_area(&value).map_err(|e| anyhow::anyhow!("{}: {}", area.display(), e.0))?;

    let store = Store::connect(&settings.db).await?;
    let catalog = Catalog::default();
    catalog.load(store.resources().load_all::<PowerPointProps>().await?);
    catalog.load(store.resources().load_all::<ShelterProps>().await?);
    catalog.load(store.resources().load_all::<ChildProps>().await?);
    let plans = store.plans().all_current().await?;
    let result = run_outage(&catalog, &polygon, hours, &settings.travel, &plans);
    let log: Vec<AccessEntry> = super::cli_log(Action::Scenario, result.affected.iter());
    store.access_log().append(&log).await?;

    let collection = json!({"type": "FeatureCollection", "hours": hours, "optimal": result.optimal,
                            "features": features(&catalog, &result)});
    let mut body = serde_json::to_string_pretty(&collection)?;
    body.push('\n');
    let mut summary = summary(hours, &result);
    match out {
        Some(out) => {
            std::fs::write(&out, body).with_context(|| format!("{}: cannot write", out.display()))?;
            summary.push_str(&format!("割当を書き出しました: {}\n", out.display()));
            print!("{summary}");
        }
        None => {
            std::io::stdout().write_all(body.as_bytes()).context("cannot write to standard output")?;
            eprint!("{summary}");
        }
    }
    Ok(())
}

/// The assignment as GeoJSON: a line home → power point per placed child, a point per unplaced one.
fn features(catalog: &Catalog, result: &OutageResult) -> Vec<Value> {
    let mut features = Vec::new();
    for a in &result.assignments {
        let (Some(child), Some(point)) =
            (catalog.get::<ChildProps>(&a.child_id), catalog.get::<PowerPointProps>(&a.power_point_id))
        else {
            continue;
        };
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[child.lon, child.lat], [point.lon, point.lat]]},
            "properties": {"child_id": a.child_id, "power_point_id": a.power_point_id,
                           "power_point_name": point.props.name, "distance_m": a.distance_m, "travel_min": a.travel_min},
        }));
    }
    for u in &result.unassigned {
        if let Some(child) = catalog.get::<ChildProps>(&u.child_id) {
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [child.lon, child.lat]},
                "properties": {"child_id": u.child_id, "unassigned": true, "reason": u.reason},
            }));
        }
    }
    features
}

/// The human summary, one line per figure.
fn summary(hours: f64, result: &OutageResult) -> String {
    let mut s = format!(
        "停電 {hours} 時間: 区域内の児童 {} 人、バッテリーが持たない児童 {} 人\n",
        result.affected.len(),
        result.at_risk.len()
    );
    s.push_str(&format!(
        "割当 {} 人（総移動距離 {:.1} km、{}）、割当できない児童 {} 人、停止する電源 {} か所\n",
        result.assignments.len(),
        result.total_distance_m / 1000.0,
        if result.optimal { "最適" } else { "容量制約のため最適性は未証明" },
        result.unassigned.len(),
        result.points_out.len()
    ));
    for u in &result.unassigned {
        s.push_str(&format!("  割当できない: {} ({})\n", u.child_id, u.reason));
    }
    s
}
