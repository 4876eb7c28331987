//! [`RedisStore`]: the [`UsageStore`] over one Redis server's connection manager or a Redis
//! Cluster's connection.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::group_commit::{BatchSender, Entry, Lanes, Turn, Waiter, admission_lane};
use ai_ratelimit_core::store::ListingCursor;
use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, IdentityUsage, PageRequest, Period, PeriodTotals,
    Reservation, StoreError, Usage, UsageKey, UsagePage, UsageStore,
};
use chrono::{DateTime, Utc};

use crate::connection::RedisConnection;
use crate::error::RedisStoreError;
use crate::keys::{KeySpace, PeriodKeys};
use crate::options::RedisStoreOptions;
use crate::scripts::Scripts;

/// Largest count the scripts handle exactly (Lua numbers are doubles).
const MAX_EXACT: u64 = (1 << 53) - 1;

/// Changed identities read (`SSCAN COUNT`) and rewritten (one script call) at a time.
const SYNC_CHUNK: usize = 500;

/// A [`UsageStore`] in Redis, shared by any number of processes.
///
/// Cheap to clone: clones share one multiplexed connection, which reconnects by itself
/// after a failure. Every call is bounded by the call timeout; a call cut by a lost
/// connection fails (it is never retried, since an admission may already have counted).
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConnection,
    keys: KeySpace,
    scripts: Arc<Scripts>,
    call_timeout: Duration,
    retention_ms: i64,
    /// Admissions waiting for their lane's call in flight (see
    /// [`group_commit`](ai_ratelimit_core::group_commit)).
    admissions: Arc<Lanes<AdmitRequest, AdmitAnswer>>,
    /// Settlements and releases waiting for their lane's call: they run after the response,
    /// so batching them saves work (a script call each) rather than time.
    settlements: Arc<Lanes<Settlement, SettleAnswer>>,
}

/// An admission's answer from the script: admitted or not, and the counter's state after it.
type AdmitAnswer = Result<(bool, CounterState), StoreError>;

/// The batches of admissions (a marker: the store's lanes and batch script call).
struct Admissions;

impl BatchSender for Admissions {
    type Store = RedisStore;
    type Job = AdmitRequest;
    type Answer = AdmitAnswer;

    fn lanes(store: &RedisStore) -> &Lanes<AdmitRequest, AdmitAnswer> {
        &store.admissions
    }

    fn send(
        store: &RedisStore,
        lane: u64,
        batch: Vec<Waiter<AdmitRequest, AdmitAnswer>>,
    ) -> impl Future<Output = ()> + Send {
        store.admit_batch(lane, batch)
    }
}

/// A settlement or release of a reservation, as it waits for its lane's call.
#[derive(Debug, Clone)]
struct Settlement {
    key: UsageKey,
    /// The reservation's counter-hash field, and its tokens.
    member: String,
    reserved: u64,
    /// The tokens used (none for a release).
    tokens: u64,
    release: bool,
}

type SettleAnswer = Result<(), StoreError>;

/// The batches of settlements and releases.
struct Settlements;

impl BatchSender for Settlements {
    type Store = RedisStore;
    type Job = Settlement;
    type Answer = SettleAnswer;

    fn lanes(store: &RedisStore) -> &Lanes<Settlement, SettleAnswer> {
        &store.settlements
    }

    fn send(
        store: &RedisStore,
        lane: u64,
        batch: Vec<Waiter<Settlement, SettleAnswer>>,
    ) -> impl Future<Output = ()> + Send {
        store.settle_batch(lane, batch)
    }
}

impl fmt::Debug for RedisStore {
    // The connection holds the URL, which may carry a password: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("keys", &self.keys)
            .field("call_timeout", &self.call_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects with default options (key prefix `airl`); fails if Redis cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, RedisStoreError> {
        Self::connect_with(url, RedisStoreOptions::default()).await
    }

    /// Connects with `options`; fails if Redis cannot be reached within the call timeout.
    pub async fn connect_with(
        url: &str,
        options: RedisStoreOptions,
    ) -> Result<Self, RedisStoreError> {
        let store = Self::connect_lazy(url, options)?;
        let mut conn = store.conn.clone();
        let ping = redis::cmd("PING");
        match tokio::time::timeout(store.call_timeout, ping.query_async::<()>(&mut conn)).await {
            Ok(Ok(())) => Ok(store),
            Ok(Err(e)) => Err(RedisStoreError::Connect(e)),
            Err(_) => Err(RedisStoreError::Timeout(store.call_timeout)),
        }
    }

    /// A store that connects on its first call (so a process can start while Redis is down;
    /// calls fail with [`StoreError`] until it is reachable). Fails only on a bad URL.
    pub fn connect_lazy(url: &str, options: RedisStoreOptions) -> Result<Self, RedisStoreError> {
        let conn = RedisConnection::lazy(url, &options)?;
        Ok(Self {
            conn,
            keys: KeySpace::new(&options.key_prefix),
            scripts: Arc::new(Scripts::new()),
            call_timeout: options.call_timeout,
            retention_ms: i64::try_from(options.retention.as_millis()).unwrap_or(i64::MAX),
            admissions: Arc::new(Lanes::new()),
            settlements: Arc::new(Lanes::new()),
        })
    }

    /// The connection this store uses, e.g. to measure the same client's ceiling.
    pub fn connection(&self) -> RedisConnection {
        self.conn.clone()
    }

    /// Runs one Redis call under the call timeout.
    async fn run<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RedisStoreError> {
        match tokio::time::timeout(self.call_timeout, call).await {
            Ok(result) => result.map_err(|e| RedisStoreError::from_call(e, self.call_timeout)),
            Err(_) => Err(RedisStoreError::Timeout(self.call_timeout)),
        }
    }

    /// Runs admissions of one scope and period, in order, in one script call: the call's
    /// error, or each admission's answer.
    async fn admit_in_order(
        &self,
        requests: &[&AdmitRequest],
    ) -> Result<Vec<AdmitAnswer>, RedisStoreError> {
        let Some(first) = requests.first() else {
            return Ok(Vec::new());
        };
        let keys = self.keys.period(&first.key.scope, &first.key.period);
        let mut invocation = self.scripts.admit.prepare_invoke();
        invocation
            .key(keys.index())
            .key(keys.totals())
            .key(keys.changed());
        for request in requests {
            invocation.key(keys.counter(&request.key.identity));
        }
        for request in requests {
            invocation
                .arg(admission_numbers(
                    request,
                    self.ttl_ms(&request.key.period, request.now),
                ))
                .arg(&*request.key.identity);
        }
        let mut conn = self.conn.clone();
        let replies: Vec<Vec<u8>> = self.run(invocation.invoke_async(&mut conn)).await?;
        if replies.len() != requests.len() {
            return Err(RedisStoreError::Data(format!(
                "{} admissions answered {} times",
                requests.len(),
                replies.len()
            )));
        }
        Ok(replies
            .into_iter()
            .map(|reply| match reply.split_first() {
                Some((b'+', state)) => Ok((true, CounterState::decode(state)?)),
                Some((b'-', state)) => Ok((false, CounterState::decode(state)?)),
                Some((b'!', message)) => Err(StoreError::Data(format!(
                    "admission failed in Redis: {}",
                    String::from_utf8_lossy(message)
                ))),
                _ => Err(StoreError::Data("admission answer without outcome".into())),
            })
            .collect())
    }

    /// An admission capped project-wide: one `admit_capped` script call.
    async fn admit_capped(&self, request: &AdmitRequest) -> Result<AdmitOutcome, RedisStoreError> {
        let keys = self.keys.period(&request.key.scope, &request.key.period);
        let cap = request.scope_cap.unwrap_or_default();
        let limit = |l: Option<u64>| l.map_or(-1.0, |l| exact(l) as f64);
        let mut caps = Vec::with_capacity(16);
        caps.extend_from_slice(&limit(cap.request_limit).to_le_bytes());
        caps.extend_from_slice(&limit(cap.token_limit).to_le_bytes());
        let mut invocation = self.scripts.admit_capped.prepare_invoke();
        invocation
            .key(keys.index())
            .key(keys.totals())
            .key(keys.changed())
            .key(keys.counter(&request.key.identity))
            .key(keys.counter(ai_ratelimit_core::SCOPE_IDENTITY))
            .arg(admission_numbers(
                request,
                self.ttl_ms(&request.key.period, request.now),
            ))
            .arg(&*request.key.identity)
            .arg(caps);
        let mut conn = self.conn.clone();
        let replies: Vec<Vec<u8>> = self.run(invocation.invoke_async(&mut conn)).await?;
        let [identity, scope] = replies.as_slice() else {
            return Err(RedisStoreError::Data(format!(
                "a capped admission answered {} values",
                replies.len()
            )));
        };
        let (admitted, state) = match identity.split_first() {
            Some((b'+', state)) => (true, CounterState::decode(state)?),
            Some((b'-', state)) => (false, CounterState::decode(state)?),
            _ => {
                return Err(RedisStoreError::Data(
                    "admission answer without outcome".into(),
                ));
            }
        };
        let usage = state.usage();
        Ok(match (admitted, scope.split_first()) {
            (true, Some((b'+', scope_state))) => {
                let scope_state = CounterState::decode(scope_state)?;
                AdmitOutcome::Admitted {
                    reservation: Reservation {
                        key: request.key.clone(),
                        id: state.last_id,
                        tokens: request.reserve_tokens,
                        scope_id: Some(scope_state.last_id),
                    },
                    usage,
                    scope_usage: Some(scope_state.usage()),
                }
            }
            (false, Some((b'-', scope_state))) => AdmitOutcome::ScopeDenied {
                usage,
                scope_usage: CounterState::decode(scope_state)?.usage(),
            },
            (false, None) => AdmitOutcome::Denied { usage },
            _ => {
                return Err(RedisStoreError::Data(
                    "a capped admission counted in only one counter".into(),
                ));
            }
        })
    }

    /// Settles (or with `release`, releases) the scope's share of a capped reservation.
    async fn on_scope_reservation(
        &self,
        reservation: &Reservation,
        tokens: u64,
        release: bool,
    ) -> Result<(), RedisStoreError> {
        let Some(scope_id) = reservation.scope_id else {
            return Ok(());
        };
        let keys = self
            .keys
            .period(&reservation.key.scope, &reservation.key.period);
        let mut invocation = self.scripts.scope_settle.prepare_invoke();
        invocation
            .key(keys.counter(ai_ratelimit_core::SCOPE_IDENTITY))
            .arg(scope_id.to_string())
            .arg(exact(reservation.tokens))
            .arg(exact(tokens))
            .arg(if release { "1" } else { "0" });
        let mut conn = self.conn.clone();
        self.run(invocation.invoke_async::<i64>(&mut conn)).await?;
        Ok(())
    }

    /// Sends queued admissions of `lane` (one script call per scope and period: two share
    /// a lane only on a hash collision) and answers each caller.
    async fn admit_batch(&self, lane: u64, batch: Vec<Waiter<AdmitRequest, AdmitAnswer>>) {
        for group in by_scope_and_period(batch, |request| &request.key) {
            let requests: Vec<&AdmitRequest> = group.iter().map(|w| &w.job).collect();
            match self.admit_in_order(&requests).await {
                Ok(answers) => {
                    for (waiter, answer) in group.into_iter().zip(answers) {
                        // A caller that went away meanwhile needs no answer.
                        let _ = waiter.reply.send(answer);
                    }
                }
                Err(e) => self.admissions.fail(lane, group, StoreError::from(e)),
            }
        }
    }

    /// Sends queued settlements and releases of `lane` (one script call per scope and
    /// period) and answers each caller.
    async fn settle_batch(&self, lane: u64, batch: Vec<Waiter<Settlement, SettleAnswer>>) {
        for group in by_scope_and_period(batch, |settlement| &settlement.key) {
            let jobs: Vec<&Settlement> = group.iter().map(|w| &w.job).collect();
            match self.settle_in_order(&jobs).await {
                Ok(()) => {
                    for waiter in group {
                        let _ = waiter.reply.send(Ok(()));
                    }
                }
                Err(e) => self.settlements.fail(lane, group, StoreError::from(e)),
            }
        }
    }

    /// Settles and releases reservations of one scope and period in one script call.
    async fn settle_in_order(&self, jobs: &[&Settlement]) -> Result<(), RedisStoreError> {
        let Some(first) = jobs.first() else {
            return Ok(());
        };
        let keys = self.keys.period(&first.key.scope, &first.key.period);
        let mut invocation = self.scripts.settle.prepare_invoke();
        invocation.key(keys.totals()).key(keys.changed());
        for job in jobs {
            invocation.key(keys.counter(&job.key.identity));
        }
        for job in jobs {
            invocation
                .arg(&job.member)
                .arg(job.reserved)
                .arg(exact(job.tokens))
                .arg(if job.release { "1" } else { "0" })
                .arg(&*job.key.identity);
        }
        let mut conn = self.conn.clone();
        self.run(invocation.invoke_async::<i64>(&mut conn)).await?;
        Ok(())
    }

    /// Settles (or with `release`, releases) a reservation: batched with the others of its
    /// lane, or on its own with the scope's share when capped project-wide.
    async fn settle_or_release(
        &self,
        reservation: &Reservation,
        tokens: u64,
        release: bool,
    ) -> Result<(), StoreError> {
        let (member, reserved) = reservation_member(reservation);
        let job = Settlement {
            key: reservation.key.clone(),
            member,
            reserved,
            tokens,
            release,
        };
        if reservation.scope_id.is_some() {
            self.settle_in_order(&[&job]).await?;
            self.on_scope_reservation(reservation, tokens, release)
                .await?;
            return Ok(());
        }
        let lane = admission_lane(&job.key);
        match self.settlements.enter(lane, || job.clone()) {
            Entry::Lead => {
                let _turn = Turn::<Settlements>::new(self, lane);
                Ok(self.settle_in_order(&[&job]).await?)
            }
            Entry::Queued(answer) => answer.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the settlement's batch was dropped (runtime shutting down)".into(),
                ))
            }),
        }
    }

    /// Rewrites the listing entries (and the totals) of every identity marked changed since
    /// the last read: admissions and releases mark identities instead of updating the index.
    /// Identities marked while this runs may be left for the next read.
    async fn sync_listing(&self, keys: &PeriodKeys) -> Result<(), RedisStoreError> {
        let (index, totals, changed) = (keys.index(), keys.totals(), keys.changed());
        let mut conn = self.conn.clone();
        let mut cursor = 0u64;
        loop {
            let (next, identities): (u64, Vec<String>) = self
                .run(
                    redis::cmd("SSCAN")
                        .arg(&changed)
                        .arg(cursor)
                        .arg("COUNT")
                        .arg(SYNC_CHUNK)
                        .query_async(&mut conn),
                )
                .await?;
            // SSCAN of a large set may return more than COUNT: bound each script call.
            for chunk in identities.chunks(SYNC_CHUNK) {
                let mut invocation = self.scripts.sync.prepare_invoke();
                invocation.key(&index).key(&totals).key(&changed);
                for identity in chunk {
                    invocation.key(keys.counter(identity));
                }
                for identity in chunk {
                    invocation.arg(identity);
                }
                self.run(invocation.invoke_async::<i64>(&mut conn)).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// Rank in the listing index of the first entry after `cursor`.
    async fn listing_start(
        &self,
        index: &str,
        cursor: &ListingCursor,
    ) -> Result<usize, RedisStoreError> {
        let score = format!("-{}", cursor.requests);
        let mut conn = self.conn.clone();
        let (current, rank): (Option<f64>, Option<usize>) = self
            .run(
                redis::pipe()
                    .cmd("ZSCORE")
                    .arg(index)
                    .arg(&cursor.identity)
                    .cmd("ZRANK")
                    .arg(index)
                    .arg(&cursor.identity)
                    .query_async(&mut conn),
            )
            .await?;
        if let (Some(current), Some(rank)) = (current, rank)
            && current == -(cursor.requests as f64)
        {
            return Ok(rank + 1);
        }
        // The cursor's identity changed since the page was read: count the entries ordered
        // before (requests, identity) — more requests, or as many and a smaller identity.
        let mut start: usize = self
            .run(
                redis::cmd("ZCOUNT")
                    .arg(index)
                    .arg("-inf")
                    .arg(format!("({score}"))
                    .query_async(&mut conn),
            )
            .await?;
        const CHUNK: usize = 1000;
        let mut offset = 0;
        loop {
            let tied: Vec<String> = self
                .run(
                    redis::cmd("ZRANGEBYSCORE")
                        .arg(index)
                        .arg(&score)
                        .arg(&score)
                        .arg("LIMIT")
                        .arg(offset)
                        .arg(CHUNK)
                        .query_async(&mut conn),
                )
                .await?;
            let before = tied
                .iter()
                .take_while(|m| m.as_str() <= cursor.identity.as_str())
                .count();
            start += before;
            if before < tied.len() || tied.len() < CHUNK {
                return Ok(start);
            }
            offset += CHUNK;
        }
    }

    /// Key lifetime from `now`: until the period ends, plus the retention.
    fn ttl_ms(&self, period: &Period, now: DateTime<Utc>) -> i64 {
        (period.end() - now)
            .num_milliseconds()
            .max(0)
            .saturating_add(self.retention_ms)
            .max(1)
    }
}

/// Microseconds since the epoch: exact in a Redis score (a double) until year 2255.
fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn exact(n: u64) -> u64 {
    n.min(MAX_EXACT)
}

/// Splits a batch into jobs of one scope and period each (one script call each: they share
/// the scope's slot and the period's listing keys), keeping their order.
fn by_scope_and_period<J, R>(
    batch: Vec<Waiter<J, R>>,
    key: impl Fn(&J) -> &UsageKey,
) -> Vec<Vec<Waiter<J, R>>> {
    let mut groups: Vec<Vec<Waiter<J, R>>> = Vec::with_capacity(1);
    for waiter in batch {
        let k = key(&waiter.job);
        match groups.iter_mut().find(|g| {
            let first = key(&g[0].job);
            first.scope == k.scope && first.period == k.period
        }) {
            Some(group) => group.push(waiter),
            None => groups.push(vec![waiter]),
        }
    }
    groups
}

/// An admission's first script argument: `struct.pack('<dddddd', now, request limit, token
/// limit, tokens to reserve, reservation expiry, key TTL)`, a limit of -1 meaning none, then
/// the tier (`=` followed by it; empty: none). Doubles are exact up to 2^53: counts and limits
/// beyond are clamped there, which no count reaches.
fn admission_numbers(request: &AdmitRequest, ttl_ms: i64) -> Vec<u8> {
    let limit = |l: Option<u64>| l.map_or(-1.0, |l| exact(l) as f64);
    let numbers = [
        micros(request.now) as f64,
        limit(request.request_limit),
        limit(request.token_limit),
        exact(request.reserve_tokens) as f64,
        micros(request.reservation_expires_at) as f64,
        ttl_ms as f64,
    ];
    let tier = request.tier.as_deref();
    let mut packed = Vec::with_capacity(CounterState::NUMBERS + tier.map_or(0, |t| t.len() + 1));
    for n in numbers {
        packed.extend_from_slice(&n.to_le_bytes());
    }
    if let Some(tier) = tier {
        packed.push(b'=');
        packed.extend_from_slice(tier.as_bytes());
    }
    packed
}

/// A counter's state field `s`: six little-endian doubles (requests, settled tokens,
/// reserved tokens, last reservation id, earliest-expiry bound, changed mark), then the tier
/// (`=` followed by it; empty: none).
#[derive(Debug)]
struct CounterState {
    requests: u64,
    tokens: u64,
    reserved: u64,
    last_id: u64,
    tier: Option<String>,
}

impl CounterState {
    const NUMBERS: usize = 48;

    fn decode(raw: &[u8]) -> Result<Self, RedisStoreError> {
        if raw.len() < Self::NUMBERS {
            return Err(RedisStoreError::Data(format!(
                "counter state of {} bytes",
                raw.len()
            )));
        }
        let number = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&raw[at * 8..at * 8 + 8]);
            // Whole numbers in [0, 2^53]; anything else would be a foreign value.
            f64::from_le_bytes(bytes).max(0.0) as u64
        };
        let tier = match &raw[Self::NUMBERS..] {
            [] => None,
            [b'=', tier @ ..] => Some(String::from_utf8_lossy(tier).into_owned()),
            _ => return Err(RedisStoreError::Data("counter state tier".into())),
        };
        Ok(Self {
            requests: number(0),
            tokens: number(1),
            reserved: number(2),
            last_id: number(3),
            tier,
        })
    }

    fn usage(&self) -> Usage {
        Usage {
            requests: self.requests,
            tokens: self.tokens,
            reserved_tokens: self.reserved,
        }
    }
}

fn count(reply: &[i64], at: usize) -> Result<u64, RedisStoreError> {
    reply
        .get(at)
        .map(|n| u64::try_from(*n).unwrap_or(0))
        .ok_or_else(|| {
            RedisStoreError::Data(format!("short script reply ({} values)", reply.len()))
        })
}

fn usage_of(reply: &[i64], from: usize) -> Result<Usage, RedisStoreError> {
    Ok(Usage {
        requests: count(reply, from)?,
        tokens: count(reply, from + 1)?,
        reserved_tokens: count(reply, from + 2)?,
    })
}

/// The counter-hash field of a reservation (its id), and its tokens.
fn reservation_member(reservation: &Reservation) -> (String, u64) {
    (reservation.id.to_string(), exact(reservation.tokens))
}

impl UsageStore for RedisStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        // Kept beyond this call (a queued batch, the reservation): owned.
        let request = &request.to_owned_request();
        if request.scope_cap.is_some() {
            // One script on the scope's slot, not batched (see `Scripts::admit_capped`).
            return Ok(self.admit_capped(request).await?);
        }
        let lane = admission_lane(&request.key);
        let (admitted, state) = match self.admissions.enter(lane, || request.clone()) {
            Entry::Lead => {
                let _turn = Turn::<Admissions>::new(self, lane);
                let mut answers = self.admit_in_order(&[request]).await?;
                answers
                    .pop()
                    .unwrap_or_else(|| Err(StoreError::Data("admission unanswered".into())))?
            }
            Entry::Queued(answer) => answer.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the admission's batch was dropped (runtime shutting down)".into(),
                ))
            })?,
        };
        let usage = state.usage();
        Ok(if admitted {
            AdmitOutcome::Admitted {
                reservation: Reservation {
                    key: request.key.clone(),
                    id: state.last_id,
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
        self.settle_or_release(reservation, tokens, false).await
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        self.settle_or_release(reservation, 0, true).await
    }

    async fn forget<K: AsUsageKey>(&self, key: &K) -> Result<(), StoreError> {
        let key = &key.to_owned_key();
        let keys = self.keys.identity(key);
        let index = self.keys.period(&key.scope, &key.period).index();
        let mut invocation = self.scripts.forget.prepare_invoke();
        invocation
            .key(&keys.counter)
            .key(&index)
            .key(&keys.totals)
            .key(&keys.changed)
            .arg(&*key.identity);
        let mut conn = self.conn.clone();
        self.run(invocation.invoke_async::<i64>(&mut conn)).await?;
        Ok(())
    }

    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        let key = &key.to_owned_key();
        let keys = self.keys.identity(key);
        let mut invocation = self.scripts.usage.prepare_invoke();
        invocation.key(&keys.counter).arg(micros(now));
        let mut conn = self.conn.clone();
        let reply: Vec<i64> = self.run(invocation.invoke_async(&mut conn)).await?;
        Ok(usage_of(&reply, 0)?)
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
        let keys = self.keys.period(scope, period);
        self.sync_listing(&keys).await?;
        let index = keys.index();
        let start = match &cursor {
            Some(c) => self.listing_start(&index, c).await?,
            None => 0,
        };
        let mut conn = self.conn.clone();
        let ranked: Vec<(String, f64)> = self
            .run(
                redis::cmd("ZRANGE")
                    .arg(&index)
                    .arg(start)
                    .arg(start + limit)
                    .arg("WITHSCORES")
                    .query_async(&mut conn),
            )
            .await?;
        // Scores are -requests, exact integers (counts stay below 2^53).
        let mut entries: Vec<(u64, String)> = ranked
            .into_iter()
            .map(|(identity, score)| ((-score).max(0.0) as u64, identity))
            .collect();
        let next_cursor = (entries.len() > limit).then(|| {
            let (requests, identity) = &entries[limit - 1];
            ListingCursor {
                requests: *requests,
                identity: identity.clone(),
            }
            .encode()
        });
        entries.truncate(limit);
        if entries.is_empty() {
            return Ok(UsagePage {
                items: Vec::new(),
                next_cursor,
            });
        }
        let mut details = redis::pipe();
        for (_, identity) in &entries {
            details.cmd("HGET").arg(keys.counter(identity)).arg("s");
        }
        let details: Vec<Option<Vec<u8>>> = self.run(details.query_async(&mut conn)).await?;
        let mut items = Vec::with_capacity(entries.len());
        for ((requests, identity), state) in entries.into_iter().zip(details) {
            let (tokens, tier) = match state {
                Some(raw) => {
                    let state = CounterState::decode(&raw)?;
                    (state.tokens, state.tier)
                }
                None => (0, None),
            };
            items.push(IdentityUsage {
                identity,
                tier,
                requests,
                tokens,
            });
        }
        Ok(UsagePage { items, next_cursor })
    }

    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        let keys = self.keys.period(scope, period);
        self.sync_listing(&keys).await?;
        let mut conn = self.conn.clone();
        let (requests, tokens, identities): (Option<u64>, Option<u64>, Option<u64>) = self
            .run(
                redis::cmd("HMGET")
                    .arg(keys.totals())
                    .arg("r")
                    .arg("t")
                    .arg("i")
                    .query_async(&mut conn),
            )
            .await?;
        Ok(PeriodTotals {
            requests: requests.unwrap_or(0),
            tokens: tokens.unwrap_or(0),
            identities: identities.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ai_ratelimit_core::Window;
    use tokio::sync::oneshot;

    fn waiter(scope: &str, identity: &str, at: &str) -> Waiter<AdmitRequest, ()> {
        let now: DateTime<Utc> = at.parse().expect("time");
        let job = AdmitRequest {
            key: ai_ratelimit_core::UsageKey {
                scope: scope.into(),
                identity: identity.into(),
                period: Window::Day.period_at(now),
            },
            tier: None,
            request_limit: None,
            token_limit: None,
            reserve_tokens: 0,
            reservation_expires_at: now,
            now,
            scope_cap: None,
        };
        let (reply, _) = oneshot::channel();
        Waiter { job, reply }
    }

    /// Two scopes or periods share a lane only on a hash collision: their admissions still
    /// go out in separate calls (one slot and one listing per call), each in its order.
    #[test]
    fn a_batch_splits_by_scope_and_period_in_order() {
        let (day1, day2) = ("2030-01-15T10:00:00Z", "2030-01-16T10:00:00Z");
        let batch = vec![
            waiter("a", "1", day1),
            waiter("b", "2", day1),
            waiter("a", "3", day1),
            waiter("a", "4", day2),
            waiter("b", "5", day1),
        ];
        let groups: Vec<Vec<String>> = by_scope_and_period(batch, |request| &request.key)
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .map(|w| w.job.key.identity.to_string())
                    .collect()
            })
            .collect();
        assert_eq!(groups, [vec!["1", "3"], vec!["2", "5"], vec!["4"]]);
    }

    #[test]
    fn a_counter_state_decodes_and_rejects_foreign_values() {
        let mut raw = Vec::new();
        for n in [3.0f64, 40.0, 100.0, 7.0, 1.0e15, 1.0] {
            raw.extend_from_slice(&n.to_le_bytes());
        }
        let state = CounterState::decode(&raw).expect("no tier");
        assert_eq!(
            (state.requests, state.tokens, state.reserved, state.last_id),
            (3, 40, 100, 7)
        );
        assert_eq!(state.tier, None);
        raw.extend_from_slice("=pro 用户".as_bytes());
        let state = CounterState::decode(&raw).expect("tier");
        assert_eq!(state.tier.as_deref(), Some("pro 用户"));
        // An empty tier is a tier, not none.
        raw.truncate(CounterState::NUMBERS);
        raw.push(b'=');
        assert_eq!(
            CounterState::decode(&raw).expect("tier").tier.as_deref(),
            Some("")
        );
        assert!(CounterState::decode(&raw[..47]).is_err());
        assert!(CounterState::decode(b"3").is_err());
        raw.truncate(CounterState::NUMBERS);
        raw.push(b'x');
        assert!(CounterState::decode(&raw).is_err());
    }
}
