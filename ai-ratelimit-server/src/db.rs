//! The accounts database: one [`sqlx::AnyPool`] over SQLite or PostgreSQL, with embedded
//! migrations.
//!
//! Why `Any` rather than one pool type per database: every query of this crate is written once
//! in the common subset of both dialects (TEXT ids, BIGINT Unix-millisecond times, `$n`
//! placeholders, which SQLite accepts too), so a concern has exactly one code path. The price is
//! that values cross the driver as plain strings and integers, which the schema is designed for.

use std::str::FromStr as _;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::config::{Config, DatabaseKind};
use crate::error::ServerError;

/// The embedded migrations. Versions this crate does not know are ignored: an SQLite file is
/// shared with the usage store, whose migrations live in the same `_sqlx_migrations` table.
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
}

/// The accounts database.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
}

impl Database {
    /// Opens (creating an SQLite file if missing) and migrates the database of `config`.
    pub async fn connect(config: &Config) -> Result<Self, ServerError> {
        sqlx::any::install_default_drivers();
        let is_sqlite = matches!(config.database_kind, DatabaseKind::Sqlite { .. });
        let url = if is_sqlite {
            sqlite_url(&config.database_url)
        } else {
            config.database_url.clone()
        };
        if let DatabaseKind::Sqlite { path: Some(path) } = &config.database_kind
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| ServerError::Database(format!("creating {}: {e}", dir.display())))?;
        }
        // Validate the URL before handing it to the pool, so a typo fails fast and clearly.
        sqlx::any::AnyConnectOptions::from_str(&url)
            .map_err(|e| ServerError::Database(format!("DATABASE_URL: {e}")))?;
        let in_memory = matches!(config.database_kind, DatabaseKind::Sqlite { path: None });
        // Each connection to `sqlite::memory:` is its own database: keep exactly one, forever.
        let options = if in_memory {
            AnyPoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            AnyPoolOptions::new().max_connections(if is_sqlite { 5 } else { 10 })
        };
        // The usage store writes to the same SQLite file on every request. In WAL mode,
        // `synchronous = NORMAL` commits without an fsync (durable across a process crash; a
        // power loss may drop the last commits), so the request log's batches no longer hold
        // the file's write lock through an fsync while admissions wait for it. The setting is
        // per connection, hence on every connect.
        let options = if is_sqlite && !in_memory {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(conn)
                        .await
                        .map(|_| ())
                })
            })
        } else {
            options
        };
        let pool = options
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await
            .map_err(|e| ServerError::Database(format!("connecting: {e}")))?;
        if is_sqlite {
            // WAL lets readers proceed during writes; the setting persists in the file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(|e| ServerError::Database(format!("enabling WAL: {e}")))?;
        }
        migrator()
            .run(&pool)
            .await
            .map_err(|e| ServerError::Database(format!("migrating: {e}")))?;
        Ok(Self { pool })
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Which database a pool talks to, for the few statements the two dialects spell differently
/// (row locks, claims).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: one writer at a time; a write transaction locks the whole file.
    Sqlite,
    /// PostgreSQL: row locks (`FOR UPDATE`, `SKIP LOCKED`).
    Postgres,
}

impl Dialect {
    /// The dialect of `pool`.
    pub fn of(pool: &AnyPool) -> Self {
        if pool.connect_options().database_url.scheme() == "sqlite" {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        }
    }

    /// The clause that locks the rows a `SELECT` reads until the transaction ends: `FOR
    /// UPDATE` on PostgreSQL; nothing on SQLite, whose write transactions (see
    /// [`begin_write`]) already hold the only write lock.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails at once with
/// "database is locked" (the busy timeout does not apply to that upgrade) when another
/// connection — the usage store's own pool on the same file — committed in between. It also
/// makes a read-modify-write inside it atomic: no other writer can start until it commits.
pub async fn begin_write(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match Dialect::of(pool) {
        Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Dialect::Postgres => pool.begin().await,
    }
}

/// Adds `mode=rwc` (create if missing) to an SQLite URL that names no mode.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Unix milliseconds of an instant, as stored.
pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The instant of stored Unix milliseconds.
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Whether an error is a unique-constraint violation (a concurrent insert won a race).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() || {
                let m = db.message().to_ascii_lowercase();
                m.contains("unique") || m.contains("duplicate key")
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_missing_files() {
        assert_eq!(sqlite_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            sqlite_url("sqlite://a.db?x=1"),
            "sqlite://a.db?x=1&mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
        assert_eq!(sqlite_url("sqlite::memory:"), "sqlite::memory:");
    }
}
