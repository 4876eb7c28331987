//! Configuration of a [`crate::RedisStore`]: plain serde data, validated into options.

use std::time::Duration;

use serde::Deserialize;

use crate::error::RedisStoreError;

/// Key prefix used when none is configured.
pub const DEFAULT_KEY_PREFIX: &str = "airl";
/// Longest accepted key prefix, in bytes.
pub const MAX_KEY_PREFIX_LEN: usize = 64;

/// Store settings as read from a configuration file or the environment.
///
/// Convert with [`RedisStoreOptions::try_from`], which checks every field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisStoreConfig {
    /// First segment of every key; lets several deployments share one Redis.
    /// 1–64 printable ASCII characters without `{`, `}` or spaces.
    pub key_prefix: String,
    /// Bound on one store call (including a reconnection it waits for), in milliseconds.
    pub call_timeout_ms: u64,
    /// Bound on one response on an established connection, in milliseconds.
    pub response_timeout_ms: u64,
    /// Bound on one connection attempt, in milliseconds.
    pub connection_timeout_ms: u64,
    /// Connection attempts after the first one before a call fails (backoff grows from 50 ms).
    pub reconnect_retries: usize,
    /// How long a period's keys are kept after the period ends, in seconds.
    pub retention_secs: u64,
}

impl Default for RedisStoreConfig {
    fn default() -> Self {
        Self {
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            call_timeout_ms: 2_000,
            response_timeout_ms: 1_000,
            connection_timeout_ms: 1_000,
            reconnect_retries: 3,
            retention_secs: 2 * 24 * 3600,
        }
    }
}

/// Validated options of a [`crate::RedisStore`]; the defaults are those of [`RedisStoreConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisStoreOptions {
    pub(crate) key_prefix: String,
    pub(crate) call_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) connection_timeout: Duration,
    pub(crate) reconnect_retries: usize,
    pub(crate) retention: Duration,
}

impl Default for RedisStoreOptions {
    fn default() -> Self {
        // Mirrors `RedisStoreConfig::default()` (a unit test checks they agree).
        Self {
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            call_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(1),
            connection_timeout: Duration::from_secs(1),
            reconnect_retries: 3,
            retention: Duration::from_secs(2 * 24 * 3600),
        }
    }
}

impl RedisStoreOptions {
    /// The options with another key prefix (validated as in [`RedisStoreConfig::key_prefix`]).
    pub fn with_key_prefix(self, key_prefix: impl Into<String>) -> Result<Self, RedisStoreError> {
        Self::try_from(RedisStoreConfig {
            key_prefix: key_prefix.into(),
            ..self.to_config()
        })
    }

    /// The options with another call timeout (1 ms to 1 minute).
    pub fn with_call_timeout(self, timeout: Duration) -> Result<Self, RedisStoreError> {
        Self::try_from(RedisStoreConfig {
            call_timeout_ms: millis(timeout),
            ..self.to_config()
        })
    }

    /// The key prefix.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// The bound on one store call.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// How long keys outlive their period.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    fn to_config(&self) -> RedisStoreConfig {
        RedisStoreConfig {
            key_prefix: self.key_prefix.clone(),
            call_timeout_ms: millis(self.call_timeout),
            response_timeout_ms: millis(self.response_timeout),
            connection_timeout_ms: millis(self.connection_timeout),
            reconnect_retries: self.reconnect_retries,
            retention_secs: self.retention.as_secs(),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn invalid(field: &'static str, message: impl Into<String>) -> RedisStoreError {
    RedisStoreError::InvalidOption {
        field,
        message: message.into(),
    }
}

fn timeout_ms(field: &'static str, ms: u64) -> Result<Duration, RedisStoreError> {
    if (1..=60_000).contains(&ms) {
        Ok(Duration::from_millis(ms))
    } else {
        Err(invalid(field, "must be between 1 and 60000 ms"))
    }
}

impl TryFrom<RedisStoreConfig> for RedisStoreOptions {
    type Error = RedisStoreError;

    fn try_from(config: RedisStoreConfig) -> Result<Self, Self::Error> {
        let prefix = &config.key_prefix;
        if prefix.is_empty() || prefix.len() > MAX_KEY_PREFIX_LEN {
            return Err(invalid(
                "key_prefix",
                format!("must be 1 to {MAX_KEY_PREFIX_LEN} characters"),
            ));
        }
        // Braces would move the cluster hash tag; spaces and controls make keys unreadable.
        if !prefix
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'{' && b != b'}')
        {
            return Err(invalid(
                "key_prefix",
                "only printable ASCII without `{`, `}` or spaces",
            ));
        }
        if config.reconnect_retries > 20 {
            return Err(invalid("reconnect_retries", "must be at most 20"));
        }
        if config.retention_secs > 366 * 24 * 3600 {
            return Err(invalid("retention_secs", "must be at most one year"));
        }
        Ok(Self {
            key_prefix: config.key_prefix,
            call_timeout: timeout_ms("call_timeout_ms", config.call_timeout_ms)?,
            response_timeout: timeout_ms("response_timeout_ms", config.response_timeout_ms)?,
            connection_timeout: timeout_ms("connection_timeout_ms", config.connection_timeout_ms)?,
            reconnect_retries: config.reconnect_retries,
            retention: Duration::from_secs(config.retention_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        let options = RedisStoreOptions::try_from(RedisStoreConfig::default()).expect("valid");
        assert_eq!(options, RedisStoreOptions::default());
        assert_eq!(options.key_prefix(), "airl");
    }

    #[test]
    fn rejects_prefixes_that_could_break_keys() {
        for bad in [
            "",
            "a{b",
            "a}b",
            "with space",
            "tab\t",
            "é",
            &"x".repeat(65),
        ] {
            let err = RedisStoreOptions::default()
                .with_key_prefix(bad)
                .expect_err(bad);
            assert!(
                matches!(
                    err,
                    RedisStoreError::InvalidOption {
                        field: "key_prefix",
                        ..
                    }
                ),
                "{bad}: {err}"
            );
        }
        let ok = RedisStoreOptions::default()
            .with_key_prefix("tenant-a:airl")
            .expect("valid prefix");
        assert_eq!(ok.key_prefix(), "tenant-a:airl");
    }

    #[test]
    fn rejects_out_of_range_timeouts() {
        for (config, field) in [
            (
                RedisStoreConfig {
                    call_timeout_ms: 0,
                    ..RedisStoreConfig::default()
                },
                "call_timeout_ms",
            ),
            (
                RedisStoreConfig {
                    response_timeout_ms: 60_001,
                    ..RedisStoreConfig::default()
                },
                "response_timeout_ms",
            ),
            (
                RedisStoreConfig {
                    reconnect_retries: 21,
                    ..RedisStoreConfig::default()
                },
                "reconnect_retries",
            ),
        ] {
            match RedisStoreOptions::try_from(config) {
                Err(RedisStoreError::InvalidOption { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn config_rejects_unknown_fields() {
        let parsed: Result<RedisStoreConfig, _> =
            serde_json::from_str(r#"{"key_prefix": "x", "keyprefix": "y"}"#);
        assert!(parsed.is_err());
        let parsed: RedisStoreConfig =
            serde_json::from_str(r#"{"key_prefix": "x"}"#).expect("partial config");
        assert_eq!(parsed.call_timeout_ms, 2_000);
    }
}
