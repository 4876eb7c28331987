//! Webhook endpoints and their outbox (`webhooks`, `webhook_deliveries`).

use chrono::{DateTime, Utc};
use sqlx::{AnyPool, Row as _};

use crate::db::{Dialect, from_millis, to_millis};

/// An endpoint as stored (the secret still encrypted).
#[derive(Debug, Clone)]
pub struct WebhookRow {
    /// Id.
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Where events go.
    pub url: String,
    /// Subscribed event types.
    pub events: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// `whsec_…`, encrypted.
    pub secret_encrypted: String,
    /// Whether events are sent.
    pub enabled: bool,
    /// Start of the current run of failures.
    pub failing_since: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, project_id, url, events, description, secret_encrypted, enabled, failing_since, created_at";

fn row(r: &sqlx::any::AnyRow) -> Result<WebhookRow, sqlx::Error> {
    let events: String = r.try_get("events")?;
    Ok(WebhookRow {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        url: r.try_get("url")?,
        events: events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect(),
        description: r.try_get("description")?,
        secret_encrypted: r.try_get("secret_encrypted")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        failing_since: r
            .try_get::<Option<i64>, _>("failing_since")?
            .map(from_millis),
        created_at: from_millis(r.try_get("created_at")?),
    })
}

/// Inserts an endpoint.
pub async fn insert(pool: &AnyPool, w: &WebhookRow) -> Result<(), sqlx::Error> {
    let at = to_millis(w.created_at);
    sqlx::query(&format!(
        "INSERT INTO webhooks ({COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $8)"
    ))
    .bind(&w.id)
    .bind(&w.project_id)
    .bind(&w.url)
    .bind(w.events.join(","))
    .bind(w.description.as_deref())
    .bind(&w.secret_encrypted)
    .bind(i64::from(w.enabled))
    .bind(at)
    .execute(pool)
    .await
    .map(|_| ())
}

/// A project's endpoints, oldest first.
pub async fn list(pool: &AnyPool, project_id: &str) -> Result<Vec<WebhookRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhooks WHERE project_id = $1 ORDER BY created_at, id"
    ))
    .bind(project_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(row)
    .collect()
}

/// One endpoint of a project.
pub async fn get(
    pool: &AnyPool,
    project_id: &str,
    id: &str,
) -> Result<Option<WebhookRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhooks WHERE project_id = $1 AND id = $2"
    ))
    .bind(project_id)
    .bind(id)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(row)
    .transpose()
}

/// Writes an endpoint's changeable fields (re-enabling clears its failure run).
pub async fn update(pool: &AnyPool, w: &WebhookRow, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhooks SET url = $1, events = $2, description = $3, secret_encrypted = $4, \
         enabled = $5, failing_since = CASE WHEN $5 = 1 THEN NULL ELSE failing_since END, updated_at = $6 \
         WHERE id = $7",
    )
    .bind(&w.url)
    .bind(w.events.join(","))
    .bind(w.description.as_deref())
    .bind(&w.secret_encrypted)
    .bind(i64::from(w.enabled))
    .bind(to_millis(now))
    .bind(&w.id)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Deletes an endpoint and its deliveries.
pub async fn delete(pool: &AnyPool, id: &str) -> Result<(), sqlx::Error> {
    let mut tx = crate::db::begin_write(pool).await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Enabled endpoints of a project subscribed to `event_type`.
pub async fn subscribers(
    pool: &AnyPool,
    project_id: &str,
    event_type: &str,
) -> Result<Vec<WebhookRow>, sqlx::Error> {
    Ok(list(pool, project_id)
        .await?
        .into_iter()
        .filter(|w| w.enabled && w.events.iter().any(|e| e == event_type))
        .collect())
}

/// Queues an event for an endpoint, unless its `dedup_key` was queued before (once per
/// identity, event type and period). Returns whether it was queued.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    pool: &AnyPool,
    id: &str,
    webhook_id: &str,
    project_id: &str,
    identity: Option<&str>,
    event_type: &str,
    dedup_key: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (id, webhook_id, project_id, identity, event_type, dedup_key, payload, \
         status, attempts, last_response_status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, NULL, $8, $8) ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(id)
    .bind(webhook_id)
    .bind(project_id)
    .bind(identity)
    .bind(event_type)
    .bind(dedup_key)
    .bind(payload)
    .bind(to_millis(now))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Erases an identity's events (an end user's erasure request).
pub async fn forget(pool: &AnyPool, project_id: &str, identity: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM webhook_deliveries WHERE project_id = $1 AND identity = $2")
        .bind(project_id)
        .bind(identity)
        .execute(pool)
        .await
        .map(|_| ())
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The event id.
    pub id: String,
    /// Its endpoint.
    pub webhook_id: String,
    /// The body.
    pub payload: String,
    /// Attempts before this one.
    pub attempts: u32,
    /// When the event was queued.
    pub created_at: DateTime<Utc>,
}

/// Claims up to `limit` due deliveries for `lease` (their due time moves past it, so no other
/// deliverer takes them meanwhile, and a crashed one's claim expires). PostgreSQL skips rows
/// another instance is claiming (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time.
pub async fn claim_due(
    pool: &AnyPool,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let skip_locked = match Dialect::of(pool) {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let mut tx = crate::db::begin_write(pool).await?;
    let rows = sqlx::query(&format!(
        "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
          ORDER BY next_attempt_at LIMIT $3{skip_locked}) \
         RETURNING id, webhook_id, payload, attempts, created_at"
    ))
    .bind(to_millis(now + lease))
    .bind(to_millis(now))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("id")?,
                webhook_id: r.try_get("webhook_id")?,
                payload: r.try_get("payload")?,
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                created_at: from_millis(r.try_get("created_at")?),
            })
        })
        .collect()
}

/// Records an attempt: `next` = when to retry (`None`: final, `delivered` when `ok`).
pub async fn record_attempt(
    pool: &AnyPool,
    id: &str,
    ok: bool,
    response_status: Option<u16>,
    next: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let status = match (ok, next) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, last_response_status = $2, \
         next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $4",
    )
    .bind(status)
    .bind(response_status.map(i64::from))
    .bind(next.map(to_millis))
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Marks an endpoint's success (ends its failure run) or failure (starts one, and disables
/// it once the run is `disable_after` long). Returns whether it was disabled now.
pub async fn endpoint_result(
    pool: &AnyPool,
    webhook_id: &str,
    ok: bool,
    now: DateTime<Utc>,
    disable_after: chrono::Duration,
) -> Result<bool, sqlx::Error> {
    if ok {
        sqlx::query("UPDATE webhooks SET failing_since = NULL WHERE id = $1")
            .bind(webhook_id)
            .execute(pool)
            .await?;
        return Ok(false);
    }
    sqlx::query("UPDATE webhooks SET failing_since = COALESCE(failing_since, $1) WHERE id = $2")
        .bind(to_millis(now))
        .bind(webhook_id)
        .execute(pool)
        .await?;
    let disabled = sqlx::query(
        "UPDATE webhooks SET enabled = 0 WHERE id = $1 AND enabled = 1 AND failing_since <= $2",
    )
    .bind(webhook_id)
    .bind(to_millis(now - disable_after))
    .execute(pool)
    .await?;
    Ok(disabled.rows_affected() > 0)
}

/// One line of an endpoint's delivery log.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    /// Event id.
    pub id: String,
    /// Event type.
    pub event_type: String,
    /// pending | delivered | failed
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// Last HTTP status received.
    pub last_response_status: Option<u16>,
    /// Next attempt (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// Queued.
    pub created_at: DateTime<Utc>,
}

/// Where a page of the delivery log starts: after the delivery queued at `created_at` with
/// `id` (ties on the time broken by the id, newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryCursor {
    /// The last listed delivery's queue time.
    pub created_at: DateTime<Utc>,
    /// The last listed delivery's id.
    pub id: String,
}

/// Up to `limit` of an endpoint's deliveries, newest first, after `after` when given.
pub async fn deliveries(
    pool: &AnyPool,
    webhook_id: &str,
    after: Option<&DeliveryCursor>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    // Keyset paging: the first page compares against a time no delivery can have.
    let (before_ms, before_id) =
        after.map_or((i64::MAX, ""), |c| (to_millis(c.created_at), c.id.as_str()));
    let rows = sqlx::query(
        "SELECT id, event_type, status, attempts, last_response_status, next_attempt_at, created_at \
         FROM webhook_deliveries WHERE webhook_id = $1 \
           AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(webhook_id)
    .bind(before_ms)
    .bind(before_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRow {
                id: r.try_get("id")?,
                event_type: r.try_get("event_type")?,
                status: r.try_get("status")?,
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                last_response_status: r
                    .try_get::<Option<i64>, _>("last_response_status")?
                    .and_then(|s| u16::try_from(s).ok()),
                next_attempt_at: from_millis(r.try_get("next_attempt_at")?),
                created_at: from_millis(r.try_get("created_at")?),
            })
        })
        .collect()
}
