#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
//! The limit, tier and rule engine of AI Ratelimit.
//!
//! A [`Policy`] says what is limited (requests, tokens or both), by how much per window, per
//! tier, and which rules warn or block on the way. A [`Limiter`] decides on each request
//! against a [`UsageStore`]: it evaluates the rules on the identity's usage before the request,
//! then admits atomically in the store, reserving the request's estimated tokens until they
//! are [settled](Limiter::settle) (or [released](Limiter::release) if the upstream failed).
//!
//! ```
//! use ai_ratelimit_core::{Decision, LimitRequest, Limiter, MemoryStore, Policy};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::from_json(&json!({
//!     "limitType": "requests",
//!     "dailyRequestLimit": 2,
//!     "tiers": {"pro": {"requestLimit": 100, "tokenLimit": null}},
//!     "limitExceededResponse": {"error": "limit_exceeded", "message": "{{used}}/{{limit}} today, upgrade for more"}
//! }))?;
//! let limiter = Limiter::new(MemoryStore::new());
//! let request = LimitRequest { scope: "my-app", identity: "user-42", tier: None, estimated_tokens: 50 };
//!
//! for _ in 0..2 {
//!     let Decision::Admitted(admission) = limiter.check(&policy, &request).await? else {
//!         panic!("the first two requests are admitted");
//!     };
//!     // ... call the model, then count what it really used:
//!     if let Some(reservation) = admission.reservation {
//!         limiter.settle(reservation, 37).await?;
//!     }
//! }
//! let Decision::Denied(denial) = limiter.check(&policy, &request).await? else {
//!     panic!("the third is denied");
//! };
//! assert_eq!(denial.status, 429);
//! assert_eq!(denial.body["message"], "2/2 today, upgrade for more");
//! # Ok(())
//! # }
//! ```

pub mod clock;
pub mod decision;
pub mod erased;
pub mod estimate;
pub mod group_commit;
mod headers;
pub mod limiter;
pub mod memory;
pub mod policy;
pub mod store;
pub mod window;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use clock::{Clock, CoarseClock, FakeClock, SystemClock};
pub use decision::{
    Admission, Decision, Denial, DenialReason, InvalidRequest, LimitError, LimitRequest,
    LimitState, ProjectState,
};
pub use erased::{DynUsageStore, SharedStore, StoreFuture};
pub use limiter::{BuildError, FailureMode, Limiter, LimiterBuilder};
pub use memory::MemoryStore;
pub use policy::{LimitType, Limits, Metric, Policy, PolicyConfig, PolicyError, TierLimits};
pub use store::{
    AdmitOutcome, AdmitRequest, AsUsageKey, IdentityUsage, PageRequest, PeriodTotals, Reservation,
    SCOPE_IDENTITY, ScopeCap, StoreError, Usage, UsageKey, UsageKeyRef, UsagePage, UsageStore,
};
pub use window::{Period, Window};
