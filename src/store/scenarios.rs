//! Saved outage scenarios, so a planner can compare "north half, 24 h" with "whole city, 7 days".

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store};

const SELECT: &str = "SELECT id, name, author, created_at, hours, request, result FROM scenarios";

/// A saved outage scenario.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SavedScenario {
    /// Identifier.
    pub id: String,
    /// Name given by the planner.
    pub name: String,
    /// Token name of whoever ran it.
    pub author: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// Outage length, hours.
    pub hours: f64,
    /// The request body (area and hours).
    pub request: Value,
    /// The answer.
    pub result: Value,
}

/// The `scenarios` table.
#[derive(Debug, Clone, Copy)]
pub struct Scenarios<'a> {
    pub(super) store: &'a Store,
}

impl Scenarios<'_> {
    /// Saves a scenario run: the request and the answer as JSON documents.
    pub async fn save(&self, s: &SavedScenario) -> Result<()> {
        sqlx::query(
            "INSERT INTO scenarios (id, name, author, created_at, hours, request, result) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(s.id.clone())
        .bind(s.name.clone())
        .bind(s.author.clone())
        .bind(s.created_at.clone())
        .bind(s.hours)
        .bind(s.request.to_string())
        .bind(s.result.to_string())
        .execute(&self.store.pool)
        .await?;
        Ok(())
    }

    /// Saved scenarios, newest first; `id` narrows to one.
    pub async fn list(&self, id: Option<&str>) -> Result<Vec<SavedScenario>> {
        let pool = &self.store.pool;
        let rows = match id {
            Some(id) => {
                let sql = format!("{SELECT} WHERE id = $1");
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned()).fetch_all(pool).await?
            }
            None => {
                let sql = format!("{SELECT} ORDER BY created_at DESC, id");
                sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
            }
        };
        rows.iter().map(decode).collect()
    }
}

fn decode(r: &AnyRow) -> Result<SavedScenario> {
    let json = |i: usize| -> Result<Value> {
        let text: String = r.try_get(i)?;
        Ok(serde_json::from_str(&text)?)
    };
    Ok(SavedScenario {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        author: r.try_get(2)?,
        created_at: r.try_get(3)?,
        hours: r.try_get(4)?,
        request: json(5)?,
        result: json(6)?,
    })
}
