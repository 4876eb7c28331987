//! `MemoryStore`: the embedded default for library users.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use dashmap::DashMap;

use crate::store::{
    AdmitOutcome, AdmitRequest, IdentityUsage, ListingCursor, PageRequest, PeriodTotals,
    Reservation, StoreError, Usage, UsageKey, UsageStore,
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

/// identity -> counter, for one scope and period.
type Identities = DashMap<String, Counter>;
/// scope -> identities, for one period.
type Scopes = DashMap<String, Arc<Identities>>;

/// An in-process [`UsageStore`]: sharded maps (period → scope → identity), each admission
/// atomic under its identity's shard lock; lookups borrow the caller's strings, so a hit
/// allocates nothing.
///
/// Periods are evicted once they ended more than the retention ago, so memory stays
/// bounded however many days the process runs. Counts are lost on restart: use a durable
/// store when that matters.
#[derive(Debug)]
pub struct MemoryStore {
    periods: DashMap<Period, Arc<Scopes>>,
    next_reservation: AtomicU64,
    retention: Duration,
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
            periods: DashMap::new(),
            next_reservation: AtomicU64::new(1),
            retention: retention.max(Duration::zero()),
        }
    }

    /// Drops every period that ended more than the retention before `now`.
    pub fn evict_expired(&self, now: DateTime<Utc>) {
        self.periods
            .retain(|period, _| period.end() + self.retention > now);
    }

    /// Number of periods held (for tests of eviction and for metrics).
    pub fn period_count(&self) -> usize {
        self.periods.len()
    }

    fn scopes(&self, period: &Period, now: DateTime<Utc>) -> Arc<Scopes> {
        if let Some(s) = self.periods.get(period) {
            return Arc::clone(s.value());
        }
        // A new period is rare (once per window): a good moment to evict old ones.
        self.evict_expired(now);
        Arc::clone(self.periods.entry(*period).or_default().value())
    }

    fn identities(&self, period: &Period, scope: &str, now: DateTime<Utc>) -> Arc<Identities> {
        let scopes = self.scopes(period, now);
        if let Some(ids) = scopes.get(scope) {
            return Arc::clone(ids.value());
        }
        Arc::clone(scopes.entry(scope.to_owned()).or_default().value())
    }

    fn existing(&self, period: &Period, scope: &str) -> Option<Arc<Identities>> {
        let scopes = Arc::clone(self.periods.get(period)?.value());
        scopes.get(scope).map(|ids| Arc::clone(ids.value()))
    }

    fn with_counter(&self, key: &UsageKey, f: impl FnOnce(&mut Counter)) {
        if let Some(ids) = self.existing(&key.period, &key.scope)
            && let Some(mut counter) = ids.get_mut(key.identity.as_str())
        {
            f(&mut counter);
        }
    }
}

fn reservation_id(reservation: &Reservation) -> Result<u64, StoreError> {
    reservation
        .id
        .parse()
        .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))
}

#[async_trait]
impl UsageStore for MemoryStore {
    async fn admit(&self, request: &AdmitRequest) -> Result<AdmitOutcome, StoreError> {
        let key = &request.key;
        let ids = self.identities(&key.period, &key.scope, request.now);
        let mut counter = match ids.get_mut(key.identity.as_str()) {
            Some(c) => c,
            None => ids.entry(key.identity.clone()).or_default(),
        };
        counter.purge_expired(request.now);
        let usage = counter.usage();
        if !request.fits(&usage) {
            return Ok(AdmitOutcome::Denied { usage });
        }
        let id = self.next_reservation.fetch_add(1, Ordering::Relaxed);
        counter.requests += 1;
        if counter.tier.as_deref() != request.tier.as_deref() {
            counter.tier.clone_from(&request.tier);
        }
        counter
            .reservations
            .push((id, request.reserve_tokens, request.reservation_expires_at));
        let usage = counter.usage();
        drop(counter);
        Ok(AdmitOutcome::Admitted {
            reservation: Reservation {
                key: key.clone(),
                id: id.to_string(),
                tokens: request.reserve_tokens,
            },
            usage,
        })
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        let id = reservation_id(reservation)?;
        self.with_counter(&reservation.key, |c| {
            c.take_reservation(id);
            c.tokens = c.tokens.saturating_add(tokens);
        });
        Ok(())
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        let id = reservation_id(reservation)?;
        self.with_counter(&reservation.key, |c| {
            c.take_reservation(id);
            c.requests = c.requests.saturating_sub(1);
        });
        Ok(())
    }

    async fn usage(&self, key: &UsageKey, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        Ok(self
            .existing(&key.period, &key.scope)
            .and_then(|ids| ids.get(key.identity.as_str()).map(|c| c.live_usage(now)))
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
            .existing(period, scope)
            .map(|ids| {
                ids.iter()
                    .filter(|e| {
                        cursor
                            .as_ref()
                            .is_none_or(|c| c.is_before(e.value().requests, e.key()))
                    })
                    .map(|e| IdentityUsage {
                        identity: e.key().clone(),
                        tier: e.value().tier.clone(),
                        requests: e.value().requests,
                        tokens: e.value().tokens,
                    })
                    .collect()
            })
            .unwrap_or_default();
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

    fn is_in_process(&self) -> bool {
        true
    }

    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        Ok(self
            .existing(period, scope)
            .map(|ids| {
                ids.iter().fold(PeriodTotals::default(), |mut t, e| {
                    t.requests += e.value().requests;
                    t.tokens += e.value().tokens;
                    t.identities += 1;
                    t
                })
            })
            .unwrap_or_default())
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
}
