//! [`Context`]: what a running job gets, passed explicitly to every `Job::run`. It knows
//! the current thread and the worker running it, spawns and wakes threads, and blocks
//! *inside* the coroutine (for natives deep in a call) while keeping the native stack.
//!
//! Invariant: `worker` and `thread` are replaced with the resuming worker's after every
//! suspension; they are never cached across one (the thread-local trap of FACTS.md). A `Context` is `!Send` and
//! lives on its coroutine's stack.

use std::time::{Duration, Instant};

use crate::coroutine::{Resume, Suspended, ThreadYielder};
use crate::job::{Job, Step};
use crate::stack_pool::StackStats;
use crate::thread::{SpawnOptions, ThreadRef};
use crate::worker::Worker;

/// The running thread's view of the runtime.
pub struct Context {
    /// The worker running this coroutine right now; refreshed after each suspension.
    worker: *const Worker,
    /// That worker's handle to this thread; refreshed after each suspension.
    thread: *const ThreadRef,
    /// The coroutine's yielder; null when the job runs directly on the worker's stack
    /// (`Job::blocks_in_context` is false), where nothing can suspend.
    yielder: *const ThreadYielder,
}

impl Context {
    pub(crate) fn new(resume: Resume, yielder: &ThreadYielder) -> Context {
        Context {
            worker: resume.worker,
            thread: resume.thread,
            yielder,
        }
    }

    /// The context of a job run directly on `worker`'s stack, without a coroutine.
    pub(crate) fn direct(worker: &Worker, thread: &ThreadRef) -> Context {
        Context {
            worker,
            thread,
            yielder: std::ptr::null(),
        }
    }

    fn worker(&self) -> &Worker {
        // SAFETY: `worker` was passed in by the worker that is resuming this coroutine right
        // now (refreshed after every suspension); that worker outlives the resume.
        unsafe { &*self.worker }
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

    /// Native-stack statistics of this runtime (for tests and diagnostics).
    pub fn stack_stats(&self) -> StackStats {
        self.worker().shared().stacks.stats()
    }

    /// Yield inside the coroutine: requeue at the back, keeping the native stack.
    pub fn yield_now(&mut self) {
        self.suspend(Step::Yield);
    }

    /// Park inside the coroutine until unparked (returns at once if a permit is waiting;
    /// may return spuriously, as `LockSupport.park` may). Keeps the native stack.
    pub fn park(&mut self) {
        self.suspend(Step::Park);
    }

    /// Like [`Context::park`], but also returns once `deadline` has passed.
    pub fn park_until(&mut self, deadline: Instant) {
        self.suspend(Step::ParkUntil(deadline));
    }

    /// Sleep for at least `duration`; unparks during the sleep leave a permit. Keeps the stack.
    pub fn sleep(&mut self, duration: Duration) {
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
        // SAFETY: the yielder belongs to the coroutine this `Context` lives on, and is valid
        // for as long as the coroutine body runs, which is longer than this `Context`.
        let yielder = unsafe { &*self.yielder };
        let resume = yielder.suspend(Suspended { step });
        self.worker = resume.worker;
        self.thread = resume.thread;
    }
}
