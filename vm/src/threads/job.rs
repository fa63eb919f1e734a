//! [`VmJob`]: the runtime job that runs one VM thread.
//!
//! Each run is one slice: set the scheduling links, run the interpreter for
//! a quantum, clear the links, and turn the interpreter's [`RunExit`] into a
//! scheduling [`Step`]. Everything the thread needs between runs is in its VM
//! stack, so a blocked VM thread holds no native stack.
//!
//! Every run is a plain call by the runtime's worker loop, which runs on a
//! corosensei carrier coroutine, so code running for the thread (the
//! interpreter, or a native deep in a call) could block inside the runtime's
//! `Context` and resume later, possibly on another worker. greenvm's natives
//! all block by returning (`NativeResult::Block`); with `--coroutines off`
//! the job also tells the runtime so (`blocks_in_context` is false), and any
//! blocking call inside the context would end the thread.

use std::sync::Arc;

use runtime::{Context, Job, Step};

use super::vm_thread::{Blocker, JavaState};
use super::{VmThread, Wait};
use crate::exception;
use crate::interp::{self, RunExit};
use crate::value::Value;

/// Runs one VM thread on the scheduler.
pub struct VmJob {
    thread: Arc<VmThread>,
    /// May block inside its context (`--coroutines on`, the default).
    coroutine: bool,
}

impl VmJob {
    pub fn new(thread: Arc<VmThread>, coroutine: bool) -> VmJob {
        VmJob { thread, coroutine }
    }
}

impl Job for VmJob {
    fn run(&mut self, cx: &mut Context) -> Step {
        let t: &VmThread = &self.thread;
        if t.handle().is_none() {
            // Only a first run can find it unpublished (see `publish_handle`).
            t.publish_handle(cx.current());
        }
        // SAFETY: the runtime runs this job on one worker at a time, so we
        // hold the thread's run token for the whole call.
        let Some(stack) = (unsafe { t.stack_mut() }).as_deref_mut() else {
            return Step::Exit;
        };
        if t.state() != JavaState::Runnable {
            t.set_state(JavaState::Runnable);
        }
        // The natives reach the context through this raw pointer, derived
        // from `cx`, and only during `interp::run` below, while `cx` itself
        // is untouched; it is cleared before `cx` is used again. Nothing of
        // it outlives this call (no thread-local, nothing across a
        // suspension: this job never suspends inside its context).
        if matches!(stack.sched.blocker, Blocker::Park) {
            // Back from `LockSupport.park`: the permit that woke it is used,
            // and so is the runtime's permit if the same unpark came while
            // this thread was still runnable (else the next park would
            // return at once and requeue it: in ping-pong, every other
            // switch). The runtime's first, then ours: an unpark that sets
            // ours after we look leaves it for the next park.
            cx.clear_permit();
            t.take_permit();
        }
        stack.sched.me = t;
        stack.sched.cx = cx as *mut Context;
        stack.allocs.set_worker(cx.worker_index());
        stack.sched.blocker = Blocker::None;
        let quantum = stack.program.threads.options.quantum;
        let exit = interp::run(stack, quantum);
        stack.sched.cx = std::ptr::null_mut();
        match exit {
            RunExit::BudgetSpent => Step::Preempt,
            RunExit::Blocked(Wait::Park) => Step::Park,
            RunExit::Blocked(Wait::ParkUntil(deadline)) => Step::ParkUntil(deadline),
            RunExit::Blocked(Wait::Yield) => Step::Yield,
            RunExit::Finished(result) => self.end(cx, result.unwrap_or(Value::Null), false),
            RunExit::Threw(exc) => {
                let program = stack.program.clone();
                exception::report_uncaught(&program, &t.name(), exc);
                self.end(cx, Value::Null, true)
            }
        }
    }

    /// Whether this thread may block inside its context: natives block by
    /// returning `NativeResult::Block` (see `threads`), so with `--coroutines
    /// off` it promises not to.
    fn blocks_in_context(&self) -> bool {
        self.coroutine
    }
}

impl VmJob {
    /// The thread is over: free its VM stack, record its result, let go of
    /// the record (this job's reference keeps it alive
    /// for the runtime's grace period) and wake the joiners.
    fn end(&mut self, cx: &mut Context, result: Value, threw: bool) -> Step {
        let t: &VmThread = &self.thread;
        // SAFETY: we still hold the run token (called from `run`).
        if let Some(stack) = unsafe { t.stack_mut() }.take() {
            if t.id == 1 && threw {
                stack.program.threads.set_main_status(1);
            }
            // Dropping the stack hands its allocation list to the heap.
            drop(stack);
        }
        let joiners = t.finish(result);
        t.body().end(result);
        for joiner in joiners {
            cx.unpark(&joiner);
        }
        Step::Exit
    }
}
