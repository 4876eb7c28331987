//! Errors of the SQLite store and their mapping into core's [`StoreError`].

use std::time::Duration;

use ai_ratelimit_core::StoreError;

/// What can go wrong building or using a [`crate::SqliteStore`].
#[derive(Debug, thiserror::Error)]
pub enum SqliteStoreError {
    /// The connection URL could not be parsed.
    #[error("invalid SQLite connection URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// An option is out of range.
    #[error("invalid option {name}: {message}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why it is invalid.
        message: String,
    },
    /// The database file could not be opened for its migrations.
    #[error("cannot open the SQLite database: {0}")]
    Connect(#[source] sqlx::Error),
    /// The store's own connections could not be opened or set up.
    #[error("cannot open the SQLite database: {0}")]
    Open(#[source] rusqlite::Error),
    /// The embedded migrations failed.
    #[error("usage store migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The migrations' connection was not free in time, or the database stayed locked past
    /// the busy timeout.
    #[error("SQLite did not answer within {0:?}")]
    Timeout(Duration),
    /// A stored value or a caller-supplied value (cursor, reservation id) could not be read.
    #[error("usage store data error: {0}")]
    Data(String),
    /// A statement failed.
    #[error("SQLite query failed: {0}")]
    Query(#[source] rusqlite::Error),
    /// A write waiting for another process's lock was cancelled (the runtime shut down).
    #[error("SQLite write interrupted: {0}")]
    Interrupted(String),
}

impl From<SqliteStoreError> for StoreError {
    fn from(e: SqliteStoreError) -> Self {
        match e {
            SqliteStoreError::Timeout(d) => StoreError::Timeout(d),
            SqliteStoreError::Data(m) => StoreError::Data(m),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

/// Sorts a driver error into timeouts, bad data and unavailability.
pub(crate) fn classify(e: rusqlite::Error, busy_timeout: Duration) -> SqliteStoreError {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    match &e {
        // The lock outlived the busy timeout.
        _ if matches!(e.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked)) => {
            SqliteStoreError::Timeout(busy_timeout)
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..) => SqliteStoreError::Data(e.to_string()),
        _ => SqliteStoreError::Query(e),
    }
}
