//! The conformance suite on the in-memory store.

use ai_ratelimit_core::MemoryStore;

async fn make_store() -> ai_ratelimit_core::SharedStore {
    ai_ratelimit_core::SharedStore::new(MemoryStore::new())
}

ai_ratelimit_core::usage_store_conformance!(make_store);
