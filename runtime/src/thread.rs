//! [`ThreadRef`]: the cheap, cloneable, `Send + Sync` handle to a green thread, and the
//! cell behind it (80 bytes including the `Arc` header, in release builds; pinned by a
//! test). A thread's cell lives as long as any handle to it, long after the thread ended
//! (the vm keeps one per thread object), so it is kept small.
//!
//! Invariants:
//! - `continuation` is read and written only by the holder of the run token (see
//!   `thread_state`): the worker running the thread, or whoever just made it runnable
//!   and has not yet pushed it on a queue. Queue push/pop and the `AcqRel` state
//!   transitions order those accesses.
//! - A parked or sleeping thread owns one reference to itself (the handle of the worker that
//!   parked it, forgotten into the state); whoever wins the wake-up transition takes that
//!   reference and pushes it on a run queue. So a hand-off costs no reference counting, and
//!   a parked thread stays alive even if the vm drops every handle (Java: a blocked thread
//!   is a GC root). Threads still parked when a run ends are abandoned with their job.
//! - A `ThreadRef` keeps its runtime's shared state alive, so `unpark` works from anywhere;
//!   after the runtime has finished, `unpark` is a no-op.

use std::cell::UnsafeCell;
use std::fmt;
use std::sync::Arc;

use crate::coroutine::ThreadCoroutine;
use crate::job::Job;
use crate::shared::Shared;
use crate::thread_state::{StateCell, ThreadState};

/// How to spawn a thread.
#[derive(Clone, Debug, Default)]
pub struct SpawnOptions {
    /// Daemon threads do not keep the runtime alive (Java's rule).
    pub daemon: bool,
    /// A name for traces and debugging.
    pub name: Option<String>,
}

/// What runs next time a thread is scheduled.
pub(crate) enum Continuation {
    /// Not running: the next run calls `Job::run` on the running worker's carrier.
    Job(Box<dyn Job>),
    /// Suspended inside `Context::{yield_now, park, ...}`: resume this retired carrier (it keeps
    /// its native stack while suspended). Boxed: it is rare, and the cell of every thread
    /// would otherwise reserve its ~40 bytes.
    Coroutine(Box<ThreadCoroutine>),
}

pub(crate) struct ThreadCell {
    id: u64,
    daemon: bool,
    /// The job's `blocks_in_context`, asked once at spawn.
    pub(crate) blocks_in_context: bool,
    pub(crate) state: StateCell,
    /// Boxed twice so that a nameless thread (the vm's) spends one word on it.
    name: Option<Box<Box<str>>>,
    pub(crate) shared: Arc<Shared>,
    continuation: UnsafeCell<Option<Continuation>>,
}

// SAFETY: every field but `continuation` is `Sync`. `continuation` (which is `Send`) is only
// accessed by the single holder of the run token, handed over with `AcqRel` state transitions
// and queue operations (see the module header), so no two threads ever access it concurrently.
unsafe impl Sync for ThreadCell {}

/// A handle to a green thread. Clones share the thread; equality is identity.
#[derive(Clone)]
pub struct ThreadRef(pub(crate) Arc<ThreadCell>);

impl ThreadRef {
    pub(crate) fn new(
        id: u64,
        job: Box<dyn Job>,
        options: SpawnOptions,
        shared: Arc<Shared>,
    ) -> ThreadRef {
        ThreadRef(Arc::new(ThreadCell {
            id,
            daemon: options.daemon,
            blocks_in_context: job.blocks_in_context(),
            state: StateCell::new_runnable(),
            name: options.name.map(|n| Box::new(n.into_boxed_str())),
            shared,
            continuation: UnsafeCell::new(Some(Continuation::Job(job))),
        }))
    }

    /// The thread's id: unique within its runtime, from 1. Each worker hands out ids from
    /// blocks it reserves (as Go does), so they ascend in spawn order on each worker, and
    /// overall when there is one worker.
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// Whether this is a daemon thread.
    pub fn is_daemon(&self) -> bool {
        self.0.daemon
    }

    /// The name given at spawn, if any.
    pub fn name(&self) -> Option<&str> {
        self.0.name.as_deref().map(|n| &**n)
    }

    /// Where the thread is now (a snapshot; it may change at once).
    pub fn state(&self) -> ThreadState {
        self.0.state.get()
    }

    /// Make a parked thread runnable, or leave a permit so its next park returns at once
    /// (Java `LockSupport.unpark`). Callable from any worker or OS thread. Inside a job,
    /// `Context::unpark` is the same but skips a thread-local lookup.
    pub fn unpark(&self) {
        self.0.shared.unpark(self);
    }

    /// Hand this handle over to the thread's parked state, just after parking it.
    pub(crate) fn give_to_parked_state(self) {
        std::mem::forget(self);
    }

    /// The reference a parked thread owns (see `give_to_parked_state`).
    ///
    /// # Safety
    /// The caller won the transition out of `Parked`/`Sleeping` (`unpark` or `wake_timed`
    /// returned true), so it alone now owns that reference.
    pub(crate) unsafe fn take_parked_ref(&self) -> ThreadRef {
        // SAFETY: the parked state owned one strong count (a forgotten handle), which passes
        // to the caller; the count is at least that one, so the cell is alive.
        ThreadRef(unsafe { Arc::from_raw(Arc::as_ptr(&self.0)) })
    }

    /// Take the continuation out.
    ///
    /// # Safety
    /// The caller holds the run token (see the module header).
    pub(crate) unsafe fn take_continuation(&self) -> Option<Continuation> {
        // SAFETY: the caller holds the run token, so nobody else touches the cell.
        unsafe { (*self.0.continuation.get()).take() }
    }

    /// Put the continuation back before handing the run token on.
    ///
    /// # Safety
    /// The caller holds the run token (see the module header).
    pub(crate) unsafe fn put_continuation(&self, continuation: Continuation) {
        // SAFETY: the caller holds the run token, so nobody else touches the cell.
        unsafe { *self.0.continuation.get() = Some(continuation) }
    }
}

impl PartialEq for ThreadRef {
    fn eq(&self, other: &ThreadRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ThreadRef {}

impl fmt::Debug for ThreadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadRef")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("daemon", &self.is_daemon())
            .field("state", &self.state())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_cell_is_small() {
        // The Arc allocation is two counters plus the cell; 1,000,000 parked threads must
        // fit well under 1 KiB each including the vm's own state.
        let bytes = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<ThreadCell>();
        // Debug builds add a double-run check to the state.
        let limit = if cfg!(debug_assertions) { 88 } else { 80 };
        assert!(bytes <= limit, "thread cell grew to {bytes} bytes");
    }

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<ThreadRef>();
    }
}
