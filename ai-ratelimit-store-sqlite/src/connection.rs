//! The store's SQLite connections, and on which thread each statement runs.
//!
//! Statements run through `rusqlite` on the calling thread, not through sqlx: sqlx's SQLite
//! driver hands every statement to a worker thread and its answer back, two cross-thread
//! wake-ups per statement, which were most of an admission's cost and latency (issue "Proxy
//! overhead"; figures in `bench/RESULTS.md`). A write here is a few tens of microseconds of
//! SQLite work under the writer's mutex, short enough for an async worker thread, as long as
//! it never waits for SQLite's write lock: the writer's busy timeout is zero, and a write that
//! finds the file locked by another connection or process goes again on a blocking thread
//! ([`tokio::task::spawn_blocking`]) on a second connection that waits up to the busy
//! timeout. The writer never checkpoints the WAL on its commits either (a checkpoint copies
//! pages and syncs the files, milliseconds here). Every [`CHECKPOINT_EVERY`] commits the
//! store checkpoints on a blocking thread in two steps: first beside the writes, which syncs
//! and copies the bulk of the frames, then once more while its writes wait in their queue
//! (see the crate docs), which syncs and copies only the frames written meanwhile, so that
//! every frame is copied and the next write starts the WAL over, as SQLite's own checkpoint
//! after a commit would. (A sync's cost grows with the frames it flushes: with one step in
//! the queue, writes waited for the whole WAL's.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::error::{SqliteStoreError, classify};

/// Commits between two checkpoints of the WAL (SQLite's own automatic checkpoint runs at
/// 1000 pages; a commit writes one or a few).
const CHECKPOINT_EVERY: u64 = 256;

/// Where the WAL's checkpoint stands: not started, its first step running beside the
/// writes, or that step done and the last one due in the write queue.
const CHECKPOINT_IDLE: u8 = 0;
const CHECKPOINT_COPYING: u8 = 1;
const CHECKPOINT_COPIED: u8 = 2;

/// Where the database is.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// A file, shared with other connections and processes.
    File(PathBuf),
    /// A private in-memory database: one connection, nothing else can lock it.
    Memory,
}

/// The store's connections.
pub(crate) struct Connections {
    /// Runs writes on the caller's thread; never waits for the write lock.
    writer: Mutex<Connection>,
    /// Waits for the write lock on a blocking thread (files only): writes that found the
    /// file locked, purges and checkpoints.
    patient: Option<Arc<Mutex<Connection>>>,
    /// Reads (files only; an in-memory database reads on the writer).
    readers: Vec<Mutex<Connection>>,
    busy_timeout: Duration,
    /// Commits since the last checkpoint.
    commits: AtomicU64,
    /// The checkpoint's step (`CHECKPOINT_*`), shared with its first step's thread.
    checkpoint: Arc<AtomicU8>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("readers", &self.readers.len())
            .field("busy_timeout", &self.busy_timeout)
            .finish_non_exhaustive()
    }
}

/// A connection whose mutex a panicking statement left poisoned is still usable: a
/// statement's transaction rolls back when it is dropped.
fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn open(location: &Location, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let connection = match location {
        Location::File(path) => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?,
        Location::Memory => Connection::open_in_memory()?,
    };
    connection.busy_timeout(busy_timeout)?;
    // WAL mode is the file's own (set when the migrations opened it); see the crate docs
    // for the durability of `NORMAL`.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(connection)
}

impl Connections {
    /// Opens the writer, and for a file the patient writer and `readers` readers.
    pub(crate) fn open(
        location: &Location,
        readers: u32,
        busy_timeout: Duration,
    ) -> Result<Self, SqliteStoreError> {
        let opened = || open(location, busy_timeout).map_err(SqliteStoreError::Open);
        let writer = opened()?;
        writer
            .busy_timeout(Duration::ZERO)
            .map_err(SqliteStoreError::Open)?;
        let (patient, readers) = match location {
            Location::File(_) => {
                writer
                    .pragma_update(None, "wal_autocheckpoint", 0)
                    .map_err(SqliteStoreError::Open)?;
                let readers = (0..readers)
                    .map(|_| opened().map(Mutex::new))
                    .collect::<Result<_, _>>()?;
                (Some(Arc::new(Mutex::new(opened()?))), readers)
            }
            Location::Memory => (None, Vec::new()),
        };
        Ok(Self {
            writer: Mutex::new(writer),
            patient,
            readers,
            busy_timeout,
            commits: AtomicU64::new(0),
            checkpoint: Arc::new(AtomicU8::new(CHECKPOINT_IDLE)),
        })
    }

    /// Runs `job` on the writer in the caller's thread; if the file was locked, again on a
    /// blocking thread once the lock is free (within the busy timeout). `job` must leave
    /// nothing done when it fails (one statement, or one transaction).
    pub(crate) async fn write<T, F>(&self, job: F) -> Result<T, SqliteStoreError>
    where
        T: Send + 'static,
        F: Fn(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        // The busy timeout bounds the whole write, the inline attempt included.
        let queued = Instant::now();
        let inline = job(&mut lock(&self.writer));
        let result = match (inline, &self.patient) {
            (Err(e), Some(patient)) if is_busy(&e) => {
                let (patient, busy_timeout) = (patient.clone(), self.busy_timeout);
                tokio::task::spawn_blocking(move || {
                    let mut connection = lock(&patient);
                    // Writes queue here one after another: each waits for the lock only
                    // for what is left of its own busy timeout.
                    let left = busy_timeout.saturating_sub(queued.elapsed());
                    if left.is_zero() {
                        return Err(SqliteStoreError::Timeout(busy_timeout));
                    }
                    let result = connection
                        .busy_timeout(left)
                        .and_then(|()| job(&mut connection));
                    let _ = connection.busy_timeout(busy_timeout);
                    result.map_err(|e| classify(e, busy_timeout))
                })
                .await
                .map_err(|e| SqliteStoreError::Interrupted(e.to_string()))??
            }
            (result, _) => result.map_err(|e| self.error(e))?,
        };
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.start_checkpoint_if_due();
        Ok(result)
    }

    /// Runs `job` on the patient writer on a blocking thread (inline for an in-memory
    /// database): for long writes such as purges.
    pub(crate) async fn write_in_background<T, F>(&self, job: F) -> Result<T, SqliteStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let result = match &self.patient {
            Some(patient) => {
                let patient = patient.clone();
                tokio::task::spawn_blocking(move || job(&mut lock(&patient)))
                    .await
                    .map_err(|e| SqliteStoreError::Interrupted(e.to_string()))?
            }
            None => job(&mut lock(&self.writer)),
        };
        result.map_err(|e| self.error(e))
    }

    /// Runs `job` on a free reader (the first one if all are busy), or on the writer of an
    /// in-memory database.
    pub(crate) fn read<T>(
        &self,
        job: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, SqliteStoreError> {
        let free = self.readers.iter().find_map(|r| r.try_lock().ok());
        let result = match (free, self.readers.first()) {
            (Some(reader), _) => job(&reader),
            (None, Some(first)) => job(&lock(first)),
            (None, None) => job(&lock(&self.writer)),
        };
        result.map_err(|e| self.error(e))
    }

    pub(crate) fn error(&self, e: rusqlite::Error) -> SqliteStoreError {
        classify(e, self.busy_timeout)
    }

    /// After [`CHECKPOINT_EVERY`] commits (a file's), starts the checkpoint's first step on
    /// a blocking thread, beside the writes: it syncs and copies the frames written so far.
    fn start_checkpoint_if_due(&self) {
        let Some(patient) = &self.patient else {
            return;
        };
        if self.commits.load(Ordering::Relaxed) < CHECKPOINT_EVERY
            || self
                .checkpoint
                .compare_exchange(
                    CHECKPOINT_IDLE,
                    CHECKPOINT_COPYING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_err()
        {
            return;
        }
        let (patient, step) = (patient.clone(), self.checkpoint.clone());
        // Not awaited: the step tells the writes it is done through `step`.
        drop(tokio::task::spawn_blocking(move || {
            passive_checkpoint(&patient);
            step.store(CHECKPOINT_COPIED, Ordering::Release);
        }));
    }

    /// Whether the checkpoint's last step is due: to run while no write of this store runs.
    pub(crate) fn checkpoint_due(&self) -> bool {
        self.checkpoint.load(Ordering::Acquire) == CHECKPOINT_COPIED
    }

    /// The checkpoint's last step, on a blocking thread: run while no write of this store
    /// runs, it copies the frames left, and the next write starts the WAL over.
    pub(crate) async fn checkpoint(&self) {
        let Some(patient) = &self.patient else {
            return;
        };
        self.commits.store(0, Ordering::Relaxed);
        let patient = patient.clone();
        drop(tokio::task::spawn_blocking(move || passive_checkpoint(&patient)).await);
        self.checkpoint.store(CHECKPOINT_IDLE, Ordering::Release);
    }
}

/// A checkpoint that waits for no one (another process's readers keep their frames).
fn passive_checkpoint(patient: &Mutex<Connection>) {
    if let Err(e) = lock(patient).query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "checkpointing the usage store's WAL failed");
    }
}

/// SQLITE_BUSY: another connection holds the lock (SQLITE_LOCKED cannot happen without a
/// shared cache).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy)
    )
}
