//! Delivery of magic links: the log in development, Resend's HTTP API in production.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use crate::config::{Config, Environment, ResendConfig};

/// Delivers a magic link to an e-mail address.
#[async_trait]
pub trait MagicLinkSender: Send + Sync + fmt::Debug {
    /// Sends `url` to `email`. Failures are logged by the sender; the API answers the same
    /// either way (no account enumeration).
    async fn send(&self, email: &str, url: &str);
}

/// Development: one log line containing `magic link` and the full URL.
#[derive(Debug, Default)]
pub struct LogSender;

#[async_trait]
impl MagicLinkSender for LogSender {
    async fn send(&self, email: &str, url: &str) {
        tracing::info!("magic link for {email}: {url}");
    }
}

/// Production without e-mail configured: the link cannot be delivered and is never logged.
#[derive(Debug, Default)]
pub struct UnconfiguredSender;

#[async_trait]
impl MagicLinkSender for UnconfiguredSender {
    async fn send(&self, _email: &str, _url: &str) {
        tracing::error!(
            "cannot deliver a sign-in link: set RESEND_API_KEY and EMAIL_FROM to send e-mail"
        );
    }
}

/// Production: Resend's HTTP API. The request is sent in the background so that the
/// endpoint's latency does not reveal whether an account exists.
#[derive(Debug)]
pub struct ResendSender {
    config: ResendConfig,
    http: reqwest::Client,
}

impl ResendSender {
    /// A sender with its own HTTP client.
    pub fn new(config: ResendConfig, http: reqwest::Client) -> Self {
        Self { config, http }
    }
}

#[async_trait]
impl MagicLinkSender for ResendSender {
    async fn send(&self, email: &str, url: &str) {
        let body = json!({
            "from": self.config.from,
            "to": [email],
            "subject": "Your AI Ratelimit sign-in link",
            "text": format!("Sign in to AI Ratelimit: {url}\n\nThe link works once and expires in 15 minutes."),
            "html": format!("<p><a href=\"{url}\">Sign in to AI Ratelimit</a></p><p>The link works once and expires in 15 minutes.</p>"),
        });
        let request = self
            .http
            .post(&self.config.api_url)
            .bearer_auth(self.config.api_key.expose())
            .json(&body);
        tokio::spawn(async move {
            match request.send().await {
                Ok(r) if r.status().is_success() => tracing::info!("sign-in e-mail sent"),
                // Only the status: the body could quote the link.
                Ok(r) => tracing::error!(status = %r.status(), "Resend refused the sign-in e-mail"),
                Err(e) => tracing::error!(error = %e.without_url(), "Resend unreachable"),
            }
        });
    }
}

/// The sender for this configuration.
pub fn sender_for(config: &Config, http: reqwest::Client) -> Arc<dyn MagicLinkSender> {
    match (config.environment, &config.resend) {
        (_, Some(resend)) => Arc::new(ResendSender::new(resend.clone(), http)),
        (Environment::Development, None) => Arc::new(LogSender),
        (Environment::Production, None) => Arc::new(UnconfiguredSender),
    }
}
