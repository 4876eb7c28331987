//! Group commit: while one round trip of a lane is in flight, the jobs of that lane that
//! arrive queue, and the next round trip takes them all at once.
//!
//! For stores whose round trips or commits are the cost (the PostgreSQL and Redis stores'
//! round trips, the SQLite store's commits): the store decides what a lane is and how a
//! batch runs; this module only decides who runs what, and when.
//!
//! The first caller of an idle lane runs its own job straight away (no queue, no task).
//! Whoever ends a turn (that caller, or the task of the previous batch) takes the queue and
//! spawns a task that sends it as one batch: a batch is never tied to a caller's future, so a
//! caller that goes away neither loses nor blocks the others. The lane is idle again, with no
//! task left, once a turn ends with an empty queue.
//!
//! A store puts its jobs in [`Lanes`], holds a [`Turn`] while it leads a round trip, and says
//! how a batch goes out through a [`BatchSender`].

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::store::UsageKey;

/// How a store sends the batches of one kind of job (implemented on a private marker type,
/// so that the store's own API does not grow).
pub trait BatchSender: 'static {
    /// The store (a cheap clone: a batch's task owns one).
    type Store: Clone + Send + Sync + 'static;
    /// A queued job.
    type Job: Send + 'static;
    /// A job's answer.
    type Answer: Send + 'static;

    /// The store's lanes of these jobs.
    fn lanes(store: &Self::Store) -> &Lanes<Self::Job, Self::Answer>;

    /// Sends `batch` (queued jobs of `lane`) in one round trip and answers each waiter.
    fn send(
        store: &Self::Store,
        lane: u64,
        batch: Vec<Waiter<Self::Job, Self::Answer>>,
    ) -> impl Future<Output = ()> + Send;
}

/// A lane's turn, held by whoever runs the lane's current round trip (the caller that led
/// it, or the task of a batch). Ending it, however (done, failed, or its future dropped),
/// hands the jobs queued meanwhile to a task that sends them as the next batch, or leaves
/// the lane idle.
pub struct Turn<'a, B: BatchSender> {
    store: &'a B::Store,
    lane: u64,
}

impl<'a, B: BatchSender> Turn<'a, B> {
    /// The turn of `lane`, for a caller whose [`Lanes::enter`] returned [`Entry::Lead`].
    pub fn new(store: &'a B::Store, lane: u64) -> Self {
        Self { store, lane }
    }
}

impl<B: BatchSender> Drop for Turn<'_, B> {
    fn drop(&mut self) {
        let (store, lane) = (self.store, self.lane);
        let Some(batch) = B::lanes(store).next_batch(lane) else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let store = store.clone();
                runtime.spawn(async move {
                    let _turn = Turn::<B>::new(&store, lane);
                    B::send(&store, lane, batch).await;
                });
            }
            // Ended outside a runtime: nothing can send the batch; dropping its jobs closes
            // their callers' channels, which they see as an error.
            Err(_) => {
                drop(batch);
                B::lanes(store).abandon(lane);
            }
        }
    }
}

/// Admission lanes of one scope's period (see [`admission_lane`]).
///
/// Admissions of different identities batch too (one round trip for many), while a few
/// batches of a busy scope run side by side (one lane's batches run one after another,
/// leaving the store idle in between) and a lock held elsewhere stalls only its lane. The
/// count was chosen by the store benches (lanes 1 vs 4 vs one per counter, in
/// `bench/RESULTS.md`).
pub const LANES_PER_PERIOD: u64 = 4;

/// The group-commit lane of an admission: one of [`LANES_PER_PERIOD`] lanes of its scope's
/// period, picked by identity, so one identity's admissions always share a lane and a batch
/// holds one scope and period (save a 64-bit hash collision, which stores must tolerate).
pub fn admission_lane(key: &UsageKey) -> u64 {
    let mut identity = DefaultHasher::new();
    key.identity.hash(&mut identity);
    let mut hasher = DefaultHasher::new();
    (
        &key.scope,
        &key.period,
        identity.finish() % LANES_PER_PERIOD,
    )
        .hash(&mut hasher);
    hasher.finish()
}

/// Most admissions sent in one batch (a longer queue goes out in several).
pub const MAX_BATCH: usize = 64;

/// A queued job and where its result goes.
pub struct Waiter<J, R> {
    /// What to run.
    pub job: J,
    /// Where its result goes (closed when its caller went away).
    pub reply: oneshot::Sender<R>,
}

/// One lane's state: a turn is running (the lane exists only then), and what waits for the
/// next one.
struct Lane<J, R> {
    queue: Vec<Waiter<J, R>>,
}

/// What a caller does on entering a lane.
pub enum Entry<R> {
    /// The lane was idle: run the job now, then end the turn.
    Lead,
    /// A turn is running: the job went into the queue; its result comes here.
    Queued(oneshot::Receiver<R>),
}

/// Lanes by number (e.g. a hash of the key their jobs write, so that only jobs that would
/// wait for each other anyway queue), in shards of their own lock.
pub struct Lanes<J, R> {
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

impl<J, R> Default for Lanes<J, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<J, R> Lanes<J, R> {
    /// No lane running.
    pub fn new() -> Self {
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
    pub fn enter(&self, lane: u64, job: impl FnOnce() -> J) -> Entry<R> {
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
    pub fn next_batch(&self, lane: u64) -> Option<Vec<Waiter<J, R>>> {
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
    pub fn take_queue(&self, lane: u64) -> Vec<Waiter<J, R>> {
        self.lock(lane)
            .get_mut(&lane)
            .map(|running| std::mem::take(&mut running.queue))
            .unwrap_or_default()
    }

    /// Ends a turn that cannot go on (no runtime to run a batch on): the lane is idle and
    /// every queued job is dropped, which its caller sees as a closed channel.
    pub fn abandon(&self, lane: u64) {
        self.lock(lane).remove(&lane);
    }
}

impl<J, T, E: Clone> Lanes<J, Result<T, E>> {
    /// Answers `batch` and every job queued in `lane` meanwhile with `error`: when the store
    /// is unreachable or too slow, the queued jobs hear it now instead of each batch of them
    /// waiting out its own timeout.
    pub fn fail(&self, lane: u64, batch: Vec<Waiter<J, Result<T, E>>>, error: E) {
        for waiter in batch.into_iter().chain(self.take_queue(lane)) {
            // A caller that went away meanwhile needs no answer.
            let _ = waiter.reply.send(Err(error.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued<R>(entry: Entry<R>) -> oneshot::Receiver<R> {
        match entry {
            Entry::Queued(receiver) => receiver,
            Entry::Lead => panic!("expected to queue behind the running turn"),
        }
    }

    #[test]
    fn an_idle_lane_is_led_a_running_one_queues_in_order_and_gone_callers_are_skipped() {
        let lanes: Lanes<u32, u32> = Lanes::new();
        assert!(matches!(lanes.enter(7, || 1), Entry::Lead));
        let mut second = queued(lanes.enter(7, || 2));
        drop(queued(lanes.enter(7, || 3)));
        let mut fourth = queued(lanes.enter(7, || 4));
        // Another lane is independent of lane 7's turn.
        assert!(matches!(lanes.enter(8, || 9), Entry::Lead));

        let batch = lanes.next_batch(7).expect("jobs queued behind the first");
        assert_eq!(batch.iter().map(|w| w.job).collect::<Vec<_>>(), [2, 4]);
        for waiter in batch {
            waiter.reply.send(waiter.job * 10).expect("caller waiting");
        }
        assert_eq!(second.try_recv().expect("answered"), 20);
        assert_eq!(fourth.try_recv().expect("answered"), 40);
        // The turn ends with an empty queue: the lane is idle, led again by the next caller.
        assert!(lanes.next_batch(7).is_none());
        assert!(matches!(lanes.enter(7, || 5), Entry::Lead));
    }

    #[test]
    fn a_long_queue_goes_out_in_batches_of_at_most_max_batch_and_abandon_drops_it() {
        let lanes: Lanes<usize, ()> = Lanes::new();
        assert!(matches!(lanes.enter(1, || 0), Entry::Lead));
        let receivers: Vec<_> = (1..=MAX_BATCH + 6)
            .map(|i| queued(lanes.enter(1, || i)))
            .collect();
        let first = lanes.next_batch(1).expect("a full batch");
        assert_eq!(first.len(), MAX_BATCH);
        assert_eq!(first[0].job, 1);
        let rest = lanes.take_queue(1);
        assert_eq!(
            rest.iter().map(|w| w.job).collect::<Vec<_>>(),
            (MAX_BATCH + 1..=MAX_BATCH + 6).collect::<Vec<_>>()
        );
        drop(rest);
        lanes.abandon(1);
        assert!(
            receivers
                .into_iter()
                .skip(MAX_BATCH)
                .all(|mut r| r.try_recv().is_err())
        );
        assert!(matches!(lanes.enter(1, || 0), Entry::Lead));
    }
}
