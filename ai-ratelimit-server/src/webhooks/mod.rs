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
    /// Stops queuing and delivering. Events still in memory are dropped: the outbox keeps
    /// what was queued, and a later denial in the same period queues a dropped event again.
    pub async fn finish(self) {
        self.emitter.abort();
        let _ = self.emitter.await;
        self.delivery.finish().await;
    }
}

/// Starts the emitter and the deliverer.
pub fn start(
    pool: sqlx::AnyPool,
    cipher: crate::crypto::KeyCipher,
    clock: std::sync::Arc<dyn ai_ratelimit_core::Clock>,
) -> (Webhooks, WebhookTasks) {
    let deliverer = Deliverer::new(pool.clone(), cipher, clock.clone());
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
