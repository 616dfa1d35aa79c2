//! Bearer tokens, kept only as hashes, and the children a family token is bound to.
//!
//! A token is never deleted by a revocation: it gets `revoked_at`, so `token list` still
//! says who held what, and the change feed carries its id so every instance drops its
//! cached copy at once (see `http::auth`).

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::{Result, Store, StoreError, child_exists};
use crate::domain::auth::{Role, TOKEN_CHANGES, TokenInfo, TokenRecord, TokenStanding};

/// The `tokens` and `token_children` tables.
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    pub(super) store: &'a Store,
}

/// What a new token carries besides who may do what.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewToken {
    /// Its last day in Japan; `None`: no expiry.
    pub expires_on: Option<Date>,
    /// A demo token: removed when a server starts outside demo mode.
    pub demo: bool,
}

/// The outcome of a revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Revoked now; the change feed carries it as change `seq`.
    Revoked {
        /// The change number, for a writer to wait on (`AppState::seen`).
        seq: i64,
    },
    /// It had been revoked already, at this time; nothing changed.
    Already(OffsetDateTime),
}

/// A family sign-in issued for a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// The new token's id.
    pub id: String,
    /// The ids of the earlier sign-ins for the child, revoked by this one.
    pub revoked: Vec<String>,
    /// The change number of the revocations (0 when there were none).
    pub seq: i64,
}

/// Times we write ourselves, in UTC with a fixed width (microseconds always written), so
/// that comparing or sorting them as text in SQL orders them as times.
fn stamp(at: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    at.to_offset(time::UtcOffset::UTC).format(format).unwrap_or_default()
}

fn parse_time(id: &str, text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| StoreError::Corrupt { id: id.to_owned(), reason: format!("time {text:?}: {e}") })
}

fn parse_date(id: &str, text: &str) -> Result<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| StoreError::Corrupt { id: id.to_owned(), reason: format!("date {text:?}: {e}") })
}

fn parse_role(id: &str, name: &str) -> Result<Role> {
    Role::parse(name).ok_or_else(|| StoreError::Corrupt { id: id.to_owned(), reason: format!("unknown role {name}") })
}

/// 48 random bits: an id to list and revoke by, unrelated to the secret.
fn new_id() -> String {
    format!("tok-{}", hex::encode(rand::random::<[u8; 6]>()))
}

impl Tokens<'_> {
    /// Stores a token (its hash) without expiry; see [`Tokens::create_with`].
    pub async fn create(&self, token: &TokenRecord, demo: bool) -> Result<String> {
        self.create_with(token, NewToken { demo, ..NewToken::default() }, OffsetDateTime::now_utc()).await
    }

    /// Stores a token (its hash) made at `at` and its bindings, and returns its id; a child
    /// not stored is [`StoreError::NoSuchChild`] (checked in the transaction) and nothing is
    /// stored. A hash already stored keeps its row (the demo tokens are made at every start).
    pub async fn create_with(&self, token: &TokenRecord, new: NewToken, at: OffsetDateTime) -> Result<String> {
        let mut tx = self.store.begin_write().await?;
        let id = insert(&mut tx, token, new, None, at).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Issues a family sign-in for `child_id` at `at`: stores `token` bound to the child, and
    /// revokes every earlier sign-in issued for it, in one transaction, so a family has one
    /// working QR code at a time. A child not stored is [`StoreError::NoSuchChild`].
    pub async fn issue_sign_in(
        &self,
        child_id: &str,
        token: &TokenRecord,
        expires_on: Option<Date>,
        at: OffsetDateTime,
    ) -> Result<SignIn> {
        let mut tx = self.store.begin_write().await?;
        if !child_exists(&mut tx, child_id).await? {
            return Err(StoreError::NoSuchChild(child_id.to_owned()));
        }
        let earlier: Vec<String> =
            sqlx::query("SELECT id FROM tokens WHERE sign_in_child_id = $1 AND revoked_at IS NULL ORDER BY id")
                .bind(child_id.to_owned())
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
        let mut seq = 0;
        if !earlier.is_empty() {
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE sign_in_child_id = $2 AND revoked_at IS NULL")
                .bind(stamp(at))
                .bind(child_id.to_owned())
                .execute(&mut *tx)
                .await?;
            let ids: Vec<&str> = earlier.iter().map(String::as_str).collect();
            seq = self.store.changes().record(&mut tx, TOKEN_CHANGES, &ids).await?;
        }
        let new = NewToken { expires_on, demo: false };
        let id = insert(&mut tx, token, new, Some(child_id), at).await?;
        tx.commit().await?;
        Ok(SignIn { id, revoked: earlier, seq })
    }

    /// Revokes the token with this id at `at`; `None` when there is none. The change feed
    /// carries the revocation, so every instance refuses the token once it has read it.
    pub async fn revoke(&self, id: &str, at: OffsetDateTime) -> Result<Option<Revocation>> {
        let mut tx = self.store.begin_write().await?;
        let Some(row) = sqlx::query("SELECT revoked_at FROM tokens WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        if let Some(when) = row.try_get::<Option<String>, _>(0)? {
            return Ok(Some(Revocation::Already(parse_time(id, &when)?)));
        }
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2")
            .bind(stamp(at))
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        let seq = self.store.changes().record(&mut tx, TOKEN_CHANGES, &[id]).await?;
        tx.commit().await?;
        Ok(Some(Revocation::Revoked { seq }))
    }

    /// Looks a token up by the hash of its secret, revoked and expired ones included (the
    /// caller decides, with the time, whether it is accepted).
    pub async fn lookup(&self, hash: &str) -> Result<Option<(TokenRecord, TokenStanding)>> {
        let pool = &self.store.pool;
        let Some(row) = sqlx::query("SELECT id, name, role, expires_on, revoked_at FROM tokens WHERE hash = $1")
            .bind(hash.to_owned())
            .fetch_optional(pool)
            .await?
        else {
            return Ok(None);
        };
        let id: String = row.try_get(0)?;
        let children = sqlx::query("SELECT child_id FROM token_children WHERE token_hash = $1 ORDER BY child_id")
            .bind(hash.to_owned())
            .fetch_all(pool)
            .await?;
        let record = TokenRecord {
            hash: hash.to_owned(),
            name: row.try_get(1)?,
            role: parse_role(&id, &row.try_get::<String, _>(2)?)?,
            child_ids: children.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, _>>()?,
        };
        let expires_on = row.try_get::<Option<String>, _>(3)?.map(|d| parse_date(&id, &d)).transpose()?;
        let revoked_at = row.try_get::<Option<String>, _>(4)?.map(|t| parse_time(&id, &t)).transpose()?;
        Ok(Some((record, TokenStanding { id, expires_on, revoked_at })))
    }

    /// Looks a token up by the hash of its secret, whatever its standing.
    pub async fn find(&self, hash: &str) -> Result<Option<TokenRecord>> {
        Ok(self.lookup(hash).await?.map(|(record, _)| record))
    }

    /// Every token, oldest first, without secrets or hashes.
    pub async fn list(&self) -> Result<Vec<TokenInfo>> {
        let pool = &self.store.pool;
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for row in
            sqlx::query("SELECT token_hash, child_id FROM token_children ORDER BY child_id").fetch_all(pool).await?
        {
            children.entry(row.try_get(0)?).or_default().push(row.try_get(1)?);
        }
        let rows = sqlx::query(
            "SELECT hash, id, name, role, created_at, expires_on, revoked_at, last_used_at, sign_in_child_id \
             FROM tokens ORDER BY created_at, id",
        )
        .fetch_all(pool)
        .await?;
        rows.iter().map(|row| info(row, &mut children)).collect()
    }

    /// One token as listed, by id.
    pub async fn get(&self, id: &str) -> Result<Option<TokenInfo>> {
        Ok(self.list().await?.into_iter().find(|t| t.id == id))
    }

    /// Records when tokens were last used, in one transaction: each `(id, at)` moves the
    /// token's `last_used_at` forward (never back, when instances flush out of order).
    pub async fn record_use(&self, uses: &[(String, OffsetDateTime)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.begin_write().await?;
        for (id, at) in uses {
            sqlx::query(
                "UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(stamp(*at))
            .bind(id.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes demo tokens, so they exist only while the server runs in demo mode; other
    /// instances hear of it on the change feed.
    pub async fn delete_demo(&self) -> Result<u64> {
        let mut tx = self.store.begin_write().await?;
        let ids: Vec<String> = sqlx::query("SELECT id FROM tokens WHERE demo = 1 ORDER BY id")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        if ids.is_empty() {
            return Ok(0);
        }
        let done = sqlx::query("DELETE FROM tokens WHERE demo = 1").execute(&mut *tx).await?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.store.changes().record(&mut tx, TOKEN_CHANGES, &refs).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// Inserts one token and its bindings inside `tx`; returns the id of the stored row.
async fn insert(
    tx: &mut AnyConnection,
    token: &TokenRecord,
    new: NewToken,
    sign_in_child: Option<&str>,
    at: OffsetDateTime,
) -> Result<String> {
    sqlx::query(
        "INSERT INTO tokens (hash, id, name, role, demo, created_at, expires_on, sign_in_child_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (hash) DO NOTHING",
    )
    .bind(token.hash.clone())
    .bind(new_id())
    .bind(token.name.clone())
    .bind(token.role.as_str())
    .bind(i64::from(new.demo))
    .bind(stamp(at))
    .bind(new.expires_on.map(|d| d.to_string()))
    .bind(sign_in_child.map(str::to_owned))
    .execute(&mut *tx)
    .await?;
    let id: String = sqlx::query("SELECT id FROM tokens WHERE hash = $1")
        .bind(token.hash.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    for child in &token.child_ids {
        if !child_exists(tx, child).await? {
            return Err(StoreError::NoSuchChild(child.clone()));
        }
        sqlx::query("INSERT INTO token_children (token_hash, child_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(token.hash.clone())
            .bind(child.clone())
            .execute(&mut *tx)
            .await?;
    }
    Ok(id)
}

/// One listed token from its row and the bindings by hash.
fn info(row: &AnyRow, children: &mut HashMap<String, Vec<String>>) -> Result<TokenInfo> {
    let hash: String = row.try_get(0)?;
    let id: String = row.try_get(1)?;
    let time = |i: usize| -> Result<Option<OffsetDateTime>> {
        row.try_get::<Option<String>, _>(i)?.map(|t| parse_time(&id, &t)).transpose()
    };
    Ok(TokenInfo {
        name: row.try_get(2)?,
        role: parse_role(&id, &row.try_get::<String, _>(3)?)?,
        child_ids: children.remove(&hash).unwrap_or_default(),
        created_at: parse_time(&id, &row.try_get::<String, _>(4)?)?,
        expires_on: row.try_get::<Option<String>, _>(5)?.map(|d| parse_date(&id, &d)).transpose()?,
        revoked_at: time(6)?,
        last_used_at: time(7)?,
        sign_in_child_id: row.try_get(8)?,
        id,
    })
}
