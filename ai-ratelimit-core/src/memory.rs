//! `MemoryStore`: the embedded default for library users.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use dashmap::DashMap;
use dashmap::mapref::multiple::RefMulti;

use crate::store::{
    AdmitOutcome, AdmitRequest, AsUsageKey, IdentityUsage, ListingCursor, PageRequest,
    PeriodTotals, PurgeSchedule, Reservation, StoreError, Usage, UsageKey, UsageKeyRef, UsageStore,
};
use crate::window::Period;

/// How long a period's counters are kept after it ends, unless configured otherwise.
pub const DEFAULT_RETENTION: Duration = Duration::days(2);

#[derive(Debug, Default)]
struct Counter {
    requests: u64,
    tokens: u64,
    tier: Option<String>,
    /// In-flight reservations: (id, tokens, expires at). Short: one entry per in-flight request.
    reservations: Vec<(u64, u64, DateTime<Utc>)>,
}

impl Counter {
    fn purge_expired(&mut self, now: DateTime<Utc>) {
        self.reservations.retain(|(_, _, expires)| *expires > now);
    }

    fn usage(&self) -> Usage {
        Usage {
            requests: self.requests,
            tokens: self.tokens,
            reserved_tokens: self.reservations.iter().map(|(_, t, _)| t).sum(),
        }
    }

    fn live_usage(&self, now: DateTime<Utc>) -> Usage {
        Usage {
            reserved_tokens: self
                .reservations
                .iter()
                .filter(|(_, _, e)| *e > now)
                .map(|(_, t, _)| t)
                .sum(),
            ..self.usage()
        }
    }

    fn take_reservation(&mut self, id: u64) {
        self.reservations.retain(|(rid, _, _)| *rid != id);
    }
}

/// A key as the map compares it, so that a borrowed [`UsageKeyRef`] finds the [`UsageKey`]
/// stored in the map (through `Borrow<dyn MapKey>`) without allocating an owned one.
trait MapKey {
    fn key(&self) -> UsageKeyRef<'_>;
}

impl MapKey for UsageKey {
    fn key(&self) -> UsageKeyRef<'_> {
        self.as_ref()
    }
}

impl MapKey for UsageKeyRef<'_> {
    fn key(&self) -> UsageKeyRef<'_> {
        *self
    }
}

// `UsageKey` hashes as its `UsageKeyRef` (see its `Hash`), as `Borrow` requires.
impl Hash for dyn MapKey + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialEq for dyn MapKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for dyn MapKey + '_ {}

impl<'a> Borrow<dyn MapKey + 'a> for UsageKey {
    fn borrow(&self) -> &(dyn MapKey + 'a) {
        self
    }
}

/// How often (on the callers' clock) the store looks for ended periods to evict.
const EVICTION_INTERVAL_SECS: i64 = 3600;

/// An in-process [`UsageStore`]: one sharded map from [`UsageKey`] to counter, so that each
/// call hashes its key once and takes one shard lock (each admission is atomic under it),
/// and a hit allocates nothing (it is searched with the borrowed key, and reservations share
/// the stored key's names). Listings and totals scan the map: they are rare reads.
///
/// Periods are evicted once they ended more than the retention ago (checked at most hourly),
/// so memory stays bounded however many days the process runs. Counts are lost on restart:
/// use a durable store when that matters.
#[derive(Debug)]
pub struct MemoryStore {
    /// Hashed with foldhash rather than SipHash: every call hashes its key, and SipHash over
    /// the key's eight small fields costs several times more (`bench/RESULTS.md`). Foldhash's
    /// per-map random seed still keeps precomputed collisions of identities (which clients
    /// choose) out of reach.
    counters: DashMap<UsageKey, Counter, foldhash::fast::RandomState>,
    /// The scopes' project-wide counters (identity `SCOPE_IDENTITY`), apart from `counters`:
    /// a capped admission locks its scope's entry here, then its identity's there, always in
    /// that order, so two shard locks of one map are never held at once.
    scopes: DashMap<UsageKey, Counter, foldhash::fast::RandomState>,
    next_reservation: AtomicU64,
    retention: Duration,
    eviction: PurgeSchedule,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store keeping ended periods for [`DEFAULT_RETENTION`].
    pub fn new() -> Self {
        Self::with_retention(DEFAULT_RETENTION)
    }

    /// An empty store keeping ended periods for `retention` (negative values count as zero).
    pub fn with_retention(retention: Duration) -> Self {
        Self {
            counters: DashMap::default(),
            scopes: DashMap::default(),
            next_reservation: AtomicU64::new(1),
            retention: retention.max(Duration::zero()),
            eviction: PurgeSchedule::every(EVICTION_INTERVAL_SECS),
        }
    }

    /// Drops every period that ended more than the retention before `now`.
    pub fn evict_expired(&self, now: DateTime<Utc>) {
        self.counters
            .retain(|key, _| key.period.end() + self.retention > now);
        self.scopes
            .retain(|key, _| key.period.end() + self.retention > now);
    }

    /// Number of periods held (for tests of eviction and for metrics).
    pub fn period_count(&self) -> usize {
        let periods: HashSet<Period> = self.counters.iter().map(|e| e.key().period).collect();
        periods.len()
    }

    /// The counters of `scope` in `period`.
    fn scope_counters<'a>(
        &'a self,
        scope: &'a str,
        period: &'a Period,
    ) -> impl Iterator<Item = RefMulti<'a, UsageKey, Counter>> + 'a {
        self.counters
            .iter()
            .filter(move |e| e.key().period == *period && &*e.key().scope == scope)
    }

    /// The admission of `request` on the counter `key` (the request's key, owned or borrowed).
    fn admit_at<K>(
        &self,
        key: UsageKeyRef<'_>,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        // Before taking a shard lock: eviction locks every shard in turn.
        if self.eviction.claim(request.now) {
            self.evict_expired(request.now);
        }
        // The scope's counter first (see `scopes`), held until the identity's is decided.
        let mut scope = match request.scope_cap {
            Some(cap) => {
                let scope_key = UsageKeyRef {
                    identity: crate::store::SCOPE_IDENTITY,
                    ..key
                };
                let lookup: &dyn MapKey = &scope_key;
                let mut counter = match self.scopes.get_mut(lookup) {
                    Some(c) => c,
                    None => self.scopes.entry(scope_key.to_owned()).or_default(),
                };
                counter.purge_expired(request.now);
                Some((counter, cap))
            }
            None => None,
        };
        let lookup: &dyn MapKey = &key;
        let mut counter = match self.counters.get_mut(lookup) {
            Some(c) => c,
            None => self.counters.entry(key.to_owned()).or_default(),
        };
        counter.purge_expired(request.now);
        let usage = counter.usage();
        if !request.fits(&usage) {
            return Ok(AdmitOutcome::Denied { usage });
        }
        if let Some((scope, cap)) = &scope
            && !cap.fits(&scope.usage())
        {
            return Ok(AdmitOutcome::ScopeDenied {
                usage,
                scope_usage: scope.usage(),
            });
        }
        let id = self.next_reservation.fetch_add(1, Ordering::Relaxed);
        // A reservation of no tokens, or expired already, changes no usage: settling or
        // releasing it only adjusts the counts, so it need not be tracked.
        let kept = request.reserve_tokens > 0 && request.reservation_expires_at > request.now;
        let count = |counter: &mut Counter| {
            counter.requests += 1;
            if kept {
                counter.reservations.push((
                    id,
                    request.reserve_tokens,
                    request.reservation_expires_at,
                ));
            }
        };
        count(&mut counter);
        if counter.tier.as_deref() != request.tier.as_deref() {
            counter.tier.clone_from(&request.tier);
        }
        let usage = counter.usage();
        let key = counter.key().clone();
        drop(counter);
        let scope_usage = scope.as_mut().map(|(scope, _)| {
            count(scope);
            scope.usage()
        });
        Ok(AdmitOutcome::Admitted {
            reservation: Reservation {
                key,
                id,
                tokens: request.reserve_tokens,
                // The scope's counter holds the reservation under the same (unique) id.
                scope_id: scope_usage.map(|_| id),
            },
            usage,
            scope_usage,
        })
    }

    /// Adjusts the counter of `reservation` (if it still exists) under its shard lock.
    fn with_reserved_counter(&self, reservation: &Reservation, adjust: impl Fn(&mut Counter)) {
        let key: &dyn MapKey = &reservation.key;
        if let Some(mut counter) = self.counters.get_mut(key) {
            counter.take_reservation(reservation.id);
            adjust(&mut counter);
        }
        if let Some(id) = reservation.scope_id {
            let scope_key = reservation.scope_key();
            let key: &dyn MapKey = &scope_key;
            if let Some(mut counter) = self.scopes.get_mut(key) {
                counter.take_reservation(id);
                adjust(&mut counter);
            }
        }
    }
}

// Every operation is done under one shard lock, without I/O: the futures are ready on their
// first poll.
impl UsageStore for MemoryStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        self.admit_at(request.key.key(), request)
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        // Nothing to add and no reservation tracked (see `admit_at`): the counter would not
        // change, so skip its lookup and lock (requests-only limits settle this way).
        if tokens == 0 && reservation.tokens == 0 {
            return Ok(());
        }
        self.with_reserved_counter(reservation, |c| c.tokens = c.tokens.saturating_add(tokens));
        Ok(())
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        self.with_reserved_counter(reservation, |c| c.requests = c.requests.saturating_sub(1));
        Ok(())
    }

    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        let key = key.key();
        let lookup: &dyn MapKey = &key;
        let map = if key.identity == crate::store::SCOPE_IDENTITY {
            &self.scopes
        } else {
            &self.counters
        };
        Ok(map
            .get(lookup)
            .map(|c| c.live_usage(now))
            .unwrap_or_default())
    }

    async fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> Result<crate::store::UsagePage, StoreError> {
        let cursor = page
            .cursor
            .as_deref()
            .map(ListingCursor::decode)
            .transpose()?;
        let mut items: Vec<IdentityUsage> = self
            .scope_counters(scope, period)
            .filter(|e| {
                cursor
                    .as_ref()
                    .is_none_or(|c| c.is_before(e.value().requests, &e.key().identity))
            })
            .map(|e| IdentityUsage {
                identity: e.key().identity.to_string(),
                tier: e.value().tier.clone(),
                requests: e.value().requests,
                tokens: e.value().tokens,
            })
            .collect();
        items.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.identity.cmp(&b.identity))
        });
        let limit = page.clamped_limit();
        let next_cursor = (items.len() > limit).then(|| {
            let last = &items[limit - 1];
            ListingCursor {
                requests: last.requests,
                identity: last.identity.clone(),
            }
            .encode()
        });
        items.truncate(limit);
        Ok(crate::store::UsagePage { items, next_cursor })
    }

    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        Ok(self
            .scope_counters(scope, period)
            .fold(PeriodTotals::default(), |mut t, e| {
                t.requests += e.value().requests;
                t.tokens += e.value().tokens;
                t.identities += 1;
                t
            }))
    }

    async fn forget<K: AsUsageKey>(&self, key: &K) -> Result<(), StoreError> {
        let key = key.key();
        let lookup: &dyn MapKey = &key;
        self.counters.remove(lookup);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Window;

    #[tokio::test]
    async fn evicts_periods_after_retention() {
        let store = MemoryStore::with_retention(Duration::hours(1));
        let day1: DateTime<Utc> = "2026-01-01T12:00:00Z".parse().expect("timestamp");
        let admit = |now: DateTime<Utc>| AdmitRequest {
            key: UsageKey {
                scope: "s".into(),
                identity: "u".into(),
                period: Window::Day.period_at(now),
            },
            tier: None,
            request_limit: None,
            token_limit: None,
            reserve_tokens: 0,
            reservation_expires_at: now + Duration::minutes(10),
            now,
            scope_cap: None,
        };
        for d in 0..30 {
            let now = day1 + Duration::days(d);
            store.admit(&admit(now)).await.expect("admit");
            assert!(
                store.period_count() <= 2,
                "day {d}: {}",
                store.period_count()
            );
        }
    }

    fn request_at(scope: &str, identity: &str, now: DateTime<Utc>, reserve: u64) -> AdmitRequest {
        AdmitRequest {
            key: UsageKey {
                scope: scope.into(),
                identity: identity.into(),
                period: Window::Day.period_at(now),
            },
            tier: None,
            request_limit: Some(2),
            token_limit: None,
            reserve_tokens: reserve,
            reservation_expires_at: now + Duration::minutes(10),
            now,
            scope_cap: None,
        }
    }

    async fn admitted(store: &MemoryStore, request: &AdmitRequest) -> Reservation {
        match store.admit(request).await.expect("admit") {
            AdmitOutcome::Admitted { reservation, .. } => reservation,
            other => panic!("denied: {other:?}"),
        }
    }

    #[tokio::test]
    async fn untracked_zero_token_reservations_still_settle_and_release() {
        let store = MemoryStore::new();
        let now: DateTime<Utc> = "2026-01-01T12:00:00Z".parse().expect("timestamp");
        let request = request_at("s", "u", now, 0);
        let first = admitted(&store, &request).await;
        let second = admitted(&store, &request).await;
        assert!(matches!(
            store.admit(&request).await.expect("admit"),
            AdmitOutcome::Denied { .. }
        ));
        store.settle(&first, 7).await.expect("settle");
        store.release(&second).await.expect("release");
        let usage = store.usage(&request.key, now).await.expect("usage");
        assert_eq!(
            (usage.requests, usage.tokens, usage.reserved_tokens),
            (1, 7, 0)
        );
        admitted(&store, &request).await;
    }

    #[tokio::test]
    async fn listings_and_totals_see_only_their_scope_and_period() {
        let store = MemoryStore::new();
        let now: DateTime<Utc> = "2026-01-01T12:00:00Z".parse().expect("timestamp");
        for (scope, identity, at) in [
            ("s", "a", now),
            ("s", "b", now),
            ("other", "a", now),
            ("s", "a", now + Duration::days(1)),
        ] {
            admitted(&store, &request_at(scope, identity, at, 0)).await;
        }
        let today = Window::Day.period_at(now);
        let totals = store.totals("s", &today).await.expect("totals");
        assert_eq!((totals.requests, totals.identities), (2, 2));
        let page = store
            .list_usage("s", &today, &PageRequest::first(10))
            .await
            .expect("list");
        let identities: Vec<&str> = page.items.iter().map(|i| i.identity.as_str()).collect();
        assert_eq!(identities, ["a", "b"]);
        assert_eq!(store.period_count(), 2);
    }
}
