//! Core's conformance suite, unchanged, on `RedisStore`; its cases skip when the test Redis
//! is unreachable (and fail under `CI=true`).

mod common;

async fn make_store() -> Option<ai_ratelimit_core::SharedStore> {
    let url = common::redis_url();
    match ai_ratelimit_store_redis::RedisStore::connect_with(&url, common::options()).await {
        Ok(store) => Some(ai_ratelimit_core::SharedStore::new(store)),
        Err(e) => {
            eprintln!("Redis at {url} is unreachable: {e}");
            None
        }
    }
}

ai_ratelimit_core::usage_store_conformance!(optional make_store);
