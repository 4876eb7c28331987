//! Group commit: while one round trip of a lane is in flight, the jobs of that lane that
//! arrive queue, and the next round trip takes them all at once.
//!
//! The first caller of an idle lane runs its own job straight away (no queue, no task).
//! Whoever ends a turn (that caller, or the task of the previous batch) takes the queue and
//! spawns a task that sends it as one batch: a batch is never tied to a caller's future, so a
//! caller that goes away neither loses nor blocks the others. The lane is idle again, with no
//! task left, once a turn ends with an empty queue.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// Most admissions sent in one batch (a longer queue goes out in several).
pub(crate) const MAX_BATCH: usize = 64;

/// A queued job and where its result goes.
pub(crate) struct Waiter<J, R> {
    pub(crate) job: J,
    pub(crate) reply: oneshot::Sender<R>,
}

/// One lane's state: a turn is running (the lane exists only then), and what waits for the
/// next one.
struct Lane<J, R> {
    queue: Vec<Waiter<J, R>>,
}

/// What a caller does on entering a lane.
pub(crate) enum Entry<R> {
    /// The lane was idle: run the job now, then end the turn.
    Lead,
    /// A turn is running: the job went into the queue; its result comes here.
    Queued(oneshot::Receiver<R>),
}

/// Lanes by number (e.g. a hash of the key their jobs write, so that only jobs that would
/// wait for each other anyway queue), in shards of their own lock.
pub(crate) struct Lanes<J, R> {
    shards: Box<[Mutex<Shard<J, R>>]>,
}

/// The running lanes of one shard, by number.
type Shard<J, R> = HashMap<u64, Lane<J, R>>;

/// Shards of [`Lanes`]: callers of different lanes rarely share a lock.
const SHARDS: usize = 16;

impl<J, R> std::fmt::Debug for Lanes<J, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes").finish_non_exhaustive()
    }
}

impl<J, R> Lanes<J, R> {
    /// No lane running.
    pub(crate) fn new() -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect();
        Self { shards }
    }

    fn lock(&self, lane: u64) -> MutexGuard<'_, Shard<J, R>> {
        let shard = usize::try_from(lane % SHARDS as u64).unwrap_or(0);
        // No panic can happen while the lock is held; a poisoned state is still sound.
        self.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Leads an idle lane, or queues `job()` behind the running turn.
    pub(crate) fn enter(&self, lane: u64, job: impl FnOnce() -> J) -> Entry<R> {
        let mut lanes = self.lock(lane);
        let Some(running) = lanes.get_mut(&lane) else {
            lanes.insert(lane, Lane { queue: Vec::new() });
            return Entry::Lead;
        };
        let (reply, receiver) = oneshot::channel();
        running.queue.push(Waiter { job: job(), reply });
        Entry::Queued(receiver)
    }

    /// Ends a turn: the next batch (the lane keeps running and the caller must run it), or
    /// `None` and the lane is idle. Jobs whose caller went away are dropped unsent.
    pub(crate) fn next_batch(&self, lane: u64) -> Option<Vec<Waiter<J, R>>> {
        let mut lanes = self.lock(lane);
        let running = lanes.get_mut(&lane)?;
        running.queue.retain(|w| !w.reply.is_closed());
        if running.queue.is_empty() {
            lanes.remove(&lane);
            return None;
        }
        let take = running.queue.len().min(MAX_BATCH);
        Some(running.queue.drain(..take).collect())
    }

    /// Everything queued in a running lane (e.g. to fail it with a batch that failed, rather
    /// than let it wait for failures of its own one batch after another).
    pub(crate) fn take_queue(&self, lane: u64) -> Vec<Waiter<J, R>> {
        self.lock(lane)
            .get_mut(&lane)
            .map(|running| std::mem::take(&mut running.queue))
            .unwrap_or_default()
    }

    /// Ends a turn that cannot go on (no runtime to run a batch on): the lane is idle and
    /// every queued job is dropped, which its caller sees as a closed channel.
    pub(crate) fn abandon(&self, lane: u64) {
        self.lock(lane).remove(&lane);
    }
}
