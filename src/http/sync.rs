//! Keeps this instance's index in step with writes made by other instances (or by the
//! command line): replay the `changes` table past our watermark, woken by PostgreSQL
//! `NOTIFY` or, on SQLite and as a safety net, by polling.

use std::time::Duration;

use super::AppState;
use crate::domain::{ChildProps, PowerPointProps, Resource, ShelterProps};
use crate::spatial::Indexed;
use crate::store::Result;

/// Changes applied per round trip.
const BATCH: i64 = 5_000;

/// Follows changes forever; spawn it once per instance.
pub async fn follow_changes(state: AppState, url: String, poll: Duration) {
    let mut watermark = state.loaded_at_change;
    let mut listener = match state.store.listen(&url).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot LISTEN for changes; polling only");
            None
        }
    };
    loop {
        match listener.as_mut() {
            Some(l) => match tokio::time::timeout(poll, l.try_recv()).await {
                Ok(Ok(Some(_))) | Err(_) => {}
                // None: the connection was lost and re-established; catch up below.
                Ok(Ok(None)) => tracing::info!("change listener reconnected; catching up"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "change listener failed; retrying");
                    tokio::time::sleep(poll).await;
                }
            },
            None => tokio::time::sleep(poll).await,
        }
        if let Err(e) = catch_up(&state, &mut watermark).await {
            tracing::warn!(error = %e, "catching up with changes failed; will retry");
        }
    }
}

/// Applies every change after `watermark`, advancing it.
pub async fn catch_up(state: &AppState, watermark: &mut i64) -> Result<()> {
    loop {
        let changes = state.store.changes_since(*watermark, BATCH).await?;
        let Some((last, _, _)) = changes.last() else { return Ok(()) };
        let last = *last;
        let mut seen = std::collections::HashSet::new();
        for (_, collection, id) in &changes {
            if !seen.insert((collection.as_str(), id.as_str())) {
                continue;
            }
            match collection.as_str() {
                PowerPointProps::COLLECTION => refresh::<PowerPointProps>(state, id).await?,
                ShelterProps::COLLECTION => refresh::<ShelterProps>(state, id).await?,
                ChildProps::COLLECTION => refresh::<ChildProps>(state, id).await?,
                other => tracing::warn!(collection = other, "unknown collection in changes"),
            }
        }
        *watermark = last;
    }
}

async fn refresh<P: Indexed>(state: &AppState, id: &str) -> Result<()> {
    match state.store.get::<P>(id).await? {
        Some(item) => state.catalog.upsert(std::slice::from_ref(&item)),
        None => state.catalog.remove::<P>(id),
    }
    Ok(())
}
