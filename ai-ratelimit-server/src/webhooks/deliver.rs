//! The deliverer: claims due outbox rows, POSTs them signed, and schedules retries with
//! exponential backoff and jitter for about a day. Runs in the background, never on a
//! request's path; every instance may run one (claims never overlap).

use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::Clock;
use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::sign;
use super::store::{self, Claimed};
use crate::crypto::KeyCipher;

/// How long a claim holds a row (longer than one attempt's timeout).
pub const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// Time allowed for one attempt.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// Retries stop this long after an event was queued, and an endpoint failing this long is
/// disabled.
pub const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
/// Rows claimed per round.
const BATCH: i64 = 16;
/// Polling interval when nothing notifies (other instances' events, retries coming due).
const POLL: Duration = Duration::from_secs(1);

/// The delay before retry number `attempt` (1-based): 5 s doubling up to 1 h, ±20 % jitter.
pub fn backoff(attempt: u32) -> chrono::Duration {
    let base = 5_i64.saturating_mul(1_i64 << attempt.saturating_sub(1).min(20));
    let capped = base.min(3600) * 1000;
    // Jitter spreads the retries of many events failing together.
    let jitter = rand::random_range(-(capped / 5)..=(capped / 5));
    chrono::Duration::milliseconds(capped + jitter)
}

/// Delivers the outbox.
#[derive(Debug, Clone)]
pub struct Deliverer {
    pool: AnyPool,
    cipher: KeyCipher,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    notify: Arc<Notify>,
    /// Whether URLs may resolve to private networks (checked again at each attempt: a host
    /// may resolve elsewhere than when the endpoint was saved).
    allow_private: bool,
}

/// The background loop; [`DeliveryTask::finish`] stops it.
#[derive(Debug)]
pub struct DeliveryTask {
    handle: JoinHandle<()>,
    stop: CancellationToken,
}

impl DeliveryTask {
    /// Stops after the attempt in progress (undelivered rows stay in the outbox).
    pub async fn finish(self) {
        self.stop.cancel();
        if let Err(e) = self.handle.await {
            tracing::error!(error = %e, "webhook delivery task failed");
        }
    }
}

impl Deliverer {
    /// A deliverer over `pool`.
    pub fn new(
        pool: AnyPool,
        cipher: KeyCipher,
        clock: Arc<dyn Clock>,
        allow_private: bool,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            pool,
            cipher,
            http,
            clock,
            notify: Arc::new(Notify::new()),
            allow_private,
        }
    }

    /// Wakes the loop (an event was queued).
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Starts the background loop.
    pub fn start(&self) -> DeliveryTask {
        let stop = CancellationToken::new();
        let this = self.clone();
        let token = stop.clone();
        let handle = tokio::spawn(async move {
            loop {
                match this.deliver_due().await {
                    // A full batch: more may be due at once.
                    Ok(n) if n >= usize::try_from(BATCH).unwrap_or(16) => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "webhook outbox unavailable; retrying"),
                }
                tokio::select! {
                    () = token.cancelled() => break,
                    () = this.notify.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        });
        DeliveryTask { handle, stop }
    }

    /// Claims the due deliveries and attempts each once; returns how many were attempted.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let now = self.clock.now();
        let claimed = store::claim_due(&self.pool, now, LEASE, BATCH).await?;
        let count = claimed.len();
        let attempts = claimed.into_iter().map(|c| self.attempt(c, now));
        for result in futures::future::join_all(attempts).await {
            result?;
        }
        Ok(count)
    }

    async fn attempt(&self, claimed: Claimed, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let Some(endpoint) = sqlx::query_as::<_, (String, String, i64)>(
            "SELECT url, secret_encrypted, enabled FROM webhooks WHERE id = $1",
        )
        .bind(&claimed.webhook_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return store::record_attempt(&self.pool, &claimed.id, false, None, None).await;
        };
        let (url, secret, enabled) = endpoint;
        if enabled == 0 {
            // Kept pending (not attempted) until the endpoint is enabled again or gives up.
            let next = (now - claimed.created_at < GIVE_UP_AFTER).then(|| now + LEASE);
            return sqlx::query(
                "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2 WHERE id = $3",
            )
            .bind(if next.is_some() { "pending" } else { "failed" })
            .bind(crate::db::to_millis(next.unwrap_or(now)))
            .bind(&claimed.id)
            .execute(&self.pool)
            .await
            .map(|_| ());
        }
        let secret = self
            .cipher
            .decrypt(&secret, &claimed.webhook_id)
            .unwrap_or_default();
        let timestamp = now.timestamp();
        let signature = sign::signature(&secret, &claimed.id, timestamp, &claimed.payload);
        let mut request = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("webhook-id", &claimed.id)
            .header("webhook-timestamp", timestamp.to_string())
            .body(claimed.payload.clone());
        if let Some(signature) = signature {
            request = request.header("webhook-signature", signature);
        }
        let allowed = self.allow_private || super::address::check(&url, false).await.is_ok();
        let response_status = if !allowed {
            tracing::warn!(webhook = %claimed.webhook_id, "webhook URL resolves to a private address; not sent");
            None
        } else {
            match request.send().await {
                Ok(response) => Some(response.status().as_u16()),
                Err(e) => {
                    tracing::debug!(error = %e, webhook = %claimed.webhook_id, "webhook attempt failed");
                    None
                }
            }
        };
        let ok = response_status.is_some_and(|s| (200..300).contains(&s));
        let attempts = claimed.attempts + 1;
        let next =
            (!ok && now - claimed.created_at < GIVE_UP_AFTER).then(|| now + backoff(attempts));
        store::record_attempt(&self.pool, &claimed.id, ok, response_status, next).await?;
        if store::endpoint_result(&self.pool, &claimed.webhook_id, ok, now, GIVE_UP_AFTER).await? {
            tracing::warn!(webhook = %claimed.webhook_id, "webhook endpoint disabled after failing for 24 hours");
        }
        metrics::counter!("webhook_attempts_total", "result" => if ok { "ok" } else { "failed" })
            .increment(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_an_hour() {
        for (attempt, base) in [(1, 5_000), (2, 10_000), (3, 20_000), (13, 3_600_000)] {
            let ms = backoff(attempt).num_milliseconds();
            assert!(ms >= base * 4 / 5 && ms <= base * 6 / 5, "{attempt}: {ms}");
        }
    }
}
