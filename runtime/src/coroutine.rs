//! The one place a corosensei coroutine is made `Send`: [`ThreadCoroutine`], the native
//! half of a green thread's run segment.
//!
//! A segment starts when a worker runs a thread that has no suspended coroutine: the job is
//! moved onto a fresh coroutine on a pooled stack. It ends either when `Job::run` returns
//! (the coroutine completes, its stack goes back to the pool, and the job and its `Step`
//! come back as [`Finished`]) or when the job blocks inside `Context` (the coroutine
//! suspends, keeping its stack, and yields [`Suspended`]).
//!
//! The coroutine owns no handle to its thread: every resume passes in the resuming worker
//! and the worker's handle to the thread ([`Resume`]), valid until the next suspension.
//! So a suspended coroutine holds no reference cycle, and a segment costs no reference
//! counting.
//!
//! Panics in the job are caught inside the coroutine, logged, and reported as an exit
//! without a job; they never unwind into the worker.
//!
//! Jobs that never block inside `Context` (`Job::blocks_in_context` is false) skip all
//! this: the worker calls them directly on its own stack, through the same
//! [`run_caught`].

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};

use crate::context::Context;
use crate::job::{Job, Step};
use crate::thread::ThreadRef;
use crate::worker::Worker;

/// What a worker passes into a coroutine on every resume. Both pointers are valid until
/// the coroutine next suspends or returns; code in the coroutine must use these (via
/// `Context`) rather than anything cached from before a suspension.
pub(crate) struct Resume {
    pub(crate) worker: *const Worker,
    pub(crate) thread: *const ThreadRef,
}

/// What a coroutine yields when its job blocks inside `Context`: why (never `Step::Exit`).
pub(crate) struct Suspended {
    pub(crate) step: Step,
}

/// What a coroutine returns when `Job::run` returns: the job (`None` if it panicked) and
/// its step.
pub(crate) struct Finished {
    pub(crate) job: Option<Box<dyn Job>>,
    pub(crate) step: Step,
}

/// How a run segment ended.
pub(crate) enum Segment {
    /// The job blocked inside `Context`; the coroutine keeps its stack.
    Suspended(ThreadCoroutine, Step),
    /// `Job::run` returned; here is its stack back, for the pool.
    Finished(DefaultStack, Finished),
}

pub(crate) type ThreadYielder = Yielder<Resume, Suspended>;

/// A green thread's coroutine, movable between workers.
pub(crate) struct ThreadCoroutine(Coroutine<Resume, Suspended, Finished, DefaultStack>);

// SAFETY: `Coroutine` is `!Send` because code on its stack could hold thread-affine data
// across a suspension and then observe it on another OS thread. greenvm upholds:
// 1. Nothing thread-local is cached across a suspension: each resume passes the resuming
//    worker in (`Resume`), `Context` replaces its pointers with it, and runtime code on
//    the coroutine reads thread-locals only through a non-inlined accessor, afresh.
// 2. No lock guard or other `!Send` value of the runtime is held across `Yielder::suspend`
//    (the only suspension point is `Context::suspend`, which holds none). Jobs are `Send`.
// 3. A coroutine is resumed by one worker at a time: it lives in its thread's continuation,
//    which only the holder of the run token may take (see `thread_state`).
unsafe impl Send for ThreadCoroutine {}

impl ThreadCoroutine {
    /// Prepare `job` to run on `stack`. Nothing runs until [`ThreadCoroutine::resume`].
    pub(crate) fn start(stack: DefaultStack, job: Box<dyn Job>) -> ThreadCoroutine {
        ThreadCoroutine(Coroutine::with_stack(
            stack,
            move |yielder: &ThreadYielder, first: Resume| {
                let mut cx = Context::new(first, yielder);
                let (job, step) = run_caught(job, &mut cx);
                Finished { job, step }
            },
        ))
    }

    /// Run the coroutine of `thread` on `worker` until it suspends or finishes.
    pub(crate) fn resume(mut self, worker: &Worker, thread: &ThreadRef) -> Segment {
        match self.0.resume(Resume { worker, thread }) {
            CoroutineResult::Yield(Suspended { step }) => Segment::Suspended(self, step),
            CoroutineResult::Return(finished) => Segment::Finished(self.0.into_stack(), finished),
        }
    }
}

/// Calls `job.run`, catching a panic: then the job is dropped here (it may be
/// half-updated), `None` comes back and the step is `Exit`. Used on coroutines and for
/// jobs run directly on a worker's stack.
#[inline(always)]
pub(crate) fn run_caught(mut job: Box<dyn Job>, cx: &mut Context) -> (Option<Box<dyn Job>>, Step) {
    match catch_unwind(AssertUnwindSafe(|| job.run(cx))) {
        Ok(step) => (Some(job), step),
        Err(payload) => {
            let id = cx.current().id();
            log::error!("green thread {id} panicked: {}", panic_message(&*payload));
            // Survive the job's destructor panicking too.
            if catch_unwind(AssertUnwindSafe(move || drop(job))).is_err() {
                log::error!("green thread {id}: dropping the panicked job panicked too");
            }
            (None, Step::Exit)
        }
    }
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
