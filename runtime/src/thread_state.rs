//! The green-thread state machine: one atomic word per thread that decides who owns the
//! thread's continuation and guarantees a thread is never queued twice, never run on two
//! workers at once, and never loses a wake-up.
//!
//! Layout of the word: bits 0-2 the state (`RUNNABLE`, `PARKED`, `SLEEPING`, `DONE`),
//! bit 3 the park permit (`LockSupport.unpark` before `park`), bits 8.. the park generation.
//! Queued and running are one state, `RUNNABLE`: an unpark treats them alike (it leaves a
//! permit), so moving between them needs no atomic operation on the hot path; the queues
//! hand the thread over. (Debug builds also track "on a worker" to catch double runs.)
//!
//! Transitions (who makes them):
//! - `Runnable -> Parked | Sleeping`: the worker running the thread (`park`, `sleep`),
//!   bumping the generation. A park that finds the permit consumes it and stays `Runnable`
//!   (the worker requeues it).
//! - `Parked -> Runnable`: any `unpark`; the one whose CAS wins enqueues the thread.
//! - `Parked | Sleeping -> Runnable`: a timer, only if the generation still matches the park
//!   it was armed for, so stale timers never wake a later park.
//! - `Runnable -> Done`: the worker, on exit. `Done` is final.
//! - `Runnable | Sleeping` + unpark: sets the permit; nothing is enqueued.
//! - `Runnable` permit cleared: the worker running the thread (`clear_permit`), for a job
//!   that has just consumed the wake-up by other means.
//!
//! Invariant: the continuation (job or suspended coroutine) is touched only by the holder of
//! the *run token*: whoever made the thread runnable (spawn, winning unpark or timer, or the
//! worker requeueing it) until it pushes the thread on a queue, then the popping worker.
//! Queue push/pop (release/acquire) and the `AcqRel` transitions order those accesses.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

const STATE_MASK: u64 = 0b111;
const RUNNABLE: u64 = 0;
const PARKED: u64 = 1;
const SLEEPING: u64 = 2;
const DONE: u64 = 3;
const PERMIT: u64 = 1 << 3;
const GEN_SHIFT: u32 = 8;
const GEN_ONE: u64 = 1 << GEN_SHIFT;

/// Where a green thread is in its life (Java's `Thread.State`, minus monitors, which the vm owns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadState {
    /// Runnable: in exactly one run queue, or running on exactly one worker; it leaves by
    /// exiting or parking.
    Runnable,
    /// Waiting for `unpark` (or its timer, if it parked with a deadline); holds no worker.
    Parked,
    /// Sleeping until its timer fires; `unpark` only leaves a permit.
    Sleeping,
    /// Exited (or panicked); final.
    Done,
}

/// What a worker's park attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParkOutcome {
    /// The thread is now parked (or sleeping) under this generation; arm timers with it.
    Parked { generation: u64 },
    /// A permit was waiting: it is consumed and the thread is still `Runnable`; requeue it.
    PermitConsumed,
}

/// The atomic word behind a [`ThreadState`].
pub(crate) struct StateCell {
    word: AtomicU64,
    /// Debug builds: whether a worker is running the thread (catches double runs).
    #[cfg(debug_assertions)]
    on_worker: std::sync::atomic::AtomicBool,
}

fn state_of(word: u64) -> ThreadState {
    match word & STATE_MASK {
        RUNNABLE => ThreadState::Runnable,
        PARKED => ThreadState::Parked,
        SLEEPING => ThreadState::Sleeping,
        _ => ThreadState::Done,
    }
}

fn with_state(word: u64, state: u64) -> u64 {
    (word & !STATE_MASK) | state
}

impl StateCell {
    /// A new thread, about to be pushed on a run queue by its spawner.
    pub(crate) fn new_runnable() -> StateCell {
        StateCell {
            word: AtomicU64::new(RUNNABLE),
            #[cfg(debug_assertions)]
            on_worker: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(crate) fn get(&self) -> ThreadState {
        state_of(self.word.load(Acquire))
    }

    /// A worker popped the thread and runs it. Free in release builds.
    #[inline]
    pub(crate) fn begin_run(&self) {
        #[cfg(debug_assertions)]
        {
            let word = self.word.load(Acquire);
            assert_eq!(
                word & STATE_MASK,
                RUNNABLE,
                "ran a thread that is not runnable"
            );
            assert!(
                !self.on_worker.swap(true, AcqRel),
                "a thread runs on two workers at once"
            );
        }
    }

    /// The worker stops running the thread, before publishing its next state (parked,
    /// requeued, done). Free in release builds.
    #[inline]
    pub(crate) fn end_run(&self) {
        #[cfg(debug_assertions)]
        self.on_worker
            .store(false, std::sync::atomic::Ordering::Release);
    }

    /// `Runnable -> Parked`, or consume a waiting permit and stay `Runnable`.
    pub(crate) fn park(&self) -> ParkOutcome {
        let mut word = self.word.load(Relaxed);
        loop {
            debug_assert_eq!(word & STATE_MASK, RUNNABLE);
            // Either way the generation moves on, so timers armed before this point go stale.
            let (next, outcome) = if word & PERMIT != 0 {
                ((word & !PERMIT) + GEN_ONE, ParkOutcome::PermitConsumed)
            } else {
                let next = with_state(word + GEN_ONE, PARKED);
                (
                    next,
                    ParkOutcome::Parked {
                        generation: next >> GEN_SHIFT,
                    },
                )
            };
            match self.word.compare_exchange_weak(word, next, AcqRel, Relaxed) {
                Ok(_) => return outcome,
                Err(actual) => word = actual,
            }
        }
    }

    /// `Runnable -> Sleeping`: only a timer of the returned generation wakes it; a permit
    /// (set before or during the sleep) is kept for the next park.
    pub(crate) fn sleep(&self) -> u64 {
        let mut word = self.word.load(Relaxed);
        loop {
            debug_assert_eq!(word & STATE_MASK, RUNNABLE);
            let next = with_state(word + GEN_ONE, SLEEPING);
            match self.word.compare_exchange_weak(word, next, AcqRel, Relaxed) {
                Ok(_) => return next >> GEN_SHIFT,
                Err(actual) => word = actual,
            }
        }
    }

    /// `Runnable -> Done`. Final: later unparks and timers see `Done` and do nothing.
    pub(crate) fn exit(&self) {
        let prev = self.word.swap(DONE, AcqRel);
        debug_assert_eq!(prev & STATE_MASK, RUNNABLE);
    }

    /// Drop a waiting permit, by the worker running the thread. The common case (none)
    /// costs one load; a permit set concurrently may survive (its wake-up is then merely
    /// spurious).
    pub(crate) fn clear_permit(&self) {
        if self.word.load(Relaxed) & PERMIT != 0 {
            let prev = self.word.fetch_and(!PERMIT, AcqRel);
            debug_assert_eq!(prev & STATE_MASK, RUNNABLE);
        }
    }

    /// Give the thread a permit. Returns `true` if it was parked: the caller now holds the
    /// run token and must enqueue it.
    pub(crate) fn unpark(&self) -> bool {
        let mut word = self.word.load(Acquire);
        loop {
            let next = match word & STATE_MASK {
                PARKED => with_state(word, RUNNABLE),
                DONE => return false,
                _ if word & PERMIT != 0 => return false,
                _ => word | PERMIT,
            };
            match self.word.compare_exchange_weak(word, next, AcqRel, Acquire) {
                Ok(_) => return word & STATE_MASK == PARKED,
                Err(actual) => word = actual,
            }
        }
    }

    /// A timer armed for park `generation` fired. Returns `true` if that park is still in
    /// progress: the caller now holds the run token and must enqueue the thread.
    pub(crate) fn wake_timed(&self, generation: u64) -> bool {
        let mut word = self.word.load(Acquire);
        loop {
            let waiting = matches!(word & STATE_MASK, PARKED | SLEEPING);
            if !waiting || word >> GEN_SHIFT != generation {
                return false;
            }
            match self
                .word
                .compare_exchange_weak(word, with_state(word, RUNNABLE), AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
    }

    /// Is the thread still in the park (or sleep) of this generation? (Deadlock detection.)
    pub(crate) fn is_waiting_in(&self, generation: u64) -> bool {
        let word = self.word.load(Acquire);
        matches!(word & STATE_MASK, PARKED | SLEEPING) && word >> GEN_SHIFT == generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> StateCell {
        let s = StateCell::new_runnable();
        s.begin_run();
        s
    }

    #[test]
    fn park_then_unpark_hands_over_the_run_token_once() {
        let s = running();
        assert!(matches!(s.park(), ParkOutcome::Parked { .. }));
        assert_eq!(s.get(), ThreadState::Parked);
        assert!(s.unpark(), "first unpark enqueues");
        assert!(!s.unpark(), "second unpark only leaves a permit");
        assert_eq!(s.get(), ThreadState::Runnable);
    }

    #[test]
    fn unpark_before_park_is_a_permit() {
        let s = running();
        assert!(!s.unpark());
        assert_eq!(s.park(), ParkOutcome::PermitConsumed);
        assert_eq!(s.get(), ThreadState::Runnable);
        assert!(
            matches!(s.park(), ParkOutcome::Parked { .. }),
            "the permit was consumed"
        );
    }

    #[test]
    fn a_cleared_permit_no_longer_ends_a_park() {
        let s = running();
        assert!(!s.unpark());
        s.clear_permit();
        assert!(matches!(s.park(), ParkOutcome::Parked { .. }));
        assert!(s.unpark(), "the park waits for a new unpark");
    }

    #[test]
    fn stale_timer_does_not_wake_a_later_park() {
        let s = running();
        let ParkOutcome::Parked { generation: first } = s.park() else {
            panic!()
        };
        assert!(s.unpark());
        let ParkOutcome::Parked { generation: second } = s.park() else {
            panic!()
        };
        assert_ne!(first, second);
        assert!(!s.wake_timed(first), "stale timer");
        assert!(s.is_waiting_in(second));
        assert!(s.wake_timed(second));
        assert!(!s.wake_timed(second), "a timer wakes at most once");
    }

    #[test]
    fn sleep_keeps_the_permit_and_ignores_unpark() {
        let s = running();
        let generation = s.sleep();
        assert!(!s.unpark(), "unpark does not end a sleep");
        assert_eq!(s.get(), ThreadState::Sleeping);
        assert!(s.wake_timed(generation));
        assert_eq!(
            s.park(),
            ParkOutcome::PermitConsumed,
            "the permit survived the sleep"
        );
    }

    #[test]
    fn done_is_final() {
        let s = running();
        s.exit();
        assert!(!s.unpark());
        assert_eq!(s.get(), ThreadState::Done);
    }

    #[test]
    fn racing_unparks_enqueue_exactly_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        for _ in 0..200 {
            let s = Arc::new(running());
            let enqueued = Arc::new(AtomicUsize::new(0));
            let unparkers: Vec<_> = (0..3)
                .map(|_| {
                    let (s, enqueued) = (s.clone(), enqueued.clone());
                    std::thread::spawn(move || {
                        if s.unpark() {
                            enqueued.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            let parked = matches!(s.park(), ParkOutcome::Parked { .. });
            unparkers.into_iter().for_each(|t| t.join().unwrap());
            // Either the park consumed a permit (nobody enqueues) or exactly one unpark enqueued.
            assert_eq!(enqueued.load(Ordering::SeqCst), usize::from(parked));
        }
    }
}
