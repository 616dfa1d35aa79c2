//! `powermap import KIND FILE`: a GeoJSON FeatureCollection in one transaction, or one of
//! the CSV imports (national shelter data, a division's children list).

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use serde_json::Value;

mod children;
mod csv;
mod gsi;
mod shapefile;
mod write;

use super::Kind;
use super::geocode::GsiAddressSearch;
use crate::domain::auth::{AccessEntry, Action};
use crate::domain::feature::{BodyError, new_id, parse_features};
use crate::domain::{ChildProps, PowerPointProps, Resource, ShelterProps};
use crate::store::Store;

/// The options after `import KIND FILE`; each applies to some kinds only.
#[derive(Debug, Default)]
pub(super) struct Options {
    /// `--source`: the reporting division (children-csv).
    pub source: Option<String>,
    /// `--dry-run`: report, write nothing (children-csv, gsi-shelters).
    pub dry_run: bool,
    /// `--geocode`: look up rows without coordinates (children-csv, gsi-shelters).
    pub geocode: bool,
    /// `--geocoder-url`: where to look them up.
    pub geocoder_url: Option<String>,
    /// `--hazard`: the hazard of zones whose attributes do not say (hazard-zones).
    pub hazard: Option<String>,
}

impl Options {
    /// An option the kind does not use is refused rather than silently ignored: an operator
    /// who typed `--dry-run` must not get a real write.
    fn check(&self, kind: Kind) -> Result<()> {
        let name = kind.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
        let supported: &[&str] = match kind {
            Kind::ChildrenCsv => &["--source", "--dry-run", "--geocode", "--geocoder-url"],
            Kind::GsiShelters => &["--dry-run", "--geocode", "--geocoder-url"],
            Kind::HazardZones => &["--hazard", "--source"],
            _ => &[],
        };
        let given = [
            ("--source", self.source.is_some()),
            ("--dry-run", self.dry_run),
            ("--geocode", self.geocode),
            ("--geocoder-url", self.geocoder_url.is_some()),
            ("--hazard", self.hazard.is_some()),
        ];
        if let Some((flag, _)) = given.iter().find(|(flag, on)| *on && !supported.contains(flag)) {
            let hint =
                if supported.is_empty() { "（children-csv、gsi-shelters、hazard-zones 用です）" } else { "" };
            bail!("{flag} は import {name} では使えません{hint}");
        }
        if self.geocoder_url.is_some() && !self.geocode {
            bail!("--geocoder-url は --geocode と一緒に指定してください");
        }
        Ok(())
    }

    /// The address search, when `--geocode` asks for one.
    fn geocoder(&self) -> Result<Option<GsiAddressSearch>> {
        let url = self.geocoder_url.as_deref().unwrap_or(crate::cli::geocode::GSI_ADDRESS_SEARCH);
        self.geocode.then(|| GsiAddressSearch::new(url)).transpose()
    }
}

/// Runs one import; options the kind does not use are refused before anything is read.
pub(super) async fn run(db: &str, kind: Kind, file: &Path, options: Options) -> Result<()> {
    if matches!(kind, Kind::Plans) {
        bail!("plans are written through the API (PUT /api/v1/children/{{id}}/plan), not imported");
    }
    options.check(kind)?;
    match kind {
        Kind::GsiShelters => return gsi::run(db, file, options.dry_run, options.geocoder()?.as_ref()).await,
        Kind::ChildrenCsv => {
            let source = options.source.as_deref().unwrap_or("障害福祉課");
            let geocoder = options.geocoder()?;
            return children::run(db, file, source, options.dry_run, geocoder.as_ref()).await;
        }
        _ => {}
    }
    let bytes = crate::cli::fetch::read(file).await?;
    if matches!(kind, Kind::HazardZones) && shapefile::is_zip(&bytes) {
        let body = shapefile::zones_geojson(&bytes).with_context(|| file.display().to_string())?;
        return zones(&Store::connect(db).await?, &body, file, &options).await;
    }
    let text = String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8", file.display()))?;
    let body: Value = serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", file.display()))?;
    drop(text);
    let store = Store::connect(db).await?;
    if matches!(kind, Kind::HazardZones) {
        return zones(&store, &body, file, &options).await;
    }
    let n = match kind {
        Kind::PowerPoints => import::<PowerPointProps>(&store, &body, file, false).await?,
        Kind::Shelters => import::<ShelterProps>(&store, &body, file, false).await?,
        _ => import::<ChildProps>(&store, &body, file, true).await?,
    };
    println!("{}: {n} 件を取り込みました", file.display());
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
        if log { crate::cli::cli_log(Action::Import, items.iter().map(|c| &c.id)) } else { Vec::new() };
    write::write(store, &items, &entries).await?;
    Ok(items.len())
}

/// Hazard zones, all or nothing: every zone checked first (a broken ring or an unknown rank
/// refuses the file with its record number), then one transaction, existing ids replaced.
/// Zones without a `source` get `--source`, or the file's name: a re-import of the same
/// source replaces all its zones at once (those no longer in the file go).
async fn zones(store: &Store, body: &Value, file: &Path, options: &Options) -> Result<()> {
    use crate::planning::hazard::{ZoneHint, parse_zones};
    let hazard = options.hazard.as_deref();
    let source = options.source.clone().unwrap_or_else(|| {
        file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into())
    });
    let hazard =
        hazard.map(|h| serde_json::from_value(Value::String(h.to_owned()))).transpose().with_context(|| {
            format!("--hazard {}: not a hazard (flood, landslide, storm_surge, tsunami, …)", hazard.unwrap_or(""))
        })?;
    if body.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        bail!("{}: must be a GeoJSON FeatureCollection", file.display());
    }
    let mut zones = match parse_zones(body, ZoneHint { hazard }) {
        Ok((zones, _)) => zones,
        Err(problems) => {
            let (index, e) = &problems[0];
            let more =
                if problems.len() > 1 { format!(" (+{} more problems)", problems.len() - 1) } else { String::new() };
            bail!("{}: record {}: {}: {}{more}; nothing was imported", file.display(), index + 1, e.field, e.message);
        }
    };
    for z in zones.iter_mut().filter(|z| z.props.source.is_none()) {
        z.props.source = Some(source.clone());
    }
    store.hazard_zones().replace_sources(&zones).await?;
    println!("{}: {} 件のハザード区域を取り込みました（出典 {source}）", file.display(), zones.len());
    Ok(())
}
