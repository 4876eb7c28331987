//! Injected time, so that windows and reservation expiry can be tested without sleeping.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
///
/// The engine never reads the system clock directly; it asks its `Clock`, so tests can
/// move time across window boundaries and past reservation TTLs at will.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock as the kernel last stamped it (`CLOCK_REALTIME_COARSE` on Linux: a
/// timestamp updated every scheduler tick, 1–4 ms), elsewhere the same as [`SystemClock`].
///
/// The limiter's default: reading it costs a fraction of a precise reading (figures in
/// `bench/RESULTS.md`), on every request, and a limiter needs no finer time — windows are
/// hours to months, reservations live minutes and reset headers count whole seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoarseClock;

impl Clock for CoarseClock {
    fn now(&self) -> DateTime<Utc> {
        coarse_now().unwrap_or_else(Utc::now)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn coarse_now() -> Option<DateTime<Utc>> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    DateTime::from_timestamp(t.tv_sec, u32::try_from(t.tv_nsec).ok()?)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn coarse_now() -> Option<DateTime<Utc>> {
    None
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct FakeClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl FakeClock {
    /// A fake clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward (or backward, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_clock_reads_the_wall_clock_up_to_its_tick() {
        let before = Utc::now();
        let coarse = CoarseClock.now();
        let after = Utc::now();
        // The coarse stamp is at most a tick old (a second is far beyond any tick) and never
        // ahead of the precise clock.
        assert!(
            coarse >= before - Duration::seconds(1),
            "{coarse} vs {before}"
        );
        assert!(coarse <= after, "{coarse} vs {after}");
    }
}
