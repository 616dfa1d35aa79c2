//! Each instance's token cache, kept true by the change feed, and the last-used times it
//! collects and writes in batches.
//!
//! Most requests carry a token, so looking each one up in the database would double the
//! database's work. Instead every instance caches what it read, and drops an entry as soon
//! as its follower reads a change that touches it: a revocation (recorded on the feed under
//! [`TOKEN_CHANGES`]), or a child the token is bound to (deleted, say). A revocation made
//! through any instance or the command line is thus refused by every instance as soon as it
//! hears of the change: at once on PostgreSQL (`NOTIFY`), within one poll on SQLite.
//!
//! Last-used times would otherwise be a write per request; they are noted in memory, at most
//! once per token per [`USE_RESOLUTION`], and written together every [`FLUSH_EVERY`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use time::OffsetDateTime;

use crate::domain::auth::{TOKEN_CHANGES, TokenRecord, TokenStanding};
use crate::domain::{ChildProps, Resource};
use crate::spatial::ChangeListener;
use crate::store::Store;

/// How often an instance writes the last-used times it noted.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// Last-used times are kept to this resolution: a token used all day is written once a
/// minute per instance, not once a request.
pub const USE_RESOLUTION: time::Duration = time::Duration::minutes(1);

/// A cached token's standing (checked against the time on every request) and when it was read.
#[derive(Debug, Clone)]
pub struct Cached {
    /// Id, expiry and revocation.
    pub standing: TokenStanding,
    /// When the row was read: past the TTL (see `auth`) it is read again, a safety net for a
    /// follower that cannot reach the database.
    pub read_at: Instant,
}

/// Tokens by the hash of their secret.
pub type TokenMap = Arc<RwLock<HashMap<String, (TokenRecord, Cached)>>>;

/// The cache's invalidation count and the uses noted but not yet written.
#[derive(Debug, Default)]
pub struct TokenState {
    /// Bumped under the cache's write lock whenever changes drop entries, so a lookup that
    /// raced with a revocation does not put the stale row back (see [`TokenState::remember`]).
    generation: AtomicU64,
    uses: Mutex<Uses>,
}

#[derive(Debug, Default)]
struct Uses {
    /// Waiting to be written: token id → the time of its use.
    pending: HashMap<String, OffsetDateTime>,
    /// The last use noted per token id (pending or written).
    noted: HashMap<String, OffsetDateTime>,
}

impl TokenState {
    /// The invalidation count, read before a lookup in the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches `entry` under `hash`, unless changes dropped entries after `generation` was
    /// read: then the row read may predate a revocation, and the next request reads again.
    pub fn remember(&self, cache: &TokenMap, hash: &str, entry: (TokenRecord, Cached), generation: u64) {
        let mut map = cache.write();
        if self.generation() == generation {
            map.insert(hash.to_owned(), entry);
        }
    }

    /// Drops the cached tokens a batch of changes touches: tokens by id, and tokens bound to
    /// a changed child (its bindings may be gone).
    pub fn forget(&self, cache: &TokenMap, collection: &str, ids: &[&str]) {
        let touched = |record: &TokenRecord, cached: &Cached| match collection {
            TOKEN_CHANGES => ids.contains(&cached.standing.id.as_str()),
            ChildProps::COLLECTION => record.child_ids.iter().any(|c| ids.contains(&c.as_str())),
            _ => false,
        };
        if collection != TOKEN_CHANGES && collection != ChildProps::COLLECTION {
            return;
        }
        let mut map = cache.write();
        map.retain(|_, (record, cached)| !touched(record, cached));
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Notes that token `id` was used at `at`; `true` if this use will be written (the
    /// token's first, or [`USE_RESOLUTION`] or more after the last one noted).
    pub fn note_use(&self, id: &str, at: OffsetDateTime) -> bool {
        let mut uses = self.uses.lock();
        if uses.noted.get(id).is_some_and(|last| at - *last < USE_RESOLUTION) {
            return false;
        }
        uses.noted.insert(id.to_owned(), at);
        uses.pending.insert(id.to_owned(), at);
        true
    }

    /// Writes the uses noted so far in one transaction; returns how many. On failure they
    /// are kept for the next flush.
    pub async fn flush(&self, store: &Store) -> crate::store::Result<usize> {
        let batch: Vec<(String, OffsetDateTime)> = self.uses.lock().pending.drain().collect();
        if let Err(e) = store.tokens().record_use(&batch).await {
            let mut uses = self.uses.lock();
            for (id, at) in batch {
                uses.pending.entry(id).or_insert(at);
            }
            return Err(e);
        }
        Ok(batch.len())
    }
}

/// The follower's listener that keeps `cache` true.
pub fn listener(cache: TokenMap, state: Arc<TokenState>) -> ChangeListener {
    Box::new(move |collection, ids| state.forget(&cache, collection, ids))
}

/// Writes noted uses every `every`, for as long as the process runs.
pub fn flush_every(state: Arc<TokenState>, store: Store, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = state.flush(&store).await {
                tracing::warn!(error = %e, "writing last-used times failed; will retry");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::auth::Role;
    use time::macros::datetime;

    fn entry(id: &str, children: &[&str]) -> (TokenRecord, Cached) {
        let record = TokenRecord {
            hash: format!("h-{id}"),
            name: id.into(),
            role: Role::Family,
            child_ids: children.iter().map(|c| (*c).to_owned()).collect(),
        };
        let standing = TokenStanding { id: id.into(), expires_on: None, revoked_at: None };
        (record, Cached { standing, read_at: Instant::now() })
    }

    #[test]
    fn a_token_is_noted_once_a_minute_however_often_it_is_used() {
        let state = TokenState::default();
        let t0 = datetime!(2026-12-03 10:00:00 UTC);
        assert!(state.note_use("tok-a", t0));
        assert!(!state.note_use("tok-a", t0 + time::Duration::seconds(59)));
        assert!(state.note_use("tok-b", t0 + time::Duration::seconds(1)), "each token has its own minute");
        assert!(state.note_use("tok-a", t0 + time::Duration::seconds(60)));
        let mut pending: Vec<_> = state.uses.lock().pending.clone().into_iter().collect();
        pending.sort();
        assert_eq!(
            pending,
            [
                ("tok-a".to_owned(), t0 + time::Duration::seconds(60)),
                ("tok-b".to_owned(), t0 + time::Duration::seconds(1))
            ]
        );
    }

    #[test]
    fn a_revocation_drops_the_token_and_a_child_change_drops_tokens_bound_to_it() {
        let state = TokenState::default();
        let cache: TokenMap = Arc::default();
        for (id, children) in [("tok-a", &["c1"][..]), ("tok-b", &["c2"][..]), ("tok-c", &[][..])] {
            state.remember(&cache, &format!("h-{id}"), entry(id, children), state.generation());
        }
        state.forget(&cache, TOKEN_CHANGES, &["tok-c"]);
        state.forget(&cache, ChildProps::COLLECTION, &["c2"]);
        state.forget(&cache, "power_points", &["tok-a", "c1"]);
        let mut left: Vec<String> = cache.read().keys().cloned().collect();
        left.sort();
        assert_eq!(left, ["h-tok-a"]);
    }

    #[test]
    fn a_lookup_that_raced_with_a_revocation_is_not_cached() {
        let state = TokenState::default();
        let cache: TokenMap = Arc::default();
        let before = state.generation();
        // The row is read (still live), then the revocation arrives, then the lookup ends.
        state.forget(&cache, TOKEN_CHANGES, &["tok-a"]);
        state.remember(&cache, "h-tok-a", entry("tok-a", &[]), before);
        assert!(cache.read().is_empty(), "a row read before the revocation must not be cached after it");
        state.remember(&cache, "h-tok-a", entry("tok-a", &[]), state.generation());
        assert_eq!(cache.read().len(), 1);
    }
}
