//! The scheduling event hook: every scheduling decision (spawn, run, yield, preempt, park,
//! wake, steal, worker park/unpark, exit) is reported through one [`EventSink`], if one is
//! configured. With no sink the cost is one well-predicted branch per decision; the event
//! is never even built.
//!
//! Events carry ids, not handles, so a sink can store them cheaply. Sinks take their own
//! timestamps if they want them (`Instant::now()` in `event`). Events of one worker arrive
//! in the order that worker made the decisions; events of different workers interleave.

/// The `worker` of events raised outside any worker (e.g. `unpark` from a foreign OS thread,
/// the spawn of the main thread).
pub const NO_WORKER: usize = usize::MAX;

/// What woke a parked or sleeping thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WakeSource {
    /// `ThreadRef::unpark` / `Context::unpark` found it parked.
    Unpark,
    /// Its park deadline or sleep ended.
    Timer,
    /// It tried to park but a permit was already waiting, so it never slept.
    Permit,
}

/// One scheduling decision. `thread` is [`crate::ThreadRef::id`]; `worker` a worker index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// `thread` was created by code running on `worker` and queued.
    Spawn { thread: u64, worker: usize },
    /// `worker` started (or resumed) running `thread`.
    Run { thread: u64, worker: usize },
    /// `thread` yielded voluntarily and went to the back of a queue.
    Yield { thread: u64, worker: usize },
    /// `thread` used up its quantum and went to the back of a queue.
    Preempt { thread: u64, worker: usize },
    /// `thread` parked (or went to sleep) and left `worker`.
    Park { thread: u64, worker: usize },
    /// `thread` became runnable again; `worker` is where the waker ran.
    Wake {
        thread: u64,
        worker: usize,
        source: WakeSource,
    },
    /// Worker `thief` took `count` threads from `victim`'s queue, or from the injector
    /// when `victim` is `NO_WORKER` (an idle worker's batch, or the fairness check's one).
    Steal {
        thief: usize,
        victim: usize,
        count: usize,
    },
    /// `worker` found nothing to do and put its OS thread to sleep.
    WorkerPark { worker: usize },
    /// `worker` woke up.
    WorkerUnpark { worker: usize },
    /// `thread` finished (returned `Step::Exit` or panicked) on `worker`.
    Exit { thread: u64, worker: usize },
}

/// Receives scheduling events. Called on the hot path of every worker: keep it quick and
/// never block or call back into the runtime.
pub trait EventSink: Send + Sync {
    /// `worker` is the worker (or [`NO_WORKER`]) that made the decision.
    fn event(&self, worker: usize, event: Event);
}

impl Event {
    /// A short lower-case name, one per variant (used by `Stats` and traces).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Spawn { .. } => "spawn",
            Event::Run { .. } => "run",
            Event::Yield { .. } => "yield",
            Event::Preempt { .. } => "preempt",
            Event::Park { .. } => "park",
            Event::Wake { .. } => "wake",
            Event::Steal { .. } => "steal",
            Event::WorkerPark { .. } => "worker-park",
            Event::WorkerUnpark { .. } => "worker-unpark",
            Event::Exit { .. } => "exit",
        }
    }
}
