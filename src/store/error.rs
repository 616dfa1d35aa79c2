//! Errors of the store layer.

/// Result alias for the store.
pub type Result<T> = std::result::Result<T, StoreError>;

/// What can go wrong between us and the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create named an id that is already stored; nothing was written.
    #[error("id {0} already exists")]
    AlreadyExists(String),
    /// A plan write was based on a version that is no longer current; nothing was stored.
    #[error("the plan is at version {current}; reload and apply the change to that version")]
    VersionConflict {
        /// The version now stored.
        current: i64,
    },
    /// A write for a child that is not stored (deleted meanwhile, say); nothing was written.
    #[error("no child {0}")]
    NoSuchChild(String),
    /// The database is held by a long write (an import) past the busy timeout, or no
    /// connection came free: nothing was done, and the same request may simply be retried.
    #[error("the database is busy ({0}); nothing was done, try again shortly")]
    Unavailable(String),
    /// A write for an incident that is not stored; nothing was written.
    #[error("no incident {0}")]
    NoSuchIncident(String),
    /// A write to an incident that is closed (read-only); nothing was written.
    #[error("incident {0} is closed; it is read-only")]
    IncidentClosed(String),
    /// A write for something of an incident that is not stored (an outage area); nothing was written.
    #[error("no {0}")]
    NotFound(String),
    /// The write breaks a rule checked against what is stored (a closing before the start).
    #[error("invalid: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<crate::domain::FieldError>),
    /// The URL names no database we support.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    BadUrl(String),
    /// A stored document no longer parses (written by another version?).
    #[error("stored record {id} is unreadable: {reason}")]
    Corrupt {
        /// Which record.
        id: String,
        /// Why.
        reason: String,
    },
    /// The database refused or failed.
    #[error(transparent)]
    Database(sqlx::Error),
    /// Migrations failed at start.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A value could not be encoded for storage.
    #[error(transparent)]
    Encode(#[from] serde_json::Error),
}

impl From<sqlx::Error> for StoreError {
    /// A lock or pool wait that ran out is [`StoreError::Unavailable`] (the caller may retry);
    /// everything else is a database failure.
    fn from(e: sqlx::Error) -> Self {
        if is_busy(&e) { StoreError::Unavailable(e.to_string()) } else { StoreError::Database(e) }
    }
}

/// SQLite's `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), in any extended form, PostgreSQL's
/// `lock_not_available`, and a pool with no free connection in time.
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => match d.code() {
            Some(code) if code == "55P03" => true,
            Some(code) => code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
            None => false,
        },
        _ => false,
    }
}
