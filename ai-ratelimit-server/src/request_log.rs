//! The metadata-only request log: one row per proxied request (project, identity, tier, model,
//! outcome, tokens, latency, time — never a prompt or completion), written off the hot path.
//!
//! [`RequestLogWriter::record`] never waits: it queues the entry on a bounded channel that a
//! background task drains in batches (one transaction per batch). When the queue is full the
//! entry is dropped and counted in `request_log_dropped_total`, so a slow database can never
//! slow down responses. [`RequestLogWriter::flush`] and [`RequestLogTask::finish`] wait for
//! everything queued so far to be written.
//!
//! Every entry is also counted in the per-day rollups ([`Rollups`]), which never drop one:
//! reports read those, not this log.

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::db::{Dialect, to_millis};
use crate::reports::rollup::{RollupTask, Rollups};

/// Entries queued at most before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 10_000;
/// Entries written per transaction at most.
pub const BATCH_SIZE: usize = 256;
/// How long a batch keeps gathering entries after its first one (see `gather_window`).
const GATHER_WINDOW: std::time::Duration = std::time::Duration::from_millis(50);

/// How a proxied request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Admitted and answered by the provider (counts toward limits).
    Allowed,
    /// Denied with a 429 (or a blocking rule).
    Limited,
    /// Admitted, then failed upstream (released; not counted).
    Error,
}

impl RequestOutcome {
    /// The stored name: `allowed` | `limited` | `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestOutcome::Allowed => "allowed",
            RequestOutcome::Limited => "limited",
            RequestOutcome::Error => "error",
        }
    }
}

/// One request's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLogEntry {
    /// The project's id.
    pub project_id: String,
    /// The end user.
    pub identity: String,
    /// The tier claimed, if any.
    pub tier: Option<String>,
    /// The model asked for, if any.
    pub model: Option<String>,
    /// How it ended.
    pub outcome: RequestOutcome,
    /// Tokens counted (0 for limited and failed requests).
    pub tokens: u64,
    /// Whether `tokens` is the proxy's estimate because the provider reported no usage (an
    /// OpenAI-compatible server ignoring `stream_options`, a stream cut short, an embedding
    /// API without counts).
    pub tokens_estimated: bool,
    /// Time from receipt to the end of the response, in milliseconds.
    pub latency_ms: u64,
    /// When the request was received.
    pub at: DateTime<Utc>,
}

enum Command {
    Write(Box<RequestLogEntry>),
    Flush(oneshot::Sender<()>),
    Close,
}

/// Queues request-log entries for the background writer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RequestLogWriter {
    sender: mpsc::Sender<Command>,
    rollups: Rollups,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Write(_) => f.write_str("Write"),
            Command::Flush(_) => f.write_str("Flush"),
            Command::Close => f.write_str("Close"),
        }
    }
}

/// The background task writing the log; [`RequestLogTask::finish`] waits for it to drain.
#[derive(Debug)]
pub struct RequestLogTask {
    handle: JoinHandle<()>,
    rollups: RollupTask,
}

impl RequestLogTask {
    /// Writes everything queued so far, then stops the task (later entries are dropped).
    pub async fn finish(self, writer: &RequestLogWriter) {
        // If the task is already gone the send fails and there is nothing left to wait for.
        let _ = writer.sender.send(Command::Close).await;
        if let Err(e) = self.handle.await {
            tracing::error!(error = %e, "request log writer task failed");
        }
        self.rollups.finish(&writer.rollups).await;
    }
}

impl RequestLogWriter {
    /// Starts the background writer on `pool`.
    pub fn start(pool: AnyPool) -> (Self, RequestLogTask) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let (rollups, rollup_task) = Rollups::start(pool.clone());
        let handle = tokio::spawn(run(pool, receiver));
        (
            Self { sender, rollups },
            RequestLogTask {
                handle,
                rollups: rollup_task,
            },
        )
    }

    /// The per-day rollups this writer counts every entry in.
    pub fn rollups(&self) -> &Rollups {
        &self.rollups
    }

    /// Counts an entry in the rollups and queues it without waiting; drops the log entry
    /// (and counts the drop) if the queue is full.
    pub fn record(&self, entry: RequestLogEntry) {
        self.rollups.add(&entry);
        if self
            .sender
            .try_send(Command::Write(Box::new(entry)))
            .is_err()
        {
            metrics::counter!("request_log_dropped_total").increment(1);
            tracing::warn!("request log queue full or closed; entry dropped");
        }
    }

    /// Waits until every entry queued before this call is in the database, and its
    /// rollups too (if they fail to write, they stay pending for the next flush).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Command::Flush(done)).await.is_ok() {
            // The task answers after writing everything queued before the flush.
            let _ = wait.await;
        }
        if let Err(e) = self.rollups.flush().await {
            tracing::warn!(error = %e, "rollups not written; kept for the next flush");
        }
    }
}

async fn run(pool: AnyPool, mut receiver: mpsc::Receiver<Command>) {
    let mut commands = Vec::with_capacity(BATCH_SIZE);
    let mut closing = false;
    // `recv_many` returns 0 only once every sender is gone and the queue is empty.
    while !closing && receiver.recv_many(&mut commands, BATCH_SIZE).await > 0 {
        gather_window(&mut receiver, &mut commands).await;
        let mut batch = Vec::with_capacity(commands.len());
        let mut waiters = Vec::new();
        for command in commands.drain(..) {
            match command {
                Command::Write(entry) => batch.push(*entry),
                Command::Flush(done) => waiters.push(done),
                Command::Close => closing = true,
            }
        }
        if !batch.is_empty()
            && let Err(e) = write_batch(&pool, &batch).await
        {
            metrics::counter!("request_log_dropped_total").increment(batch.len() as u64);
            tracing::error!(error = %e, entries = batch.len(), "request log batch not written");
        }
        for done in waiters {
            let _ = done.send(());
        }
    }
}

/// Keeps gathering for up to [`GATHER_WINDOW`] after the first entry of a batch, unless the
/// batch is full or someone waits for it (a flush, the close).
///
/// Why: on SQLite the log's writes take the same database write lock as the counters, and a
/// writer that finds it taken sleeps in SQLite's busy handler (1 ms at least). Writing as soon
/// as one entry arrives (every request, at low concurrency) made admissions meet that lock on
/// most requests; one write per window makes the collision rare.
async fn gather_window(receiver: &mut mpsc::Receiver<Command>, commands: &mut Vec<Command>) {
    let deadline = tokio::time::Instant::now() + GATHER_WINDOW;
    let awaited = |c: &[Command]| c.iter().any(|c| !matches!(c, Command::Write(_)));
    while commands.len() < BATCH_SIZE && !awaited(commands) {
        let room = BATCH_SIZE - commands.len();
        match tokio::time::timeout_at(deadline, receiver.recv_many(commands, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

async fn write_batch(pool: &AnyPool, batch: &[RequestLogEntry]) -> Result<(), sqlx::Error> {
    // One multi-row statement per batch, not a statement per entry: each statement is a
    // round trip to the database (for SQLite, to its worker thread and back). Placeholders
    // per dialect (sqlx's `QueryBuilder` writes `?` for `Any`, which PostgreSQL does not
    // take; numbered ones cost SQLite a scan of every name per bound value).
    let numbered = Dialect::of(pool) == Dialect::Postgres;
    let mut sql = String::from(
        "INSERT INTO request_log (id, project_id, identity, tier, model, status, tokens, tokens_estimated, latency_ms, day, created_at) VALUES ",
    );
    for row in 0..batch.len() {
        let first = row * COLUMNS;
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(itoa::Buffer::new().format(first + column + 1));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    let mut insert = sqlx::query(&sql);
    for e in batch {
        insert = insert
            // Time-ordered (v7): each insert lands at the end of the primary-key index instead
            // of on a random page of it (bench `request_log_write`).
            .bind(Uuid::now_v7().to_string())
            .bind(e.project_id.as_str())
            .bind(e.identity.as_str())
            .bind(e.tier.as_deref())
            .bind(e.model.as_deref())
            .bind(e.outcome.as_str())
            .bind(i64::try_from(e.tokens).unwrap_or(i64::MAX))
            .bind(i64::from(e.tokens_estimated))
            .bind(i64::try_from(e.latency_ms).unwrap_or(i64::MAX))
            .bind(e.at.date_naive().format("%Y-%m-%d").to_string())
            .bind(to_millis(e.at));
    }
    let mut tx = crate::db::begin_write(pool).await?;
    insert.execute(&mut *tx).await?;
    tx.commit().await
}

/// Columns of a request-log row.
const COLUMNS: usize = 11;
