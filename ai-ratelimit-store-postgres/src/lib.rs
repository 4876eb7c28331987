#![forbid(unsafe_code)]
//! A PostgreSQL [`UsageStore`] for AI Ratelimit: durable counts shared by any number of
//! server instances.
//!
//! # Layout
//! Everything lives in one dedicated schema (default `ai_ratelimit`, see
//! [`PostgresStoreOptions::schema`]): the table `airl_usage_counters` and the `_sqlx_migrations`
//! table of this crate's embedded migrations, which therefore never mix with an application's
//! own migrations in `public`. One row per (scope, period, identity) holds the counts, the tier
//! and the in-flight reservations (parallel arrays of id, tokens and expiry, sorted by expiry,
//! with their token total beside them so that admission never scans them).
//!
//! # Atomicity
//! [`UsageStore::admit`] is one atomic statement: a conditional `UPDATE` whose decision is
//! taken on the locked, latest version of the row; only the first admission of an identity in
//! a period, finding no row, follows it with a conditional upsert
//! (`INSERT … ON CONFLICT DO UPDATE`). Admissions of one identity serialize on that row lock,
//! so with limit L exactly L requests are admitted across connections, pools and processes. Settle and release are
//! single `UPDATE`s. Time comes only from the arguments (`now`), never from the database clock.
//!
//! # Group commit
//! Admissions that arrive while another admission of their lane is in flight from this store
//! queue, and go out together in the next round trip: one call of the plpgsql function
//! `airl_admit_batch`, which applies the same admission to each in order in one transaction,
//! so a hot identity's row lock is taken once per batch instead of once per request, and
//! admissions of many identities share one round trip and one commit. A scope's period has a
//! few lanes, each identity always in the same one; a batch is sorted by key, so that batches
//! lock rows in one order (no deadlock between instances). An admission of an idle lane goes
//! out alone, as above. Batches are sent from a task of their own (not from a caller's
//! future), at most 64 at a time; a failed batch answers each of its callers with the typed
//! error.
//!
//! # Durability
//! The store's own pool commits with `synchronous_commit = off` unless
//! [`PostgresStoreOptions::synchronous_commit`] says otherwise: a commit returns before
//! PostgreSQL has flushed its WAL to disk (an fsync per admission, about a millisecond on
//! the benchmark machine, on every request's path). A crash of the database server (not of
//! the application) may then forget the last fraction of a second of counts (three times
//! `wal_writer_delay` at most); it never corrupts or half-applies them, and every other
//! connection sees each commit at once, so limits hold exactly as long as the server runs.
//! That is the trade the SQLite store makes with `synchronous = NORMAL`. A pool handed to
//! [`PostgresStoreOptions::with_pool`] keeps its own setting.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ai_ratelimit_core::Limiter;
//! use ai_ratelimit_store_postgres::PostgresStore;
//!
//! let store = PostgresStore::connect("postgres://postgres@127.0.0.1:5432/app").await?;
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
    Reservation, StoreError, Usage, UsagePage, UsageStore,
};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub use crate::error::PostgresStoreError;
use crate::error::classify;
use crate::statements::Statements;
use ai_ratelimit_core::group_commit::{BatchSender, Entry, Lanes, Turn, Waiter, admission_lane};

/// The embedded migrations (run by [`PostgresStoreOptions::connect`] unless disabled).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Schema used unless [`PostgresStoreOptions::schema`] says otherwise.
pub const DEFAULT_SCHEMA: &str = "ai_ratelimit";
/// Pool size unless configured otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
/// Bound on waiting for a pooled connection (and on connecting) unless configured otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// Server-side `statement_timeout` unless configured otherwise.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a period's counters are kept after it ends, unless configured otherwise.
pub const DEFAULT_RETENTION: chrono::Duration = chrono::Duration::days(2);

/// How often (in the callers' time) admissions trigger a purge of ended periods.
const PURGE_INTERVAL_SECS: i64 = 3600;

/// Settings of a [`PostgresStore`]; every setter has a sensible default.
#[derive(Debug, Clone)]
pub struct PostgresStoreOptions {
    schema: String,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
    application_name: Option<String>,
    synchronous_commit: bool,
    run_migrations: bool,
    retention: chrono::Duration,
}

impl Default for PostgresStoreOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl PostgresStoreOptions {
    /// The defaults: schema `ai_ratelimit`, 10 connections, 2 s acquire and statement
    /// timeouts, asynchronous commits, migrations on, 2 days of retention.
    pub fn new() -> Self {
        Self {
            schema: DEFAULT_SCHEMA.to_owned(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            statement_timeout: Some(DEFAULT_STATEMENT_TIMEOUT),
            application_name: None,
            synchronous_commit: false,
            run_migrations: true,
            retention: DEFAULT_RETENTION,
        }
    }

    /// The schema holding the store's table and its migrations table. Use a schema of its
    /// own (not the application's), created if missing.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// Maximum pooled connections (at least 1).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n;
        self
    }

    /// Bound on waiting for a connection, including connecting (non-zero).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Server-side `statement_timeout` of the store's connections; `None` leaves the server's.
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// `application_name` of the store's connections (shown in `pg_stat_activity`).
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application_name = Some(name.into());
        self
    }

    /// Whether the store's connections wait for PostgreSQL to flush each commit to disk
    /// (`synchronous_commit`; default false: see the crate docs' "Durability").
    pub fn synchronous_commit(mut self, synchronous: bool) -> Self {
        self.synchronous_commit = synchronous;
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

    /// Connects a pool to `url` and builds the store.
    pub async fn connect(self, url: &str) -> Result<PostgresStore, PostgresStoreError> {
        let options = PgConnectOptions::from_str(url).map_err(PostgresStoreError::InvalidUrl)?;
        self.connect_with(options).await
    }

    /// Connects a pool with explicit connection options and builds the store.
    pub async fn connect_with(
        self,
        mut options: PgConnectOptions,
    ) -> Result<PostgresStore, PostgresStoreError> {
        self.validate()?;
        if let Some(name) = &self.application_name {
            options = options.application_name(name);
        }
        if let Some(t) = self.statement_timeout {
            options = options.options([("statement_timeout", format!("{}ms", t.as_millis()))]);
        }
        if !self.synchronous_commit {
            options = options.options([("synchronous_commit", "off")]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|e| match e {
                sqlx::Error::PoolTimedOut => PostgresStoreError::Timeout(self.acquire_timeout),
                e => PostgresStoreError::Connect(e),
            })?;
        self.with_pool(pool).await
    }

    /// Builds the store on an existing pool (e.g. the server's). The pool's own settings
    /// (size, timeouts, `statement_timeout`, `synchronous_commit`) apply; `max_connections`,
    /// `application_name`, `statement_timeout` and `synchronous_commit` of these options do
    /// not. With migrations off, the database
    /// is not contacted here.
    pub async fn with_pool(self, pool: PgPool) -> Result<PostgresStore, PostgresStoreError> {
        self.validate()?;
        if self.run_migrations {
            migrate(&pool, &self.schema).await?;
        }
        Ok(PostgresStore {
            acquire_timeout: pool.options().get_acquire_timeout(),
            statement_timeout: self.statement_timeout,
            statements: Arc::new(Statements::new(&self.schema)),
            pool,
            retention: self.retention,
            purge_schedule: Arc::new(PurgeSchedule::every(PURGE_INTERVAL_SECS)),
            admissions: Arc::new(Lanes::new()),
        })
    }

    fn validate(&self) -> Result<(), PostgresStoreError> {
        let s = self.schema.as_bytes();
        let valid = !s.is_empty()
            && s.len() <= 63
            && !s[0].is_ascii_digit()
            && s.iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
        if !valid {
            return Err(PostgresStoreError::InvalidSchema(self.schema.clone()));
        }
        if self.max_connections == 0 {
            return Err(PostgresStoreError::InvalidOption {
                name: "max_connections",
                message: "must be at least 1".into(),
            });
        }
        if self.acquire_timeout.is_zero() || self.statement_timeout.is_some_and(|t| t.is_zero()) {
            return Err(PostgresStoreError::InvalidOption {
                name: "timeout",
                message: "must be positive".into(),
            });
        }
        Ok(())
    }
}

/// Creates the schema and runs the embedded migrations in it, on a connection that is closed
/// afterwards so that its `search_path` never leaks into a shared pool.
async fn migrate(pool: &PgPool, schema: &str) -> Result<(), PostgresStoreError> {
    let mut conn = pool.acquire().await.map_err(|e| match e {
        sqlx::Error::PoolTimedOut => {
            PostgresStoreError::Timeout(pool.options().get_acquire_timeout())
        }
        e => PostgresStoreError::Connect(e),
    })?;
    let result = async {
        if let Err(e) = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .execute(&mut *conn)
            .await
        {
            // Two stores creating the schema at once: one of them loses the race, harmlessly.
            let raced = matches!(&e, sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("42P06" | "23505")));
            if !raced {
                return Err(PostgresStoreError::Query(e));
            }
        }
        sqlx::query(&format!("SET search_path TO \"{schema}\""))
            .execute(&mut *conn)
            .await
            .map_err(PostgresStoreError::Query)?;
        MIGRATOR.run(&mut *conn).await?;
        Ok(())
    }
    .await;
    conn.close_on_drop();
    result
}

/// A [`UsageStore`] in PostgreSQL. Cheap to clone (shares the pool).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    statements: Arc<Statements>,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
    retention: chrono::Duration,
    /// When to purge ended periods next (callers' time).
    purge_schedule: Arc<PurgeSchedule>,
    /// Admissions waiting for the next round trip of their lane (see
    /// [`group_commit`](ai_ratelimit_core::group_commit)).
    admissions: Arc<Lanes<AdmitRequest, AdmitResult>>,
}

/// What a queued admission is answered with.
type AdmitResult = Result<AdmitRow, StoreError>;

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The row an admission returns: admitted, requests, tokens, reservation id, reserved tokens.
type AdmitRow = (bool, i64, i64, i64, i64);

/// The row of a capped admission: the identity's [`AdmitRow`], then the scope's (`NULL`
/// when the identity's own limits denied).
type CappedRow = (
    bool,
    i64,
    i64,
    i64,
    i64,
    Option<bool>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// An admission statement with the parameters both admission statements share.
fn admit_query<'q>(
    sql: &'q str,
    request: &'q AdmitRequest,
    period_id: &'q str,
    keep: bool,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, AdmitRow, sqlx::postgres::PgArguments> {
    let key = &request.key;
    sqlx::query_as(sql)
        .bind(&*key.scope)
        .bind(period_id)
        .bind(&*key.identity)
        .bind(request.tier.as_deref())
        .bind(to_i64(request.reserve_tokens))
        .bind(request.reservation_expires_at)
        .bind(request.now)
        .bind(request.request_limit.map(to_i64))
        .bind(request.token_limit.map(to_i64))
        .bind(keep)
}

fn reservation_id(reservation: &Reservation) -> Result<i64, StoreError> {
    i64::try_from(reservation.id)
        .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))
}

/// Whether an admitted request's reservation is stored: one without tokens, or expired
/// already, would never count.
fn keeps_reservation(request: &AdmitRequest) -> bool {
    request.reserve_tokens > 0 && request.reservation_expires_at > request.now
}

/// The batches of admissions (a marker: the store's lanes and batch statement).
struct Admissions;

impl BatchSender for Admissions {
    type Store = PostgresStore;
    type Job = AdmitRequest;
    type Answer = AdmitResult;

    fn lanes(store: &PostgresStore) -> &Lanes<AdmitRequest, AdmitResult> {
        &store.admissions
    }

    fn send(
        store: &PostgresStore,
        lane: u64,
        batch: Vec<Waiter<AdmitRequest, AdmitResult>>,
    ) -> impl Future<Output = ()> + Send {
        store.admit_batch(lane, batch)
    }
}

impl PostgresStore {
    /// Connects with default [`PostgresStoreOptions`] and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, PostgresStoreError> {
        PostgresStoreOptions::new().connect(url).await
    }

    /// Builds the store on an existing pool with default options (runs the migrations in
    /// schema `ai_ratelimit`).
    pub async fn from_pool(pool: PgPool) -> Result<Self, PostgresStoreError> {
        PostgresStoreOptions::new().with_pool(pool).await
    }

    /// Options to build a store with.
    pub fn options() -> PostgresStoreOptions {
        PostgresStoreOptions::new()
    }

    /// The pool the store runs on.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Deletes the counters of every period that ended at or before `cutoff`; returns how
    /// many rows were deleted. Admissions call it by themselves about once an hour with
    /// `now - retention`.
    pub async fn purge_before(&self, cutoff: DateTime<Utc>) -> Result<u64, PostgresStoreError> {
        sqlx::query(&self.statements.purge)
            .bind(cutoff)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: sqlx::Error) -> PostgresStoreError {
        classify(e, self.acquire_timeout, self.statement_timeout)
    }

    fn store_error(&self, e: sqlx::Error) -> StoreError {
        self.error(e).into()
    }

    /// One admission on its own: one statement (two for the first of a counter).
    async fn admit_one(&self, request: &AdmitRequest) -> Result<AdmitRow, StoreError> {
        let key = &request.key;
        // A reservation without tokens, or expired already, would never count: not stored.
        let keep = keeps_reservation(request);
        let period_id = key.period.id();
        // The common case is one UPDATE; only the first admission of an identity in a period
        // finds no row and goes on to the insertion (each statement is atomic on its own, and
        // an update that found no row changed nothing).
        let updated: Option<AdmitRow> =
            admit_query(&self.statements.admit_update, request, &period_id, keep)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.store_error(e))?;
        match updated {
            Some(row) => Ok(row),
            None => admit_query(&self.statements.admit_insert, request, &period_id, keep)
                .bind(key.period.end())
                .bind(request.fits(&Usage::default()))
                .fetch_one(&self.pool)
                .await
                .map_err(|e| self.store_error(e)),
        }
    }

    /// An admission capped project-wide: one call of `airl_admit_capped`.
    async fn admit_capped(&self, request: &AdmitRequest) -> Result<AdmitOutcome, StoreError> {
        let key = &request.key;
        let cap = request.scope_cap.unwrap_or_default();
        let period_id = key.period.id();
        let row: CappedRow = sqlx::query_as(&self.statements.admit_capped)
            .bind(&*key.scope)
            .bind(&period_id)
            .bind(&*key.identity)
            .bind(request.tier.as_deref())
            .bind(to_i64(request.reserve_tokens))
            .bind(request.reservation_expires_at)
            .bind(request.now)
            .bind(request.request_limit.map(to_i64))
            .bind(request.token_limit.map(to_i64))
            .bind(keeps_reservation(request))
            .bind(key.period.end())
            .bind(request.fits(&Usage::default()))
            .bind(cap.request_limit.map(to_i64))
            .bind(cap.token_limit.map(to_i64))
            .bind(cap.fits(&Usage::default()))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.store_error(e))?;
        let (admitted, requests, tokens, seq, live, scope_admitted, sr, st, sseq, slive) = row;
        let usage = Usage {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            reserved_tokens: to_u64(live),
        };
        let scope_usage = Usage {
            requests: to_u64(sr.unwrap_or(0)),
            tokens: to_u64(st.unwrap_or(0)),
            reserved_tokens: to_u64(slive.unwrap_or(0)),
        };
        Ok(match (admitted, scope_admitted) {
            (true, Some(true)) => AdmitOutcome::Admitted {
                reservation: Reservation {
                    key: key.clone(),
                    id: to_u64(seq),
                    tokens: request.reserve_tokens,
                    scope_id: sseq.map(to_u64),
                },
                usage,
                scope_usage: Some(scope_usage),
            },
            (false, Some(false)) => AdmitOutcome::ScopeDenied { usage, scope_usage },
            (false, None) => AdmitOutcome::Denied { usage },
            _ => {
                return Err(StoreError::Data(
                    "a capped admission counted in only one of its rows".into(),
                ));
            }
        })
    }

    /// Runs a settlement or release statement on `key`'s row for reservation `id`.
    async fn on_reservation(
        &self,
        sql: &str,
        key: ai_ratelimit_core::UsageKeyRef<'_>,
        id: i64,
        tokens: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut query = sqlx::query(sql)
            .bind(key.scope)
            .bind(key.period.id())
            .bind(key.identity)
            .bind(id);
        if let Some(tokens) = tokens {
            query = query.bind(to_i64(tokens));
        }
        query
            .execute(&self.pool)
            .await
            .map_err(|e| self.store_error(e))?;
        Ok(())
    }

    /// Runs queued admissions of `lane` in one round trip (one transaction) and answers each
    /// caller.
    async fn admit_batch(&self, lane: u64, batch: Vec<Waiter<AdmitRequest, AdmitResult>>) {
        let mut keyed: Vec<(String, Waiter<AdmitRequest, AdmitResult>)> = batch
            .into_iter()
            .map(|w| (w.job.key.period.id(), w))
            .collect();
        // One order of keys for every batch of every instance: two batches never wait for
        // each other's row locks in a cycle. Stable, so one key's admissions keep their order.
        keyed.sort_by(|(pa, a), (pb, b)| {
            let (a, b) = (&a.job.key, &b.job.key);
            (&*a.scope, pa, &*a.identity).cmp(&(&*b.scope, pb, &*b.identity))
        });
        let (period_ids, batch): (Vec<String>, Vec<_>) = keyed.into_iter().unzip();
        let rows = self.send_batch(&batch, &period_ids).await;
        match rows {
            Ok(rows) if rows.len() == batch.len() => {
                for (waiter, row) in batch.into_iter().zip(rows) {
                    // A caller that went away meanwhile needs no answer.
                    let _ = waiter.reply.send(Ok(row));
                }
            }
            // Bad input in one admission (e.g. a NUL byte) fails the whole statement, which
            // then changed nothing: each admission goes again on its own, for its own answer.
            Err(PostgresStoreError::Data(_)) => {
                for waiter in batch {
                    let result = self.admit_one(&waiter.job).await;
                    let _ = waiter.reply.send(result);
                }
            }
            Ok(rows) => {
                let error = StoreError::Data(format!(
                    "a batch of {} admissions returned {} rows",
                    batch.len(),
                    rows.len()
                ));
                for waiter in batch {
                    let _ = waiter.reply.send(Err(error.clone()));
                }
            }
            Err(e) => self.admissions.fail(lane, batch, StoreError::from(e)),
        }
    }

    /// The batch statement: `airl_admit_batch` over one array per parameter, in batch order.
    async fn send_batch(
        &self,
        batch: &[Waiter<AdmitRequest, AdmitResult>],
        period_ids: &[String],
    ) -> Result<Vec<AdmitRow>, PostgresStoreError> {
        let requests = || batch.iter().map(|w| &w.job);
        let scopes: Vec<&str> = requests().map(|r| &*r.key.scope).collect();
        let identities: Vec<&str> = requests().map(|r| &*r.key.identity).collect();
        let tiers: Vec<Option<&str>> = requests().map(|r| r.tier.as_deref()).collect();
        let reserves: Vec<i64> = requests().map(|r| to_i64(r.reserve_tokens)).collect();
        let expiries: Vec<DateTime<Utc>> = requests().map(|r| r.reservation_expires_at).collect();
        let nows: Vec<DateTime<Utc>> = requests().map(|r| r.now).collect();
        let request_limits: Vec<Option<i64>> =
            requests().map(|r| r.request_limit.map(to_i64)).collect();
        let token_limits: Vec<Option<i64>> =
            requests().map(|r| r.token_limit.map(to_i64)).collect();
        let keeps: Vec<bool> = requests().map(keeps_reservation).collect();
        let period_ends: Vec<DateTime<Utc>> = requests().map(|r| r.key.period.end()).collect();
        let fits: Vec<bool> = requests().map(|r| r.fits(&Usage::default())).collect();
        sqlx::query_as(&self.statements.admit_batch)
            .bind(scopes)
            .bind(period_ids)
            .bind(identities)
            .bind(tiers)
            .bind(reserves)
            .bind(expiries)
            .bind(nows)
            .bind(request_limits)
            .bind(token_limits)
            .bind(keeps)
            .bind(period_ends)
            .bind(fits)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(e))
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

impl UsageStore for PostgresStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        // Kept beyond this call (a queued batch, the reservation): owned.
        let request = &request.to_owned_request();
        let key = &request.key;
        if request.scope_cap.is_some() {
            // One function call, not batched: it locks the scope's row (see its migration).
            let outcome = self.admit_capped(request).await;
            self.maybe_purge(request.now);
            return outcome;
        }
        let lane = admission_lane(key);
        let row = match self.admissions.enter(lane, || request.clone()) {
            Entry::Lead => {
                let _turn = Turn::<Admissions>::new(self, lane);
                self.admit_one(request).await?
            }
            Entry::Queued(result) => result.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the admission's batch was dropped (runtime shutting down)".into(),
                ))
            })?,
        };
        self.maybe_purge(request.now);
        let (admitted, requests, tokens, seq, reserved) = row;
        let usage = Usage {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            reserved_tokens: to_u64(reserved),
        };
        Ok(if admitted {
            AdmitOutcome::Admitted {
                reservation: Reservation {
                    key: key.clone(),
                    id: to_u64(seq),
                    tokens: request.reserve_tokens,
                    scope_id: None,
                },
                usage,
                scope_usage: None,
            }
        } else {
            AdmitOutcome::Denied { usage }
        })
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        let id = reservation_id(reservation)?;
        let sql = &self.statements.settle;
        self.on_reservation(sql, reservation.key.as_ref(), id, Some(tokens))
            .await?;
        if let Some(scope_id) = reservation.scope_id {
            let scope_id = i64::try_from(scope_id)
                .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))?;
            self.on_reservation(sql, reservation.scope_key(), scope_id, Some(tokens))
                .await?;
        }
        Ok(())
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        let id = reservation_id(reservation)?;
        let sql = &self.statements.release;
        self.on_reservation(sql, reservation.key.as_ref(), id, None)
            .await?;
        if let Some(scope_id) = reservation.scope_id {
            let scope_id = i64::try_from(scope_id)
                .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))?;
            self.on_reservation(sql, reservation.scope_key(), scope_id, None)
                .await?;
        }
        Ok(())
    }

    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        let key = key.key();
        let row: Option<(i64, i64, i64)> = sqlx::query_as(&self.statements.usage)
            .bind(key.scope)
            .bind(key.period.id())
            .bind(key.identity)
            .bind(now)
            .fetch_optional(&self.pool)
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
            None => sqlx::query_as(&self.statements.list_first),
            Some(_) => sqlx::query_as(&self.statements.list_after),
        }
        .bind(scope)
        .bind(period.id())
        .bind(fetch);
        let query = match &cursor {
            None => query,
            Some(c) => query.bind(to_i64(c.requests)).bind(c.identity.as_str()),
        };
        let rows: Vec<(String, Option<String>, i64, i64)> = query
            .fetch_all(&self.pool)
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
        let (requests, tokens, identities): (i64, i64, i64) =
            sqlx::query_as(&self.statements.totals)
                .bind(scope)
                .bind(period.id())
                .fetch_one(&self.pool)
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
        sqlx::query(&self.statements.forget)
            .bind(key.scope)
            .bind(key.period.id())
            .bind(key.identity)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| self.store_error(e))
    }
}
