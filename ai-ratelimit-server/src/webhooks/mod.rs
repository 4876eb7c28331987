//! Webhooks on limit events (Standard Webhooks): endpoints per project ([`routes`],
//! [`store`]), events from the proxy's records ([`emit`]), a durable outbox delivered in the
//! background with retries ([`deliver`]), signatures ([`sign`]) and the address policy
//! ([`address`]).

pub mod address;
pub mod deliver;
pub mod emit;
pub mod routes;
pub mod sign;
pub mod store;

use deliver::{Deliverer, DeliveryTask};
use emit::Emitter;

/// The webhook machinery of a running server.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// Queues limit events (the proxy's observer).
    pub emitter: Emitter,
    /// Delivers the outbox.
    pub deliverer: Deliverer,
}

/// The background tasks; [`WebhookTasks::finish`] stops them (the outbox keeps the rest).
#[derive(Debug)]
pub struct WebhookTasks {
    emitter: tokio::task::JoinHandle<()>,
    delivery: DeliveryTask,
}

impl WebhookTasks {
    /// Writes the events queued so far to the outbox, then stops delivering (the outbox
    /// keeps what is undelivered for the next start).
    pub async fn finish(self, webhooks: &Webhooks) {
        webhooks.emitter.close().await;
        if let Err(e) = self.emitter.await {
            tracing::error!(error = %e, "webhook emitter task failed");
        }
        self.delivery.finish().await;
    }
}

/// Starts the emitter and the deliverer.
pub fn start(
    pool: sqlx::AnyPool,
    cipher: crate::crypto::KeyCipher,
    clock: std::sync::Arc<dyn ai_ratelimit_core::Clock>,
    allow_private: bool,
) -> (Webhooks, WebhookTasks) {
    let deliverer = Deliverer::new(pool.clone(), cipher, clock.clone(), allow_private);
    let delivery = deliverer.start();
    let (emitter, emitter_task) = Emitter::start(pool, deliverer.clone(), clock);
    (
        Webhooks { emitter, deliverer },
        WebhookTasks {
            emitter: emitter_task,
            delivery,
        },
    )
}
