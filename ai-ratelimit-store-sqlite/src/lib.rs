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
//! The database runs in WAL mode with a busy timeout. Each admission is one atomic statement:
//! an `UPDATE … RETURNING` of the counter; only the first admission of an identity in a
//! period, finding no row, follows it with an `INSERT … ON CONFLICT DO UPDATE … RETURNING`
//! that decides the same way. A writing statement holds SQLite's
//! single write lock from before it reads until it commits, so with limit L exactly L
//! requests are admitted across connections and across processes sharing the file. In one
//! process, writes go through a one-connection pool (no lock contention in-process) and reads
//! through a separate pool. Time comes only from the arguments (`now`).
//!
//! # Group commit
//! Writes (admissions, settlements, releases) that arrive while another write of this store
//! is in flight queue, and the next round trip of the writer runs them in order in one
//! transaction (`BEGIN IMMEDIATE`, so the write lock is taken first): one commit for the
//! batch instead of one per write. A write to an idle writer runs alone, as above. Batches
//! run from a task of their own (not from a caller's future), at most 64 at
//! a time; a failed batch answers each of its callers with the typed error.
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

mod error;
mod statements;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::store::{ListingCursor, PurgeSchedule};
use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, IdentityUsage, PageRequest, Period, PeriodTotals,
    Reservation, StoreError, Usage, UsageKey, UsagePage, UsageStore,
};
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

pub use crate::error::SqliteStoreError;
use crate::error::classify;
use ai_ratelimit_core::group_commit::{BatchSender, Entry, Lanes, Turn, Waiter};

/// Reader connections unless configured otherwise.
pub const DEFAULT_READ_CONNECTIONS: u32 = 4;
/// Bound on waiting for a pooled connection unless configured otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a statement waits for another process's write lock unless configured otherwise.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a period's counters are kept after it ends, unless configured otherwise.
pub const DEFAULT_RETENTION: chrono::Duration = chrono::Duration::days(2);

/// How often (in the callers' time) admissions trigger a purge of ended periods.
const PURGE_INTERVAL_SECS: i64 = 3600;

/// The one group-commit lane of writes (see [`group_commit`](ai_ratelimit_core::group_commit)): there is one writer, and the
/// commits it saves are the point.
const WRITER_LANE: u64 = 0;

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

    /// Connections of the separate read pool; 0 sends reads through the single writer
    /// (always the case for in-memory databases).
    pub fn read_connections(mut self, n: u32) -> Self {
        self.read_connections = n;
        self
    }

    /// Bound on waiting for a pooled connection (non-zero).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// How long a statement waits for the write lock held by another process (non-zero).
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

    /// Opens the database at `url` (`sqlite://path?mode=rwc` creates the file).
    pub async fn connect(mut self, url: &str) -> Result<SqliteStore, SqliteStoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(SqliteStoreError::InvalidUrl)?;
        // Every connection to an in-memory database must be the one writer.
        if url.contains(":memory:") || url.contains("mode=memory") {
            self.read_connections = 0;
        }
        self.connect_with(options).await
    }

    /// Opens the database with explicit connection options (WAL mode, the busy timeout and
    /// `synchronous = NORMAL` are applied on top).
    pub async fn connect_with(
        self,
        options: SqliteConnectOptions,
    ) -> Result<SqliteStore, SqliteStoreError> {
        self.validate()?;
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(self.busy_timeout);
        let open = |max: u32| {
            SqlitePoolOptions::new()
                .max_connections(max)
                .acquire_timeout(self.acquire_timeout)
                .connect_with(options.clone())
        };
        let connect_error = |e| match e {
            sqlx::Error::PoolTimedOut => SqliteStoreError::Timeout(self.acquire_timeout),
            e => SqliteStoreError::Connect(e),
        };
        // One writer: admissions queue in the pool instead of spinning on SQLITE_BUSY.
        let writer = open(1).await.map_err(connect_error)?;
        let reader = match self.read_connections {
            0 => None,
            n => Some(open(n).await.map_err(connect_error)?),
        };
        self.build(writer, reader).await
    }

    /// Builds the store on an existing pool (e.g. the server's), used for reads and writes.
    /// The pool's own settings apply; open it in WAL mode with a busy timeout.
    pub async fn with_pool(self, pool: SqlitePool) -> Result<SqliteStore, SqliteStoreError> {
        self.validate()?;
        self.build(pool, None).await
    }

    async fn build(
        self,
        writer: SqlitePool,
        reader: Option<SqlitePool>,
    ) -> Result<SqliteStore, SqliteStoreError> {
        if self.run_migrations {
            let migrator = SqliteStore::migrator();
            // Two processes creating the same new file race on the first migration; the
            // loser finds it applied on a second attempt.
            if migrator.run(&writer).await.is_err() {
                migrator.run(&writer).await?;
            }
        }
        Ok(SqliteStore {
            acquire_timeout: writer.options().get_acquire_timeout(),
            busy_timeout: self.busy_timeout,
            reader: reader.unwrap_or_else(|| writer.clone()),
            writer,
            retention: self.retention,
            purge_schedule: Arc::new(PurgeSchedule::every(PURGE_INTERVAL_SECS)),
            writes: Arc::new(Lanes::new()),
        })
    }

    fn validate(&self) -> Result<(), SqliteStoreError> {
        if self.acquire_timeout.is_zero() || self.busy_timeout.is_zero() {
            return Err(SqliteStoreError::InvalidOption {
                name: "timeout",
                message: "must be positive".into(),
            });
        }
        Ok(())
    }
}

/// A [`UsageStore`] in a SQLite file. Cheap to clone (shares the pools).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    acquire_timeout: Duration,
    busy_timeout: Duration,
    retention: chrono::Duration,
    /// When to purge ended periods next (callers' time).
    purge_schedule: Arc<PurgeSchedule>,
    /// Writes (admissions, settlements, releases) waiting for the writer's next transaction.
    writes: Arc<Lanes<Write, WriteResult>>,
}

/// A write of the store, as it waits for group commit.
#[derive(Debug, Clone)]
enum Write {
    Admit(AdmitRequest),
    /// The reservation's key and id, and the tokens used.
    Settle(UsageKey, i64, u64),
    /// The reservation's key and id.
    Release(UsageKey, i64),
}

/// What a write is answered with: an admission's rows, nothing for the others.
type WriteResult = Result<Option<AdmitRows>, StoreError>;

/// An admission's answer: the identity's row and, when capped project-wide, the scope's.
/// A capped admission the identity's limits deny has no scope row; one the cap denies has
/// the scope's row with its admitted flag false (and so has the identity's).
#[derive(Debug, Clone, Copy)]
struct AdmitRows {
    identity: AdmitRow,
    scope: Option<AdmitRow>,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The row an admission returns: admitted, requests, tokens, reservation id, reserved tokens.
type AdmitRow = (bool, i64, i64, i64, i64);

/// An admission statement with its parameters (both admission statements take the same).
fn admit_query<'q>(
    sql: &'q str,
    request: &'q AdmitRequest,
) -> sqlx::query::QueryAs<'q, sqlx::Sqlite, AdmitRow, sqlx::sqlite::SqliteArguments<'q>> {
    let key = &request.key;
    sqlx::query_as(sql)
        .bind(&*key.scope)
        .bind(key.period.id())
        .bind(&*key.identity)
        .bind(key.period.end().timestamp_micros())
        .bind(request.tier.as_deref())
        .bind(to_i64(request.reserve_tokens))
        .bind(request.reservation_expires_at.timestamp_micros())
        .bind(request.now.timestamp_micros())
        .bind(request.request_limit.map(to_i64))
        .bind(request.token_limit.map(to_i64))
        .bind(request.fits(&Usage::default()))
        // A reservation without tokens, or expired already, would never count: not stored.
        .bind(request.reserve_tokens > 0 && request.reservation_expires_at > request.now)
}

fn reservation_id(reservation: &Reservation) -> Result<i64, StoreError> {
    i64::try_from(reservation.id)
        .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))
}

/// One write's statements on the writer (two for the first admission of a counter).
async fn run_write(
    conn: &mut SqliteConnection,
    write: &Write,
) -> Result<Option<AdmitRows>, sqlx::Error> {
    match write {
        Write::Admit(request) if request.scope_cap.is_some() => {
            admit_capped(conn, request).await.map(Some)
        }
        Write::Admit(request) => admit_one(conn, request).await.map(|identity| {
            Some(AdmitRows {
                identity,
                scope: None,
            })
        }),
        // Both take their statement's row with `fetch_optional`, which answers on it, where
        // `execute` would also wait for sqlx to close the result channel (see
        // `statements::remove_reservation`).
        Write::Settle(key, id, tokens) => {
            sqlx::query(statements::SETTLE)
                .bind(&*key.scope)
                .bind(key.period.id())
                .bind(&*key.identity)
                .bind(*id)
                .bind(to_i64(*tokens))
                .fetch_optional(&mut *conn)
                .await?;
            Ok(None)
        }
        Write::Release(key, id) => {
            sqlx::query(statements::RELEASE)
                .bind(&*key.scope)
                .bind(key.period.id())
                .bind(&*key.identity)
                .bind(*id)
                .fetch_optional(&mut *conn)
                .await?;
            Ok(None)
        }
    }
}

/// One counter's admission statement(s).
async fn admit_one(
    conn: &mut SqliteConnection,
    request: &AdmitRequest,
) -> Result<AdmitRow, sqlx::Error> {
    // The common case is one UPDATE; only the first admission of an identity in a period
    // finds no row and goes on to the insertion.
    let updated: Option<AdmitRow> = admit_query(statements::ADMIT_UPDATE, request)
        .fetch_optional(&mut *conn)
        .await?;
    match updated {
        Some(row) => Ok(row),
        None => {
            admit_query(statements::ADMIT_INSERT, request)
                .fetch_one(&mut *conn)
                .await
        }
    }
}

/// A live usage read on the writer, inside its transaction.
async fn live_usage(
    conn: &mut SqliteConnection,
    key: &UsageKey,
    now: DateTime<Utc>,
) -> Result<Usage, sqlx::Error> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(statements::USAGE)
        .bind(&*key.scope)
        .bind(key.period.id())
        .bind(&*key.identity)
        .bind(now.timestamp_micros())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row
        .map(|(requests, tokens, reserved)| Usage {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            reserved_tokens: to_u64(reserved),
        })
        .unwrap_or_default())
}

/// An admission capped project-wide. Runs inside a transaction holding SQLite's write lock
/// (the batch's, or its own: see `SqliteStore::write`), so the reads that decide and the
/// writes that count are one atomic step for every connection and process on the file.
async fn admit_capped(
    conn: &mut SqliteConnection,
    request: &AdmitRequest,
) -> Result<AdmitRows, sqlx::Error> {
    let cap = request.scope_cap.unwrap_or_default();
    let scope_request = AdmitRequest {
        key: UsageKey::new(
            request.key.scope.clone(),
            ai_ratelimit_core::SCOPE_IDENTITY,
            request.key.period,
        ),
        tier: None,
        request_limit: cap.request_limit,
        token_limit: cap.token_limit,
        scope_cap: None,
        ..request.clone()
    };
    let row = |admitted: bool, usage: Usage| {
        (
            admitted,
            to_i64(usage.requests),
            to_i64(usage.tokens),
            0,
            to_i64(usage.reserved_tokens),
        )
    };
    let usage = live_usage(conn, &request.key, request.now).await?;
    if !request.fits(&usage) {
        return Ok(AdmitRows {
            identity: row(false, usage),
            scope: None,
        });
    }
    let scope_usage = live_usage(conn, &scope_request.key, request.now).await?;
    if !cap.fits(&scope_usage) {
        return Ok(AdmitRows {
            identity: row(false, usage),
            scope: Some(row(false, scope_usage)),
        });
    }
    // Both fit under the write lock: both statements admit.
    let identity = admit_one(conn, request).await?;
    let scope = admit_one(conn, &scope_request).await?;
    Ok(AdmitRows {
        identity,
        scope: Some(scope),
    })
}

/// The batches of writes (a marker: the store's one lane and its transaction).
struct Writes;

impl BatchSender for Writes {
    type Store = SqliteStore;
    type Job = Write;
    type Answer = WriteResult;

    fn lanes(store: &SqliteStore) -> &Lanes<Write, WriteResult> {
        &store.writes
    }

    fn send(
        store: &SqliteStore,
        _lane: u64,
        batch: Vec<Waiter<Write, WriteResult>>,
    ) -> impl Future<Output = ()> + Send {
        store.write_batch(batch)
    }
}

impl SqliteStore {
    /// Opens the database at `url` with default [`SqliteStoreOptions`] and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, SqliteStoreError> {
        SqliteStoreOptions::new().connect(url).await
    }

    /// Builds the store on an existing pool with default options (runs the migrations).
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, SqliteStoreError> {
        SqliteStoreOptions::new().with_pool(pool).await
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

    /// The pool admissions, settles and releases run on (one connection).
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Deletes the counters of every period that ended at or before `cutoff`; returns how
    /// many rows were deleted. Admissions call it by themselves about once an hour with
    /// `now - retention`.
    pub async fn purge_before(&self, cutoff: DateTime<Utc>) -> Result<u64, SqliteStoreError> {
        sqlx::query(statements::PURGE)
            .bind(cutoff.timestamp_micros())
            .execute(&self.writer)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: sqlx::Error) -> SqliteStoreError {
        classify(e, self.acquire_timeout, self.busy_timeout)
    }

    fn store_error(&self, e: sqlx::Error) -> StoreError {
        self.error(e).into()
    }

    /// Runs a write: straight away on an idle writer, else in the writer's next batch.
    async fn write(&self, write: &Write) -> WriteResult {
        match self.writes.enter(WRITER_LANE, || write.clone()) {
            Entry::Lead => {
                let _turn = Turn::<Writes>::new(self, WRITER_LANE);
                if matches!(write, Write::Admit(r) if r.scope_cap.is_some()) {
                    // Several statements: one transaction, write lock first.
                    return async {
                        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                        let result = run_write(&mut tx, write).await?;
                        tx.commit().await?;
                        Ok(result)
                    }
                    .await
                    .map_err(|e| self.store_error(e));
                }
                let mut conn = self
                    .writer
                    .acquire()
                    .await
                    .map_err(|e| self.store_error(e))?;
                run_write(&mut conn, write)
                    .await
                    .map_err(|e| self.store_error(e))
            }
            Entry::Queued(result) => result.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the write's batch was dropped (runtime shutting down)".into(),
                ))
            }),
        }
    }

    /// Runs queued writes in order in one transaction (one commit) and answers each caller.
    async fn write_batch(&self, batch: Vec<Waiter<Write, WriteResult>>) {
        let results = async {
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            let mut results = Vec::with_capacity(batch.len());
            for waiter in &batch {
                results.push(run_write(&mut tx, &waiter.job).await?);
            }
            tx.commit().await?;
            Ok(results)
        }
        .await
        .map_err(|e| self.error(e));
        match results {
            Ok(results) => {
                for (waiter, result) in batch.into_iter().zip(results) {
                    // A caller that went away meanwhile needs no answer.
                    let _ = waiter.reply.send(Ok(result));
                }
            }
            // One write's bad data failed the transaction, which was rolled back: each write
            // goes again on its own, for its own answer.
            Err(SqliteStoreError::Data(_)) => {
                for waiter in batch {
                    let result = async {
                        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                        let result = run_write(&mut tx, &waiter.job).await?;
                        tx.commit().await?;
                        Ok(result)
                    }
                    .await;
                    let _ = waiter.reply.send(result.map_err(|e| self.store_error(e)));
                }
            }
            // The file is locked or unusable.
            Err(e) => self.writes.fail(WRITER_LANE, batch, StoreError::from(e)),
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
}

impl UsageStore for SqliteStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        // Kept beyond this call (a queued batch, the reservation): owned.
        let request = &request.to_owned_request();
        let key = &request.key;
        let row = self
            .write(&Write::Admit(request.clone()))
            .await?
            .ok_or_else(|| StoreError::Data("an admission returned no row".into()))?;
        self.maybe_purge(request.now);
        let usage_of = |(_, requests, tokens, _, reserved): AdmitRow| Usage {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            reserved_tokens: to_u64(reserved),
        };
        let usage = usage_of(row.identity);
        Ok(match (row.identity.0, row.scope) {
            (true, scope) => AdmitOutcome::Admitted {
                reservation: Reservation {
                    key: key.clone(),
                    id: to_u64(row.identity.3),
                    tokens: request.reserve_tokens,
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
        let id = reservation_id(reservation)?;
        self.write(&Write::Settle(reservation.key.clone(), id, tokens))
            .await?;
        if let Some(scope_id) = reservation.scope_id {
            let id = i64::try_from(scope_id)
                .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))?;
            self.write(&Write::Settle(
                reservation.scope_key().to_owned(),
                id,
                tokens,
            ))
            .await?;
        }
        Ok(())
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        let id = reservation_id(reservation)?;
        self.write(&Write::Release(reservation.key.clone(), id))
            .await?;
        if let Some(scope_id) = reservation.scope_id {
            let id = i64::try_from(scope_id)
                .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))?;
            self.write(&Write::Release(reservation.scope_key().to_owned(), id))
                .await?;
        }
        Ok(())
    }

    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        let key = key.key();
        let row: Option<(i64, i64, i64)> = sqlx::query_as(statements::USAGE)
            .bind(key.scope)
            .bind(key.period.id())
            .bind(key.identity)
            .bind(now.timestamp_micros())
            .fetch_optional(&self.reader)
            .await
            .map_err(|e| self.store_error(e))?;
        Ok(row
            .map(|(requests, tokens, reserved)| Usage {
                requests: to_u64(requests),
                tokens: to_u64(tokens),
                reserved_tokens: to_u64(reserved),
            })
            .unwrap_or_default())
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
        let query = match &cursor {
            None => sqlx::query_as(statements::LIST_FIRST),
            Some(_) => sqlx::query_as(statements::LIST_AFTER),
        }
        .bind(scope)
        .bind(period.id())
        .bind(fetch);
        let query = match &cursor {
            None => query,
            Some(c) => query.bind(to_i64(c.requests)).bind(c.identity.as_str()),
        };
        let rows: Vec<(String, Option<String>, i64, i64)> = query
            .fetch_all(&self.reader)
            .await
            .map_err(|e| self.store_error(e))?;
        let mut items: Vec<IdentityUsage> = rows
            .into_iter()
            .map(|(identity, tier, requests, tokens)| IdentityUsage {
                identity,
                tier,
                requests: to_u64(requests),
                tokens: to_u64(tokens),
            })
            .collect();
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
        let (requests, tokens, identities): (i64, i64, i64) = sqlx::query_as(statements::TOTALS)
            .bind(scope)
            .bind(period.id())
            .fetch_one(&self.reader)
            .await
            .map_err(|e| self.store_error(e))?;
        Ok(PeriodTotals {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            identities: to_u64(identities),
        })
    }

    async fn forget<K: AsUsageKey>(&self, key: &K) -> Result<(), StoreError> {
        let key = key.key();
        // On the writer pool, as every write: it holds the file's only write connection.
        sqlx::query(statements::FORGET)
            .bind(key.scope)
            .bind(key.period.id())
            .bind(key.identity)
            .execute(&self.writer)
            .await
            .map(|_| ())
            .map_err(|e| self.store_error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ai_ratelimit_core::Window;

    /// Settlement and release answer with a row of their own, which `run_write` takes with
    /// `fetch_optional` so as not to wait for sqlx's result channel to close (see
    /// `statements::remove_reservation`); a statement without one would answer `None` here.
    #[tokio::test]
    async fn settle_and_release_return_a_row() {
        let store = SqliteStore::connect("sqlite::memory:")
            .await
            .expect("in-memory store");
        let now: DateTime<Utc> = "2030-06-01T12:00:00Z".parse().expect("timestamp");
        let key = UsageKey {
            scope: "s".into(),
            identity: "someone".into(),
            period: Window::Day.period_at(now),
        };
        let request = AdmitRequest {
            key: key.clone(),
            tier: None,
            request_limit: None,
            token_limit: None,
            reserve_tokens: 10,
            reservation_expires_at: now + chrono::Duration::minutes(5),
            now,
            scope_cap: None,
        };
        let mut ids = Vec::new();
        for _ in 0..2 {
            match store.admit(&request).await.expect("admit") {
                AdmitOutcome::Admitted { reservation, .. } => ids.push(to_i64(reservation.id)),
                other => panic!("no limit, no denial: {other:?}"),
            }
        }
        let mut conn = store.writer().acquire().await.expect("writer");
        let settled = sqlx::query(statements::SETTLE)
            .bind(&*key.scope)
            .bind(key.period.id())
            .bind(&*key.identity)
            .bind(ids[0])
            .bind(3i64)
            .fetch_optional(&mut *conn)
            .await
            .expect("settle runs");
        let released = sqlx::query(statements::RELEASE)
            .bind(&*key.scope)
            .bind(key.period.id())
            .bind(&*key.identity)
            .bind(ids[1])
            .fetch_optional(&mut *conn)
            .await
            .expect("release runs");
        assert!(settled.is_some() && released.is_some());
        drop(conn);
        let usage = store.usage(&key, now).await.expect("usage");
        assert_eq!(
            (usage.requests, usage.tokens, usage.reserved_tokens),
            (1, 3, 0)
        );
    }
}
