//! 個別避難計画: versioned plans, one row per version, never updated in place.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError, child_exists, now_rfc3339};
use crate::domain::auth::AccessEntry;
use crate::domain::plan::{Plan, PlanBody};

const SELECT: &str = "SELECT child_id, version, body, author, created_at FROM plans";

/// The `plans` table.
#[derive(Debug, Clone, Copy)]
pub struct Plans<'a> {
    pub(super) store: &'a Store,
}

impl Plans<'_> {
    /// The current plan of a child, if any.
    pub async fn current(&self, child_id: &str) -> Result<Option<Plan>> {
        let sql = format!("{SELECT} WHERE child_id = $1 ORDER BY version DESC LIMIT 1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(child_id.to_owned()).fetch_optional(&self.store.pool).await?;
        row.as_ref().map(decode).transpose()
    }

    /// Every version of a child's plan, newest first.
    pub async fn history(&self, child_id: &str) -> Result<Vec<Plan>> {
        let sql = format!("{SELECT} WHERE child_id = $1 ORDER BY version DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(child_id.to_owned()).fetch_all(&self.store.pool).await?;
        rows.iter().map(decode).collect()
    }

    /// The current plan of every child, for the audit: one query, not one per child.
    pub async fn all_current(&self) -> Result<HashMap<String, Plan>> {
        let rows = sqlx::query(
            "SELECT p.child_id, p.version, p.body, p.author, p.created_at FROM plans p \
             JOIN (SELECT child_id, MAX(version) AS v FROM plans GROUP BY child_id) m \
             ON p.child_id = m.child_id AND p.version = m.v",
        )
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(|r| decode(r).map(|p| (p.child_id.clone(), p))).collect()
    }

    /// Stores a new plan version based on `based_on` (0 for the first), with its log line,
    /// in one transaction. The child must be stored when the transaction runs (else
    /// [`StoreError::NoSuchChild`]: a child deleted while the body arrived gets no orphan
    /// plan); anything but the current version is [`StoreError::VersionConflict`].
    pub async fn put(
        &self,
        child_id: &str,
        based_on: i64,
        body: &PlanBody,
        author: &str,
        entries: &[AccessEntry],
    ) -> Result<Plan> {
        let mut tx = self.store.begin_write().await?;
        if !child_exists(&mut tx, child_id).await? {
            return Err(StoreError::NoSuchChild(child_id.to_owned()));
        }
        let current: Option<i64> = sqlx::query("SELECT MAX(version) FROM plans WHERE child_id = $1")
            .bind(child_id.to_owned())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let current = current.unwrap_or(0);
        if based_on != current {
            return Err(StoreError::VersionConflict { current });
        }
        let plan = Plan {
            child_id: child_id.to_owned(),
            version: current + 1,
            body: body.clone(),
            author: author.to_owned(),
            created_at: now_rfc3339(),
        };
        sqlx::query("INSERT INTO plans (child_id, version, body, author, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(plan.child_id.clone())
            .bind(plan.version)
            .bind(serde_json::to_string(&plan.body)?)
            .bind(plan.author.clone())
            .bind(plan.created_at.clone())
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(ref d) if d.is_unique_violation() => {
                    StoreError::VersionConflict { current: current + 1 }
                }
                other => other.into(),
            })?;
        self.store.access_log().append_with(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(plan)
    }
}

fn decode(row: &AnyRow) -> Result<Plan> {
    let child_id: String = row.try_get(0)?;
    let text: String = row.try_get(2)?;
    let body = serde_json::from_str::<PlanBody>(&text)
        .map_err(|e| StoreError::Corrupt { id: format!("plan of {child_id}"), reason: e.to_string() })?;
    Ok(Plan { child_id, version: row.try_get(1)?, body, author: row.try_get(3)?, created_at: row.try_get(4)? })
}
