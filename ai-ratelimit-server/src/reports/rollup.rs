//! Per-day rollups of proxied requests (`usage_daily`, `usage_identity_daily`).
//!
//! The request log may drop entries under pressure, by design; the rollups must not. So each
//! outcome is first added to an in-memory aggregate (one mutex, O(1), never fails, never
//! waits on the database), which a background task upserts in batches. A batch that fails
//! to write is merged back and retried on the next flush: nothing is lost short of a crash
//! of the process between flushes (at most one flush interval of increments).

use std::collections::HashMap;
use std::mem;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::AnyPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::db::Dialect;
use crate::request_log::{RequestLogEntry, RequestOutcome};

/// How often pending increments are written.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Rows per upsert statement at most (PostgreSQL takes at most 65,535 bound values).
const ROWS_PER_STATEMENT: usize = 500;

/// Increments of one rollup row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Admitted and answered requests.
    pub requests: u64,
    /// Their tokens.
    pub tokens: u64,
    /// Denied requests.
    pub limited: u64,
    /// Admitted requests that failed upstream.
    pub errors: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.requests = self.requests.saturating_add(other.requests);
        self.tokens = self.tokens.saturating_add(other.tokens);
        self.limited = self.limited.saturating_add(other.limited);
        self.errors = self.errors.saturating_add(other.errors);
    }

    fn of(entry: &RequestLogEntry) -> Self {
        match entry.outcome {
            RequestOutcome::Allowed => Counts {
                requests: 1,
                tokens: entry.tokens,
                ..Counts::default()
            },
            RequestOutcome::Limited => Counts {
                limited: 1,
                ..Counts::default()
            },
            RequestOutcome::Error => Counts {
                errors: 1,
                ..Counts::default()
            },
        }
    }
}

/// `(project, day)`. The day stays a `NaiveDate` (no string per request on the proxy's
/// path); it is formatted once per row when a batch is written.
type DayKey = (String, NaiveDate);
/// `(project, day, identity)`.
type IdentityKey = (String, NaiveDate, String);

#[derive(Debug, Default)]
struct Pending {
    days: HashMap<DayKey, Counts>,
    identities: HashMap<IdentityKey, (Counts, Option<String>)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.days.is_empty() && self.identities.is_empty()
    }

    /// Adds `older` (a batch that failed to write) under the increments made since.
    fn merge_older(&mut self, older: Pending) {
        for (key, counts) in older.days {
            self.days.entry(key).or_default().add(&counts);
        }
        for (key, (counts, tier)) in older.identities {
            let slot = self.identities.entry(key).or_default();
            slot.0.add(&counts);
            // The newer tier wins.
            if slot.1.is_none() {
                slot.1 = tier;
            }
        }
    }
}

#[derive(Debug)]
struct Inner {
    pool: AnyPool,
    pending: Mutex<Pending>,
    /// Serializes flushes and erasures, so an erasure cannot race a batch in flight.
    writing: tokio::sync::Mutex<()>,
}

/// The rollup aggregator. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Rollups {
    inner: Arc<Inner>,
}

/// The background flusher; [`RollupTask::finish`] writes what is left.
#[derive(Debug)]
pub struct RollupTask {
    handle: JoinHandle<()>,
    stop: CancellationToken,
}

impl RollupTask {
    /// Stops the periodic flush and writes every pending increment.
    pub async fn finish(self, rollups: &Rollups) {
        self.stop.cancel();
        if let Err(e) = self.handle.await {
            tracing::error!(error = %e, "rollup task failed");
        }
        if let Err(e) = rollups.flush().await {
            tracing::error!(error = %e, "rollups not written at shutdown");
        }
    }
}

impl Rollups {
    /// An aggregator writing to `pool`, without a background task (tests, benches).
    pub fn new(pool: AnyPool) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                pending: Mutex::new(Pending::default()),
                writing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// An aggregator and its task flushing every [`FLUSH_INTERVAL`].
    pub fn start(pool: AnyPool) -> (Self, RollupTask) {
        let rollups = Self::new(pool);
        let stop = CancellationToken::new();
        let task = {
            let rollups = rollups.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(FLUSH_INTERVAL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        _ = tick.tick() => {
                            if let Err(e) = rollups.flush().await {
                                metrics::counter!("rollup_flush_errors_total").increment(1);
                                tracing::warn!(error = %e, "rollups not written; retrying at the next flush");
                            }
                        }
                    }
                }
            })
        };
        (rollups, RollupTask { handle: task, stop })
    }

    /// Counts one request's outcome (never waits on the database).
    pub fn add(&self, entry: &RequestLogEntry) {
        let counts = Counts::of(entry);
        let day = entry.at.date_naive();
        let mut pending = self
            .inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pending
            .days
            .entry((entry.project_id.clone(), day))
            .or_default()
            .add(&counts);
        let slot = pending
            .identities
            .entry((entry.project_id.clone(), day, entry.identity.clone()))
            .or_default();
        slot.0.add(&counts);
        if entry.tier.is_some() {
            slot.1.clone_from(&entry.tier);
        }
    }

    fn take(&self) -> Pending {
        mem::take(
            &mut *self
                .inner
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn put_back(&self, batch: Pending) {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merge_older(batch);
    }

    /// Writes every pending increment; on failure keeps them for the next flush.
    pub async fn flush(&self) -> Result<(), sqlx::Error> {
        let _writing = self.inner.writing.lock().await;
        let batch = self.take();
        if batch.is_empty() {
            return Ok(());
        }
        match write(&self.inner.pool, &batch).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.put_back(batch);
                Err(e)
            }
        }
    }

    /// Erases an identity's per-identity rollups, pending ones included. The project's
    /// per-day totals keep its (anonymous) counts.
    pub async fn forget(&self, project_id: &str, identity: &str) -> Result<(), sqlx::Error> {
        let _writing = self.inner.writing.lock().await;
        self.inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .identities
            .retain(|(p, _, i), _| !(p == project_id && i == identity));
        sqlx::query("DELETE FROM usage_identity_daily WHERE project_id = $1 AND identity = $2")
            .bind(project_id)
            .bind(identity)
            .execute(&self.inner.pool)
            .await?;
        Ok(())
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Placeholders `(…), (…)` of `rows` rows of `columns` values, in the pool's dialect.
fn values(dialect: Dialect, rows: usize, columns: usize) -> String {
    let mut sql = String::new();
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Postgres => {
                    sql.push('$');
                    sql.push_str(itoa::Buffer::new().format(row * columns + column + 1));
                }
                Dialect::Sqlite => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

async fn write(pool: &AnyPool, batch: &Pending) -> Result<(), sqlx::Error> {
    let dialect = Dialect::of(pool);
    let days: Vec<_> = batch.days.iter().collect();
    let identities: Vec<_> = batch.identities.iter().collect();
    // One transaction: a batch is written whole or kept whole.
    let mut tx = crate::db::begin_write(pool).await?;
    for chunk in days.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO usage_daily (project_id, day, requests, tokens, limited, errors) VALUES {} \
             ON CONFLICT (project_id, day) DO UPDATE SET \
             requests = usage_daily.requests + excluded.requests, \
             tokens = usage_daily.tokens + excluded.tokens, \
             limited = usage_daily.limited + excluded.limited, \
             errors = usage_daily.errors + excluded.errors",
            values(dialect, chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for ((project, day), c) in chunk {
            query = query
                .bind(project.as_str())
                .bind(day.format("%Y-%m-%d").to_string())
                .bind(to_i64(c.requests))
                .bind(to_i64(c.tokens))
                .bind(to_i64(c.limited))
                .bind(to_i64(c.errors));
        }
        query.execute(&mut *tx).await?;
    }
    for chunk in identities.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO usage_identity_daily (project_id, day, identity, tier, requests, tokens, limited, errors) VALUES {} \
             ON CONFLICT (project_id, day, identity) DO UPDATE SET \
             tier = COALESCE(excluded.tier, usage_identity_daily.tier), \
             requests = usage_identity_daily.requests + excluded.requests, \
             tokens = usage_identity_daily.tokens + excluded.tokens, \
             limited = usage_identity_daily.limited + excluded.limited, \
             errors = usage_identity_daily.errors + excluded.errors",
            values(dialect, chunk.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for ((project, day, identity), (c, tier)) in chunk {
            query = query
                .bind(project.as_str())
                .bind(day.format("%Y-%m-%d").to_string())
                .bind(identity.as_str())
                .bind(tier.as_deref())
                .bind(to_i64(c.requests))
                .bind(to_i64(c.tokens))
                .bind(to_i64(c.limited))
                .bind(to_i64(c.errors));
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}
