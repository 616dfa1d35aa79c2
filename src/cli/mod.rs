//! The command line: serve, import, export, audit, scenario, token. Errors end as one line on stderr, exit 1.

mod audit;
mod demo;
mod export;
mod fetch;
pub mod geocode;
mod import;
mod incident;
mod progress;
mod scenario;
mod serve;
mod table;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;

pub use demo::{DEMO_TOKENS, load_demo};

/// powermap — 災害時電源マップ (disaster-preparedness power map).
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Database: sqlite://PATH (embedded default) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://powermap.db", global = true)]
    pub db: String,
    /// Travel assumptions (every command that estimates travel honours them).
    #[command(flatten)]
    pub travel: crate::config::TravelArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of the contract.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the map.
    Serve(serve::ServeArgs),
    /// Load a GeoJSON FeatureCollection (or, for gsi-shelters, the national CSV), all or nothing;
    /// existing ids (and 共通ID) are updated.
    Import {
        /// What the file holds.
        kind: Kind,
        /// File or http(s) URL: GeoJSON (CSV for gsi-shelters and children-csv).
        file: PathBuf,
        /// children-csv: the reporting division (健康課, 保育課, 教育支援課, 危機管理課, …; default 障害福祉課).
        /// hazard-zones: the zones' source (default: the file's name); a re-import replaces it.
        #[arg(long)]
        source: Option<String>,
        /// children-csv, gsi-shelters: print the report without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// children-csv, gsi-shelters: look up coordinates for rows that have an address but none.
        #[arg(long)]
        geocode: bool,
        /// With --geocode: the address search endpoint (default: GSI's address search).
        #[arg(long)]
        geocoder_url: Option<String>,
        /// hazard-zones: the hazard of zones whose attributes do not say (flood, landslide,
        /// storm_surge, tsunami, …).
        #[arg(long)]
        hazard: Option<String>,
    },
    /// Write everything of one kind to standard output.
    Export {
        /// What to export.
        kind: Kind,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Geojson)]
        format: Format,
    },
    /// Print the plan audit's findings (exit status 0: findings are data, not errors).
    Audit {
        /// Only children in this district (町字).
        #[arg(long)]
        district: Option<String>,
    },
    /// Run a scenario (outage) against the stored data.
    Scenario {
        /// Scenario kind.
        #[command(subcommand)]
        action: scenario::ScenarioCommand,
    },
    /// During an outage: load an incident's outage areas.
    Incident {
        /// Incident action.
        #[command(subcommand)]
        action: incident::IncidentCommand,
    },
    /// Manage access tokens.
    Token {
        /// Token action.
        #[command(subcommand)]
        action: token::TokenCommand,
    },
}

/// The three kinds of point.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// 電源ポイント.
    PowerPoints,
    /// 避難所.
    Shelters,
    /// 医療的ケア児.
    Children,
    /// 個別避難計画 (export only).
    Plans,
    /// The national designated shelter / emergency-site CSV (import only).
    GsiShelters,
    /// A division's children list, CSV with Japanese headers, merged into the register (import only).
    ChildrenCsv,
    /// ハザード区域: GeoJSON with the API's properties or the national data's (A31a, A33).
    HazardZones,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// GeoJSON FeatureCollection.
    Geojson,
    /// CSV, UTF-8 with BOM so Excel opens it.
    Csv,
}

/// Access-log lines for an operator's command: every child it reads or writes, as `cli`.
fn cli_log<'a>(
    action: crate::domain::auth::Action,
    child_ids: impl IntoIterator<Item = &'a String>,
) -> Vec<crate::domain::auth::AccessEntry> {
    let at = crate::store::now_rfc3339();
    child_ids
        .into_iter()
        .map(|id| crate::domain::auth::AccessEntry {
            at: at.clone(),
            token_name: "cli".into(),
            role: "cli".into(),
            action,
            child_id: Some(id.clone()),
        })
        .collect()
}

/// Runs a parsed command line; prints a one-line reason and returns 1 on failure.
pub fn run(cli: Cli) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "powermap=info,tower_http=warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("powermap: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let settings = Settings { db: cli.db, travel: cli.travel.model()? };
        match cli.command {
            Command::Serve(args) => serve::run(&settings, args).await,
            Command::Import { kind, file, source, dry_run, geocode, geocoder_url, hazard } => {
                let options = import::Options { source, dry_run, geocode, geocoder_url, hazard };
                import::run(&settings.db, kind, &file, options).await
            }
            Command::Export { kind, format } => export::run(&settings.db, kind, format).await,
            Command::Audit { district } => audit::run(&settings, district.as_deref()).await,
            Command::Scenario { action } => scenario::run(&settings, action).await,
            Command::Incident { action } => incident::run(&settings.db, action).await,
            Command::Token { action } => token::run(&settings.db, action).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("powermap: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
