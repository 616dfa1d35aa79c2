//! The few places where SQLite and PostgreSQL differ, in one room: everything else is
//! written once with `$n` placeholders through sqlx's `Any` driver.

use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Transaction};

use super::{Result, StoreError};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite file, WAL mode.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// How long a SQLite writer waits for the lock before the request is answered `503`.
pub const SQLITE_BUSY_MS: u64 = 5_000;

impl Dialect {
    /// The dialect of a URL, and the URL as the driver wants it (SQLite files are created).
    pub fn of_url(url: &str) -> Result<(Dialect, String)> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let sep = if rest.contains('?') { '&' } else { '?' };
            let url = if rest.contains("mode=") { url.to_owned() } else { format!("{url}{sep}mode=rwc") };
            Ok((Dialect::Sqlite, url))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok((Dialect::Postgres, url.to_owned()))
        } else {
            Err(StoreError::BadUrl(url.to_owned()))
        }
    }

    /// The access log's own database on SQLite, beside the main file as `-wal` and `-shm`
    /// are (so a backup of the folder takes it along): a long import holding the main file
    /// never blocks a read's log line. PostgreSQL keeps it in the main database.
    pub fn access_log_url(self, url: &str) -> Option<String> {
        if self != Dialect::Sqlite {
            return None;
        }
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        if path.ends_with(":memory:") {
            return Some(url.to_owned());
        }
        Some(if query.is_empty() { format!("{path}-access-log") } else { format!("{path}-access-log?{query}") })
    }

    /// A pool on `url` with this dialect's per-connection settings.
    pub async fn pool(self, url: &str) -> Result<AnyPool> {
        Ok(AnyPoolOptions::new()
            .max_connections(if self == Dialect::Sqlite { 4 } else { 10 })
            .after_connect(move |conn, _| Box::pin(async move { self.configure(conn).await }))
            .connect(url)
            .await?)
    }

    async fn configure(self, conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
        if self == Dialect::Sqlite {
            // WAL for concurrent readers; FULL sync so a 201 survives power loss too.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
            sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
            sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
            let busy = format!("PRAGMA busy_timeout = {SQLITE_BUSY_MS}");
            sqlx::query(sqlx::AssertSqlSafe(busy)).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Brings the main database's schema up to date.
    pub async fn migrate(self, pool: &AnyPool) -> Result<()> {
        match self {
            Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Dialect::Postgres => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Brings SQLite's separate access-log database up to date.
    pub async fn migrate_access_log(pool: &AnyPool) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite-access-log").run(pool).await?;
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first cannot wait for the lock when it
    /// later writes and fails with "database is locked"; a lock held past the busy timeout
    /// is [`StoreError::Unavailable`]. On PostgreSQL writers take one advisory lock, so
    /// change numbers are committed in order and an instance replaying `seq > watermark`
    /// never skips a write that committed late.
    pub async fn begin_write(self, pool: &AnyPool) -> Result<Transaction<'static, sqlx::Any>> {
        match self {
            Dialect::Sqlite => Ok(pool.begin_with("BEGIN IMMEDIATE").await?),
            Dialect::Postgres => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(7403)").execute(&mut *tx).await?;
                Ok(tx)
            }
        }
    }

    /// Wakes other instances at commit (PostgreSQL only; SQLite instances poll).
    pub async fn notify(self, tx: &mut AnyConnection, collection: &str, ids: &[&str]) -> Result<()> {
        if self != Dialect::Postgres {
            return Ok(());
        }
        // Delivered at commit, and only if the transaction commits. The payload names the
        // changed ids (or just their count when over NOTIFY's 8000-byte limit); instances
        // read the changes table by sequence either way, so a lost payload loses nothing.
        let mut payload = serde_json::json!({"collection": collection, "ids": ids}).to_string();
        if payload.len() > 7_900 {
            payload = serde_json::json!({"collection": collection, "count": ids.len()}).to_string();
        }
        sqlx::query("SELECT pg_notify('powermap_changes', $1)").bind(payload).execute(&mut *tx).await?;
        Ok(())
    }
}
