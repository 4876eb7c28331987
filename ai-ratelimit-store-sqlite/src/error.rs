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
    /// The database file could not be opened.
    #[error("cannot open the SQLite database: {0}")]
    Connect(#[source] sqlx::Error),
    /// The embedded migrations failed.
    #[error("usage store migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No connection was free in time, or the database stayed locked past the busy timeout.
    #[error("SQLite did not answer within {0:?}")]
    Timeout(Duration),
    /// A stored value or a caller-supplied value (cursor, reservation id) could not be read.
    #[error("usage store data error: {0}")]
    Data(String),
    /// A statement failed.
    #[error("SQLite query failed: {0}")]
    Query(#[source] sqlx::Error),
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
pub(crate) fn classify(
    e: sqlx::Error,
    acquire_timeout: Duration,
    busy_timeout: Duration,
) -> SqliteStoreError {
    match &e {
        sqlx::Error::PoolTimedOut => SqliteStoreError::Timeout(acquire_timeout),
        // SQLITE_BUSY and SQLITE_LOCKED (and their extended codes): the lock outlived the
        // busy timeout.
        sqlx::Error::Database(db)
            if db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| matches!(c & 0xff, 5 | 6)) =>
        {
            SqliteStoreError::Timeout(busy_timeout)
        }
        sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
            SqliteStoreError::Data(e.to_string())
        }
        _ => SqliteStoreError::Query(e),
    }
}
