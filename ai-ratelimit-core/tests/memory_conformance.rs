//! The conformance suite on the in-memory store.

use std::sync::Arc;

use ai_ratelimit_core::{MemoryStore, UsageStore};

async fn make_store() -> Arc<dyn UsageStore> {
    Arc::new(MemoryStore::new())
}

ai_ratelimit_core::usage_store_conformance!(make_store);
