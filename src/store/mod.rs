//! The source of truth: SQLite (embedded default) or PostgreSQL, through one implementation.
//!
//! Both dialects are reached through sqlx's `Any` driver with `$n` placeholders (which
//! SQLite accepts too), so every query is written once; only the migrations differ, under
//! `migrations/sqlite` and `migrations/postgres`. Every multi-row write is one transaction.

mod error;

pub use error::{Result, StoreError};

use serde_json::Value;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
// Table names in dynamic SQL come only from `Resource::COLLECTION` constants, never from input.
use sqlx::{AnyPool, AssertSqlSafe, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::plan::{Plan, PlanBody};
use crate::domain::{Located, Resource};

/// Rows per multi-row INSERT: well under both databases' bind-parameter limits.
const BATCH_ROWS: usize = 500;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite file, WAL mode.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// How a write treats an id that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// `POST`: an existing id is a conflict and nothing is written.
    CreateOnly,
    /// `PUT` and imports: replace what is there.
    Upsert,
}

/// Who may do what; stored with each token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A household: its own children only.
    Family,
    /// 医療的ケア児等コーディネーター, 障害福祉課.
    Coordinator,
    /// 危機管理課: everything.
    Planner,
}

impl Role {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Family => "family",
            Role::Coordinator => "coordinator",
            Role::Planner => "planner",
        }
    }

    /// Parses a stored or typed role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "family" => Some(Role::Family),
            "coordinator" => Some(Role::Coordinator),
            "planner" => Some(Role::Planner),
            _ => None,
        }
    }
}

/// A token as stored: the secret itself is never kept.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// Who holds it (shown in the access log).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Children a family token is bound to.
    pub child_ids: Vec<String>,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Token name, or `cli` for the command line.
    pub token_name: String,
    /// Role of the accessor.
    pub role: String,
    /// What was done (`read`, `list`, `create`, `update`, `delete`, `nearest_power`, `export`).
    pub action: String,
    /// Which child.
    pub child_id: Option<String>,
}

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

/// The database handle, cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
}

/// The current time as stored: RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…` and migrates.
    pub async fn connect(url: &str) -> Result<Self> {
        install_default_drivers();
        let (dialect, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let sep = if rest.contains('?') { '&' } else { '?' };
            let url = if rest.contains("mode=") { url.to_owned() } else { format!("{url}{sep}mode=rwc") };
            (Dialect::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_owned())
        } else {
            return Err(StoreError::BadUrl(url.to_owned()));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 4 } else { 10 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // WAL for concurrent readers; FULL sync so a 201 survives power loss too.
                        sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA busy_timeout = 5000").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        match dialect {
            Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Dialect::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        Ok(Self { pool, dialect })
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Every stored resource of one kind, to build the index at start.
    pub async fn load_all<P: Resource>(&self) -> Result<Vec<Located<P>>> {
        let sql = format!("SELECT id, lon, lat, properties FROM {} ORDER BY id", P::COLLECTION);
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(decode_row::<P>).collect()
    }

    /// One resource by id.
    pub async fn get<P: Resource>(&self, id: &str) -> Result<Option<Located<P>>> {
        let sql = format!("SELECT id, lon, lat, properties FROM {} WHERE id = $1", P::COLLECTION);
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(decode_row::<P>).transpose()
    }

    /// The resources with these ids that exist, a few hundred per query, so an instance
    /// catching up with a bulk import of thousands does not make thousands of round trips.
    pub async fn get_many<P: Resource>(&self, ids: &[&str]) -> Result<Vec<Located<P>>> {
        let rows = self.rows_with_ids::<P>("id, lon, lat, properties", ids).await?;
        rows.iter().map(decode_row::<P>).collect()
    }

    /// `columns` of the rows of `P`'s table whose id is in `ids`, in chunks of
    /// [`BATCH_ROWS`] ids (well under both databases' bind-parameter limits).
    async fn rows_with_ids<P: Resource>(&self, columns: &str, ids: &[&str]) -> Result<Vec<sqlx::any::AnyRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(BATCH_ROWS) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT {columns} FROM {} WHERE id IN ({})", P::COLLECTION, marks.join(","));
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            rows.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(rows)
    }

    /// Writes `items` and the access-log `entries` in one transaction: all or nothing.
    ///
    /// Returns, per item, whether it was newly created. With [`WriteMode::CreateOnly`] an id
    /// that is already stored fails the whole write with [`StoreError::AlreadyExists`].
    pub async fn write<P: Resource>(
        &self,
        items: &[Located<P>],
        mode: WriteMode,
        entries: &[AccessEntry],
    ) -> Result<Vec<bool>> {
        let existing = self.existing_ids::<P>(items).await?;
        if mode == WriteMode::CreateOnly
            && let Some(item) = items.iter().find(|i| existing.contains(&i.id))
        {
            return Err(StoreError::AlreadyExists(item.id.clone()));
        }
        let now = now_rfc3339();
        let mut tx = self.begin_write().await?;
        for chunk in items.chunks(BATCH_ROWS) {
            let mut sql = format!("INSERT INTO {} (id, lon, lat, properties, updated_at) VALUES ", P::COLLECTION);
            for i in 0..chunk.len() {
                let b = i * 5;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5));
            }
            if mode == WriteMode::Upsert {
                sql.push_str(
                    " ON CONFLICT (id) DO UPDATE SET lon = excluded.lon, lat = excluded.lat, \
                     properties = excluded.properties, updated_at = excluded.updated_at",
                );
            }
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for item in chunk {
                let props = serde_json::to_string(&item.props)?;
                q = q.bind(item.id.clone()).bind(item.lon).bind(item.lat).bind(props).bind(now.clone());
            }
            q.execute(&mut *tx).await.map_err(|e| match e {
                sqlx::Error::Database(ref d) if d.is_unique_violation() => {
                    StoreError::AlreadyExists("(written concurrently)".to_owned())
                }
                other => other.into(),
            })?;
        }
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        self.record_changes(&mut tx, P::COLLECTION, &ids).await?;
        append_log(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(items.iter().map(|i| !existing.contains(&i.id)).collect())
    }

    async fn existing_ids<P: Resource>(&self, items: &[Located<P>]) -> Result<std::collections::HashSet<String>> {
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let rows = self.rows_with_ids::<P>("id", &ids).await?;
        rows.iter().map(|row| Ok(row.try_get::<String, _>(0)?)).collect()
    }

    /// Deletes one resource (and logs, in the same transaction); `false` if it was not there.
    /// Deleting a child also deletes its plans and unbinds it from family tokens.
    pub async fn delete<P: Resource>(&self, id: &str, entries: &[AccessEntry]) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let sql = format!("DELETE FROM {} WHERE id = $1", P::COLLECTION);
        let done = sqlx::query(AssertSqlSafe(sql)).bind(id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if P::COLLECTION == crate::domain::ChildProps::COLLECTION {
            // A child's plans and family-token bindings go with it: an id used again later
            // must not inherit another child's plan or let that family read the new child.
            for sql in ["DELETE FROM plans WHERE child_id = $1", "DELETE FROM token_children WHERE child_id = $1"] {
                sqlx::query(sql).bind(id).execute(&mut *tx).await?;
            }
        }
        self.record_changes(&mut tx, P::COLLECTION, &[id]).await?;
        append_log(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first cannot wait for the lock when it
    /// later writes and fails with "database is locked". On PostgreSQL writers take one
    /// advisory lock, so change numbers are committed in order and an instance replaying
    /// `seq > watermark` never skips a write that committed late.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.dialect {
            Dialect::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Dialect::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(7403)").execute(&mut *tx).await?;
                Ok(tx)
            }
        }
    }

    async fn record_changes(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        collection: &str,
        ids: &[&str],
    ) -> Result<()> {
        for chunk in ids.chunks(BATCH_ROWS) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${})", i + 2)).collect();
            let sql = format!("INSERT INTO changes (collection, id) VALUES {}", marks.join(","));
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(collection.to_owned());
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            q.execute(&mut **tx).await?;
        }
        if self.dialect == Dialect::Postgres {
            // Delivered at commit, and only if the transaction commits. The payload names the
            // changed ids (or just their count when over NOTIFY's 8000-byte limit); instances
            // read the changes table by sequence either way, so a lost payload loses nothing.
            let mut payload = serde_json::json!({"collection": collection, "ids": ids}).to_string();
            if payload.len() > 7_900 {
                payload = serde_json::json!({"collection": collection, "count": ids.len()}).to_string();
            }
            sqlx::query("SELECT pg_notify('powermap_changes', $1)").bind(payload).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The newest change number (0 if none): an instance's watermark before it loads.
    pub async fn last_change(&self) -> Result<i64> {
        let seq: Option<i64> = sqlx::query("SELECT MAX(seq) FROM changes").fetch_one(&self.pool).await?.try_get(0)?;
        Ok(seq.unwrap_or(0))
    }

    /// Changes after `seq`, oldest first: (seq, collection, id).
    pub async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<(i64, String, String)>> {
        let rows = sqlx::query("SELECT seq, collection, id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// The connection URL's database kind and, for PostgreSQL, a listener for change wake-ups.
    pub async fn listen(&self, url: &str) -> Result<Option<sqlx::postgres::PgListener>> {
        if self.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen("powermap_changes").await?;
        Ok(Some(listener))
    }

    /// Appends to the access log; a read is answered only once this has succeeded.
    pub async fn log_access(&self, entries: &[AccessEntry]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        append_log(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The access log, newest first, optionally for one child.
    pub async fn access_log(&self, child_id: Option<&str>, limit: i64) -> Result<Vec<AccessEntry>> {
        let rows = match child_id {
            Some(id) => {
                sqlx::query(
                    "SELECT at, token_name, role, action, child_id FROM access_log \
                     WHERE child_id = $1 ORDER BY seq DESC LIMIT $2",
                )
                .bind(id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT at, token_name, role, action, child_id FROM access_log ORDER BY seq DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(AccessEntry {
                    at: r.try_get(0)?,
                    token_name: r.try_get(1)?,
                    role: r.try_get(2)?,
                    action: r.try_get(3)?,
                    child_id: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Stores a token (its hash) and the children it is bound to.
    pub async fn create_token(&self, token: &TokenRecord, demo: bool) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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
    pub async fn find_token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let Some(row) =
            sqlx::query("SELECT name, role FROM tokens WHERE hash = $1").bind(hash).fetch_optional(&self.pool).await?
        else {
            return Ok(None);
        };
        let role_name: String = row.try_get(1)?;
        let role = Role::parse(&role_name)
            .ok_or_else(|| StoreError::Corrupt { id: hash.to_owned(), reason: format!("unknown role {role_name}") })?;
        let children = sqlx::query("SELECT child_id FROM token_children WHERE token_hash = $1 ORDER BY child_id")
            .bind(hash)
            .fetch_all(&self.pool)
            .await?;
        Ok(Some(TokenRecord {
            hash: hash.to_owned(),
            name: row.try_get(0)?,
            role,
            child_ids: children.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, _>>()?,
        }))
    }

    /// The current plan of a child, if any.
    pub async fn plan(&self, child_id: &str) -> Result<Option<Plan>> {
        let row = sqlx::query(
            "SELECT child_id, version, body, author, created_at FROM plans WHERE child_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(child_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_plan).transpose()
    }

    /// Every version of a child's plan, newest first.
    pub async fn plan_history(&self, child_id: &str) -> Result<Vec<Plan>> {
        let rows = sqlx::query(
            "SELECT child_id, version, body, author, created_at FROM plans WHERE child_id = $1 ORDER BY version DESC",
        )
        .bind(child_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_plan).collect()
    }

    /// The current plan of every child, for the audit: one query, not one per child.
    pub async fn current_plans(&self) -> Result<std::collections::HashMap<String, Plan>> {
        let rows = sqlx::query(
            "SELECT p.child_id, p.version, p.body, p.author, p.created_at FROM plans p \
             JOIN (SELECT child_id, MAX(version) AS v FROM plans GROUP BY child_id) m \
             ON p.child_id = m.child_id AND p.version = m.v",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| decode_plan(r).map(|p| (p.child_id.clone(), p))).collect()
    }

    /// Stores a new plan version based on `based_on` (0 for the first), with its log line,
    /// in one transaction. Anything but the current version is [`StoreError::VersionConflict`]
    /// and nothing is stored; so is losing a race to another writer of the same version.
    pub async fn put_plan(
        &self,
        child_id: &str,
        based_on: i64,
        body: &PlanBody,
        author: &str,
        entries: &[AccessEntry],
    ) -> Result<Plan> {
        let mut tx = self.begin_write().await?;
        let current: Option<i64> = sqlx::query("SELECT MAX(version) FROM plans WHERE child_id = $1")
            .bind(child_id)
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
        append_log(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Saves a scenario run: the request and the answer as JSON documents.
    pub async fn save_scenario(&self, s: &SavedScenario) -> Result<()> {
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Saved scenarios, newest first; `id` narrows to one.
    pub async fn scenarios(&self, id: Option<&str>) -> Result<Vec<SavedScenario>> {
        let rows = match id {
            Some(id) => {
                sqlx::query("SELECT id, name, author, created_at, hours, request, result FROM scenarios WHERE id = $1")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(
                    "SELECT id, name, author, created_at, hours, request, result FROM scenarios ORDER BY created_at DESC, id",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
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
            })
            .collect()
    }

    /// Removes demo tokens, so they exist only while the server runs in demo mode.
    pub async fn delete_demo_tokens(&self) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM tokens WHERE demo = 1").execute(&self.pool).await?.rows_affected())
    }
}

async fn append_log(tx: &mut sqlx::Transaction<'_, sqlx::Any>, entries: &[AccessEntry]) -> Result<()> {
    for e in entries {
        sqlx::query("INSERT INTO access_log (at, token_name, role, action, child_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(e.at.clone())
            .bind(e.token_name.clone())
            .bind(e.role.clone())
            .bind(e.action.clone())
            .bind(e.child_id.clone())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn decode_plan(row: &sqlx::any::AnyRow) -> Result<Plan> {
    let child_id: String = row.try_get(0)?;
    let text: String = row.try_get(2)?;
    let body = serde_json::from_str::<PlanBody>(&text)
        .map_err(|e| StoreError::Corrupt { id: format!("plan of {child_id}"), reason: e.to_string() })?;
    Ok(Plan { child_id, version: row.try_get(1)?, body, author: row.try_get(3)?, created_at: row.try_get(4)? })
}

fn decode_row<P: Resource>(row: &sqlx::any::AnyRow) -> Result<Located<P>> {
    let id: String = row.try_get(0)?;
    let text: String = row.try_get(3)?;
    let props = serde_json::from_str::<Value>(&text)
        .and_then(serde_json::from_value::<P>)
        .map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
    Ok(Located { id, lon: row.try_get(1)?, lat: row.try_get(2)?, props })
}
