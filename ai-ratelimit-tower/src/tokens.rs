//! How the inner service tells the layer how many tokens a request really used.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Tokens a request really used, reported by the inner service as a **response extension**
/// when it knows the count before the response leaves (a non-streaming model call):
///
/// ```
/// # use ai_ratelimit_tower::TokensUsed;
/// let mut response = http::Response::new(String::from("{}"));
/// response.extensions_mut().insert(TokensUsed(1234));
/// ```
///
/// The layer settles the admission with this count (without holding the response). For a
/// streaming body, use the [`TokenReporter`] found in the request extensions instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokensUsed(pub u64);

/// A handle the layer puts in the **request extensions** of every admitted request, for
/// services that learn the token count while the response body streams.
///
/// Clone it into the body's producer and call [`add`](Self::add) as chunks pass, or
/// [`set`](Self::set) once the provider reports its usage. The layer's response body
/// settles the admission once, when the body ends, fails, or is dropped (client gone), with
/// the reported count — or, if nothing was ever reported, with the request's estimate (the
/// tokens reserved at admission), so that an interrupted stream is never free.
#[derive(Debug, Clone, Default)]
pub struct TokenReporter {
    state: Arc<ReporterState>,
}

#[derive(Debug, Default)]
struct ReporterState {
    tokens: AtomicU64,
    reported: AtomicBool,
}

impl TokenReporter {
    /// A reporter with nothing reported.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tokens` to the count (saturating).
    pub fn add(&self, tokens: u64) {
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .state
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(tokens))
            });
        self.state.reported.store(true, Ordering::Release);
    }

    /// Replaces the count, e.g. by the provider's final `usage.total_tokens`.
    pub fn set(&self, tokens: u64) {
        self.state.tokens.store(tokens, Ordering::Release);
        self.state.reported.store(true, Ordering::Release);
    }

    /// The count, if anything was reported.
    pub fn reported(&self) -> Option<u64> {
        self.state
            .reported
            .load(Ordering::Acquire)
            .then(|| self.state.tokens.load(Ordering::Acquire))
    }
}
