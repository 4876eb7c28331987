//! The shared state every handler receives.

use std::ops::Deref;
use std::sync::Arc;

use ai_ratelimit_core::{Clock, Limiter};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::MagicLinkLimits;
use crate::config::Config;
use crate::crypto::KeyCipher;
use crate::db::Database;
use crate::mail::MagicLinkSender;
use crate::projects::ProjectDirectory;
use crate::provider::ProviderRouter;
use crate::request_log::RequestLogWriter;
use crate::session::SessionKeys;

/// Everything the handlers share; cloned cheaply (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState(Arc<SharedState>);

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct SharedState {
    /// The validated configuration.
    pub config: Config,
    /// Accounts, projects and the request log.
    pub db: Database,
    /// The time source of sessions, magic links and limits.
    pub clock: Arc<dyn Clock>,
    /// The limit engine over the usage store (the proxy admits through it).
    pub limiter: Limiter,
    /// Session tokens.
    pub sessions: SessionKeys,
    /// Encryption of provider API keys.
    pub cipher: KeyCipher,
    /// Projects, with the cached lookup by project key.
    pub projects: ProjectDirectory,
    /// Batched writer of the metadata-only request log.
    pub request_log: RequestLogWriter,
    /// Delivery of magic links.
    pub mailer: Arc<dyn MagicLinkSender>,
    /// Limits on magic-link requests.
    pub magic_link_limits: MagicLinkLimits,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// The upstream providers of the proxy (their own pooled client and timeouts).
    pub providers: ProviderRouter,
    /// Where the proxy's layers spawn the settlements of abandoned streams (a client gone
    /// mid-stream); shutdown waits for them, so those tokens are committed too.
    pub settlements: tokio_util::task::TaskTracker,
    /// Shared outbound HTTP client (connection pooling).
    pub http: reqwest::Client,
    /// Webhook events and their delivery.
    pub webhooks: crate::webhooks::Webhooks,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(shared: SharedState) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}
