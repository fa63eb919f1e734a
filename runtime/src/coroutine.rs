//! Carriers: the corosensei coroutines green threads run on, and the one place a
//! coroutine is made `Send` ([`ThreadCoroutine`]).
//!
//! Each worker runs its scheduling loop (`Worker::carry`) on a *carrier*: a coroutine on a
//! pooled stack. The loop calls each job directly on the carrier, so a run segment that
//! ends by returning a `Step` (the common case) costs a function call, not a coroutine
//! switch (measured: a `Step::Park` hand-off costs the same as a job run on the worker's
//! own stack; `examples/bench` pingpong vs dpingpong).
//!
//! A job that blocks *inside* its `Context` suspends the whole carrier, with the job's
//! native frames and the worker loop below them. The carrier is then *retired*: it becomes
//! that thread's continuation, and the worker, back on its own OS-thread stack
//! (`Worker::run_carriers`), goes on with a fresh carrier from the pool. A retired carrier
//! never runs a worker loop again: whichever worker runs the thread next resumes it from
//! its own carrier (a nested resume); when the job returns, the retired carrier returns the
//! job and its step to that worker ([`Finished::Segment`]) instead of going on with its
//! loop, and its stack goes back to the pool. So a thread holds a native stack only while
//! it runs or while it is blocked inside its `Context`.
//!
//! A carrier owns no handle to a thread: the loop keeps the popped handle in a slot on the
//! carrier's stack, and the carrier's first suspension hands the slot's address out
//! ([`Suspended::slot`]) so the worker takes the handle, leaving the slot empty (which is
//! how the retired loop knows it is retired). Every resume of a retired carrier passes in
//! the resuming worker and its handle to the thread ([`Resume`]), valid until the next
//! suspension. So a suspended carrier holds no reference cycle, and a segment costs no
//! reference counting.
//!
//! Panics in a job are caught around `Job::run` ([`run_caught`]), logged, and reported as
//! an exit without a job; they never unwind into the worker loop.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};

use crate::context::Context;
use crate::job::{Job, Step};
use crate::thread::ThreadRef;
use crate::worker::Worker;

/// What a worker passes into a carrier on every resume. Both pointers are valid until
/// the carrier next suspends or returns; code on the carrier must use these (via
/// `Context`) rather than anything cached from before a suspension. `thread` is null on
/// the resume that starts a carrier (it runs the worker loop, not a thread).
pub(crate) struct Resume {
    pub(crate) worker: *const Worker,
    pub(crate) thread: *const ThreadRef,
}

/// What a carrier yields when a job blocks inside `Context`.
pub(crate) struct Suspended {
    /// Why (never `Step::Exit`).
    pub(crate) step: Step,
    /// The carrier loop's slot holding the blocked thread's handle, on the carrier's own
    /// stack. On a carrier's first suspension the worker takes the handle out; afterwards
    /// the slot is empty and resumers ignore it (they hold the handle themselves).
    pub(crate) slot: *mut Option<ThreadRef>,
}

/// What a carrier returns.
pub(crate) enum Finished {
    /// The worker loop ended: the run is over.
    RunOver,
    /// A retired carrier's job returned: the job (`None` if it panicked) and its step.
    Segment {
        job: Option<Box<dyn Job>>,
        step: Step,
    },
}

/// How a resume of a carrier ended.
pub(crate) enum Segment {
    /// A job blocked inside `Context`; the carrier keeps its stack.
    Suspended(ThreadCoroutine, Suspended),
    /// The carrier returned; here is its stack back, for the pool.
    Finished(DefaultStack, Finished),
}

pub(crate) type ThreadYielder = Yielder<Resume, Suspended>;

/// A carrier: a coroutine running a worker loop, or, once retired, one thread's
/// suspended job. Movable between workers.
pub(crate) struct ThreadCoroutine(Coroutine<Resume, Suspended, Finished, DefaultStack>);

// SAFETY: `Coroutine` is `!Send` because code on its stack could hold thread-affine data
// across a suspension and then observe it on another OS thread. greenvm upholds:
// 1. Nothing thread-local is cached across a suspension: each resume passes the resuming
//    worker in (`Resume`), `Context` replaces its pointers with it, runtime code on the
//    coroutine reads thread-locals only through a non-inlined accessor, afresh, and the
//    carrier loop derives its worker reference afresh where it uses it, never after its
//    carrier has suspended (`Worker::carry`).
// 2. No lock guard or other `!Send` value is held across `Yielder::suspend`. The only
//    suspension point is `Context::suspend`, which holds none; the carrier loop holds only
//    raw pointers, its thread slot and the job across it; jobs are `Send`; and the job code
//    that reaches it does so through the blocking `Context` methods (`yield_now`, `park`,
//    `park_until`, `sleep`), which are `unsafe fn`s whose callers promise to hold nothing
//    thread-affine across them (the type system cannot see values on the native stack).
// 3. A carrier is resumed by one worker at a time: a running carrier belongs to the worker
//    that started it; a retired one lives in its thread's continuation, which only the
//    holder of the run token may take (see `thread_state`).
unsafe impl Send for ThreadCoroutine {}

impl ThreadCoroutine {
    /// A carrier that will run the loop of whichever worker first resumes it.
    pub(crate) fn carrier(stack: DefaultStack) -> ThreadCoroutine {
        ThreadCoroutine(Coroutine::with_stack(
            stack,
            |yielder: &ThreadYielder, first: Resume| Worker::carry(first.worker, yielder),
        ))
    }

    /// Run the carrier on `worker` until a job on it blocks or it returns. `thread` is
    /// `worker`'s handle to the thread of a retired carrier (null to start a carrier).
    pub(crate) fn resume(mut self, worker: &Worker, thread: *const ThreadRef) -> Segment {
        match self.0.resume(Resume { worker, thread }) {
            CoroutineResult::Yield(suspended) => Segment::Suspended(self, suspended),
            CoroutineResult::Return(finished) => Segment::Finished(self.0.into_stack(), finished),
        }
    }
}

/// Calls `run` on the job in `slot` (which holds one), catching a panic: then the job is
/// dropped (it may be half-updated), the slot is left empty and the step is `Exit`. Used
/// by the carrier loop and for jobs run directly on a worker's own stack. (The job stays
/// in the caller's slot rather than coming back in a tuple with the step: moving that
/// tuple cost a store-forwarding stall per run, ~4 ns.)
#[inline(always)]
pub(crate) fn run_caught(slot: &mut Option<Box<dyn Job>>, cx: &mut Context) -> Step {
    let Some(job) = slot else {
        unreachable!("run_caught needs a job");
    };
    match catch_unwind(AssertUnwindSafe(|| job.run(cx))) {
        Ok(step) => step,
        Err(payload) => job_panicked(slot.take(), cx, payload),
    }
}

#[cold]
#[inline(never)]
fn job_panicked(job: Option<Box<dyn Job>>, cx: &mut Context, payload: Box<dyn Any + Send>) -> Step {
    let Some(id) = cx.thread_id() else {
        // No thread: the job is blocked inside its context and its carrier is being
        // dropped (corosensei unwinds a dropped suspended coroutine). Not a panic of the
        // job: drop it and let the unwinding go on to the carrier's root.
        if catch_unwind(AssertUnwindSafe(move || drop(job))).is_err() {
            log::error!("green thread: dropping an abandoned job panicked");
        }
        std::panic::resume_unwind(payload);
    };
    log::error!("green thread {id} panicked: {}", panic_message(&*payload));
    // Survive the job's destructor panicking too.
    if catch_unwind(AssertUnwindSafe(move || drop(job))).is_err() {
        log::error!("green thread {id}: dropping the panicked job panicked too");
    }
    Step::Exit
}

/// The text of a panic payload, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}
