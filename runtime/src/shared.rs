//! The state all workers of one run share, and the operations that need nothing else:
//! creating threads, waking them from outside a worker, counting live threads, finishing.
//!
//! Who writes what:
//! - `injector`: any worker or OS thread pushes; workers take.
//! - `stealers`: each is the steal end of one worker's local deque.
//! - `live_non_daemon`: +1 at spawn of a non-daemon thread, -1 at its exit; the exit that
//!   reaches 0 finishes the run as `Completed` (Java's exit rule).
//! - `foreign_wakes`: unparks by OS threads that are not workers, counted while in flight,
//!   so the deadlock verdict never misses a thread between `Parked` and the injector.
//! - `outcome`: set once, by that exit or by the worker that finds every worker asleep and
//!   nothing runnable (`Deadlock`); after that every worker leaves its loop.

use std::ptr;
use std::sync::atomic::{
    AtomicU64, AtomicU8, AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed,
    Ordering::SeqCst,
};
use std::sync::{Arc, Mutex};

use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::sync::Unparker;
use crossbeam_utils::CachePadded;

use crate::config::{Config, Victim, MIN_STACK_SIZE};
use crate::event::{Event, EventSink, WakeSource, NO_WORKER};
use crate::idle::Idle;
use crate::job::Job;
use crate::policy::Policy;
use crate::reclaim::Announcements;
use crate::runtime::Outcome;
use crate::stack_pool::SharedStacks;
use crate::thread::{Continuation, SpawnOptions, ThreadRef};
use crate::timer::Timers;
use crate::worker;

const RUNNING: u8 = 0;
const COMPLETED: u8 = 1;
const DEADLOCK: u8 = 2;

pub(crate) struct Shared {
    pub(crate) workers: usize,
    pub(crate) policy: Arc<dyn Policy>,
    pub(crate) victim: Victim,
    pub(crate) injector: Injector<ThreadRef>,
    pub(crate) stealers: Box<[Stealer<ThreadRef>]>,
    pub(crate) idle: Idle,
    pub(crate) timers: Timers,
    pub(crate) stacks: SharedStacks,
    pub(crate) seed: u64,
    /// Each worker's quiescent points (see `reclaim`).
    pub(crate) announcements: Announcements,
    /// Exited jobs left in the workers' limbo when they stopped; dropped by
    /// `Runtime::run` once every worker has stopped.
    graveyard: Mutex<Vec<Continuation>>,
    events: Option<Arc<dyn EventSink>>,
    /// The next thread id not yet handed out (workers take blocks of `ID_BLOCK`).
    next_id: CachePadded<AtomicU64>,
    /// Threads spawned, per spawning worker (the last slot: from outside), each on its
    /// own cache line so spawning on one worker does not slow the others.
    spawned: Box<[CachePadded<AtomicU64>]>,
    live_non_daemon: CachePadded<AtomicUsize>,
    /// Unparks from foreign OS threads in flight (see `unpark_foreign`).
    foreign_wakes: AtomicUsize,
    outcome: AtomicU8,
}

impl Shared {
    pub(crate) fn new(
        config: &Config,
        policy: Arc<dyn Policy>,
        stealers: Vec<Stealer<ThreadRef>>,
        unparkers: Vec<Unparker>,
    ) -> Shared {
        let workers = stealers.len();
        Shared {
            workers,
            policy,
            victim: config.policy.victim,
            injector: Injector::new(),
            stealers: stealers.into_boxed_slice(),
            idle: Idle::new(unparkers),
            timers: Timers::new(),
            stacks: SharedStacks::new(config.stack_size.max(MIN_STACK_SIZE), workers),
            seed: config.seed,
            announcements: Announcements::new(workers),
            graveyard: Mutex::new(Vec::new()),
            events: config.events.clone(),
            next_id: CachePadded::new(AtomicU64::new(1)),
            spawned: (0..=workers)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            live_non_daemon: CachePadded::new(AtomicUsize::new(0)),
            foreign_wakes: AtomicUsize::new(0),
            outcome: AtomicU8::new(RUNNING),
        }
    }

    /// Report an event, building it only if a sink listens.
    #[inline(always)]
    pub(crate) fn emit(&self, worker: usize, event: impl FnOnce() -> Event) {
        if let Some(sink) = &self.events {
            sink.event(worker, event());
        }
    }

    /// A new runnable thread, spawned from outside the workers; the caller pushes it on
    /// a queue.
    pub(crate) fn new_thread(
        self: &Arc<Self>,
        job: Box<dyn Job>,
        options: SpawnOptions,
    ) -> ThreadRef {
        let id = self.take_ids(1);
        self.count_spawn(self.workers, id, job, options)
    }

    /// A new runnable thread with id `id`, counted as spawned by `spawner` (a worker's
    /// index, or `workers` for spawns from outside).
    pub(crate) fn count_spawn(
        self: &Arc<Self>,
        spawner: usize,
        id: u64,
        job: Box<dyn Job>,
        options: SpawnOptions,
    ) -> ThreadRef {
        if !options.daemon {
            self.live_non_daemon.fetch_add(1, AcqRel);
        }
        let spawned = &self.spawned[spawner];
        spawned.fetch_add(1, Relaxed);
        ThreadRef::new(id, job, options, self.clone())
    }

    /// Reserve `n` consecutive thread ids; returns the first.
    pub(crate) fn take_ids(&self, n: u64) -> u64 {
        self.next_id.fetch_add(n, Relaxed)
    }

    /// How many threads were spawned so far.
    pub(crate) fn threads_spawned(&self) -> u64 {
        self.spawned.iter().map(|s| s.load(Relaxed)).sum()
    }

    /// `ThreadRef::unpark`: onto the current worker's queue if this OS thread is one of our
    /// workers, else (a *foreign* unpark) onto the injector.
    pub(crate) fn unpark(&self, thread: &ThreadRef) {
        // SAFETY: a non-null pointer means this OS thread is inside `Worker::run` of that
        // worker (it clears the pointer before returning), so the worker is alive.
        match unsafe { worker::current().as_ref() } {
            Some(worker) if ptr::eq(worker.shared(), self) => {
                if thread.0.state.unpark() {
                    // SAFETY: `unpark` returned true: this call won the wake-up transition.
                    worker.schedule_woken(unsafe { thread.take_parked_ref() });
                }
            }
            _ => self.unpark_foreign(thread),
        }
    }

    /// An unpark from an OS thread that is not one of our workers. Between winning the
    /// wake-up transition and pushing the thread on the injector, the thread is runnable
    /// but in no queue; the wake-up is counted in `foreign_wakes` for that long, so the
    /// deadlock verdict (`nothing_can_run`) never runs in that window.
    fn unpark_foreign(&self, thread: &ThreadRef) {
        self.foreign_wakes.fetch_add(1, SeqCst);
        let won = thread.0.state.unpark();
        if won {
            // SAFETY: `unpark` returned true: this call won the wake-up transition.
            let woken = unsafe { thread.take_parked_ref() };
            self.emit(NO_WORKER, || Event::Wake {
                thread: woken.id(),
                worker: NO_WORKER,
                source: WakeSource::Unpark,
            });
            self.push_global(woken);
        }
        self.foreign_wakes.fetch_sub(1, SeqCst);
        if !won {
            // A verdict that saw this wake-up in flight let the last worker sleep; have a
            // worker look again (the push above notified one otherwise).
            self.idle.notify_one();
        }
    }

    /// Queue a runnable thread where every worker can take it, waking one if needed. After
    /// the run has finished the thread is dropped instead (nobody would ever run it).
    pub(crate) fn push_global(&self, thread: ThreadRef) {
        if self.is_finished() {
            return;
        }
        self.injector.push(thread);
        self.idle.notify_one();
    }

    /// A stopping worker's exited jobs, to drop once every worker has stopped.
    pub(crate) fn bury(&self, jobs: Vec<Continuation>) {
        self.graveyard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(jobs);
    }

    /// The buried jobs (after every worker has stopped).
    pub(crate) fn exhume(&self) -> Vec<Continuation> {
        std::mem::take(&mut *self.graveyard.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// `thread` has exited. The last non-daemon thread to exit completes the run.
    pub(crate) fn thread_exited(&self, thread: &ThreadRef) {
        if !thread.is_daemon() && self.live_non_daemon.fetch_sub(1, AcqRel) == 1 {
            self.finish(Outcome::Completed);
        }
    }

    /// Whether threads are runnable somewhere other workers can see (injector or a deque).
    pub(crate) fn any_queued(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// The deadlock verdict, asked when every worker is asleep: nothing queued, no timer
    /// that can still fire, yet live non-daemon threads remain (so they are all parked).
    pub(crate) fn nothing_can_run(&self) -> bool {
        // A foreign wake-up in flight is counted before the thread leaves `Parked` and
        // uncounted after it is queued, so reading the count first, then the queues, sees
        // at least one of them (both `SeqCst`).
        self.live_non_daemon.load(Acquire) > 0
            && self.foreign_wakes.load(SeqCst) == 0
            && !self.any_queued()
            && !self.timers.any_live()
    }

    /// End the run (first caller wins) and wake every worker so it leaves its loop.
    pub(crate) fn finish(&self, outcome: Outcome) {
        let code = match outcome {
            Outcome::Completed => COMPLETED,
            Outcome::Deadlock => DEADLOCK,
        };
        if self
            .outcome
            .compare_exchange(RUNNING, code, AcqRel, Acquire)
            .is_ok()
        {
            self.idle.notify_all();
        }
    }

    #[inline]
    pub(crate) fn is_finished(&self) -> bool {
        self.outcome.load(Relaxed) != RUNNING
    }

    pub(crate) fn outcome(&self) -> Option<Outcome> {
        match self.outcome.load(Acquire) {
            COMPLETED => Some(Outcome::Completed),
            DEADLOCK => Some(Outcome::Deadlock),
            _ => None,
        }
    }
}
