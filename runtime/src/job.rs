//! What a green thread is to the runtime: a [`Job`] that runs until it has a reason to
//! stop, and the [`Step`] that says what that reason was.
//!
//! Between runs a job holds all of its own state (the vm keeps its frames in its own
//! stack), so a thread that is queued, parked or sleeping holds no native stack: each run
//! starts a fresh coroutine on a pooled stack and ends when `run` returns.

use std::time::Instant;

use crate::context::Context;

/// A green thread's body. `run` is called on the thread's coroutine, once per run segment,
/// until it returns [`Step::Exit`] (or panics, which the runtime treats as exit).
pub trait Job: Send + 'static {
    fn run(&mut self, cx: &mut Context) -> Step;
}

/// Why [`Job::run`] returned: what the scheduler does with the thread next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The thread finished: the runtime drops the job and forgets the thread.
    Exit,
    /// Voluntary yield: the thread goes to the back of the run queue.
    Yield,
    /// Quantum spent: same as `Yield`, reported as a preemption.
    Preempt,
    /// Block until `unpark` (returns at once, consuming it, if a permit is waiting).
    Park,
    /// Like `Park`, but also woken once the deadline passes.
    ParkUntil(Instant),
    /// Sleep until the deadline; `unpark` only leaves a permit (Java `Thread.sleep`).
    SleepUntil(Instant),
}

/// Closures are jobs: handy for tests and small native threads.
impl<F> Job for F
where
    F: FnMut(&mut Context) -> Step + Send + 'static,
{
    fn run(&mut self, cx: &mut Context) -> Step {
        self(cx)
    }
}
