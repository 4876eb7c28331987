//! Group commit of admissions: while an admission script call of a scope and period is in
//! flight, further admissions of that scope and period queue up, and the next call runs them
//! all in one `ADMIT` script call (one slot, one round trip, one script setup for them all).
//!
//! An admission that finds its lane idle goes out alone at once, from its own task, so a lone
//! caller pays no queue or channel. When a call ends, the queue is handed on to a task that
//! runs it in batches (of at most [`MAX_BATCH`]) until the queue is empty, then ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ai_ratelimit_core::Period;
use tokio::sync::oneshot;

use crate::error::RedisStoreError;
use crate::scripts::ADMIT_REPLY;

/// Most admissions in one script call: bounds the call's KEYS and ARGV (8 per admission)
/// and how long Redis is busy with one call.
pub(crate) const MAX_BATCH: usize = 64;

/// Most script calls of one lane in flight at once (one batch may be sent while the reply
/// of the other is read and handed out).
const MAX_IN_FLIGHT: usize = 2;

/// One admission's reply from the script: admitted (1/0), requests, tokens, reserved, id.
pub(crate) type AdmitReply = [i64; ADMIT_REPLY];

/// Which admissions may share a call: the same scope (one cluster slot) and period (the same
/// index, totals and changed set).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LaneKey {
    pub(crate) scope: Arc<str>,
    pub(crate) period: Period,
}

/// One admission's script arguments, owned so that it can wait in a queue.
#[derive(Debug)]
pub(crate) struct AdmitEntry {
    pub(crate) counter: String,
    pub(crate) now_us: i64,
    pub(crate) request_limit: Option<u64>,
    pub(crate) token_limit: Option<u64>,
    pub(crate) reserve_tokens: u64,
    pub(crate) expires_us: i64,
    /// `=` followed by the tier, or empty for none (so an empty tier stays a tier).
    pub(crate) tier: String,
    pub(crate) identity: Arc<str>,
    pub(crate) ttl_ms: i64,
}

/// A queued admission and where its reply goes.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) entry: AdmitEntry,
    pub(crate) reply: oneshot::Sender<Result<AdmitReply, RedisStoreError>>,
}

#[derive(Debug, Default)]
struct Lane {
    in_flight: usize,
    queue: Vec<Queued>,
}

/// What [`AdmissionLanes::join`] decided.
#[derive(Debug)]
pub(crate) enum Joined {
    /// The lane had room: the caller sends its admission itself, and must call
    /// [`AdmissionLanes::next_batch`] when its call ends.
    Alone(AdmitEntry),
    /// The admission waits in the lane's queue; its reply comes on this channel.
    Queued(oneshot::Receiver<Result<AdmitReply, RedisStoreError>>),
}

/// The lanes of one store (shared by its clones). The lock is never held across an await.
#[derive(Debug, Default)]
pub(crate) struct AdmissionLanes {
    lanes: Mutex<HashMap<LaneKey, Lane>>,
}

impl AdmissionLanes {
    /// Sends `entry` alone if its lane has room and nothing queued (it counts as in flight
    /// then), else queues it.
    pub(crate) fn join(&self, key: &LaneKey, entry: AdmitEntry) -> Joined {
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        let lane = match lanes.get_mut(key) {
            Some(lane) => lane,
            None => lanes.entry(key.clone()).or_default(),
        };
        if lane.in_flight < MAX_IN_FLIGHT && lane.queue.is_empty() {
            lane.in_flight += 1;
            Joined::Alone(entry)
        } else {
            let (reply, receiver) = oneshot::channel();
            lane.queue.push(Queued { entry, reply });
            Joined::Queued(receiver)
        }
    }

    /// Called when a call of the lane has ended: the next batch of queued admissions (whose
    /// callers still wait), which the caller must send (it stays counted in flight), or
    /// `None` when nothing waits (the call no longer counts; an idle lane is removed).
    pub(crate) fn next_batch(&self, key: &LaneKey) -> Option<Vec<Queued>> {
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        let lane = lanes.get_mut(key)?;
        // Callers that gave up before their admission was sent are not counted.
        lane.queue.retain(|queued| !queued.reply.is_closed());
        if lane.queue.is_empty() {
            lane.in_flight = lane.in_flight.saturating_sub(1);
            if lane.in_flight == 0 {
                lanes.remove(key);
            }
            return None;
        }
        let take = lane.queue.len().min(MAX_BATCH);
        Some(lane.queue.drain(..take).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ai_ratelimit_core::Window;

    fn lane_key() -> LaneKey {
        LaneKey {
            scope: "s".into(),
            period: Window::Day.period_at("2030-01-15T10:20:00Z".parse().expect("time")),
        }
    }

    fn entry(identity: &str) -> AdmitEntry {
        AdmitEntry {
            counter: format!("c:{identity}"),
            now_us: 0,
            request_limit: None,
            token_limit: None,
            reserve_tokens: 0,
            expires_us: 0,
            tier: String::new(),
            identity: identity.into(),
            ttl_ms: 1,
        }
    }

    #[test]
    fn queues_behind_the_calls_in_flight_and_hands_them_on_in_capped_batches() {
        let lanes = AdmissionLanes::default();
        let key = lane_key();
        for _ in 0..MAX_IN_FLIGHT {
            assert!(matches!(lanes.join(&key, entry("a")), Joined::Alone(_)));
        }
        let mut receivers = Vec::new();
        for i in 0..MAX_BATCH + 3 {
            match lanes.join(&key, entry(&format!("q{i}"))) {
                Joined::Queued(rx) => receivers.push(rx),
                Joined::Alone(_) => panic!("admission {i} went out alone with the lane full"),
            }
        }
        // A caller that gave up is dropped from the queue, not sent.
        receivers.remove(0);
        let batch = lanes.next_batch(&key).expect("first batch");
        assert_eq!(batch.len(), MAX_BATCH);
        assert_eq!(&*batch[0].entry.identity, "q1");
        let batch = lanes.next_batch(&key).expect("rest");
        assert_eq!(batch.len(), 2);
        // Both calls end with nothing queued: the lane is gone, the next caller goes alone.
        assert!(lanes.next_batch(&key).is_none());
        assert!(lanes.next_batch(&key).is_none());
        assert!(lanes.lanes.lock().expect("lock").is_empty());
        assert!(matches!(lanes.join(&key, entry("b")), Joined::Alone(_)));
    }
}
