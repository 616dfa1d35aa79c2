//! `powermap serve`: migrate, load the indexes, serve until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use crate::config::{GSI_ATTRIBUTION, GSI_TILES, HazardTiles, ServeConfig, Settings};
use crate::domain::district::Districts;
use crate::http::{AppState, app};
use crate::store::Store;

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Load the Shiroi demo data into an empty database and create the demo tokens.
    #[arg(long)]
    pub demo: bool,
    /// Serve the web front end from this directory (read on every request, for editing it)
    /// instead of the copy built into the binary.
    #[arg(long)]
    pub web: Option<PathBuf>,
    /// Base-map tile URL template.
    #[arg(long, default_value = GSI_TILES)]
    pub tiles: String,
    /// Base-map attribution (HTML).
    #[arg(long, default_value = GSI_ATTRIBUTION)]
    pub tiles_attribution: String,
    /// The city's district list (町字, one a line, `#` comments): the only names the public
    /// area summary prints. Default: Shiroi's, the demo city's (fixtures/shiroi/districts.txt).
    #[arg(long, value_name = "FILE")]
    pub districts: Option<PathBuf>,
    /// A hazard-map raster overlay, `NAME=URL_TEMPLATE` (repeatable). Default: the national
    /// 重ねるハザードマップ flood (想定最大規模) and landslide layers.
    #[arg(long = "hazard-tiles", value_name = "NAME=URL", value_parser = HazardTiles::parse)]
    pub hazard_tiles: Vec<HazardTiles>,
}

pub(super) async fn run(settings: &Settings, args: ServeArgs) -> Result<()> {
    let db = settings.db.as_str();
    let store = Store::connect(db).await.with_context(|| format!("cannot open database {db}"))?;
    let tokens = if args.demo {
        super::load_demo(&store, time::OffsetDateTime::now_utc()).await?
    } else {
        store.tokens().delete_demo().await?;
        Vec::new()
    };
    if let Some(dir) = &args.web {
        anyhow::ensure!(dir.join("index.html").is_file(), "--web {}: no index.html there", dir.display());
        if !dir.join("node_modules/leaflet").is_dir() {
            tracing::warn!("{}: node_modules is missing; run `npm ci` there for the map", dir.display())
        }
    }
    let districts = match &args.districts {
        Some(file) => {
            let text = std::fs::read_to_string(file).with_context(|| format!("{}: cannot read", file.display()))?;
            let list = Districts::parse(&text);
            anyhow::ensure!(!list.is_empty(), "{}: --districts lists no district", file.display());
            list
        }
        None => Districts::shiroi(),
    };
    let config = ServeConfig {
        districts,
        travel: settings.travel,
        tiles_url: args.tiles,
        tiles_attribution: args.tiles_attribution,
        web_dir: args.web,
        demo_tokens: args.demo.then(|| tokens.clone()),
        hazard_tiles: if args.hazard_tiles.is_empty() { HazardTiles::national() } else { args.hazard_tiles },
        ..ServeConfig::default()
    };
    let started = std::time::Instant::now();
    let state = AppState::load(store, config).await?;
    let poll = if db.starts_with("sqlite:") { Duration::from_secs(1) } else { Duration::from_secs(5) };
    state.follow(db, poll);
    let listener =
        tokio::net::TcpListener::bind(&args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    println!("powermap: serving http://{addr}/ (indexes loaded in {:.1} s)", started.elapsed().as_secs_f64());
    for (role, token) in tokens {
        println!("demo token ({role}): {token}");
    }
    crate::http::serve(listener, app(state.clone()), shutdown()).await?;
    // The last few seconds' token uses, which the background writer has not reached yet.
    if let Err(e) = state.flush_token_uses().await {
        tracing::warn!(error = %e, "could not write the last token uses");
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
