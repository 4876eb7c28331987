//! Shared by the integration tests: the test Redis, its skip rule and a per-run key prefix.
#![allow(dead_code)] // each test binary uses a different part

pub mod cluster;

use std::sync::OnceLock;

use ai_ratelimit_store_redis::{RedisStore, RedisStoreOptions};

/// `AIRL_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`.
pub fn redis_url() -> String {
    std::env::var("AIRL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// `AIRL_TEST_REDIS_CLUSTER_URL`, default the local cluster of `scripts/services.sh`.
pub fn cluster_url() -> String {
    std::env::var("AIRL_TEST_REDIS_CLUSTER_URL").unwrap_or_else(|_| {
        "redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003".to_owned()
    })
}

/// A key prefix unique to this test process, so runs never see each other's keys.
pub fn prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| format!("airl-test-{}", uuid::Uuid::new_v4().simple()))
}

pub fn options() -> RedisStoreOptions {
    RedisStoreOptions::default()
        .with_key_prefix(prefix())
        .expect("test prefix")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A store on the test Redis, or `None` (after printing why) when it is unreachable outside
/// CI. Under `CI=true` an unreachable Redis fails the test.
pub async fn store_or_skip(test: &str) -> Option<RedisStore> {
    let url = redis_url();
    match RedisStore::connect_with(&url, options()).await {
        Ok(store) => Some(store),
        Err(e) if in_ci() => panic!("CI=true and the test Redis at {url} is unreachable: {e}"),
        Err(e) => {
            eprintln!("SKIPPED {test}: Redis at {url} is unreachable ({e})");
            None
        }
    }
}

/// A store on the test Redis; fails the test when unreachable.
pub async fn store_or_fail() -> RedisStore {
    let url = redis_url();
    RedisStore::connect_with(&url, options())
        .await
        .unwrap_or_else(|e| panic!("the test Redis at {url} is unreachable: {e}"))
}

/// A plain connection to the test Redis, for inspecting keys and killing connections.
pub async fn inspector() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("inspector connection")
}
