#![forbid(unsafe_code)]
//! A Redis [`UsageStore`](ai_ratelimit_core::UsageStore) for AI Ratelimit: counts shared by
//! every server instance, exact across processes, bounded in memory, Redis Cluster ready.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ai_ratelimit_core::Limiter;
//! use ai_ratelimit_store_redis::{RedisStore, RedisStoreOptions};
//!
//! let options = RedisStoreOptions::default().with_key_prefix("myapp-airl")?;
//! let store = RedisStore::connect_with("redis://127.0.0.1:6379", options).await?;
//! let limiter = Limiter::new(store);
//! # let _ = limiter; Ok(()) }
//! ```
//!
//! # Atomicity
//!
//! [`admit`](ai_ratelimit_core::UsageStore::admit), `settle`, `release` and `usage` each run
//! inside one Lua script call (`EVALSHA`; the script is loaded again on `NOSCRIPT`). An
//! admission purges the identity's expired reservations (only once one may have expired),
//! applies [`AdmitRequest::fits`](ai_ratelimit_core::AdmitRequest::fits) to the live usage and,
//! if it fits, counts the request, records the tier and adds the reservation — all inside
//! Redis, so with limit L exactly L requests are admitted however many processes share the
//! store. Time comes only from the arguments (`now`, the reservation expiry), never from the
//! Redis or the local clock.
//!
//! Admissions are group-committed (see [`group_commit`](ai_ratelimit_core::group_commit)) in
//! a few lanes per scope and period, an identity always in the same one: while one script
//! call of a lane is in flight, further admissions of the lane queue in the process and go
//! out together, in order, in the next call (at most 64), each seeing the ones before it.
//! An admission of an idle lane goes out at once.
//!
//! A common admission is two commands inside the script, both on the identity's counter
//! (`HGET` of its state, `HSET` of the new state and the reservation): each `redis.call`
//! costs Redis about as much as a whole `INCR` sent by a client, so the listing index and the
//! totals are not updated per request. Instead the identity is marked changed (once between
//! two reads), and `list_usage` and `totals` first rewrite the marked identities' index
//! entries from their counters, and the totals with them, one script call per 500
//! identities: a read costs O(identities changed since the last read).
//!
//! # Key layout
//!
//! With prefix `P` (default `airl`), scope `S`, period id `D` ([`Period::id`](ai_ratelimit_core::Period::id), e.g.
//! `day:2026-11-28`, `hour:2026-11-28T13`) and identity `I`:
//!
//! | key | type | content |
//! |---|---|---|
//! | `P:{S}:3:D:c:I` | hash | `s` the counter's state: six little-endian doubles (Lua's `struct.pack('<dddddd', …)`) — admitted requests, settled tokens, reserved tokens (the total of the in-flight reservations), last reservation id, a lower bound of the reservations' earliest expiry (µs since the epoch; 0: none), 1 while the identity is in the changed set (else 0) — followed by the tier of the latest admission (`=` and the tier; nothing: none). The in-flight reservations are fields `<id>` whose value is their tokens and expiry (µs), two packed doubles. They are read only once the bound has passed, so a common admission reads one field and writes two |
//! | `P:{S}:3:D:ix` | sorted set | listing index: member = the identity verbatim, score = −requests, so ascending order (score, then member bytes) is listing order: most requests first, then identity. Exact for every identity not in the changed set; a read rewrites those first. A page after a cursor starts at `ZRANK` of the cursor's identity + 1 (or, if that identity's count changed meanwhile, after the entries ordered before the cursor) |
//! | `P:{S}:3:D:ch` | set | changed set: identities (verbatim) whose request count moved since their index entry was written |
//! | `P:{S}:3:D:tot` | hash | period totals of the scope: `r` requests (the sum of the index's entries, kept with them), `t` tokens (added by `settle`), `i` identities (index entries) |
//!
//! `3` is the layout's version. Earlier layouts are never read: the first (keys without a
//! version, counters of text fields `r`, `t`, `v`, `n`, `e`, `g`, `d`) and `2` (this one but
//! for reservations, fields `<id>:<tokens>` holding only the expiry). A process of this layout
//! starts the periods in progress from zero, and the old keys expire by TTL. Layouts may run
//! against one Redis at once without corrupting each other, each counting on its own.
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
//! Counts are exact up to 2^53 (Lua numbers, the packed state and sorted-set scores are
//! doubles).
//!
//! # Redis Cluster
//!
//! A URL `redis+cluster://[user:password@]host:port,host:port,…` (`rediss+cluster://` with TLS),
//! or a comma-separated list of `redis://` URLs, connects to a Redis Cluster through its seed
//! nodes ([`RedisConnection::Cluster`]). Every call of the store touches the keys of one scope,
//! one hash tag, so it runs on that slot's master; the client follows `MOVED`/`ASK` during a
//! resharding and learns a failover by itself.
//!
//! # Faults
//!
//! Each call is bounded by the call timeout (default 2 s) and by the connection's response
//! timeout (default 1 s); a lost connection is re-established by the connection manager on
//! the next call. A call cut by a lost connection fails and is not retried (an admission may
//! have been counted already: the store errs on the side of counting). Errors map into
//! [`StoreError`](ai_ratelimit_core::StoreError), and the [`Limiter`](ai_ratelimit_core::Limiter)
//! fails closed (503) or open as configured.

mod connection;
mod error;
mod keys;
mod options;
mod scripts;
mod store;

pub use connection::RedisConnection;
pub use error::RedisStoreError;
pub use options::{DEFAULT_KEY_PREFIX, MAX_KEY_PREFIX_LEN, RedisStoreConfig, RedisStoreOptions};
pub use store::RedisStore;
