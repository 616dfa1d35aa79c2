//! Bearer tokens, kept only as hashes, and the children a family token is bound to.

use sqlx::Row;

use super::{Result, Store, StoreError, child_exists, now_rfc3339};
use crate::domain::auth::{Role, TokenRecord};

/// The `tokens` and `token_children` tables.
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    pub(super) store: &'a Store,
}

impl Tokens<'_> {
    /// Stores a token (its hash) and its bindings; a child not stored is
    /// [`StoreError::NoSuchChild`] (checked in the transaction) and nothing is stored.
    pub async fn create(&self, token: &TokenRecord, demo: bool) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO tokens (hash, name, role, demo, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(token.hash.clone())
        .bind(token.name.clone())
        .bind(token.role.as_str())
        .bind(i64::from(demo))
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await?;
        for child in &token.child_ids {
            if !child_exists(&mut tx, child).await? {
                return Err(StoreError::NoSuchChild(child.clone()));
            }
            sqlx::query("INSERT INTO token_children (token_hash, child_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(token.hash.clone())
                .bind(child.clone())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Looks a token up by the hash of its secret.
    pub async fn find(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let pool = &self.store.pool;
        let Some(row) = sqlx::query("SELECT name, role FROM tokens WHERE hash = $1")
            .bind(hash.to_owned())
            .fetch_optional(pool)
            .await?
        else {
            return Ok(None);
        };
        let role_name: String = row.try_get(1)?;
        let role = Role::parse(&role_name)
            .ok_or_else(|| StoreError::Corrupt { id: hash.to_owned(), reason: format!("unknown role {role_name}") })?;
        let children = sqlx::query("SELECT child_id FROM token_children WHERE token_hash = $1 ORDER BY child_id")
            .bind(hash.to_owned())
            .fetch_all(pool)
            .await?;
        Ok(Some(TokenRecord {
            hash: hash.to_owned(),
            name: row.try_get(0)?,
            role,
            child_ids: children.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, _>>()?,
        }))
    }

    /// Removes demo tokens, so they exist only while the server runs in demo mode.
    pub async fn delete_demo(&self) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM tokens WHERE demo = 1").execute(&self.store.pool).await?.rows_affected())
    }
}
