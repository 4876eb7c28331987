//! Run-time choice of store: [`DynUsageStore`], the object-safe face of every
//! [`UsageStore`], and [`SharedStore`], a shared handle on one that is a store itself.
//!
//! [`UsageStore`]'s futures are unboxed (generic code over a concrete store pays no
//! allocation or dynamic call for them); a caller that picks its store from configuration
//! erases it once, `SharedStore::new(store)`, and pays one boxed future per call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::store::{
    AdmitOutcome, AdmitRequest, AsUsageKey, PageRequest, PeriodTotals, Reservation, StoreError,
    Usage, UsageKeyRef, UsagePage, UsageStore,
};
use crate::window::Period;

/// A boxed store future.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A usage store chosen at run time: any [`UsageStore`] behind one shared pointer. Cloning
/// it shares the store.
#[derive(Debug, Clone)]
pub struct SharedStore(Arc<dyn DynUsageStore>);

impl SharedStore {
    /// Erases `store`.
    pub fn new(store: impl UsageStore + 'static) -> Self {
        Self(Arc::new(store))
    }

    /// The store, as its object-safe face.
    pub fn as_dyn(&self) -> &dyn DynUsageStore {
        &*self.0
    }
}

/// The object-safe face of a [`UsageStore`]: the same operations with boxed futures.
/// Implemented for every `UsageStore`; [`SharedStore`] is a `UsageStore` over it in turn.
pub trait DynUsageStore: Send + Sync + std::fmt::Debug {
    /// [`UsageStore::admit`].
    fn admit_boxed<'a>(
        &'a self,
        request: &'a AdmitRequest<UsageKeyRef<'a>>,
    ) -> StoreFuture<'a, AdmitOutcome>;
    /// [`UsageStore::settle`].
    fn settle_boxed<'a>(&'a self, reservation: &'a Reservation, tokens: u64)
    -> StoreFuture<'a, ()>;
    /// [`UsageStore::release`].
    fn release_boxed<'a>(&'a self, reservation: &'a Reservation) -> StoreFuture<'a, ()>;
    /// [`UsageStore::usage`].
    fn usage_boxed<'a>(
        &'a self,
        key: &'a UsageKeyRef<'a>,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Usage>;
    /// [`UsageStore::list_usage`].
    fn list_usage_boxed<'a>(
        &'a self,
        scope: &'a str,
        period: &'a Period,
        page: &'a PageRequest,
    ) -> StoreFuture<'a, UsagePage>;
    /// [`UsageStore::totals`].
    fn totals_boxed<'a>(
        &'a self,
        scope: &'a str,
        period: &'a Period,
    ) -> StoreFuture<'a, PeriodTotals>;
    /// [`UsageStore::forget`].
    fn forget_boxed<'a>(&'a self, key: &'a UsageKeyRef<'a>) -> StoreFuture<'a, ()>;
}

impl<S: UsageStore> DynUsageStore for S {
    fn admit_boxed<'a>(
        &'a self,
        request: &'a AdmitRequest<UsageKeyRef<'a>>,
    ) -> StoreFuture<'a, AdmitOutcome> {
        Box::pin(self.admit(request))
    }

    fn settle_boxed<'a>(
        &'a self,
        reservation: &'a Reservation,
        tokens: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.settle(reservation, tokens))
    }

    fn release_boxed<'a>(&'a self, reservation: &'a Reservation) -> StoreFuture<'a, ()> {
        Box::pin(self.release(reservation))
    }

    fn usage_boxed<'a>(
        &'a self,
        key: &'a UsageKeyRef<'a>,
        now: DateTime<Utc>,
    ) -> StoreFuture<'a, Usage> {
        Box::pin(self.usage(key, now))
    }

    fn list_usage_boxed<'a>(
        &'a self,
        scope: &'a str,
        period: &'a Period,
        page: &'a PageRequest,
    ) -> StoreFuture<'a, UsagePage> {
        Box::pin(self.list_usage(scope, period, page))
    }

    fn totals_boxed<'a>(
        &'a self,
        scope: &'a str,
        period: &'a Period,
    ) -> StoreFuture<'a, PeriodTotals> {
        Box::pin(self.totals(scope, period))
    }

    fn forget_boxed<'a>(&'a self, key: &'a UsageKeyRef<'a>) -> StoreFuture<'a, ()> {
        Box::pin(self.forget(key))
    }
}

// `async fn`s: the boxed futures borrow every argument, and an opaque type may not capture
// the intersection of their lifetimes that a direct return would. (A newtype rather than an
// impl for `dyn DynUsageStore`: futures generic over a trait-object store trip rustc's
// higher-ranked auto-trait checks when spawned.)
impl UsageStore for SharedStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        self.0.admit_boxed(&request.borrowed()).await
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        self.0.settle_boxed(reservation, tokens).await
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        self.0.release_boxed(reservation).await
    }

    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        self.0.usage_boxed(&key.key(), now).await
    }

    async fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        self.0.list_usage_boxed(scope, period, page).await
    }

    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        self.0.totals_boxed(scope, period).await
    }

    async fn forget<K: AsUsageKey>(&self, key: &K) -> Result<(), StoreError> {
        self.0.forget_boxed(&key.key()).await
    }
}

/// A shared store is the store it points to.
impl<S: UsageStore> UsageStore for Arc<S> {
    fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> impl Future<Output = Result<AdmitOutcome, StoreError>> + Send {
        (**self).admit(request)
    }

    fn settle(
        &self,
        reservation: &Reservation,
        tokens: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).settle(reservation, tokens)
    }

    fn release(
        &self,
        reservation: &Reservation,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).release(reservation)
    }

    fn usage<K: AsUsageKey>(
        &self,
        key: &K,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Usage, StoreError>> + Send {
        (**self).usage(key, now)
    }

    fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> impl Future<Output = Result<UsagePage, StoreError>> + Send {
        (**self).list_usage(scope, period, page)
    }

    fn totals(
        &self,
        scope: &str,
        period: &Period,
    ) -> impl Future<Output = Result<PeriodTotals, StoreError>> + Send {
        (**self).totals(scope, period)
    }

    fn forget<K: AsUsageKey>(
        &self,
        key: &K,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).forget(key)
    }
}
