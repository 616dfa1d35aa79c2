//! The change feed: every committed write appends the ids it changed, numbered, so each
//! instance's follower can replay what it has not applied yet.

use sqlx::AnyConnection;
use sqlx::{AssertSqlSafe, Row};

use super::{BATCH_ROWS, Result, Store};

/// One changed id: its number, kind and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Sequence number, increasing in commit order.
    pub seq: i64,
    /// The table (`Resource::COLLECTION`).
    pub collection: String,
    /// The id that changed (now present, or deleted).
    pub id: String,
}

/// The `changes` table.
#[derive(Debug, Clone, Copy)]
pub struct Changes<'a> {
    pub(super) store: &'a Store,
}

impl Changes<'_> {
    /// Appends the changed ids inside the write's transaction and returns the newest number.
    /// Writers are serialised (SQLite's write lock, PostgreSQL's advisory lock), so the
    /// maximum read back inside the transaction is this write's own.
    pub(super) async fn record(&self, tx: &mut AnyConnection, collection: &str, ids: &[&str]) -> Result<i64> {
        for chunk in ids.chunks(BATCH_ROWS) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${})", i + 2)).collect();
            let sql = format!("INSERT INTO changes (collection, id) VALUES {}", marks.join(","));
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(collection.to_owned());
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            q.execute(&mut *tx).await?;
        }
        self.store.dialect.notify(tx, collection, ids).await?;
        let seq: Option<i64> = sqlx::query("SELECT MAX(seq) FROM changes").fetch_one(&mut *tx).await?.try_get(0)?;
        Ok(seq.unwrap_or(0))
    }

    /// The newest change number (0 if none): an instance's watermark before it loads.
    pub async fn last(&self) -> Result<i64> {
        let seq: Option<i64> =
            sqlx::query("SELECT MAX(seq) FROM changes").fetch_one(&self.store.pool).await?.try_get(0)?;
        Ok(seq.unwrap_or(0))
    }

    /// Changes after `seq`, oldest first.
    pub async fn since(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        let rows = sqlx::query("SELECT seq, collection, id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(|r| Ok(Change { seq: r.try_get(0)?, collection: r.try_get(1)?, id: r.try_get(2)? })).collect()
    }

    /// On PostgreSQL, a listener for change wake-ups on `url`; `None` on SQLite (poll).
    pub async fn listen(&self, url: &str) -> Result<Option<sqlx::postgres::PgListener>> {
        if self.store.dialect != super::Dialect::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen("powermap_changes").await?;
        Ok(Some(listener))
    }
}
