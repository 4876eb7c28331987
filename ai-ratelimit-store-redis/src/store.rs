//! [`RedisStore`]: the [`UsageStore`] over one Redis connection manager.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::store::ListingCursor;
use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, IdentityUsage, PageRequest, Period, PeriodTotals, Reservation,
    StoreError, Usage, UsageKey, UsagePage, UsageStore,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

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
    conn: ConnectionManager,
    keys: KeySpace,
    scripts: Arc<Scripts>,
    call_timeout: Duration,
    retention_ms: i64,
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
        let client = redis::Client::open(url).map_err(RedisStoreError::InvalidUrl)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(options.response_timeout))
            .set_connection_timeout(Some(options.connection_timeout))
            .set_number_of_retries(options.reconnect_retries)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(RedisStoreError::Connect)?;
        Ok(Self {
            conn,
            keys: KeySpace::new(&options.key_prefix),
            scripts: Arc::new(Scripts::new()),
            call_timeout: options.call_timeout,
            retention_ms: i64::try_from(options.retention.as_millis()).unwrap_or(i64::MAX),
        })
    }

    /// The connection this store uses, e.g. to measure the same client's ceiling.
    pub fn connection(&self) -> ConnectionManager {
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

fn limit_arg(limit: Option<u64>) -> String {
    limit.map(|l| l.to_string()).unwrap_or_default()
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

/// The counter-hash field of a reservation: `<id>:<tokens>`.
fn reservation_member(reservation: &Reservation) -> Result<(String, u64), StoreError> {
    let tokens = exact(reservation.tokens);
    Ok((format!("{}:{tokens}", reservation.id), tokens))
}

#[async_trait]
impl UsageStore for RedisStore {
    async fn admit(&self, request: &AdmitRequest) -> Result<AdmitOutcome, StoreError> {
        let key = &request.key;
        let keys = self.keys.identity(key);
        let reserve = exact(request.reserve_tokens);
        let mut invocation = self.scripts.admit.prepare_invoke();
        invocation
            .key(&keys.counter)
            .key(&keys.index)
            .key(&keys.totals)
            .key(&keys.changed)
            .arg(micros(request.now))
            .arg(limit_arg(request.request_limit))
            .arg(limit_arg(request.token_limit))
            .arg(reserve)
            .arg(micros(request.reservation_expires_at))
            .arg(
                request
                    .tier
                    .as_deref()
                    .map_or(String::new(), |t| format!("={t}")),
            )
            .arg(&*key.identity)
            .arg(self.ttl_ms(&key.period, request.now));
        let mut conn = self.conn.clone();
        let reply: Vec<i64> = self.run(invocation.invoke_async(&mut conn)).await?;
        match reply.first() {
            Some(1) => Ok(AdmitOutcome::Admitted {
                reservation: Reservation {
                    key: key.clone(),
                    id: count(&reply, 4)?,
                    tokens: request.reserve_tokens,
                },
                usage: usage_of(&reply, 1)?,
            }),
            Some(0) => Ok(AdmitOutcome::Denied {
                usage: usage_of(&reply, 1)?,
            }),
            _ => Err(RedisStoreError::Data("unexpected admit reply".into()).into()),
        }
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        let (member, reserved) = reservation_member(reservation)?;
        let keys = self.keys.identity(&reservation.key);
        let mut invocation = self.scripts.settle.prepare_invoke();
        invocation
            .key(&keys.counter)
            .key(&keys.totals)
            .arg(member)
            .arg(reserved)
            .arg(exact(tokens));
        let mut conn = self.conn.clone();
        self.run(invocation.invoke_async::<i64>(&mut conn)).await?;
        Ok(())
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        let (member, reserved) = reservation_member(reservation)?;
        let keys = self.keys.identity(&reservation.key);
        let mut invocation = self.scripts.release.prepare_invoke();
        invocation
            .key(&keys.counter)
            .key(&keys.changed)
            .arg(member)
            .arg(reserved)
            .arg(&*reservation.key.identity);
        let mut conn = self.conn.clone();
        self.run(invocation.invoke_async::<i64>(&mut conn)).await?;
        Ok(())
    }

    async fn usage(&self, key: &UsageKey, now: DateTime<Utc>) -> Result<Usage, StoreError> {
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
            details
                .cmd("HMGET")
                .arg(keys.counter(identity))
                .arg("t")
                .arg("g");
        }
        let details: Vec<(Option<u64>, Option<String>)> =
            self.run(details.query_async(&mut conn)).await?;
        let items = entries
            .into_iter()
            .zip(details)
            .map(|((requests, identity), (tokens, tier))| IdentityUsage {
                identity,
                tier,
                requests,
                tokens: tokens.unwrap_or(0),
            })
            .collect();
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
