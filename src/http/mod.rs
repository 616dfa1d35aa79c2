//! The HTTP face: thin handlers that parse, authorise, call one function and serialise.

mod auth;
mod children;
mod error;
mod extract;
mod nearest;
mod openapi;
mod plans;
mod resources;
mod scenarios;
mod sheet;
mod summary;
pub mod sync;
mod web;

pub use auth::{Caller, hash_token};
pub use error::{Detail, Error, Result};

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use parking_lot::RwLock;
use tower_http::trace::TraceLayer;

use crate::config::ServeConfig;
use crate::spatial::Catalog;
use crate::store::{Store, TokenRecord};

/// Largest request body: bulk loads of a whole prefecture fit.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The source of truth.
    pub store: Store,
    /// The live indexes.
    pub catalog: Arc<Catalog>,
    /// Tokens seen recently, by hash, with when they were read, so most requests need no
    /// database round trip; entries expire (see `auth`) so a change made elsewhere applies.
    pub tokens: Arc<RwLock<HashMap<String, (TokenRecord, std::time::Instant)>>>,
    /// Settings.
    pub config: Arc<ServeConfig>,
    /// The store's newest change when the indexes were loaded: where syncing starts.
    pub loaded_at_change: i64,
}

impl AppState {
    /// Loads every stored resource into fresh indexes.
    pub async fn load(store: Store, config: ServeConfig) -> crate::store::Result<Self> {
        // Read the watermark first: a change made while loading is replayed, never missed.
        let loaded_at_change = store.last_change().await?;
        let catalog = Catalog::default();
        catalog.load(store.load_all::<crate::domain::PowerPointProps>().await?);
        catalog.load(store.load_all::<crate::domain::ShelterProps>().await?);
        catalog.load(store.load_all::<crate::domain::ChildProps>().await?);
        Ok(Self {
            store,
            catalog: Arc::new(catalog),
            tokens: Arc::new(RwLock::new(HashMap::new())),
            config: Arc::new(config),
            loaded_at_change,
        })
    }
}

/// The whole application: API, OpenAPI description and the web pages.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(resources::router())
        .merge(children::router())
        .merge(nearest::router())
        .merge(summary::router())
        .merge(plans::router())
        .merge(scenarios::router())
        .merge(openapi::router());
    let router = api
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .merge(web::router());
    router.layer(TraceLayer::new_for_http()).with_state(state)
}
