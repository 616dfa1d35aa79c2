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
    Database(#[from] sqlx::Error),
    /// Migrations failed at start.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A value could not be encoded for storage.
    #[error(transparent)]
    Encode(#[from] serde_json::Error),
}
