#![forbid(unsafe_code)]
//! A SQLite [`UsageStore`] for AI Ratelimit: durable counts on one machine with nothing else
//! installed; the server's embedded default.
//!
//! # Layout
//! The table `airl_usage_counters` (one row per scope, period and identity, holding the
//! counts, the tier and the in-flight reservations as a JSON array in order of expiry, with
//! their token total and bounds of their earliest and latest expiry, so that admission reads
//! the array only once a reservation may have expired, and then only the expired ones at its
//! front) and its indexes, created
//! by this crate's embedded migrations. The file may be shared with an application's own
//! tables and sqlx migrations: this crate's migration versions are distinct, its migrator
//! ignores versions it does not know, and every object it creates is prefixed `airl_`.
//!
//! # Atomicity
//! The database runs in WAL mode. Each admission is one atomic statement: an `UPDATE …
//! RETURNING` of the counter; only the first admission of an identity in a period, finding
//! no row, follows it with an `INSERT … ON CONFLICT DO UPDATE … RETURNING` that decides the
//! same way. A writing statement holds SQLite's single write lock from before it reads until
//! it commits, so with limit L exactly L requests are admitted across connections and across
//! processes sharing the file. In one process, writes go through one connection behind a
//! mutex and reads through separate connections. Time comes only from the arguments (`now`).
//!
//! # Threads and group commit
//! Statements run on the calling thread (see `connection.rs` for why not through sqlx's
//! worker thread): a write takes the writer's mutex for the few tens of microseconds of its
//! statements and never waits for SQLite's lock there. When another connection or process
//! holds the lock, the write goes again on a blocking thread that waits for it, up to the
//! busy timeout. Reads (usage, listings, totals) also run on the calling thread. Purges of
//! ended periods run on a blocking thread, and so do the WAL's checkpoints, every few
//! hundred commits: first beside the writes (the bulk of the copying and syncing), then once
//! more in a turn of the write queue (below), so that no write of the store runs meanwhile:
//! that last step copies the frames left and the WAL starts over.
//!
//! Writes that arrive while another is running queue behind it, and the first of them
//! yields once before it runs, so that the tasks ready on its thread queue theirs too; it
//! then runs them all, in order, in one transaction (`BEGIN IMMEDIATE`): one commit for the
//! batch instead of one per write. A write alone runs as it is. A batch that fails on one
//! write's data goes again write by write, each for its own answer.
//!
//! Another writer on the same file (an application's own tables) makes the store's writes
//! wait for the lock in SQLite's busy handler, which sleeps a millisecond and more; give the
//! counters a file of their own where that matters (the server does).
//!
//! # Durability
//! Connections opened by the store use `synchronous = NORMAL`, which in WAL mode never
//! corrupts the database and keeps every commit across a crash of the process; a power loss
//! or OS crash may forget the last commits before the WAL was synced. For a usage limiter
//! that is durable enough (at worst a few requests are not counted), and it saves an fsync
//! per admission.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ai_ratelimit_core::Limiter;
//! use ai_ratelimit_store_sqlite::SqliteStore;
//!
//! let store = SqliteStore::connect("sqlite://ratelimit.db?mode=rwc").await?;
//! let limiter = Limiter::new(store);
//! # Ok(()) }
//! ```

mod connection;
mod error;
mod statements;
mod writes;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::store::{ListingCursor, PurgeSchedule};
use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, IdentityUsage, PageRequest, Period, PeriodTotals,
    Reservation, StoreError, Usage, UsageKey, UsagePage, UsageStore,
};
use chrono::{DateTime, Utc};
use rusqlite::params;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use ai_ratelimit_core::group_commit::{BatchSender, Entry, Lanes, Turn, Waiter};

use crate::connection::{Connections, Location};
pub use crate::error::SqliteStoreError;
use crate::writes::{
    AdmitRow, AdmitRows, Write, reservation_id, run_writes, to_i64, to_u64, usage_of,
};

/// Reader connections unless configured otherwise.
pub const DEFAULT_READ_CONNECTIONS: u32 = 4;
/// Bound on waiting for the connection that runs the migrations unless configured otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a write waits for another process's write lock unless configured otherwise.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a period's counters are kept after it ends, unless configured otherwise.
pub const DEFAULT_RETENTION: chrono::Duration = chrono::Duration::days(2);

/// How often (in the callers' time) admissions trigger a purge of ended periods.
const PURGE_INTERVAL_SECS: i64 = 3600;

/// Settings of a [`SqliteStore`]; every setter has a sensible default.
#[derive(Debug, Clone)]
pub struct SqliteStoreOptions {
    read_connections: u32,
    acquire_timeout: Duration,
    busy_timeout: Duration,
    run_migrations: bool,
    retention: chrono::Duration,
}

impl Default for SqliteStoreOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl SqliteStoreOptions {
    /// The defaults: 4 reader connections, 2 s acquire and busy timeouts, migrations on,
    /// 2 days of retention.
    pub fn new() -> Self {
        Self {
            read_connections: DEFAULT_READ_CONNECTIONS,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            run_migrations: true,
            retention: DEFAULT_RETENTION,
        }
    }

    /// Reader connections; 0 sends reads through the writer (always the case for in-memory
    /// databases).
    pub fn read_connections(mut self, n: u32) -> Self {
        self.read_connections = n;
        self
    }

    /// Bound on waiting for the connection that runs the migrations (non-zero).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// How long a write waits for the write lock held by another connection or process
    /// (non-zero).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Whether to run the embedded migrations when the store is built (default true).
    pub fn run_migrations(mut self, run: bool) -> Self {
        self.run_migrations = run;
        self
    }

    /// How long counters are kept after their period ends (negative counts as zero).
    pub fn retention(mut self, retention: chrono::Duration) -> Self {
        self.retention = retention.max(chrono::Duration::zero());
        self
    }

    /// Opens the database at `url` (`sqlite://path?mode=rwc` creates the file;
    /// `sqlite::memory:` is a private in-memory database).
    pub async fn connect(self, url: &str) -> Result<SqliteStore, SqliteStoreError> {
        if self.acquire_timeout.is_zero() || self.busy_timeout.is_zero() {
            return Err(SqliteStoreError::InvalidOption {
                name: "timeout",
                message: "must be positive".into(),
            });
        }
        let options = SqliteConnectOptions::from_str(url).map_err(SqliteStoreError::InvalidUrl)?;
        let location = if url.contains(":memory:") || url.contains("mode=memory") {
            Location::Memory
        } else {
            // sqlx opens (and creates, as the URL says) the file, puts it in WAL mode and
            // keeps the migrations in its `_sqlx_migrations` table beside an application's.
            self.migrate_file(options.clone()).await?;
            Location::File(options.get_filename().to_owned())
        };
        let connections = Connections::open(&location, self.read_connections, self.busy_timeout)?;
        if self.run_migrations && matches!(location, Location::Memory) {
            connections
                .write_in_background(|connection| {
                    SqliteStore::migrator()
                        .iter()
                        .filter(|m| !m.migration_type.is_down_migration())
                        .try_for_each(|m| connection.execute_batch(&m.sql))
                })
                .await?;
        }
        Ok(SqliteStore {
            connections: Arc::new(connections),
            retention: self.retention,
            purge_schedule: Arc::new(PurgeSchedule::every(PURGE_INTERVAL_SECS)),
            writes: Arc::new(Lanes::new()),
        })
    }

    async fn migrate_file(&self, options: SqliteConnectOptions) -> Result<(), SqliteStoreError> {
        let pool: SqlitePool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(self.acquire_timeout)
            .connect_with(
                options
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(self.busy_timeout),
            )
            .await
            .map_err(|e| match e {
                sqlx::Error::PoolTimedOut => SqliteStoreError::Timeout(self.acquire_timeout),
                e => SqliteStoreError::Connect(e),
            })?;
        if self.run_migrations {
            let migrator = SqliteStore::migrator();
            // Two processes creating the same new file race on the first migration; the
            // loser finds it applied on a second attempt.
            if migrator.run(&pool).await.is_err() {
                migrator.run(&pool).await?;
            }
        }
        pool.close().await;
        Ok(())
    }
}

/// A [`UsageStore`] in a SQLite file. Cheap to clone (shares the connections).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    connections: Arc<Connections>,
    retention: chrono::Duration,
    /// When to purge ended periods next (callers' time).
    purge_schedule: Arc<PurgeSchedule>,
    /// Writes queued behind the one running (group commit).
    writes: Arc<Lanes<Write, WriteResult>>,
}

/// The one group-commit lane of writes (see [`group_commit`](ai_ratelimit_core::group_commit)):
/// there is one writer, and the commits it saves are the point.
const WRITER_LANE: u64 = 0;

/// What a write is answered with: an admission's rows, nothing for the others.
type WriteResult = Result<Option<AdmitRows>, StoreError>;

/// The batches of writes (a marker: the store's one lane and its transaction).
struct Writes;

impl BatchSender for Writes {
    type Store = SqliteStore;
    type Job = Write;
    type Answer = WriteResult;

    fn lanes(store: &SqliteStore) -> &Lanes<Write, WriteResult> {
        &store.writes
    }

    async fn send(store: &SqliteStore, _lane: u64, batch: Vec<Waiter<Write, WriteResult>>) {
        store.run_and_answer(None, batch).await;
        // Still this batch's turn: the writes that come meanwhile wait in the queue.
        if store.connections.checkpoint_due() {
            store.connections.checkpoint().await;
        }
    }
}

impl SqliteStore {
    /// Opens the database at `url` with default [`SqliteStoreOptions`] and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, SqliteStoreError> {
        SqliteStoreOptions::new().connect(url).await
    }

    /// Options to build a store with.
    pub fn options() -> SqliteStoreOptions {
        SqliteStoreOptions::new()
    }

    /// The embedded migrations as the store runs them: versions it does not know (an
    /// application's own, in the same `_sqlx_migrations` table) are ignored.
    pub fn migrator() -> sqlx::migrate::Migrator {
        let mut migrator = sqlx::migrate!("./migrations");
        migrator.set_ignore_missing(true);
        migrator
    }

    /// Deletes the counters of every period that ended at or before `cutoff`; returns how
    /// many rows were deleted. Admissions call it by themselves about once an hour with
    /// `now - retention`. Runs on a blocking thread.
    pub async fn purge_before(&self, cutoff: DateTime<Utc>) -> Result<u64, SqliteStoreError> {
        let cutoff = cutoff.timestamp_micros();
        self.connections
            .write_in_background(move |connection| {
                connection
                    .execute(statements::PURGE, [cutoff])
                    .map(|n| n as u64)
            })
            .await
    }

    /// Runs a write: with the writes queued behind it, as their leader, or queued behind
    /// another's.
    async fn write(&self, write: Write) -> WriteResult {
        match self.writes.enter(WRITER_LANE, || write.clone()) {
            Entry::Lead => {
                let turn = Turn::<Writes>::new(self, WRITER_LANE);
                // Let the tasks ready on this thread reach their writes first: they queue
                // behind this one and go in its transaction (one commit for them all).
                tokio::task::yield_now().await;
                let queued = self.writes.take_queue(WRITER_LANE);
                let own = self
                    .run_and_answer(Some(write), queued)
                    .await
                    .unwrap_or_else(|| {
                        Err(StoreError::Data(
                            "a write of the batch had no result".into(),
                        ))
                    });
                if self.connections.checkpoint_due() {
                    // The turn goes to a task that checkpoints: the writes that come meanwhile
                    // wait in the queue, not this caller.
                    std::mem::forget(turn);
                    let store = self.clone();
                    tokio::spawn(async move {
                        let _turn = Turn::<Writes>::new(&store, WRITER_LANE);
                        store.connections.checkpoint().await;
                    });
                }
                own
            }
            Entry::Queued(result) => result.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the write's batch was dropped (runtime shutting down)".into(),
                ))
            }),
        }
    }

    /// Runs `own` (the leader's write, not queued) then the queued writes in one batch,
    /// answers each queued one, and returns `own`'s result.
    async fn run_and_answer(
        &self,
        own: Option<Write>,
        queued: Vec<Waiter<Write, WriteResult>>,
    ) -> Option<WriteResult> {
        let leads = own.is_some();
        let (jobs, replies): (Vec<_>, Vec<_>) = queued
            .into_iter()
            .map(|waiter| (waiter.job, waiter.reply))
            .unzip();
        let mut results = self
            .run_batch(own.into_iter().chain(jobs).collect())
            .await
            .into_iter();
        let own = if leads { results.next() } else { None };
        for (reply, result) in replies.into_iter().zip(results) {
            // A caller that went away meanwhile needs no answer.
            let _ = reply.send(result);
        }
        own
    }

    /// Runs writes in order in one transaction; a result for each.
    async fn run_batch(&self, writes: Vec<Write>) -> Vec<WriteResult> {
        let count = writes.len();
        let writes = Arc::new(writes);
        let batch = writes.clone();
        match self
            .connections
            .write(move |connection| run_writes(connection, &batch))
            .await
        {
            Ok(results) => results.into_iter().map(Ok).collect(),
            // One write's bad data failed the transaction, which was rolled back: each write
            // goes again on its own, for its own answer.
            Err(SqliteStoreError::Data(_) | SqliteStoreError::Query(_)) if count > 1 => {
                let mut results = Vec::with_capacity(count);
                // The batch's own reference went with its closure.
                let writes = Arc::try_unwrap(writes).unwrap_or_else(|shared| (*shared).clone());
                for write in writes {
                    let result = self
                        .connections
                        .write(move |connection| {
                            run_writes(connection, std::slice::from_ref(&write))
                        })
                        .await;
                    results.push(match result {
                        Ok(mut rows) => Ok(rows.pop().flatten()),
                        Err(e) => Err(e.into()),
                    });
                }
                results
            }
            Err(e) => vec![Err(StoreError::from(e)); count],
        }
    }

    /// Starts a purge in the background when the callers' clock passed the next purge time.
    fn maybe_purge(&self, now: DateTime<Utc>) {
        if !self.purge_schedule.claim(now) {
            return;
        }
        let store = self.clone();
        let cutoff = now - self.retention;
        tokio::spawn(async move {
            if let Err(e) = store.purge_before(cutoff).await {
                tracing::warn!(error = %e, "purging ended usage periods failed");
            }
        });
    }

    /// Settles or releases a reservation and its project-wide share.
    async fn finish(
        &self,
        reservation: &Reservation,
        tokens: Option<u64>,
    ) -> Result<(), StoreError> {
        let write = |key: UsageKey, id: i64| match tokens {
            Some(tokens) => Write::Settle(key, id, tokens),
            None => Write::Release(key, id),
        };
        let id = reservation_id(reservation.id)?;
        self.write(write(reservation.key.clone(), id)).await?;
        if let Some(scope_id) = reservation.scope_id {
            let id = reservation_id(scope_id)?;
            self.write(write(reservation.scope_key().to_owned(), id))
                .await?;
        }
        Ok(())
    }
}

impl UsageStore for SqliteStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        // Kept beyond this call (a write that waits for another process's lock goes to a
        // blocking thread, the reservation): owned.
        let request = request.to_owned_request();
        let (key, reserve_tokens, now) = (request.key.clone(), request.reserve_tokens, request.now);
        let row = self
            .write(Write::Admit(request))
            .await?
            .ok_or_else(|| StoreError::Data("an admission returned no row".into()))?;
        self.maybe_purge(now);
        let usage_of = |(_, requests, tokens, _, reserved): AdmitRow| Usage {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            reserved_tokens: to_u64(reserved),
        };
        let usage = usage_of(row.identity);
        Ok(match (row.identity.0, row.scope) {
            (true, scope) => AdmitOutcome::Admitted {
                reservation: Reservation {
                    key,
                    id: to_u64(row.identity.3),
                    tokens: reserve_tokens,
                    scope_id: scope.map(|s| to_u64(s.3)),
                },
                usage,
                scope_usage: scope.map(usage_of),
            },
            (false, Some(scope)) => AdmitOutcome::ScopeDenied {
                usage,
                scope_usage: usage_of(scope),
            },
            (false, None) => AdmitOutcome::Denied { usage },
        })
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        self.finish(reservation, Some(tokens)).await
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        self.finish(reservation, None).await
    }

    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        let key = key.key().to_owned();
        Ok(self
            .connections
            .read(|connection| usage_of(connection, &key, now))?)
    }

    async fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        let cursor = page
            .cursor
            .as_deref()
            .map(ListingCursor::decode)
            .transpose()?;
        let limit = page.clamped_limit();
        // One row more than the page tells whether another page follows.
        let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
        let period_id = period.id();
        let mut items: Vec<IdentityUsage> = self.connections.read(|connection| {
            let item = |row: &rusqlite::Row<'_>| {
                Ok(IdentityUsage {
                    identity: row.get(0)?,
                    tier: row.get(1)?,
                    requests: to_u64(row.get(2)?),
                    tokens: to_u64(row.get(3)?),
                })
            };
            match &cursor {
                None => connection
                    .prepare_cached(statements::LIST_FIRST)?
                    .query_map(params![scope, period_id, fetch], item)?
                    .collect(),
                Some(c) => connection
                    .prepare_cached(statements::LIST_AFTER)?
                    .query_map(
                        params![scope, period_id, fetch, to_i64(c.requests), c.identity],
                        item,
                    )?
                    .collect(),
            }
        })?;
        let next_cursor = (items.len() > limit).then(|| {
            let last = &items[limit - 1];
            ListingCursor {
                requests: last.requests,
                identity: last.identity.clone(),
            }
            .encode()
        });
        items.truncate(limit);
        Ok(UsagePage { items, next_cursor })
    }

    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        let (requests, tokens, identities): (i64, i64, i64) =
            self.connections.read(|connection| {
                connection
                    .prepare_cached(statements::TOTALS)?
                    .query_row(params![scope, period.id()], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
            })?;
        Ok(PeriodTotals {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            identities: to_u64(identities),
        })
    }

    async fn forget<K: AsUsageKey>(&self, key: &K) -> Result<(), StoreError> {
        let key = key.key().to_owned();
        self.connections
            .write(move |connection| {
                connection
                    .prepare_cached(statements::FORGET)?
                    .execute(params![&*key.scope, key.period.id(), &*key.identity])
            })
            .await?;
        Ok(())
    }
}
