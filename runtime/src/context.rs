//! [`Context`]: what a running job gets, passed explicitly to every `Job::run`. It knows
//! the current thread and the worker running it, spawns and wakes threads, and blocks
//! *inside* the carrier coroutine (for natives deep in a call) while keeping the native
//! stack.
//!
//! Invariant: `worker` and `thread` are replaced with the resuming worker's after every
//! suspension (and null while suspended); they are never cached across one (the
//! thread-local trap of FACTS.md). A `Context` is `!Send` and lives on its carrier's stack
//! (or the worker's, for a job that never blocks inside it).

use std::time::{Duration, Instant};

use crate::coroutine::{Suspended, ThreadYielder};
use crate::job::{Job, Step};
use crate::stack_pool::StackStats;
use crate::thread::{SpawnOptions, ThreadRef};
use crate::worker::Worker;

/// The running thread's view of the runtime.
pub struct Context {
    /// The worker running this thread right now; refreshed after each suspension (null
    /// while suspended).
    worker: *const Worker,
    /// That worker's handle to this thread; refreshed after each suspension (null while
    /// suspended).
    thread: *const ThreadRef,
    /// The carrier's yielder; null when the job may not block inside its context
    /// (`Job::blocks_in_context` is false), where nothing can suspend.
    yielder: *const ThreadYielder,
    /// The carrier loop's slot holding this thread's handle (see `coroutine`); handed out
    /// on a suspension. Null without a yielder.
    slot: *mut Option<ThreadRef>,
}

impl Context {
    /// The context of a job run by the loop of a carrier, which keeps `thread` in `slot`
    /// (`thread` points into it) and may suspend through `yielder`.
    pub(crate) fn on_carrier(
        worker: *const Worker,
        thread: *const ThreadRef,
        slot: *mut Option<ThreadRef>,
        yielder: &ThreadYielder,
    ) -> Context {
        Context {
            worker,
            thread,
            yielder,
            slot,
        }
    }

    /// The context of a job that may not block inside it (`Job::blocks_in_context` is
    /// false), run on `worker`'s stack or carrier.
    pub(crate) fn direct(worker: *const Worker, thread: *const ThreadRef) -> Context {
        Context {
            worker,
            thread,
            yielder: std::ptr::null(),
            slot: std::ptr::null_mut(),
        }
    }

    fn worker(&self) -> &Worker {
        // SAFETY: `worker` was passed in by the worker that is running this thread right
        // now (refreshed after every suspension); that worker outlives the run. (It is
        // null only while suspended, when no code of the job runs.)
        unsafe { &*self.worker }
    }

    /// The running thread's id; `None` while suspended (only a carrier being dropped
    /// while suspended, which unwinds the job, can observe that).
    pub(crate) fn thread_id(&self) -> Option<u64> {
        // SAFETY: as in `current`, when not null.
        unsafe { self.thread.as_ref() }.map(ThreadRef::id)
    }

    /// The running thread.
    pub fn current(&self) -> &ThreadRef {
        // SAFETY: `thread` points at the resuming worker's handle, which it keeps alive for
        // the whole resume (refreshed after every suspension, like `worker`). The returned
        // borrow cannot outlive a suspension: suspending takes `&mut self`.
        unsafe { &*self.thread }
    }

    /// Index of the worker running this thread right now (may change after any blocking call).
    pub fn worker_index(&self) -> usize {
        self.worker().index()
    }

    /// Spawn a thread. It is queued on this worker (in the run-next slot if the policy has one).
    pub fn spawn(&mut self, job: Box<dyn Job>, options: SpawnOptions) -> ThreadRef {
        self.worker().spawn(job, options)
    }

    /// Same as [`ThreadRef::unpark`], but wakes onto this worker without a thread-local lookup.
    pub fn unpark(&mut self, thread: &ThreadRef) {
        if thread.0.state.unpark() {
            // SAFETY: `unpark` returned true: this call won the wake-up transition.
            let woken = unsafe { thread.take_parked_ref() };
            self.worker().schedule_woken(woken);
        }
    }

    /// Drop the current thread's park permit, if an unpark left one while it was runnable:
    /// its next `Step::Park` or `park` then blocks until a new unpark. For a job that keeps
    /// its own wake-up flag (as the vm's `LockSupport` permit) and has just consumed it: the
    /// runtime's permit from the same unpark would otherwise make the next park return at
    /// once and requeue the thread for nothing. The job must re-check its own flag and
    /// condition after this, never before: an unpark racing with this call either keeps
    /// its permit or has already set the job's flag.
    pub fn clear_permit(&mut self) {
        self.current().0.state.clear_permit();
    }

    /// Native-stack statistics of this runtime (for tests and diagnostics).
    pub fn stack_stats(&self) -> StackStats {
        self.worker().shared().stacks.stats()
    }

    /// Yield inside the coroutine: requeue at the back, keeping the native stack.
    ///
    /// # Safety
    /// The blocking methods (this one, [`Context::park`], [`Context::park_until`],
    /// [`Context::sleep`]) suspend the job's native stack, which may then be resumed on
    /// another worker OS thread. The caller must hold nothing thread-affine across the
    /// call: no lock guard (`MutexGuard`, `StdoutLock`, ...), no reference obtained from a
    /// `thread_local!` (calling from inside its `with` closure counts), no other `!Send`
    /// value. This is the invariant that makes moving the coroutine sound (see
    /// `ThreadCoroutine` in `coroutine.rs`); the type system cannot check it.
    pub unsafe fn yield_now(&mut self) {
        self.suspend(Step::Yield);
    }

    /// Park inside the coroutine until unparked (returns at once if a permit is waiting;
    /// may return spuriously, as `LockSupport.park` may). Keeps the native stack.
    ///
    /// # Safety
    /// As for [`Context::yield_now`]: nothing thread-affine held across the call.
    pub unsafe fn park(&mut self) {
        self.suspend(Step::Park);
    }

    /// Like [`Context::park`], but also returns once `deadline` has passed.
    ///
    /// # Safety
    /// As for [`Context::yield_now`]: nothing thread-affine held across the call.
    pub unsafe fn park_until(&mut self, deadline: Instant) {
        self.suspend(Step::ParkUntil(deadline));
    }

    /// Sleep for at least `duration`; unparks during the sleep leave a permit. Keeps the stack.
    ///
    /// # Safety
    /// As for [`Context::yield_now`]: nothing thread-affine held across the call.
    pub unsafe fn sleep(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        while Instant::now() < deadline {
            self.suspend(Step::SleepUntil(deadline));
        }
    }

    fn suspend(&mut self, step: Step) {
        assert!(
            !self.yielder.is_null(),
            "a job whose blocks_in_context() is false blocked inside its Context"
        );
        // SAFETY: the yielder belongs to the carrier this `Context` lives on, and is valid
        // for as long as the carrier body runs, which is longer than this `Context`.
        let yielder = unsafe { &*self.yielder };
        // Neither pointer stays valid while suspended (the thread may move, its handle in
        // the carrier's slot is taken out): forget them until the resume brings new ones.
        self.worker = std::ptr::null();
        self.thread = std::ptr::null();
        let resume = yielder.suspend(Suspended {
            step,
            slot: self.slot,
        });
        self.worker = resume.worker;
        self.thread = resume.thread;
    }
}
