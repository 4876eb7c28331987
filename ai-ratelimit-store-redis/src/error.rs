//! Errors of the Redis store and their mapping onto core's [`StoreError`].

use std::time::Duration;

use ai_ratelimit_core::StoreError;

/// What can go wrong configuring, connecting to or talking to Redis.
#[derive(Debug, thiserror::Error)]
pub enum RedisStoreError {
    /// The connection URL could not be parsed.
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(#[source] redis::RedisError),
    /// An option was out of range.
    #[error("invalid Redis store option `{field}`: {message}")]
    InvalidOption {
        /// The option's name.
        field: &'static str,
        /// Why it was rejected.
        message: String,
    },
    /// The first connection could not be made.
    #[error("cannot connect to Redis: {0}")]
    Connect(#[source] redis::RedisError),
    /// A call did not complete within the call timeout.
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    /// Redis answered with an error, or the connection failed during a call.
    #[error("Redis call failed: {0}")]
    Redis(#[source] redis::RedisError),
    /// A reply or an argument did not have the expected shape.
    #[error("unexpected Redis data: {0}")]
    Data(String),
}

impl RedisStoreError {
    /// Classifies an error of a call made with the given timeout.
    pub(crate) fn from_call(error: redis::RedisError, timeout: Duration) -> Self {
        if error.is_timeout() {
            Self::Timeout(timeout)
        } else {
            Self::Redis(error)
        }
    }
}

impl From<RedisStoreError> for StoreError {
    fn from(error: RedisStoreError) -> Self {
        match error {
            RedisStoreError::Timeout(after) => StoreError::Timeout(after),
            RedisStoreError::Data(message) => StoreError::Data(message),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}
