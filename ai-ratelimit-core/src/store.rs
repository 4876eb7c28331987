//! The `UsageStore` trait every backend implements, and the types it speaks.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::window::Period;

/// Longest identity accepted, in characters (API: 1–256).
pub const MAX_IDENTITY_LEN: usize = 256;

/// The identity of a scope's project-wide counter (see [`ScopeCap`]): empty, so never an
/// identity of a request (1–256 characters). Stores keep it out of listings and totals.
pub const SCOPE_IDENTITY: &str = "";

/// Where a counter lives: a scope (a project), one of its identities, and a period.
///
/// The names are shared (`Arc<str>`): a key is copied into every reservation, and an
/// in-process store hands out the copy it keeps instead of allocating new strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageKey {
    /// The tenant, e.g. a project id. Stores keep scopes apart.
    pub scope: Arc<str>,
    /// The end user (user, session, device…), 1–256 characters.
    pub identity: Arc<str>,
    /// The period the counter belongs to.
    pub period: Period,
}

impl UsageKey {
    /// The key of `identity` of `scope` in `period`.
    pub fn new(scope: impl Into<Arc<str>>, identity: impl Into<Arc<str>>, period: Period) -> Self {
        Self {
            scope: scope.into(),
            identity: identity.into(),
            period,
        }
    }

    /// The key, borrowed.
    pub fn as_ref(&self) -> UsageKeyRef<'_> {
        UsageKeyRef {
            scope: &self.scope,
            identity: &self.identity,
            period: self.period,
        }
    }
}

/// Hashes exactly as its [`UsageKeyRef`], so that maps keyed by `UsageKey` can be searched
/// with a borrowed key.
impl Hash for UsageKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_ref().hash(state);
    }
}

/// A [`UsageKey`] whose names are borrowed: what an in-process store is asked with, so that
/// a request for a counter that exists allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsageKeyRef<'a> {
    /// The tenant.
    pub scope: &'a str,
    /// The end user.
    pub identity: &'a str,
    /// The period.
    pub period: Period,
}

impl UsageKeyRef<'_> {
    /// The owned key.
    pub fn to_owned(&self) -> UsageKey {
        UsageKey::new(self.scope, self.identity, self.period)
    }
}

/// An identity's usage in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Admitted requests (released ones are not counted).
    pub requests: u64,
    /// Tokens settled so far.
    pub tokens: u64,
    /// Tokens reserved by in-flight requests whose reservation has not expired.
    pub reserved_tokens: u64,
}

/// One atomic admission: count the request and reserve its tokens only if under the limits.
///
/// The engine asks with a borrowed key ([`UsageKeyRef`]); tests and stores that keep requests
/// use an owned one (see [`AsUsageKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmitRequest<K = UsageKey> {
    /// The counter.
    pub key: K,
    /// The tier to record beside the counter (shown in listings).
    pub tier: Option<String>,
    /// Admit only if `requests + 1 <= limit`; `None` = not enforced.
    pub request_limit: Option<u64>,
    /// Admit only if `tokens + live reservations < limit`; `None` = not enforced.
    pub token_limit: Option<u64>,
    /// Tokens to reserve for this request until it settles.
    pub reserve_tokens: u64,
    /// When the reservation stops counting if never settled.
    pub reservation_expires_at: DateTime<Utc>,
    /// The caller's "now": reservations expiring at or before it no longer count.
    pub now: DateTime<Utc>,
    /// The project-wide cap, when the scope has one: the request is also counted (and its
    /// tokens reserved) in the scope's counter, in the same atomic step.
    pub scope_cap: Option<ScopeCap>,
}

impl<K> AdmitRequest<K> {
    /// The admission rule every store implements atomically: whether `usage`
    /// (live reservations only) leaves room for one more request.
    pub fn fits(&self, usage: &Usage) -> bool {
        fits(self.request_limit, self.token_limit, usage)
    }
}

/// `requests + 1 <= request_limit` and `tokens + live reservations < token_limit`, each when set.
fn fits(request_limit: Option<u64>, token_limit: Option<u64>, usage: &Usage) -> bool {
    let requests_ok = request_limit.is_none_or(|l| usage.requests.saturating_add(1) <= l);
    let tokens_ok =
        token_limit.is_none_or(|l| usage.tokens.saturating_add(usage.reserved_tokens) < l);
    requests_ok && tokens_ok
}

/// A project-wide cap: the enforced limits of the scope's own counter (identity
/// [`SCOPE_IDENTITY`]), which counts every admitted request of the scope and reserves its
/// tokens. A store checks it in the same atomic step as the identity's limits and counts the
/// request in both or in neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeCap {
    /// Admit only if the scope's `requests + 1 <= limit`; `None` = not enforced.
    pub request_limit: Option<u64>,
    /// Admit only if the scope's `tokens + live reservations < limit`; `None` = not enforced.
    pub token_limit: Option<u64>,
}

impl ScopeCap {
    /// Whether the scope's `usage` leaves room for one more request.
    pub fn fits(&self, usage: &Usage) -> bool {
        fits(self.request_limit, self.token_limit, usage)
    }
}

/// A handle on an admitted request's counted request and reserved tokens.
///
/// Settle it with the real token count, or release it if the request failed. It is
/// deliberately not `Clone`: one admission is settled or released once.
#[derive(Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The counter it belongs to.
    pub key: UsageKey,
    /// The store's id of the reservation, unique within the key.
    pub id: u64,
    /// Tokens reserved.
    pub tokens: u64,
    /// The reservation's id in the scope's counter, when the admission was capped
    /// project-wide (settled and released there too).
    pub scope_id: Option<u64>,
}

impl Reservation {
    /// The key of the scope's counter this reservation also counts in.
    pub fn scope_key(&self) -> UsageKeyRef<'_> {
        UsageKeyRef {
            scope: &self.key.scope,
            identity: SCOPE_IDENTITY,
            period: self.key.period,
        }
    }
}

/// The result of an admission.
#[derive(Debug, PartialEq, Eq)]
pub enum AdmitOutcome {
    /// Counted; `usage` includes this request and its reservation.
    Admitted {
        /// The handle to settle or release.
        reservation: Reservation,
        /// Usage after admission.
        usage: Usage,
        /// The scope's usage after admission, when the admission was capped project-wide.
        scope_usage: Option<Usage>,
    },
    /// Not counted; `usage` is what stood in the way.
    Denied {
        /// Usage at the time of the decision.
        usage: Usage,
    },
    /// Not counted: the identity's limits had room, the project-wide cap did not.
    ScopeDenied {
        /// The identity's usage at the time of the decision.
        usage: Usage,
        /// The scope's usage at the time of the decision.
        scope_usage: Usage,
    },
}

/// One identity's line in a usage listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityUsage {
    /// The identity.
    pub identity: String,
    /// The tier of its latest admitted request, if any.
    pub tier: Option<String>,
    /// Admitted requests.
    pub requests: u64,
    /// Settled tokens.
    pub tokens: u64,
}

/// Which page of a listing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page (stores clamp it to 1..=1000).
    pub limit: usize,
    /// The `next_cursor` of the previous page, or `None` for the first.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: usize) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }

    /// The limit clamped to 1..=1000.
    pub fn clamped_limit(&self) -> usize {
        self.limit.clamp(1, 1000)
    }
}

/// A page of a listing, ordered by requests (most first), then identity (ascending).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsagePage {
    /// The items.
    pub items: Vec<IdentityUsage>,
    /// Opaque cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Totals of one scope over one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeriodTotals {
    /// Admitted requests.
    pub requests: u64,
    /// Settled tokens.
    pub tokens: u64,
    /// Identities with a counter in the period.
    pub identities: u64,
}

/// A store failure. The engine turns it into a fail-closed denial or a fail-open admission.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer in time.
    #[error("usage store timed out after {0:?}")]
    Timeout(Duration),
    /// The store could not be reached or failed.
    #[error("usage store unavailable: {0}")]
    Unavailable(String),
    /// A cursor or stored value could not be read.
    #[error("usage store data error: {0}")]
    Data(String),
}

/// The ordering key of listings and the cursors built on it, shared so that every store
/// pages the same way: `<requests>:<identity>` of the last item of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingCursor {
    /// Requests of the last item returned.
    pub requests: u64,
    /// Identity of the last item returned.
    pub identity: String,
}

impl ListingCursor {
    /// Parses a cursor made by [`ListingCursor::encode`].
    pub fn decode(cursor: &str) -> Result<Self, StoreError> {
        let (requests, identity) = cursor
            .split_once(':')
            .ok_or_else(|| StoreError::Data("malformed cursor".into()))?;
        let requests = requests
            .parse()
            .map_err(|_| StoreError::Data("malformed cursor".into()))?;
        Ok(Self {
            requests,
            identity: identity.to_owned(),
        })
    }

    /// The cursor text.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.requests, self.identity)
    }

    /// Whether `(requests, identity)` comes after this cursor in listing order.
    pub fn is_before(&self, requests: u64, identity: &str) -> bool {
        requests < self.requests || (requests == self.requests && identity > self.identity.as_str())
    }
}

/// A key a store can be asked with: owned ([`UsageKey`]) or borrowed ([`UsageKeyRef`]).
///
/// The engine asks with a borrowed key, so that an in-process store finds an existing counter
/// without allocating; a store that must keep the key (in a queue, a reservation) takes an
/// owned copy with [`to_owned_key`](Self::to_owned_key), which for a `UsageKey` is two
/// reference counts.
pub trait AsUsageKey: Send + Sync {
    /// The key, borrowed.
    fn key(&self) -> UsageKeyRef<'_>;

    /// The key, owned.
    fn to_owned_key(&self) -> UsageKey {
        self.key().to_owned()
    }
}

impl AsUsageKey for UsageKey {
    fn key(&self) -> UsageKeyRef<'_> {
        self.as_ref()
    }

    fn to_owned_key(&self) -> UsageKey {
        self.clone()
    }
}

impl AsUsageKey for UsageKeyRef<'_> {
    fn key(&self) -> UsageKeyRef<'_> {
        *self
    }
}

impl<K: AsUsageKey> AdmitRequest<K> {
    /// The key of the scope's counter (identity [`SCOPE_IDENTITY`]) of this admission.
    pub fn scope_key(&self) -> UsageKeyRef<'_> {
        let key = self.key.key();
        UsageKeyRef {
            scope: key.scope,
            identity: SCOPE_IDENTITY,
            period: key.period,
        }
    }

    /// The same admission with a borrowed key.
    pub fn borrowed(&self) -> AdmitRequest<UsageKeyRef<'_>> {
        AdmitRequest {
            key: self.key.key(),
            tier: self.tier.clone(),
            request_limit: self.request_limit,
            token_limit: self.token_limit,
            reserve_tokens: self.reserve_tokens,
            reservation_expires_at: self.reservation_expires_at,
            now: self.now,
            scope_cap: self.scope_cap,
        }
    }

    /// The same admission with an owned key, for a store that keeps it (a queue).
    pub fn to_owned_request(&self) -> AdmitRequest {
        AdmitRequest {
            key: self.key.to_owned_key(),
            tier: self.tier.clone(),
            request_limit: self.request_limit,
            token_limit: self.token_limit,
            reserve_tokens: self.reserve_tokens,
            reservation_expires_at: self.reservation_expires_at,
            now: self.now,
            scope_cap: self.scope_cap,
        }
    }
}

/// Persistent or in-memory counters of usage per scope, identity and period.
///
/// Every method is one store operation; [`UsageStore::admit`] in particular must be atomic in
/// the store itself (a Lua script, one SQL statement, a lock held in memory), never a read
/// followed by a write from Rust, so that with limit L exactly L requests are admitted across
/// any number of callers and processes. Implementations take time only from their arguments.
///
/// The futures are the implementation's own (write the methods as `async fn`): generic code
/// over a concrete store keeps them unboxed, and a store that answers without I/O (like
/// [`MemoryStore`](crate::MemoryStore)) is done on their first poll. For a store chosen at
/// run time, see [`SharedStore`](crate::SharedStore).
pub trait UsageStore: Send + Sync + fmt::Debug {
    /// Counts one request and reserves its tokens if [`AdmitRequest::fits`] the live usage.
    /// Expired reservations stop counting (and may be purged) here.
    fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> impl Future<Output = Result<AdmitOutcome, StoreError>> + Send;

    /// Replaces a reservation by the real token count (adds `tokens`, drops the reservation
    /// if it is still live). Settling an expired reservation still adds the tokens.
    fn settle(
        &self,
        reservation: &Reservation,
        tokens: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Un-counts an admitted request (upstream failed): one request less, reservation dropped.
    fn release(
        &self,
        reservation: &Reservation,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// One identity's usage; reservations expiring at or before `now` are not counted.
    fn usage<K: AsUsageKey>(
        &self,
        key: &K,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Usage, StoreError>> + Send;

    /// A page of a scope's identities in `period`, most requests first (see [`ListingCursor`]).
    fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> impl Future<Output = Result<UsagePage, StoreError>> + Send;

    /// Totals of a scope in `period`.
    fn totals(
        &self,
        scope: &str,
        period: &Period,
    ) -> impl Future<Output = Result<PeriodTotals, StoreError>> + Send;

    /// Erases one identity's counter in one period (an end user's erasure request): its
    /// requests, tokens and reservations leave the period's totals and listing, and its
    /// limits start afresh. A store that cannot erase answers `Unavailable` (the default).
    fn forget<K: AsUsageKey>(
        &self,
        key: &K,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = key;
        std::future::ready(Err(StoreError::Unavailable(
            "this usage store cannot erase an identity".to_owned(),
        )))
    }
}

/// Decides when a durable store purges ended periods: at most once per interval of the
/// callers' clock (stores take time from their arguments), claimed by exactly one caller.
#[derive(Debug)]
pub struct PurgeSchedule {
    last: std::sync::atomic::AtomicI64,
    interval_secs: i64,
}

impl PurgeSchedule {
    /// A schedule that is due at once, then every `interval_secs` seconds.
    pub fn every(interval_secs: i64) -> Self {
        Self {
            last: std::sync::atomic::AtomicI64::new(i64::MIN),
            interval_secs,
        }
    }

    /// Whether a purge is due at `now`; `true` for exactly one caller per interval.
    pub fn claim(&self, now: DateTime<Utc>) -> bool {
        use std::sync::atomic::Ordering;
        let now_secs = now.timestamp();
        let last = self.last.load(Ordering::Relaxed);
        now_secs >= last.saturating_add(self.interval_secs)
            && self
                .last
                .compare_exchange(last, now_secs, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_schedule_claims_once_per_interval() {
        let schedule = PurgeSchedule::every(3600);
        let t0: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().expect("timestamp");
        assert!(schedule.claim(t0));
        assert!(!schedule.claim(t0 + chrono::Duration::minutes(59)));
        assert!(schedule.claim(t0 + chrono::Duration::hours(1)));
        assert!(!schedule.claim(t0 + chrono::Duration::hours(1)));
    }
}
