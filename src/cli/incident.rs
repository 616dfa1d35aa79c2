//! `powermap incident outages`: an incident's outage areas from a file or URL, all or nothing.
//! Areas with an id already stored in the incident are replaced (a utility's feed re-sends
//! its areas with `restored_at` set), so the same file can be loaded again.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};

use crate::planning::incident_input::parse_outages;
use crate::store::{Store, WriteMode};

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
    },
}

/// Outage source formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutageFormat {
    /// A GeoJSON Feature or FeatureCollection of outage areas (as `POST …/outages` takes).
    Geojson,
}

/// Runs an incident action.
pub async fn run(db: &str, action: IncidentCommand) -> Result<()> {
    let IncidentCommand::Outages { incident, file, format: OutageFormat::Geojson } = action;
    let bytes = super::fetch::read(&file).await?;
    let name = file.display();
    let body: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| format!("{name}: not valid JSON"))?;
    let (areas, _) = parse_outages(&incident, &body).map_err(|problems| {
        let (index, e) = problems.into_iter().next().unwrap_or((0, crate::domain::FieldError::new("", "invalid")));
        anyhow::anyhow!("{name}: feature {index}: {}: {}; nothing was written", e.field, e.message)
    })?;
    if areas.is_empty() {
        bail!("{name}: no outage areas; nothing was written");
    }
    let store = Store::connect(db).await?;
    store.incidents().add_outages(&incident, &areas, WriteMode::Upsert).await.with_context(|| format!("{name}"))?;
    println!("incident {incident}: {} outage areas written from {name}", areas.len());
    Ok(())
}
