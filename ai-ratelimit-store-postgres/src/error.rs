//! Errors of the PostgreSQL store and their mapping into core's [`StoreError`].

use std::time::Duration;

use ai_ratelimit_core::StoreError;

/// What can go wrong building or using a [`crate::PostgresStore`].
#[derive(Debug, thiserror::Error)]
pub enum PostgresStoreError {
    /// The connection URL could not be parsed.
    #[error("invalid PostgreSQL connection URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// The schema name is not a plain lowercase identifier.
    #[error(
        "invalid schema name {0:?}: use 1 to 63 lowercase ASCII letters, digits or underscores, not starting with a digit"
    )]
    InvalidSchema(String),
    /// An option is out of range.
    #[error("invalid option {name}: {message}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why it is invalid.
        message: String,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    /// The embedded migrations failed.
    #[error("usage store migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No connection was free within the acquire timeout, or a statement hit `statement_timeout`.
    #[error("PostgreSQL did not answer within {0:?}")]
    Timeout(Duration),
    /// A stored value or a caller-supplied value (cursor, reservation id) could not be read.
    #[error("usage store data error: {0}")]
    Data(String),
    /// A statement failed (connection lost, server error…).
    #[error("PostgreSQL query failed: {0}")]
    Query(#[source] sqlx::Error),
}

impl From<PostgresStoreError> for StoreError {
    fn from(e: PostgresStoreError) -> Self {
        match e {
            PostgresStoreError::Timeout(d) => StoreError::Timeout(d),
            PostgresStoreError::Data(m) => StoreError::Data(m),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

/// SQLSTATE `query_canceled`, what `statement_timeout` raises.
const QUERY_CANCELED: &str = "57014";

/// Sorts a driver error into timeouts, bad data and unavailability.
pub(crate) fn classify(
    e: sqlx::Error,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> PostgresStoreError {
    match &e {
        sqlx::Error::PoolTimedOut => PostgresStoreError::Timeout(acquire_timeout),
        sqlx::Error::Database(db) if db.code().as_deref() == Some(QUERY_CANCELED) => {
            PostgresStoreError::Timeout(statement_timeout.unwrap_or(acquire_timeout))
        }
        // Class 22: data exceptions (e.g. a NUL byte in an identity).
        sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("22")) => {
            PostgresStoreError::Data(db.message().to_owned())
        }
        sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
            PostgresStoreError::Data(e.to_string())
        }
        _ => PostgresStoreError::Query(e),
    }
}
