//! The access log: a line for every read or write of a child's data, appended before the
//! answer leaves. On SQLite it lives in its own database file (see [`super::Dialect`]),
//! so a long write on the main file cannot turn a child read into an error.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::{BATCH_ROWS, Dialect, Result, Store, StoreError, value_groups};
use crate::domain::auth::{AccessEntry, Action};

const COLUMNS: &str = "at, token_name, role, action, child_id";

/// The `access_log` table.
#[derive(Debug, Clone, Copy)]
pub struct AccessLog<'a> {
    pub(super) store: &'a Store,
}

impl AccessLog<'_> {
    /// Appends lines; a read is answered only once this has succeeded.
    pub async fn append(&self, entries: &[AccessEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.log_pool.begin().await?;
        insert(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The log lines of a write, for its transaction `tx`: inside it on PostgreSQL (all or
    /// nothing); on SQLite committed to the log file first, so a write is never stored
    /// unlogged (at worst a write that then fails to commit is logged as attempted).
    pub(super) async fn append_with(&self, tx: &mut AnyConnection, entries: &[AccessEntry]) -> Result<()> {
        match self.store.dialect {
            Dialect::Postgres => insert(tx, entries).await,
            Dialect::Sqlite => self.append(entries).await,
        }
    }

    /// The log, newest first, optionally for one child.
    pub async fn recent(&self, child_id: Option<&str>, limit: i64) -> Result<Vec<AccessEntry>> {
        let pool = &self.store.log_pool;
        let rows = match child_id {
            Some(id) => {
                let sql = format!("SELECT {COLUMNS} FROM access_log WHERE child_id = $1 ORDER BY seq DESC LIMIT $2");
                sqlx::query(AssertSqlSafe(sql)).bind(id.to_owned()).bind(limit).fetch_all(pool).await?
            }
            None => {
                let sql = format!("SELECT {COLUMNS} FROM access_log ORDER BY seq DESC LIMIT $1");
                sqlx::query(AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?
            }
        };
        rows.iter().map(decode).collect()
    }
}

/// Multi-row inserts of [`BATCH_ROWS`] lines each: an audit of thousands of children is a
/// few statements, not thousands.
async fn insert(conn: &mut AnyConnection, entries: &[AccessEntry]) -> Result<()> {
    for chunk in entries.chunks(BATCH_ROWS) {
        let sql = format!("INSERT INTO access_log ({COLUMNS}) VALUES {}", value_groups(chunk.len(), 5));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.at.clone())
                .bind(e.token_name.clone())
                .bind(e.role.clone())
                .bind(e.action.as_str())
                .bind(e.child_id.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

fn decode(r: &AnyRow) -> Result<AccessEntry> {
    let action: String = r.try_get(3)?;
    let action = Action::parse(&action)
        .ok_or_else(|| StoreError::Corrupt { id: "access log".into(), reason: format!("unknown action {action}") })?;
    Ok(AccessEntry {
        at: r.try_get(0)?,
        token_name: r.try_get(1)?,
        role: r.try_get(2)?,
        action,
        child_id: r.try_get(4)?,
    })
}

/// Moves lines a version before the log had its own file wrote into the main database,
/// keeping their numbers (so a move cut short is finished on the next start, never doubled).
pub(super) async fn move_old_lines(main: &AnyPool, log: &AnyPool) -> Result<()> {
    loop {
        let sql = format!("SELECT seq, {COLUMNS} FROM access_log ORDER BY seq LIMIT {BATCH_ROWS}");
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(main).await?;
        let Some(last) = rows.last() else { return Ok(()) };
        let last: i64 = last.try_get(0)?;
        let sql = format!(
            "INSERT INTO access_log (seq, {COLUMNS}) VALUES {} ON CONFLICT (seq) DO NOTHING",
            value_groups(rows.len(), 6)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in &rows {
            q = q.bind(r.try_get::<i64, _>(0)?);
            for i in 1..=5 {
                q = q.bind(r.try_get::<Option<String>, _>(i)?);
            }
        }
        q.execute(log).await?;
        sqlx::query("DELETE FROM access_log WHERE seq <= $1").bind(last).execute(main).await?;
    }
}
