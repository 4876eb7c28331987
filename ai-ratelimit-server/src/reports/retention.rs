//! Retention of the raw request log: rows older than `REQUEST_LOG_RETENTION_DAYS` are deleted
//! in the background, in small batches so that no statement holds the database (SQLite's one
//! write lock in particular) for long. Reports read the rollups, which are kept.

use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::Clock;
use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::db::to_millis;

/// Rows deleted per statement.
pub const PRUNE_BATCH: i64 = 1000;
/// Time between two pruning passes.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(600);
/// Pause between two batches of one pass, leaving room to other writers.
const BATCH_PAUSE: Duration = Duration::from_millis(50);

/// Deletes request-log rows created before `cutoff`, batch by batch; returns how many.
pub async fn prune_before(pool: &AnyPool, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let deleted = sqlx::query(
            "DELETE FROM request_log WHERE id IN \
             (SELECT id FROM request_log WHERE created_at < $1 LIMIT $2)",
        )
        .bind(to_millis(cutoff))
        .bind(PRUNE_BATCH)
        .execute(pool)
        .await?
        .rows_affected();
        total += deleted;
        if deleted < u64::try_from(PRUNE_BATCH).unwrap_or(u64::MAX) {
            return Ok(total);
        }
        tokio::time::sleep(BATCH_PAUSE).await;
    }
}

/// The background pruner.
#[derive(Debug)]
pub struct PruneTask {
    handle: JoinHandle<()>,
    stop: CancellationToken,
}

impl PruneTask {
    /// Prunes now and every [`PRUNE_INTERVAL`], keeping `days` days of log.
    pub fn start(pool: AnyPool, clock: Arc<dyn Clock>, days: u32) -> Self {
        let stop = CancellationToken::new();
        let handle = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(PRUNE_INTERVAL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        _ = tick.tick() => {
                            let cutoff = clock.now() - chrono::Duration::days(i64::from(days));
                            match prune_before(&pool, cutoff).await {
                                Ok(0) => {}
                                Ok(n) => tracing::info!(rows = n, "request log pruned"),
                                Err(e) => tracing::warn!(error = %e, "request log pruning failed; retrying later"),
                            }
                        }
                    }
                }
            })
        };
        Self { handle, stop }
    }

    /// Stops pruning (a pass in progress ends at its next batch).
    pub async fn finish(self) {
        self.stop.cancel();
        self.handle.abort();
        let _ = self.handle.await;
    }
}
