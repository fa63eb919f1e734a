//! What a green thread is to the runtime: a [`Job`] that runs until it has a reason to
//! stop, and the [`Step`] that says what that reason was.
//!
//! Between runs a job holds all of its own state (the vm keeps its frames in its own
//! stack), so a thread that is queued, parked or sleeping holds no native stack: each run
//! is a plain call of `run` by the worker loop, on the worker's carrier coroutine (see
//! `coroutine`). Only a job that blocks inside its `Context` keeps a native stack (the
//! carrier it blocked on) until it is resumed.

use std::time::Instant;

use crate::context::Context;

/// A green thread's body. `run` is called on the thread's coroutine, once per run segment,
/// until it returns [`Step::Exit`] (or panics, which the runtime treats as exit).
///
/// **Grace period.** The job of an exited thread is dropped only after every worker has
/// finished the run segment it was in when the thread exited (`reclaim`). Data the job
/// owns therefore stays valid for code in *other* jobs that reached it through a pointer
/// the owner cleared before returning `Step::Exit`, until their current run segment ends
/// (a segment ends when `run` returns or blocks inside its `Context`). Such pointers must
/// not be kept across segments.
pub trait Job: Send + 'static {
    fn run(&mut self, cx: &mut Context) -> Step;

    /// Whether `run` may block *inside* its [`Context`] (`yield_now`, `park`, `park_until`,
    /// `sleep`), asked once, at spawn (the answer holds for the thread's whole life). A job
    /// answering `false` gets a context without a
    /// yielder: it must block only by returning a [`Step`], and calling a blocking
    /// `Context` method panics, which ends the thread like any panic in a job. Either way
    /// the run is a plain call on the worker's carrier.
    fn blocks_in_context(&self) -> bool {
        true
    }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::{Arc, OnceLock};

    use super::*;
    use crate::test_support::{config, run};
    use crate::{Outcome, SpawnOptions, ThreadRef};

    /// Hands a counter to its partner with `Step::Park` + unpark, on a coroutine or not.
    struct Passer {
        count: Arc<AtomicU64>,
        partner: Arc<OnceLock<ThreadRef>>,
        direct: bool,
    }

    impl Job for Passer {
        fn run(&mut self, cx: &mut Context) -> Step {
            let Some(partner) = self.partner.get() else {
                return Step::Yield;
            };
            let c = self.count.fetch_add(1, SeqCst);
            cx.unpark(partner);
            if c >= 1000 {
                Step::Exit
            } else {
                Step::Park
            }
        }

        fn blocks_in_context(&self) -> bool {
            !self.direct
        }
    }

    /// Direct jobs and coroutine jobs hand off to each other on any number of workers.
    #[test]
    fn direct_and_coroutine_jobs_hand_off() {
        for workers in 1..=3 {
            let count = Arc::new(AtomicU64::new(0));
            let c = count.clone();
            let mut spawned = false;
            let report = run(config(workers), move |cx: &mut Context| {
                if std::mem::replace(&mut spawned, true) {
                    return Step::Exit;
                }
                let (pa, pb) = (Arc::new(OnceLock::new()), Arc::new(OnceLock::new()));
                let mut spawn = |partner: &Arc<OnceLock<ThreadRef>>, direct| {
                    let job = Passer {
                        count: c.clone(),
                        partner: partner.clone(),
                        direct,
                    };
                    cx.spawn(Box::new(job), SpawnOptions::default())
                };
                let a = spawn(&pa, true);
                let b = spawn(&pb, false);
                pa.set(b).unwrap();
                pb.set(a).unwrap();
                Step::Exit
            });
            assert_eq!(report.outcome, Outcome::Completed);
            assert!(count.load(SeqCst) >= 1000);
        }
    }

    /// A direct job that blocks inside its context panics; the panic ends only that
    /// thread.
    #[test]
    fn a_direct_job_blocking_in_its_context_ends_by_panic() {
        struct Misbehaving;
        impl Job for Misbehaving {
            fn run(&mut self, cx: &mut Context) -> Step {
                // SAFETY: nothing thread-affine is held across the call.
                unsafe { cx.yield_now() };
                Step::Exit
            }
            fn blocks_in_context(&self) -> bool {
                false
            }
        }
        let mut spawned = false;
        let report = run(config(1), move |cx: &mut Context| {
            if std::mem::replace(&mut spawned, true) {
                return Step::Exit;
            }
            cx.spawn(Box::new(Misbehaving), SpawnOptions::default());
            Step::Yield
        });
        assert_eq!(report.outcome, Outcome::Completed);
    }
}
