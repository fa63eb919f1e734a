//! Who is searching for work and who is asleep, and the rules for waking workers.
//! Waking an OS thread on another core costs about 25 µs here (FACTS.md), so the rules aim
//! to wake a worker only when there is work it can take and nobody is already looking.
//!
//! - **Searching**: a worker looking for work (injector, steal, timers) counts itself in
//!   `num_searching`; at most half the workers search at once. A worker woken by `notify`
//!   starts out searching (the notifier counts it).
//! - **Notify** (after pushing work others may take): wake one sleeper, but only if none is
//!   searching (a searcher will find the work) and someone sleeps.
//! - **Sleep**: register in `sleepers` under the lock, then (outside it) re-check for work,
//!   then park. The SeqCst fence on both sides (push; fence; read counts) versus (register;
//!   fence; re-check queues) means either the notifier sees the sleeper or the sleeper sees
//!   the work: no lost wake-up.
//! - **Timers**: one sleeper, the watcher, sleeps until the earliest deadline; the others
//!   sleep without timeout. A sleeper with an earlier deadline than the watcher's takes over.
//! - **All asleep**: the last worker to register while every other worker sleeps runs the
//!   deadlock verdict under the lock; nothing can become runnable while all are asleep except
//!   by a foreign OS thread's `unpark`.
//!
//! `sleepers` and `timer_watch` are guarded by the mutex; `num_sleeping` mirrors the list's
//! length for lock-free reads; `num_searching` is updated by searchers and notifiers.

use std::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crossbeam_utils::sync::Unparker;

struct Sleepers {
    /// Indices of workers that are asleep or about to be.
    list: Vec<usize>,
    /// The deadline the timer-watching sleeper sleeps until.
    timer_watch: Option<Instant>,
}

/// What registering as a sleeper decided.
pub(crate) enum Registration {
    /// Park, until `deadline` if this worker is the timer watcher.
    Sleep { deadline: Option<Instant> },
    /// Every worker is asleep and the verdict said nothing can ever run again.
    NothingCanRun,
}

pub(crate) struct Idle {
    workers: usize,
    num_searching: AtomicUsize,
    num_sleeping: AtomicUsize,
    sleepers: Mutex<Sleepers>,
    unparkers: Box<[Unparker]>,
}

impl Idle {
    pub(crate) fn new(unparkers: Vec<Unparker>) -> Idle {
        Idle {
            workers: unparkers.len(),
            num_searching: AtomicUsize::new(0),
            num_sleeping: AtomicUsize::new(0),
            sleepers: Mutex::new(Sleepers {
                list: Vec::with_capacity(unparkers.len()),
                timer_watch: None,
            }),
            unparkers: unparkers.into_boxed_slice(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Sleepers> {
        self.sleepers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Become a searcher, unless half the workers already are.
    pub(crate) fn try_start_searching(&self) -> bool {
        if 2 * self.num_searching.load(SeqCst) >= self.workers.max(2) {
            return false;
        }
        self.num_searching.fetch_add(1, SeqCst);
        true
    }

    /// Stop searching. Returns `true` if this was the last searcher.
    pub(crate) fn stop_searching(&self) -> bool {
        self.num_searching.fetch_sub(1, SeqCst) == 1
    }

    /// Work was just pushed where other workers can take it: wake one sleeper if nobody is
    /// searching. Returns the woken worker.
    pub(crate) fn notify_one(&self) -> Option<usize> {
        fence(SeqCst);
        if self.num_searching.load(SeqCst) != 0 || self.num_sleeping.load(SeqCst) == 0 {
            return None;
        }
        let mut sleepers = self.lock();
        if self.num_searching.load(SeqCst) != 0 {
            return None;
        }
        let woken = sleepers.list.pop()?;
        self.num_sleeping.store(sleepers.list.len(), SeqCst);
        // The woken worker starts out searching; counting it now stops a burst of pushes
        // from waking every sleeper for the same work.
        self.num_searching.fetch_add(1, SeqCst);
        drop(sleepers);
        self.unparkers[woken].unpark();
        Some(woken)
    }

    /// Wake every worker (shutdown).
    pub(crate) fn notify_all(&self) {
        for unparker in self.unparkers.iter() {
            unparker.unpark();
        }
    }

    /// Register `worker` as a sleeper. `next_timer` is the earliest armed deadline; if
    /// every worker is now asleep, `nothing_can_run` is asked (under the lock) for the verdict.
    pub(crate) fn register_sleeper(
        &self,
        worker: usize,
        next_timer: Option<Instant>,
        nothing_can_run: impl FnOnce() -> bool,
    ) -> Registration {
        let mut sleepers = self.lock();
        sleepers.list.push(worker);
        self.num_sleeping.store(sleepers.list.len(), SeqCst);
        if sleepers.list.len() == self.workers && nothing_can_run() {
            return Registration::NothingCanRun;
        }
        let deadline = match (next_timer, sleepers.timer_watch) {
            (Some(next), Some(watched)) if next >= watched => None,
            (Some(next), _) => {
                sleepers.timer_watch = Some(next);
                Some(next)
            }
            (None, _) => None,
        };
        Registration::Sleep { deadline }
    }

    /// `worker` is awake again (or decided not to sleep). Returns `true` if a notifier woke
    /// it, in which case it was counted as searching and must act as a searcher.
    pub(crate) fn unregister_sleeper(&self, worker: usize, watched: Option<Instant>) -> bool {
        let mut sleepers = self.lock();
        if watched.is_some() && sleepers.timer_watch == watched {
            sleepers.timer_watch = None;
        }
        match sleepers.list.iter().position(|&w| w == worker) {
            Some(at) => {
                sleepers.list.swap_remove(at);
                self.num_sleeping.store(sleepers.list.len(), SeqCst);
                false
            }
            None => true,
        }
    }

    /// How many workers are asleep (or about to be).
    pub(crate) fn num_sleeping(&self) -> usize {
        self.num_sleeping.load(SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_utils::sync::Parker;

    fn idle(workers: usize) -> (Idle, Vec<Parker>) {
        let parkers: Vec<Parker> = (0..workers).map(|_| Parker::new()).collect();
        (
            Idle::new(parkers.iter().map(|p| p.unparker().clone()).collect()),
            parkers,
        )
    }

    #[test]
    fn notify_wakes_a_sleeper_as_a_searcher() {
        let (idle, _parkers) = idle(2);
        assert!(matches!(
            idle.register_sleeper(1, None, || false),
            Registration::Sleep { deadline: None }
        ));
        assert_eq!(idle.notify_one(), Some(1));
        assert_eq!(
            idle.notify_one(),
            None,
            "the woken worker is searching: no second wake"
        );
        assert!(idle.unregister_sleeper(1, None), "woken by notify");
        assert!(idle.stop_searching());
    }

    #[test]
    fn no_wake_while_someone_searches() {
        let (idle, _parkers) = idle(3);
        assert!(idle.try_start_searching());
        let _ = idle.register_sleeper(2, None, || false);
        assert_eq!(idle.notify_one(), None);
        assert!(!idle.unregister_sleeper(2, None), "not woken by notify");
    }

    #[test]
    fn at_most_half_search() {
        let (idle, _parkers) = idle(4);
        assert!(idle.try_start_searching());
        assert!(idle.try_start_searching());
        assert!(!idle.try_start_searching());
    }

    #[test]
    fn earliest_deadline_sleeper_watches_timers() {
        let (idle, _parkers) = idle(3);
        let now = Instant::now();
        let later = now + std::time::Duration::from_secs(1);
        let Registration::Sleep { deadline: a } = idle.register_sleeper(0, Some(later), || false)
        else {
            panic!()
        };
        let Registration::Sleep { deadline: b } = idle.register_sleeper(1, Some(later), || false)
        else {
            panic!()
        };
        let Registration::Sleep { deadline: c } = idle.register_sleeper(2, Some(now), || false)
        else {
            panic!()
        };
        assert_eq!((a, b, c), (Some(later), None, Some(now)));
    }

    #[test]
    fn last_sleeper_gets_the_verdict() {
        let (idle, _parkers) = idle(2);
        let _ = idle.register_sleeper(0, None, || unreachable!("not everyone is asleep"));
        assert!(matches!(
            idle.register_sleeper(1, None, || true),
            Registration::NothingCanRun
        ));
    }
}
