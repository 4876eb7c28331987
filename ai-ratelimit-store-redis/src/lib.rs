#![forbid(unsafe_code)]
//! A Redis [`UsageStore`](ai_ratelimit_core::UsageStore) for AI Ratelimit: counts shared by
//! every server instance, exact across processes, bounded in memory, Redis Cluster ready.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ai_ratelimit_core::Limiter;
//! use ai_ratelimit_store_redis::{RedisStore, RedisStoreOptions};
//!
//! let options = RedisStoreOptions::default().with_key_prefix("myapp-airl")?;
//! let store = RedisStore::connect_with("redis://127.0.0.1:6379", options).await?;
//! let limiter = Limiter::new(Arc::new(store));
//! # let _ = limiter; Ok(()) }
//! ```
//!
//! # Atomicity
//!
//! [`admit`](ai_ratelimit_core::UsageStore::admit), `settle`, `release` and `usage` are each
//! one Lua script call (`EVALSHA`; the script is loaded again on `NOSCRIPT`). `admit` purges
//! the identity's expired reservations (only once one may have expired), applies
//! [`AdmitRequest::fits`](ai_ratelimit_core::AdmitRequest::fits) to the live usage and, if
//! it fits, counts the request, records the tier and adds the reservation — all inside Redis,
//! so with limit L exactly L requests are admitted however many processes share the store.
//! Time comes only from the arguments (`now`, the reservation expiry), never from the Redis or
//! the local clock.
//!
//! A common admission is two commands inside the script, both on the identity's counter
//! (`HMGET`, `HSET`): each `redis.call` costs Redis at least as much as a whole `INCR` sent
//! by a client, so the listing index and the totals are not updated per request. Instead the identity is
//! marked changed (once between two reads), and `list_usage` and `totals` first rewrite the
//! marked identities' index entries from their counters, and the totals with them, one
//! script call per 500 identities: a read costs O(identities changed since the last read).
//!
//! # Key layout
//!
//! With prefix `P` (default `airl`), scope `S`, period id `D` ([`Period::id`](ai_ratelimit_core::Period::id), e.g.
//! `day:2026-11-28`, `hour:2026-11-28T13`) and identity `I`:
//!
//! | key | type | content |
//! |---|---|---|
//! | `P:{S}:D:c:I` | hash | `r` admitted requests, `t` settled tokens, `n` last reservation id, `g` tier of the latest admission (absent: none), `d` 1 while the identity is in the changed set, else 0 (written at creation, so it sits with the state fields before the reservations); the in-flight reservations as fields `<id>:<tokens>` whose value is the expiry in µs since the epoch; `v` the total of their tokens and `e` a lower bound of their earliest expiry (µs; empty or absent: none). The reservation fields are read only once `e` has passed, so a common admission reads seven fields and writes a few |
//! | `P:{S}:D:ix` | sorted set | listing index: member = the identity verbatim, score = −requests, so ascending order (score, then member bytes) is listing order: most requests first, then identity. Exact for every identity not in the changed set; a read rewrites those first. A page after a cursor starts at `ZRANK` of the cursor's identity + 1 (or, if that identity's count changed meanwhile, after the entries ordered before the cursor) |
//! | `P:{S}:D:ch` | set | changed set: identities (verbatim) whose `r` moved since their index entry was written |
//! | `P:{S}:D:tot` | hash | period totals of the scope: `r` requests (the sum of the index's entries, kept with them), `t` tokens (added by `settle`), `i` identities (index entries) |
//!
//! Layout change: before the changed set, every admission updated `ix` and `tot` directly and
//! counters had no `d` (absent reads as 0). Keys written that way read correctly with this
//! layout (their index is exact; an unmarked counter is marked by its next admission), and all
//! of them expire by TTL. Processes of both layouts must not write one Redis at the same time:
//! an old admission of a marked identity moves its index entry without the totals following.
//!
//! `S` and `I` are percent-encoded in key names (every byte outside `[A-Za-z0-9._-]` becomes
//! `%XX`; the empty scope is `%`), so no scope or identity can add a `{`, `}` or `:` to a key.
//! The identity is stored verbatim only as a listing index or changed set member. All keys of one
//! scope carry the hash tag `{S}` and hence live in one cluster slot, so every script touches
//! a single slot. Listing and totals never use `KEYS` or a keyspace `SCAN` (they `SSCAN` only
//! the scope's changed set).
//!
//! Every key expires (`PEXPIRE`, relative) at the end of its period plus the retention
//! (default two days), measured from the caller's `now`: Redis memory stays bounded however
//! long the service runs. The expiry is set when a key is created (the changed set's also when
//! an identity is marked; the index's and totals' also when a read rewrites entries), never on
//! a common admission.
//!
//! Counts are exact up to 2^53 (Lua numbers and sorted-set scores are doubles).
//!
//! # Faults
//!
//! Each call is bounded by the call timeout (default 2 s) and by the connection's response
//! timeout (default 1 s); a lost connection is re-established by the connection manager on
//! the next call. A call cut by a lost connection fails and is not retried (an admission may
//! have been counted already: the store errs on the side of counting). Errors map into
//! [`StoreError`](ai_ratelimit_core::StoreError), and the [`Limiter`](ai_ratelimit_core::Limiter)
//! fails closed (503) or open as configured.

mod error;
mod keys;
mod options;
mod scripts;
mod store;

pub use error::RedisStoreError;
pub use options::{DEFAULT_KEY_PREFIX, MAX_KEY_PREFIX_LEN, RedisStoreConfig, RedisStoreOptions};
pub use store::RedisStore;
