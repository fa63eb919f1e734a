//! One worker's run queue: an optional run-next (LIFO) slot in front of a bounded FIFO
//! deque whose far end other workers steal from.
//!
//! - `push_back` appends to the deque (or to the injector under a `Global` placement).
//!   When the deque holds `cap` threads, its older half moves to the injector first
//!   (Go/Tokio overflow), so the bound holds and the overflow becomes visible to everyone.
//! - `push_next` puts a just-spawned/woken thread in the LIFO slot; the previous occupant
//!   is pushed back. Without a LIFO slot it is `push_back`.
//! - `pop` takes the LIFO slot, but at most `max_lifo_runs` times in a row: then the slot's
//!   thread goes to the back and the queue gets a turn, so two threads waking each other
//!   cannot starve the rest.
//!
//! Owned by one worker (`Deque` and the `Cell`s are single-threaded); reached only through
//! `&` by that worker's loop and by its coroutines (which run on the same OS thread).

use std::cell::Cell;

use crossbeam_deque::{Injector, Stealer, Worker as Deque};

use crate::policy::Placement;
use crate::thread::ThreadRef;

/// Most threads one batch steal moves (crossbeam's own default batch size).
const MAX_BATCH: usize = 32;

/// Where a push put the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// On this worker; `waiting` threads (deque + LIFO slot) now wait here.
    Local { waiting: usize },
    /// On the injector (global placement or overflow): other workers may take it.
    Global,
}

pub(crate) struct RunQueue {
    deque: Deque<ThreadRef>,
    lifo: Cell<Option<ThreadRef>>,
    lifo_runs: Cell<u32>,
    use_lifo: bool,
    max_lifo_runs: u32,
    cap: usize,
    placement: Placement,
}

impl RunQueue {
    pub(crate) fn new(
        use_lifo: bool,
        max_lifo_runs: u32,
        cap: usize,
        placement: Placement,
    ) -> RunQueue {
        RunQueue {
            deque: Deque::new_fifo(),
            lifo: Cell::new(None),
            lifo_runs: Cell::new(0),
            use_lifo,
            max_lifo_runs: max_lifo_runs.max(1),
            cap: cap.max(2),
            placement,
        }
    }

    pub(crate) fn stealer(&self) -> Stealer<ThreadRef> {
        self.deque.stealer()
    }

    /// The deque, for policies that move stolen batches into it.
    pub(crate) fn deque(&self) -> &Deque<ThreadRef> {
        &self.deque
    }

    /// Most threads a batch steal may move into this queue.
    pub(crate) fn batch_limit(&self) -> usize {
        (self.cap / 2).clamp(1, MAX_BATCH)
    }

    /// Threads waiting here (deque plus LIFO slot).
    pub(crate) fn waiting(&self) -> usize {
        // `Cell<Option<_>>` has no borrowing read: take the slot and put it back.
        let lifo = self.lifo.take();
        let n = self.deque.len() + usize::from(lifo.is_some());
        self.lifo.set(lifo);
        n
    }

    pub(crate) fn push_back(&self, thread: ThreadRef, injector: &Injector<ThreadRef>) -> Pushed {
        if self.placement == Placement::Global {
            injector.push(thread);
            return Pushed::Global;
        }
        if self.deque.len() >= self.cap {
            self.spill_half(injector);
            self.deque.push(thread);
            return Pushed::Global;
        }
        self.deque.push(thread);
        Pushed::Local {
            waiting: self.deque.len() + 1,
        }
    }

    pub(crate) fn push_next(&self, thread: ThreadRef, injector: &Injector<ThreadRef>) -> Pushed {
        if !self.use_lifo {
            return self.push_back(thread, injector);
        }
        match self.lifo.replace(Some(thread)) {
            None => Pushed::Local {
                waiting: self.deque.len() + 1,
            },
            Some(previous) => match self.push_back(previous, injector) {
                Pushed::Local { waiting } => Pushed::Local {
                    waiting: waiting + 1,
                },
                Pushed::Global => Pushed::Global,
            },
        }
    }

    pub(crate) fn pop(&self, injector: &Injector<ThreadRef>) -> Option<ThreadRef> {
        if let Some(next) = self.lifo.take() {
            if self.lifo_runs.get() < self.max_lifo_runs {
                self.lifo_runs.set(self.lifo_runs.get() + 1);
                return Some(next);
            }
            // The slot had its turns: its thread queues like everyone else.
            self.push_back(next, injector);
        }
        self.lifo_runs.set(0);
        self.deque.pop()
    }

    /// Move the older half of the deque to the injector.
    fn spill_half(&self, injector: &Injector<ThreadRef>) {
        for _ in 0..self.deque.len() / 2 {
            match self.deque.pop() {
                Some(thread) => injector.push(thread),
                None => break,
            }
        }
    }

    /// Everything still queued here (end of run).
    pub(crate) fn drain(&self) -> Vec<ThreadRef> {
        let mut all: Vec<ThreadRef> = self.lifo.take().into_iter().collect();
        while let Some(t) = self.deque.pop() {
            all.push(t);
        }
        all
    }
}
