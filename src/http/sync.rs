//! Keeps this instance's index in step with writes made by other instances (or by the
//! command line): replay the `changes` table past our watermark, woken by PostgreSQL
//! `NOTIFY` or, on SQLite and as a safety net, by polling.

use std::collections::{HashMap, HashSet};
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
        let mut by_kind: HashMap<&str, Vec<&str>> = HashMap::new();
        for (_, collection, id) in &changes {
            by_kind.entry(collection.as_str()).or_default().push(id.as_str());
        }
        for (collection, mut ids) in by_kind {
            ids.sort_unstable();
            ids.dedup();
            match collection {
                PowerPointProps::COLLECTION => refresh::<PowerPointProps>(state, &ids).await?,
                ShelterProps::COLLECTION => refresh::<ShelterProps>(state, &ids).await?,
                ChildProps::COLLECTION => refresh::<ChildProps>(state, &ids).await?,
                other => tracing::warn!(collection = other, "unknown collection in changes"),
            }
        }
        *watermark = last;
    }
}

/// Reads the changed ids of one kind as they are now: present ones are upserted into the
/// index, absent ones (deleted) removed.
async fn refresh<P: Indexed>(state: &AppState, ids: &[&str]) -> Result<()> {
    let present = state.store.get_many::<P>(ids).await?;
    let kept: HashSet<&str> = present.iter().map(|p| p.id.as_str()).collect();
    state.catalog.upsert(&present);
    for id in ids.iter().filter(|id| !kept.contains(*id)) {
        state.catalog.remove::<P>(id);
    }
    Ok(())
}
