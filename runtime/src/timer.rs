//! Timers for timed parks and sleeps: one min-heap behind a mutex, plus an atomic copy of
//! the earliest deadline so workers can check "anything due?" without the lock (and without
//! reading the clock when there are no timers at all).
//!
//! A timer names a thread and the park generation it was armed for; firing it wakes the
//! thread only if that park is still in progress (`StateCell::wake_timed`), so stale timers
//! (the thread was unparked early) are dropped silently. No worker ever blocks on a timer:
//! idle workers sleep until the earliest deadline (see `idle`).
//!
//! Lock order: the timer lock is never held while taking another runtime lock.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering::Acquire, Ordering::Release};
use std::sync::Mutex;
use std::time::Instant;

use crate::thread::ThreadRef;

const NONE: u64 = u64::MAX;

struct Entry {
    deadline: Instant,
    /// Insertion order: equal deadlines fire first-in first-out (deterministic).
    seq: u64,
    generation: u64,
    thread: ThreadRef,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so the std max-heap pops the earliest deadline.
    fn cmp(&self, other: &Entry) -> CmpOrdering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

#[derive(Default)]
struct Heap {
    entries: BinaryHeap<Entry>,
    next_seq: u64,
}

/// The runtime's timers.
pub(crate) struct Timers {
    heap: Mutex<Heap>,
    /// Earliest deadline as nanoseconds since `epoch`, or `NONE`. Written under the lock.
    earliest: AtomicU64,
    epoch: Instant,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            heap: Mutex::new(Heap::default()),
            earliest: AtomicU64::new(NONE),
            epoch: Instant::now(),
        }
    }

    fn nanos(&self, t: Instant) -> u64 {
        // Saturating: instants before the epoch count as "now", far futures as never.
        u64::try_from(t.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(NONE - 1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Heap> {
        self.heap.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wake `thread` at `deadline` if it is still in park `generation` then.
    pub(crate) fn insert(&self, deadline: Instant, generation: u64, thread: ThreadRef) {
        let mut heap = self.lock();
        let seq = heap.next_seq;
        heap.next_seq += 1;
        heap.entries.push(Entry {
            deadline,
            seq,
            generation,
            thread,
        });
        let at = self.nanos(deadline);
        if at < self.earliest.load(Acquire) {
            self.earliest.store(at, Release);
        }
    }

    /// Whether any timer (possibly stale) is armed. No clock read, no lock.
    pub(crate) fn any(&self) -> bool {
        self.earliest.load(Acquire) != NONE
    }

    /// The earliest armed deadline, if any. No lock.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match self.earliest.load(Acquire) {
            NONE => None,
            n => Some(self.epoch + std::time::Duration::from_nanos(n)),
        }
    }

    /// Whether some timer is due at `now`. No lock.
    pub(crate) fn is_due(&self, now: Instant) -> bool {
        self.earliest.load(Acquire) <= self.nanos(now)
    }

    /// Move every timer due at `now` into `due` as (thread, generation), earliest first.
    pub(crate) fn take_due(&self, now: Instant, due: &mut Vec<(ThreadRef, u64)>) {
        let mut heap = self.lock();
        while heap.entries.peek().is_some_and(|e| e.deadline <= now) {
            let e = heap.entries.pop().expect("peeked");
            due.push((e.thread, e.generation));
        }
        let earliest = heap.entries.peek().map_or(NONE, |e| self.nanos(e.deadline));
        self.earliest.store(earliest, Release);
    }

    /// Whether some armed timer can still wake its thread (stale ones cannot). Used by
    /// deadlock detection: a live timer means the program can still make progress.
    pub(crate) fn any_live(&self) -> bool {
        self.lock()
            .entries
            .iter()
            .any(|e| e.thread.0.state.is_waiting_in(e.generation))
    }

    /// Drop every timer (end of run).
    pub(crate) fn clear(&self) -> Vec<ThreadRef> {
        let mut heap = self.lock();
        self.earliest.store(NONE, Release);
        std::mem::take(&mut heap.entries)
            .into_iter()
            .map(|e| e.thread)
            .collect()
    }
}
