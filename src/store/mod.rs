//! The source of truth: SQLite (embedded default) or PostgreSQL, through one implementation.
//!
//! Both dialects are reached through sqlx's `Any` driver with `$n` placeholders (which
//! SQLite accepts too), so every query is written once; what differs sits in [`dialect`]
//! and the migrations under `migrations/sqlite` and `migrations/postgres`. Each kind of
//! record has its room, reached from [`Store`]: `store.plans().current(id)`. Every
//! multi-row write is one transaction, and a read that decides a write happens inside it.

mod access_log;
mod changes;
mod dialect;
mod error;
mod hazard_zones;
mod incidents;
mod plans;
mod resources;
mod scenarios;
mod tokens;

pub use access_log::AccessLog;
pub use changes::{Change, Changes};
pub use dialect::Dialect;
pub use error::{Result, StoreError};
pub use hazard_zones::HazardZones;
pub use incidents::{Incidents, Reports};
pub use plans::Plans;
pub use resources::{Resources, WriteMode, Written};
pub use scenarios::{SavedScenario, Scenarios};
pub use tokens::{NewToken, Revocation, SignIn, Tokens};

use sqlx::AnyConnection;
use sqlx::AnyPool;
use sqlx::any::install_default_drivers;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Rows per multi-row statement: well under both databases' bind-parameter limits.
const BATCH_ROWS: usize = 500;

/// A write transaction on the main database.
type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The database handle, cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where access-log lines go: its own file on SQLite, the main pool on PostgreSQL.
    log_pool: AnyPool,
    dialect: Dialect,
}

/// The current time as stored: RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing, with its access log beside it at
    /// `PATH-access-log`) or `postgres://…`, and migrates.
    pub async fn connect(url: &str) -> Result<Self> {
        install_default_drivers();
        let (dialect, url) = Dialect::of_url(url)?;
        let pool = dialect.pool(&url).await?;
        dialect.migrate(&pool).await?;
        let log_pool = match dialect.access_log_url(&url) {
            Some(log_url) => {
                let log_pool = dialect.pool(&log_url).await?;
                Dialect::migrate_access_log(&log_pool).await?;
                access_log::move_old_lines(&pool, &log_pool).await?;
                log_pool
            }
            None => pool.clone(),
        };
        Ok(Self { pool, log_pool, dialect })
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Points, shelters and children.
    pub fn resources(&self) -> Resources<'_> {
        Resources { store: self }
    }

    /// The change feed other instances follow.
    pub fn changes(&self) -> Changes<'_> {
        Changes { store: self }
    }

    /// Who read or wrote which child's data.
    pub fn access_log(&self) -> AccessLog<'_> {
        AccessLog { store: self }
    }

    /// Bearer tokens (their hashes) and their child bindings.
    pub fn tokens(&self) -> Tokens<'_> {
        Tokens { store: self }
    }

    /// Versioned 個別避難計画.
    pub fn plans(&self) -> Plans<'_> {
        Plans { store: self }
    }

    /// Saved outage scenarios.
    pub fn scenarios(&self) -> Scenarios<'_> {
        Scenarios { store: self }
    }

    /// Incidents, their outage areas and welfare checks.
    pub fn incidents(&self) -> Incidents<'_> {
        Incidents { store: self }
    }

    /// Hazard zones.
    pub fn hazard_zones(&self) -> HazardZones<'_> {
        HazardZones { store: self }
    }

    /// Live reports from power points.
    pub fn reports(&self) -> Reports<'_> {
        Reports { store: self }
    }

    async fn begin_write(&self) -> Result<Tx> {
        self.dialect.begin_write(&self.pool).await
    }
}

/// `$from, $from+1, …` groups of `width` placeholders for `rows` rows: `($1, $2), ($3, $4)`.
fn value_groups(rows: usize, width: usize) -> String {
    let mut sql = String::new();
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * width + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// `SELECT 1 FROM children WHERE id = $1` inside the caller's transaction: the check that
/// decides a child's dependent write, so a delete cannot slip between check and write.
async fn child_exists(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    use crate::domain::{ChildProps, Resource};
    let sql = format!("SELECT 1 FROM {} WHERE id = $1", ChildProps::COLLECTION);
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned()).fetch_optional(&mut *conn).await?.is_some())
}
