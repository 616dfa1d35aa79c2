//! Hazard zones: one row each, the properties and the shape as text.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{BATCH_ROWS, Result, Store, StoreError, now_rfc3339, value_groups};
use crate::domain::hazard_zone::{HAZARD_ZONES, HazardZone, ZoneProps, geometry_json, polygons_of};

/// The `hazard_zones` table.
#[derive(Debug, Clone, Copy)]
pub struct HazardZones<'a> {
    pub(super) store: &'a Store,
}

impl HazardZones<'_> {
    /// Every zone, to build the index at start.
    pub async fn load_all(&self) -> Result<Vec<HazardZone>> {
        let rows = sqlx::query("SELECT id, properties, geometry FROM hazard_zones ORDER BY id")
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// The zones with these ids that exist (the follower's read after a change).
    pub async fn get_many(&self, ids: &[&str]) -> Result<Vec<HazardZone>> {
        let mut conn = self.store.pool.acquire().await?;
        let rows = rows_with_ids(&mut conn, "id, properties, geometry", ids).await?;
        rows.iter().map(decode).collect()
    }

    /// Stores `zones` in one transaction, all or nothing: with `replace` false an id already
    /// stored fails the whole write with [`StoreError::AlreadyExists`]. Returns the change number.
    pub async fn write(&self, zones: &[HazardZone], replace: bool) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        let ids: Vec<&str> = zones.iter().map(|z| z.id.as_str()).collect();
        if !replace && let Some(taken) = rows_with_ids(&mut tx, "id", &ids).await?.first() {
            return Err(StoreError::AlreadyExists(taken.try_get(0)?));
        }
        let seq = self.upsert_in(&mut tx, zones).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Inserts or replaces `zones` inside the caller's transaction and records the change.
    async fn upsert_in(&self, tx: &mut sqlx::AnyConnection, zones: &[HazardZone]) -> Result<i64> {
        let ids: Vec<&str> = zones.iter().map(|z| z.id.as_str()).collect();
        let now = now_rfc3339();
        for chunk in zones.chunks(BATCH_ROWS) {
            let mut sql = format!(
                "INSERT INTO hazard_zones (id, properties, geometry, updated_at) VALUES {}",
                value_groups(chunk.len(), 4)
            );
            sql.push_str(
                " ON CONFLICT (id) DO UPDATE SET properties = excluded.properties, geometry = excluded.geometry, \
                 updated_at = excluded.updated_at",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for z in chunk {
                let props = serde_json::to_string(&z.props)?;
                q = q.bind(z.id.clone()).bind(props).bind(geometry_json(&z.geometry).to_string()).bind(now.clone());
            }
            q.execute(&mut *tx).await?;
        }
        self.store.changes().record(tx, HAZARD_ZONES, &ids).await
    }

    /// An import: `zones` replace every stored zone of the same `source` in one transaction
    /// (a re-import of a corrected file leaves none of the old zones behind, and a reader
    /// sees the old set or the new, never a mix). Zones without a source are only upserted.
    pub async fn replace_sources(&self, zones: &[HazardZone]) -> Result<i64> {
        let sources: std::collections::HashSet<&str> = zones.iter().filter_map(|z| z.props.source.as_deref()).collect();
        let keep: std::collections::HashSet<&str> = zones.iter().map(|z| z.id.as_str()).collect();
        let mut tx = self.store.begin_write().await?;
        let stored = sqlx::query("SELECT id, properties FROM hazard_zones").fetch_all(&mut *tx).await?;
        let mut stale = Vec::new();
        for row in &stored {
            let id: String = row.try_get(0)?;
            let props: ZoneProps = serde_json::from_str(&row.try_get::<String, _>(1)?)
                .map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
            if props.source.as_deref().is_some_and(|s| sources.contains(s)) && !keep.contains(id.as_str()) {
                stale.push(id);
            }
        }
        for id in &stale {
            sqlx::query("DELETE FROM hazard_zones WHERE id = $1").bind(id.clone()).execute(&mut *tx).await?;
        }
        let stale: Vec<&str> = stale.iter().map(String::as_str).collect();
        if !stale.is_empty() {
            self.store.changes().record(&mut tx, HAZARD_ZONES, &stale).await?;
        }
        let seq = self.upsert_in(&mut tx, zones).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Deletes one zone; `None` if it was not there, else the change number.
    pub async fn delete(&self, id: &str) -> Result<Option<i64>> {
        let mut tx = self.store.begin_write().await?;
        let done = sqlx::query("DELETE FROM hazard_zones WHERE id = $1").bind(id.to_owned()).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let seq = self.store.changes().record(&mut tx, HAZARD_ZONES, &[id]).await?;
        tx.commit().await?;
        Ok(Some(seq))
    }
}

/// `columns` of the zones whose id is in `ids`, in chunks of [`BATCH_ROWS`].
async fn rows_with_ids(conn: &mut sqlx::AnyConnection, columns: &str, ids: &[&str]) -> Result<Vec<AnyRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(BATCH_ROWS) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT {columns} FROM hazard_zones WHERE id IN ({})", marks.join(","));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind((*id).to_owned());
        }
        rows.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

fn decode(row: &AnyRow) -> Result<HazardZone> {
    let id: String = row.try_get(0)?;
    let corrupt = |reason: String| StoreError::Corrupt { id: id.clone(), reason };
    let props: ZoneProps = serde_json::from_str(&row.try_get::<String, _>(1)?).map_err(|e| corrupt(e.to_string()))?;
    let shape: Value = serde_json::from_str(&row.try_get::<String, _>(2)?).map_err(|e| corrupt(e.to_string()))?;
    let geometry = polygons_of(&shape).ok_or_else(|| corrupt("the stored shape is not a polygon".into()))?;
    Ok(HazardZone { id: id.clone(), props, geometry })
}
