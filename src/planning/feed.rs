//! The store seen as the indexes' change feed, and the tasks that follow it. This glue sits
//! here because it needs both `spatial` (the follower) and `store` (the feed), which sit
//! side by side below this layer.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::Located;
use crate::domain::hazard_zone::HazardZone;
use crate::spatial::{ChangeFeed, Follower, Indexed};
use crate::store::{Store, StoreError};

impl ChangeFeed for Store {
    type Error = StoreError;

    async fn since(&self, seq: i64, limit: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        Ok(self.changes().since(seq, limit).await?.into_iter().map(|c| (c.seq, c.collection, c.id)).collect())
    }

    async fn present<P: Indexed>(&self, ids: &[&str]) -> Result<Vec<Located<P>>, StoreError> {
        self.resources().get_many::<P>(ids).await
    }

    async fn zones(&self, ids: &[&str]) -> Result<Vec<HazardZone>, StoreError> {
        self.hazard_zones().get_many(ids).await
    }
}

/// Spawns `follower` on `store`, polling every `poll`, and on PostgreSQL a listener on
/// `url` that wakes it at each committed write of any instance.
pub fn follow(store: Store, follower: Arc<Follower>, url: String, poll: Duration) {
    tokio::spawn(listen(store.clone(), Arc::clone(&follower), url, poll));
    tokio::spawn(follower.run(store, poll));
}

async fn listen(store: Store, follower: Arc<Follower>, url: String, poll: Duration) {
    let mut listener = match store.changes().listen(&url).await {
        Ok(Some(l)) => l,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot LISTEN for changes; polling only");
            return;
        }
    };
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => {}
            // None: the connection was lost and re-established; catch up at once.
            Ok(None) => tracing::info!("change listener reconnected; catching up"),
            Err(e) => {
                tracing::warn!(error = %e, "change listener failed; retrying");
                tokio::time::sleep(poll).await;
            }
        }
        follower.wake();
    }
}
