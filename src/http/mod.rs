//! The HTTP face: thin handlers that parse, authorise, call one function and serialise.

mod auth;
mod bodies;
mod children;
mod error;
mod extract;
mod hazards;
mod incidents;
mod nearest;
mod openapi;
mod plans;
mod resources;
mod roles;
mod scenarios;
mod serve;
mod sheet;
mod summary;
mod token_cache;
mod tokens;
mod web;

pub use auth::{Caller, hash_token, new_secret};
pub use error::{Detail, Error, Result};
pub use openapi::document;
pub use roles::{ChildReader, Member, Planner, Staff};
pub use serve::serve;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use parking_lot::RwLock;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::config::ServeConfig;
use crate::domain::auth::TokenRecord;
use crate::spatial::{Catalog, Follower};
use crate::store::Store;

/// Largest request body: bulk loads of a whole prefecture fit.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Longest a write's answer waits for the local index to apply it.
const READ_YOUR_WRITES_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The source of truth.
    pub store: Store,
    /// The live indexes.
    pub catalog: Arc<Catalog>,
    /// Tokens seen recently, by hash, with their standing and when they were read, so most
    /// requests need no database round trip; the change feed drops entries it touches.
    pub tokens: Arc<RwLock<HashMap<String, (TokenRecord, token_cache::Cached)>>>,
    /// The token cache's invalidations and the last-used times waiting to be written.
    pub token_state: Arc<token_cache::TokenState>,
    /// Settings.
    pub config: Arc<ServeConfig>,
    /// The indexes' only writer; writes wait for it so the writer reads its own write.
    pub follower: Arc<Follower>,
}

impl AppState {
    /// Loads every stored resource into fresh indexes.
    pub async fn load(store: Store, config: ServeConfig) -> crate::store::Result<Self> {
        // Read the watermark first: a change made while loading is replayed, never missed.
        let loaded_at_change = store.changes().last().await?;
        let catalog = Catalog::default();
        catalog.load(store.resources().load_all::<crate::domain::PowerPointProps>().await?);
        catalog.load(store.resources().load_all::<crate::domain::ShelterProps>().await?);
        catalog.load(store.resources().load_all::<crate::domain::ChildProps>().await?);
        catalog.load_zones(store.hazard_zones().load_all().await?);
        let catalog = Arc::new(catalog);
        let follower = Follower::new(Arc::clone(&catalog), loaded_at_change);
        let tokens = Arc::new(RwLock::new(HashMap::new()));
        let token_state = Arc::new(token_cache::TokenState::default());
        follower.on_change(token_cache::listener(Arc::clone(&tokens), Arc::clone(&token_state)));
        Ok(Self { store, follower, catalog, tokens, token_state, config: Arc::new(config) })
    }

    /// Starts the follower (polling every `poll`, and listening on PostgreSQL at `url`):
    /// without it no write reaches the indexes; and the writer of last-used times. Call once
    /// per instance.
    pub fn follow(&self, url: &str, poll: std::time::Duration) {
        crate::planning::feed::follow(self.store.clone(), Arc::clone(&self.follower), url.to_owned(), poll);
        token_cache::flush_every(Arc::clone(&self.token_state), self.store.clone(), token_cache::FLUSH_EVERY);
    }

    /// Writes the last-used times noted so far (the background task does it every few
    /// seconds; a server shutting down, or a test, calls it to write them now).
    pub async fn flush_token_uses(&self) -> crate::store::Result<usize> {
        self.token_state.flush(&self.store).await
    }

    /// Waits until this instance's indexes show change `seq` (a write just made here), so
    /// the writer's next read sees it; past [`READ_YOUR_WRITES_WAIT`] the answer goes anyway.
    pub async fn seen(&self, seq: i64) {
        if !self.follower.wait_for(seq, READ_YOUR_WRITES_WAIT).await {
            tracing::warn!(seq, "the index has not applied a write yet; answering anyway");
        }
    }
}

/// Every API route with its OpenAPI operation: the one list both the router and the
/// document are made from.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(resources::router())
        .merge(children::router())
        .merge(nearest::router())
        .merge(summary::router())
        .merge(plans::router())
        .merge(scenarios::router())
        .merge(tokens::router())
        .merge(incidents::router())
        .merge(hazards::router())
        .merge(openapi::router())
}

/// The whole application: API, OpenAPI description and the web pages.
pub fn app(state: AppState) -> Router {
    let (api, _document) = api().split_for_parts();
    let router = api
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .merge(web::router());
    router.layer(TraceLayer::new_for_http()).with_state(state)
}
