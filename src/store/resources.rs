//! Points, shelters and children: one table each, a JSON document beside the point.

use std::collections::HashSet;

use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
// Table names in dynamic SQL come only from `Resource::COLLECTION` constants, never from input.
use sqlx::{AssertSqlSafe, Row};

use super::{BATCH_ROWS, Result, Store, StoreError, now_rfc3339, value_groups};
use crate::domain::auth::AccessEntry;
use crate::domain::{Located, Resource};

/// How a write treats an id that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// `POST`: an existing id is a conflict and nothing is written.
    CreateOnly,
    /// `PUT` and imports: replace what is there.
    Upsert,
}

/// What a committed write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Per item, whether it was newly created.
    pub created: Vec<bool>,
    /// The change number of the write: an instance whose follower has applied it sees it.
    pub seq: i64,
}

/// The resource tables.
#[derive(Debug, Clone, Copy)]
pub struct Resources<'a> {
    pub(super) store: &'a Store,
}

impl Resources<'_> {
    /// Every stored resource of one kind, to build the index at start.
    pub async fn load_all<P: Resource>(&self) -> Result<Vec<Located<P>>> {
        let sql = format!("SELECT id, lon, lat, properties FROM {} ORDER BY id", P::COLLECTION);
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.store.pool).await?;
        rows.iter().map(decode_row::<P>).collect()
    }

    /// One resource by id.
    pub async fn get<P: Resource>(&self, id: &str) -> Result<Option<Located<P>>> {
        let sql = format!("SELECT id, lon, lat, properties FROM {} WHERE id = $1", P::COLLECTION);
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id.to_owned()).fetch_optional(&self.store.pool).await?;
        row.as_ref().map(decode_row::<P>).transpose()
    }

    /// The resources with these ids that exist, a few hundred per query, so an instance
    /// catching up with a bulk import of thousands does not make thousands of round trips.
    pub async fn get_many<P: Resource>(&self, ids: &[&str]) -> Result<Vec<Located<P>>> {
        let mut conn = self.store.pool.acquire().await?;
        let rows = rows_with_ids::<P>(&mut conn, "id, lon, lat, properties", ids).await?;
        rows.iter().map(decode_row::<P>).collect()
    }

    /// Writes `items` and the access-log `entries` in one transaction: all or nothing.
    ///
    /// With [`WriteMode::CreateOnly`] an id that is already stored (checked inside the
    /// transaction) fails the whole write with [`StoreError::AlreadyExists`].
    pub async fn write<P: Resource>(
        &self,
        items: &[Located<P>],
        mode: WriteMode,
        entries: &[AccessEntry],
    ) -> Result<Written> {
        let mut tx = self.store.begin_write().await?;
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let existing = existing_ids::<P>(&mut tx, &ids).await?;
        if mode == WriteMode::CreateOnly
            && let Some(item) = items.iter().find(|i| existing.contains(&i.id))
        {
            return Err(StoreError::AlreadyExists(item.id.clone()));
        }
        let now = now_rfc3339();
        for chunk in items.chunks(BATCH_ROWS) {
            insert_rows(&mut tx, chunk, mode, &now).await?;
        }
        let seq = self.store.changes().record(&mut tx, P::COLLECTION, &ids).await?;
        self.store.access_log().append_with(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(Written { created: items.iter().map(|i| !existing.contains(&i.id)).collect(), seq })
    }

    /// Deletes one resource (and logs, in the same transaction); `None` if it was not
    /// there, else the change number. What refers to it (a child's plans and family-token
    /// bindings) goes with it by the foreign keys' `ON DELETE CASCADE`.
    pub async fn delete<P: Resource>(&self, id: &str, entries: &[AccessEntry]) -> Result<Option<i64>> {
        let mut tx = self.store.begin_write().await?;
        let sql = format!("DELETE FROM {} WHERE id = $1", P::COLLECTION);
        let done = sqlx::query(AssertSqlSafe(sql)).bind(id.to_owned()).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let seq = self.store.changes().record(&mut tx, P::COLLECTION, &[id]).await?;
        self.store.access_log().append_with(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(Some(seq))
    }
}

async fn insert_rows<P: Resource>(
    conn: &mut AnyConnection,
    chunk: &[Located<P>],
    mode: WriteMode,
    now: &str,
) -> Result<()> {
    let mut sql = format!(
        "INSERT INTO {} (id, lon, lat, properties, updated_at) VALUES {}",
        P::COLLECTION,
        value_groups(chunk.len(), 5)
    );
    if mode == WriteMode::Upsert {
        sql.push_str(
            " ON CONFLICT (id) DO UPDATE SET lon = excluded.lon, lat = excluded.lat, \
             properties = excluded.properties, updated_at = excluded.updated_at",
        );
    }
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for item in chunk {
        let props = serde_json::to_string(&item.props)?;
        q = q.bind(item.id.clone()).bind(item.lon).bind(item.lat).bind(props).bind(now.to_owned());
    }
    q.execute(&mut *conn).await.map_err(|e| match e {
        sqlx::Error::Database(ref d) if d.is_unique_violation() => {
            StoreError::AlreadyExists("(written concurrently)".to_owned())
        }
        other => other.into(),
    })?;
    Ok(())
}

async fn existing_ids<P: Resource>(conn: &mut AnyConnection, ids: &[&str]) -> Result<HashSet<String>> {
    let rows = rows_with_ids::<P>(conn, "id", ids).await?;
    rows.iter().map(|row| Ok(row.try_get::<String, _>(0)?)).collect()
}

/// `columns` of the rows of `P`'s table whose id is in `ids`, in chunks of [`BATCH_ROWS`].
async fn rows_with_ids<P: Resource>(conn: &mut AnyConnection, columns: &str, ids: &[&str]) -> Result<Vec<AnyRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(BATCH_ROWS) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT {columns} FROM {} WHERE id IN ({})", P::COLLECTION, marks.join(","));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind((*id).to_owned());
        }
        rows.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

fn decode_row<P: Resource>(row: &AnyRow) -> Result<Located<P>> {
    let id: String = row.try_get(0)?;
    let text: String = row.try_get(3)?;
    let props = serde_json::from_str::<Value>(&text)
        .and_then(serde_json::from_value::<P>)
        .map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
    Ok(Located { id, lon: row.try_get(1)?, lat: row.try_get(2)?, props })
}
