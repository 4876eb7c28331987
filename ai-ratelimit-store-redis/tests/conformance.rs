//! Core's conformance suite, unchanged, on `RedisStore` (the test Redis must be reachable).

mod common;

async fn make_store() -> std::sync::Arc<dyn ai_ratelimit_core::UsageStore> {
    std::sync::Arc::new(common::store_or_fail().await)
}

ai_ratelimit_core::usage_store_conformance!(make_store);
