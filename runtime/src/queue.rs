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
//!   cannot starve the rest. (With nothing else in the queue, the slot's thread runs at once
//!   as if it had gone round it.)
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
    /// On this worker (its LIFO slot or deque).
    Local,
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
        Pushed::Local
    }

    pub(crate) fn push_next(&self, thread: ThreadRef, injector: &Injector<ThreadRef>) -> Pushed {
        if !self.use_lifo {
            return self.push_back(thread, injector);
        }
        match self.lifo.replace(Some(thread)) {
            None => Pushed::Local,
            Some(previous) => self.push_back(previous, injector),
        }
    }

    pub(crate) fn pop(&self, injector: &Injector<ThreadRef>) -> Option<ThreadRef> {
        if let Some(next) = self.lifo.take() {
            if self.lifo_runs.get() < self.max_lifo_runs {
                self.lifo_runs.set(self.lifo_runs.get() + 1);
                return Some(next);
            }
            if self.deque.is_empty() {
                // Nobody else waits here: queueing it would only pop it again (a FIFO pop
                // is a locked instruction), so it runs as if it had come from the queue.
                self.lifo_runs.set(0);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crossbeam_utils::sync::Parker;

    use super::*;
    use crate::policy::StealHalf;
    use crate::shared::Shared;
    use crate::{Config, Context, SpawnOptions, Step};

    fn threads(n: usize) -> Vec<ThreadRef> {
        let parker = Parker::new();
        let deque: Deque<ThreadRef> = Deque::new_fifo();
        let shared = Arc::new(Shared::new(
            &Config {
                workers: 1,
                ..Config::default()
            },
            Arc::new(StealHalf),
            vec![deque.stealer()],
            vec![parker.unparker().clone()],
        ));
        let job = |_: &mut Context| Step::Exit;
        (0..n)
            .map(|_| shared.new_thread(Box::new(job), SpawnOptions::default()))
            .collect()
    }

    fn ids(ts: impl IntoIterator<Item = ThreadRef>) -> Vec<u64> {
        ts.into_iter().map(|t| t.id()).collect()
    }

    #[test]
    fn overflow_moves_the_older_half_to_the_injector() {
        let injector = Injector::new();
        let queue = RunQueue::new(false, 3, 4, Placement::Local);
        let ts = threads(5);
        for t in &ts[..4] {
            assert_eq!(queue.push_back(t.clone(), &injector), Pushed::Local);
        }
        assert_eq!(queue.push_back(ts[4].clone(), &injector), Pushed::Global);
        assert_eq!(
            ids(std::iter::from_fn(|| injector.steal().success())),
            vec![1, 2]
        );
        assert_eq!(ids(queue.drain()), vec![3, 4, 5]);
    }

    #[test]
    fn lifo_slot_runs_next_but_at_most_max_lifo_runs_in_a_row() {
        let injector = Injector::new();
        let queue = RunQueue::new(true, 2, 16, Placement::Local);
        let ts = threads(4);
        queue.push_back(ts[0].clone(), &injector); // 1 waits in the deque
                                                   // 2, 3, 4 each take the slot in turn, as if each woke the next.
        let mut order = Vec::new();
        queue.push_next(ts[1].clone(), &injector);
        order.push(queue.pop(&injector).unwrap().id());
        queue.push_next(ts[2].clone(), &injector);
        order.push(queue.pop(&injector).unwrap().id());
        queue.push_next(ts[3].clone(), &injector);
        // Two LIFO runs in a row used up the budget: the deque's thread goes first.
        order.push(queue.pop(&injector).unwrap().id());
        order.push(queue.pop(&injector).unwrap().id());
        assert_eq!(order, vec![2, 3, 1, 4]);
        assert!(queue.pop(&injector).is_none());
    }

    #[test]
    fn global_placement_bypasses_the_deque() {
        let injector = Injector::new();
        let queue = RunQueue::new(true, 3, 16, Placement::Global);
        let ts = threads(2);
        assert_eq!(queue.push_back(ts[0].clone(), &injector), Pushed::Global);
        assert_eq!(queue.push_next(ts[1].clone(), &injector), Pushed::Local);
        assert_eq!(queue.waiting(), 1);
        assert_eq!(injector.len(), 1);
    }
}
