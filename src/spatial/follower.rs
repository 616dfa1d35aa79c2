//! The indexes' only writer: replays the change feed past its watermark, woken at once by a
//! local write, by PostgreSQL `NOTIFY` and, as a safety net, by polling.
//!
//! Handlers never touch the index. A write answers once the local follower has applied its
//! change number ([`Follower::wait_for`]), so a `POST` and then a `GET` on the same instance
//! see the write, and no handler's copy can land after a newer write from elsewhere.
//!
//! The follower reads through [`ChangeFeed`], defined here and implemented for the store one
//! layer up (`planning::feed`): `spatial` and `store` sit side by side and neither imports
//! the other.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::{Catalog, Indexed};
use crate::domain::auth::TOKEN_CHANGES;
use crate::domain::hazard_zone::{HAZARD_ZONES, HazardZone};
use crate::domain::{ChildProps, Located, PowerPointProps, Resource, ShelterProps};

/// Changes applied per round trip.
const BATCH: i64 = 5_000;

/// Where changes come from: numbered changed ids, and the rows as they are now.
pub trait ChangeFeed: Send + Sync + 'static {
    /// What reading can fail with.
    type Error: std::fmt::Display + Send;

    /// Up to `limit` changes after `seq`, oldest first: (seq, collection, id).
    fn since(
        &self,
        seq: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<(i64, String, String)>, Self::Error>> + Send;

    /// The resources with these ids that exist now (absent ones were deleted).
    fn present<P: Indexed>(&self, ids: &[&str]) -> impl Future<Output = Result<Vec<Located<P>>, Self::Error>> + Send;

    /// The hazard zones with these ids that exist now.
    fn zones(&self, ids: &[&str]) -> impl Future<Output = Result<Vec<HazardZone>, Self::Error>> + Send;
}

/// Told of each batch of changed ids, by collection, after the indexes have applied it and
/// before the watermark moves: caches that are not indexes (the token cache, one layer up)
/// drop what changed, so a writer waiting on [`Follower::wait_for`] knows they have.
pub type ChangeListener = Box<dyn Fn(&str, &[&str]) + Send + Sync>;

/// One instance's follower: the catalog it writes and how far it has got.
pub struct Follower {
    catalog: Arc<Catalog>,
    applied: watch::Sender<i64>,
    wake: Notify,
    listeners: parking_lot::RwLock<Vec<ChangeListener>>,
}

impl Follower {
    /// A follower for indexes loaded when the feed stood at `loaded_at`.
    pub fn new(catalog: Arc<Catalog>, loaded_at: i64) -> Arc<Self> {
        Arc::new(Self {
            catalog,
            applied: watch::Sender::new(loaded_at),
            wake: Notify::new(),
            listeners: parking_lot::RwLock::new(Vec::new()),
        })
    }

    /// The indexes it writes.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Adds a listener for every later batch of changes.
    pub fn on_change(&self, listener: ChangeListener) {
        self.listeners.write().push(listener);
    }

    /// Asks for a catch-up now (a local write, a `NOTIFY`); never lost if it is busy.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The newest change number applied.
    pub fn applied(&self) -> i64 {
        *self.applied.borrow()
    }

    /// A receiver that changes whenever the follower has applied more of the feed: what an
    /// event stream waits on, so it reads the feed only when there is something new.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.applied.subscribe()
    }

    /// Wakes the follower and waits until it has applied change `seq`, at most `limit`;
    /// `false` if it had not by then (the write is stored; the index follows later).
    pub async fn wait_for(&self, seq: i64, limit: Duration) -> bool {
        let mut applied = self.applied.subscribe();
        self.wake();
        matches!(tokio::time::timeout(limit, applied.wait_for(|a| *a >= seq)).await, Ok(Ok(_)))
    }

    /// Follows `feed` forever, catching up when woken or every `poll`; spawn it once.
    pub async fn run<F: ChangeFeed>(self: Arc<Self>, feed: F, poll: Duration) {
        loop {
            if let Err(e) = self.catch_up(&feed).await {
                tracing::warn!(error = %e, "catching up with changes failed; will retry");
            }
            let _ = tokio::time::timeout(poll, self.wake.notified()).await;
        }
    }

    /// Applies every change after the watermark, advancing it batch by batch.
    pub async fn catch_up<F: ChangeFeed>(&self, feed: &F) -> Result<(), F::Error> {
        loop {
            let changes = feed.since(self.applied(), BATCH).await?;
            let Some((last, _, _)) = changes.last() else { return Ok(()) };
            let last = *last;
            let mut by_kind: HashMap<&str, Vec<&str>> = HashMap::new();
            for (_, collection, id) in &changes {
                by_kind.entry(collection.as_str()).or_default().push(id.as_str());
            }
            for (collection, ids) in &mut by_kind {
                ids.sort_unstable();
                ids.dedup();
                match *collection {
                    PowerPointProps::COLLECTION => self.refresh::<PowerPointProps, F>(feed, ids).await?,
                    ShelterProps::COLLECTION => self.refresh::<ShelterProps, F>(feed, ids).await?,
                    ChildProps::COLLECTION => self.refresh::<ChildProps, F>(feed, ids).await?,
                    HAZARD_ZONES => self.refresh_zones(feed, ids).await?,
                    TOKEN_CHANGES => {} // no index: the listeners' business
                    // An incident's records have no index; an event stream reads them.
                    other if crate::domain::incident::FEED_KINDS.contains(&other) => {}
                    other => tracing::warn!(collection = other, "unknown collection in changes"),
                }
            }
            for listener in self.listeners.read().iter() {
                for (collection, ids) in &by_kind {
                    listener(collection, ids);
                }
            }
            self.applied.send_replace(last);
        }
    }

    /// Reads changed zones as they are now; present ones are upserted, absent ones removed.
    async fn refresh_zones<F: ChangeFeed>(&self, feed: &F, ids: &[&str]) -> Result<(), F::Error> {
        let present = feed.zones(ids).await?;
        let kept: HashSet<&str> = present.iter().map(|z| z.id.as_str()).collect();
        let gone: Vec<&str> = ids.iter().copied().filter(|id| !kept.contains(id)).collect();
        self.catalog.apply_zones(present, &gone);
        Ok(())
    }

    /// Reads the changed ids of one kind as they are now: present ones are upserted into
    /// the index, absent ones (deleted) removed.
    async fn refresh<P: Indexed, F: ChangeFeed>(&self, feed: &F, ids: &[&str]) -> Result<(), F::Error> {
        let present = feed.present::<P>(ids).await?;
        let kept: HashSet<&str> = present.iter().map(|p| p.id.as_str()).collect();
        let gone: Vec<&str> = ids.iter().copied().filter(|id| !kept.contains(id)).collect();
        self.catalog.upsert(&present);
        self.catalog.remove::<P>(&gone);
        Ok(())
    }
}
