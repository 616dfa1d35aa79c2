//! `powermap import KIND FILE`: a GeoJSON FeatureCollection in one transaction, or one of
//! the CSV imports (national shelter data, a division's children list).

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use serde_json::Value;

use super::Kind;
use super::geocode::{Geocoder, GsiAddressSearch};
use crate::domain::auth::{AccessEntry, Action};
use crate::domain::feature::{BodyError, new_id, parse_features};
use crate::domain::{ChildProps, PowerPointProps, Resource, ShelterProps};
use crate::store::{Store, WriteMode};

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
}

impl Options {
    /// An option the kind does not use is refused rather than silently ignored: an operator
    /// who typed `--dry-run` must not get a real write.
    fn check(&self, kind: Kind) -> Result<()> {
        let name = kind.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
        let supported: &[&str] = match kind {
            Kind::ChildrenCsv => &["--source", "--dry-run", "--geocode", "--geocoder-url"],
            Kind::GsiShelters => &["--dry-run", "--geocode", "--geocoder-url"],
            _ => &[],
        };
        let given = [
            ("--source", self.source.is_some()),
            ("--dry-run", self.dry_run),
            ("--geocode", self.geocode),
            ("--geocoder-url", self.geocoder_url.is_some()),
        ];
        if let Some((flag, _)) = given.iter().find(|(flag, on)| *on && !supported.contains(flag)) {
            let hint = if supported.is_empty() { "（children-csv と gsi-shelters 用です）" } else { "" };
            bail!("{flag} は import {name} では使えません{hint}");
        }
        if self.geocoder_url.is_some() && !self.geocode {
            bail!("--geocoder-url は --geocode と一緒に指定してください");
        }
        Ok(())
    }

    /// The address search, when `--geocode` asks for one.
    fn geocoder(&self) -> Result<Option<GsiAddressSearch>> {
        let url = self.geocoder_url.as_deref().unwrap_or(super::geocode::GSI_ADDRESS_SEARCH);
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
        Kind::GsiShelters => return gsi_shelters(db, file, options.dry_run, options.geocoder()?.as_ref()).await,
        Kind::ChildrenCsv => {
            let source = options.source.as_deref().unwrap_or("障害福祉課");
            let geocoder = options.geocoder()?;
            return super::children_csv::run(db, file, source, options.dry_run, geocoder.as_ref()).await;
        }
        _ => {}
    }
    let bytes = super::fetch::read(file).await?;
    let text = String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8", file.display()))?;
    let body: Value = serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", file.display()))?;
    drop(text);
    let store = Store::connect(db).await?;
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
        if log { super::cli_log(Action::Import, items.iter().map(|c| &c.id)) } else { Vec::new() };
    write(store, &items, &entries).await?;
    Ok(items.len())
}

/// One transaction, with a spinner when it is long.
pub(super) async fn write<P: Resource>(
    store: &Store,
    items: &[crate::domain::Located<P>],
    log: &[AccessEntry],
) -> Result<()> {
    let writing = super::progress::writing(items.len());
    store.resources().write(items, WriteMode::Upsert, log).await?;
    writing.finish_and_clear();
    Ok(())
}

/// The national shelter CSV: decoded, parsed and checked row by row (the first bad row
/// refuses the file with its line number), merged with the stored shelters by 共通ID, then
/// the new and changed ones written in one transaction.
async fn gsi_shelters(db: &str, file: &Path, dry_run: bool, geocoder: Option<&impl Geocoder>) -> Result<()> {
    let bytes = super::fetch::read(file).await?;
    let text = super::gsi::decode(bytes).map_err(|e| e.refuse(file))?;
    let mut rows = super::gsi::parse(&text, geocoder.is_some()).map_err(|e| e.refuse(file))?;
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
                return Err(super::gsi::fail(r.line, format!("緯度・経度がなく、{why}")).refuse(file));
            };
            r.position = Some((found.lon, found.lat));
            located.push((r.line, r.name.clone(), found.matched));
        }
    }
    let store = Store::connect(db).await?;
    let stored = store.resources().load_all::<ShelterProps>().await?;
    let plan = super::gsi::plan(&stored, rows).map_err(|e| e.refuse(file))?;
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
        write(&store, &plan.items, &[]).await?;
    }
    Ok(())
}
