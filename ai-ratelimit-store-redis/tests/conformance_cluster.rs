//! Core's conformance suite, unchanged, on `RedisStore` over a Redis Cluster (three masters
//! with a replica each: `scripts/services.sh`, or `AIRL_TEST_REDIS_CLUSTER_URL`); its cases
//! skip when the cluster is unreachable (and fail under `CI=true`).

mod common;

async fn make_store() -> Option<ai_ratelimit_core::SharedStore> {
    let url = common::cluster_url();
    match ai_ratelimit_store_redis::RedisStore::connect_with(&url, common::options()).await {
        Ok(store) => {
            assert!(store.connection().is_cluster(), "{url} is a cluster URL");
            Some(ai_ratelimit_core::SharedStore::new(store))
        }
        Err(e) => {
            eprintln!("the Redis Cluster at {url} is unreachable: {e}");
            None
        }
    }
}

ai_ratelimit_core::usage_store_conformance!(optional make_store);
