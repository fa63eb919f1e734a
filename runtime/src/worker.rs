//! A worker: one OS thread running green threads. Its loop, in order:
//!
//! 1. Its own work: the LIFO slot (at most `max_lifo_runs` times in a row), then the local
//!    queue. Every 61st pick it first fires due timers and looks at the injector, so neither
//!    starves behind a busy local queue.
//! 2. No local work: search. Take from the injector; steal from other workers (victims in
//!    random or round-robin order, one thread or half a queue as the policy says); fire due
//!    timers. While other workers are awake, spin for a few microseconds repeating this.
//! 3. Nothing anywhere: sleep (see `idle`) until woken for new work or the next timer.
//!
//! The loop runs on a *carrier* coroutine (see `coroutine`): `run_carriers`, on the OS
//! thread's own stack, starts a carrier, and starts the next one whenever a job blocks
//! inside its `Context` and retires the current one with it. No native stack to be had:
//! it runs threads one at a time on its own stack (`run_without_carrier`).
//!
//! Running a thread (`carry`): call its job directly on the carrier, or resume its retired
//! carrier (nested, from this one); and when the segment ends act on its `Step`: requeue it
//! (yield, preempt), park it (its timer armed after the park is published), or retire it
//! (exit: its job is dropped after a grace period, see `reclaim`). Every 64th pick is a
//! quiescent point.
//!
//! Invariants: a thread is run only by the worker that popped it; the worker touches the
//! thread's continuation only between popping it and publishing its next state. The
//! worker's fields are single-threaded (`Cell`s) and are reached only through `&self`,
//! both by `run_carriers` and by the loop on its carriers (same OS thread), never across a
//! suspension: a carrier that has suspended never touches the worker that started it
//! again.

use std::cell::{Cell, RefCell};
use std::hint::spin_loop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{fence, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_deque::Steal;
use crossbeam_utils::sync::Parker;

use crate::config::Victim;
use crate::context::Context;
use crate::coroutine::{run_caught, Finished, Segment, Suspended, ThreadCoroutine, ThreadYielder};
use crate::event::{Event, WakeSource, NO_WORKER};
use crate::idle::Registration;
use crate::job::{Job, Step};
use crate::queue::{Pushed, RunQueue};
use crate::reclaim::{Limbo, QUIESCE_TICKS};
use crate::rng::Rng;
use crate::runtime::Outcome;
use crate::shared::Shared;
use crate::stack_pool::StackPool;
use crate::thread::{Continuation, SpawnOptions, ThreadRef};
use crate::thread_state::ParkOutcome;

/// Every this many picks, look at the injector and timers before the local queue.
const FAIRNESS_TICKS: u32 = 61;
/// How long an idle worker keeps searching before it sleeps (an OS wake costs ~25 µs).
const SPIN_TIME: Duration = Duration::from_micros(40);
/// `spin_loop` hints between two search rounds.
const SPINS_PER_ROUND: u32 = 32;
/// Thread ids a worker takes from the shared counter at once (Go takes 16).
const ID_BLOCK: u64 = 16;

thread_local! {
    /// The worker running on this OS thread (null outside `Worker::run`).
    static CURRENT: Cell<*const Worker> = const { Cell::new(std::ptr::null()) };
}

/// The worker running on this OS thread, or null. Read afresh on every call: not inlined,
/// so no caller can hoist the thread-local's address across a coroutine suspension.
#[inline(never)]
pub(crate) fn current() -> *const Worker {
    CURRENT.with(Cell::get)
}

/// Sets `CURRENT` for the duration of `Worker::run`.
struct CurrentGuard(*const Worker);

impl CurrentGuard {
    fn enter(worker: &Worker) -> CurrentGuard {
        CurrentGuard(CURRENT.with(|c| c.replace(worker)))
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

pub(crate) struct Worker {
    index: usize,
    shared: Arc<Shared>,
    queue: RunQueue,
    stacks: StackPool,
    parker: Parker,
    rng: Rng,
    /// Picks so far (for the fairness check).
    ticks: Cell<u32>,
    /// The rest of this worker's block of thread ids: next, end (exclusive).
    ids: Cell<(u64, u64)>,
    /// Whether this worker is counted in `Idle::num_searching`.
    searching: Cell<bool>,
    /// Where the next round-robin search starts.
    next_victim: Cell<usize>,
    /// Scratch space for firing timers (kept to avoid allocating).
    due: RefCell<Vec<(ThreadRef, u64)>>,
    /// Jobs of threads that exited here, waiting out their grace period (`reclaim`).
    limbo: RefCell<Limbo>,
}

impl Worker {
    pub(crate) fn new(
        index: usize,
        shared: Arc<Shared>,
        queue: RunQueue,
        parker: Parker,
    ) -> Worker {
        let rng = Rng::new(shared.seed, index as u64);
        Worker {
            index,
            queue,
            stacks: StackPool::new(index),
            parker,
            rng,
            ticks: Cell::new(0),
            ids: Cell::new((0, 0)),
            searching: Cell::new(false),
            next_victim: Cell::new(index + 1),
            due: RefCell::new(Vec::new()),
            limbo: RefCell::new(Limbo::default()),
            shared,
        }
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Run green threads until the run finishes, then give back what this worker holds.
    pub(crate) fn run(self) {
        {
            let _current = CurrentGuard::enter(&self);
            self.run_carriers();
        }
        // Abandoned threads (daemons, or everything after a deadlock) are dropped here.
        drop(self.queue.drain());
        self.stacks.release(&self.shared.stacks);
        // Other workers may still be finishing a segment: exited jobs wait for them all.
        self.shared.announcements.go_offline(self.index);
        let limbo = self.limbo.borrow_mut().take_all();
        self.shared.bury(limbo);
    }

    // ----- Finding work -----

    /// The next thread to run: the common case (this worker's own work) inline, the
    /// rest out of line.
    #[inline(always)]
    fn next_thread(&self) -> Option<ThreadRef> {
        if !self.shared.is_finished() {
            if let Some(thread) = self.next_local() {
                return Some(self.found(thread));
            }
        }
        self.next_thread_slow()
    }

    #[inline(never)]
    fn next_thread_slow(&self) -> Option<ThreadRef> {
        loop {
            if self.shared.is_finished() {
                return None;
            }
            // First, this worker's own work (with the periodic fairness check).
            if let Some(thread) = self.next_local() {
                return Some(self.found(thread));
            }
            // No local work: look elsewhere, spinning briefly while others are awake.
            if let Some(thread) = self.search() {
                return Some(self.found(thread));
            }
            // Nothing anywhere: sleep until there is work or a timer is due.
            self.sleep();
        }
    }

    fn next_local(&self) -> Option<ThreadRef> {
        let tick = self.ticks.get().wrapping_add(1);
        self.ticks.set(tick);
        if tick.is_multiple_of(QUIESCE_TICKS) {
            self.quiesce();
        }
        if tick.is_multiple_of(FAIRNESS_TICKS) {
            self.fire_due_timers();
            if let Some(thread) = self.take_one_from_injector() {
                return Some(thread);
            }
        }
        self.queue.pop(&self.shared.injector)
    }

    /// A quiescent point (between run segments): announce it, then drop the exited jobs
    /// whose grace period is over (see `reclaim`).
    #[cold]
    fn quiesce(&self) {
        self.shared.announcements.quiesce(self.index);
        let done = self
            .limbo
            .borrow_mut()
            .collect(self.index, &self.shared.announcements);
        for continuation in done {
            if catch_unwind(AssertUnwindSafe(move || drop(continuation))).is_err() {
                log::error!("dropping the job of an exited green thread panicked");
            }
        }
    }

    #[cold]
    fn search(&self) -> Option<ThreadRef> {
        let mut spin_start = None;
        loop {
            if let Some(thread) = self.take_from_injector() {
                return Some(thread);
            }
            if self.searching.get() || self.start_searching() {
                if let Some(thread) = self.steal() {
                    return Some(thread);
                }
            }
            if self.fire_due_timers() > 0 {
                match self.queue.pop(&self.shared.injector) {
                    Some(thread) => return Some(thread),
                    None => continue, // woken onto the injector (global placement)
                }
            }
            if !self.keep_spinning(&mut spin_start) {
                return None;
            }
            for _ in 0..SPINS_PER_ROUND {
                spin_loop();
            }
        }
    }

    fn start_searching(&self) -> bool {
        let started = self.shared.idle.try_start_searching();
        self.searching.set(started);
        started
    }

    /// Spin only as a searcher, only while some other worker is awake to produce work, and
    /// only for `SPIN_TIME`.
    fn keep_spinning(&self, started: &mut Option<Instant>) -> bool {
        let others_awake = self.shared.idle.num_sleeping() + 1 < self.shared.workers;
        if !self.searching.get() || !others_awake {
            return false;
        }
        let now = Instant::now();
        now.duration_since(*started.get_or_insert(now)) < SPIN_TIME
    }

    /// Leave the searching state on finding work. The last searcher to leave wakes another
    /// worker if there is visibly more work, so a burst spreads over the sleeping workers.
    fn found(&self, thread: ThreadRef) -> ThreadRef {
        if self.searching.replace(false)
            && self.shared.idle.stop_searching()
            && (self.queue.waiting() > 0 || !self.shared.injector.is_empty())
        {
            self.shared.idle.notify_one();
        }
        thread
    }

    /// The fairness check: one thread from the injector, whatever the policy (as Go's
    /// scheduler does every 61st tick). Not a batch: the local queue is not empty here, and
    /// under overflow a batch would only refill it for the next spill, churning threads
    /// through the injector between workers (measured: skynet on 2 workers 1.0 -> 0.75 s).
    fn take_one_from_injector(&self) -> Option<ThreadRef> {
        let injector = &self.shared.injector;
        if injector.is_empty() {
            return None;
        }
        loop {
            match injector.steal() {
                Steal::Success(thread) => {
                    self.emit_injector_take(1);
                    return Some(thread);
                }
                Steal::Empty => return None,
                Steal::Retry => spin_loop(),
            }
        }
    }

    /// Work from the injector for an idle worker (its local queue is empty), taken as the
    /// policy says.
    fn take_from_injector(&self) -> Option<ThreadRef> {
        let injector = &self.shared.injector;
        if injector.is_empty() {
            return None;
        }
        loop {
            match self.shared.policy.take_global(
                injector,
                self.queue.deque(),
                self.queue.batch_limit(),
            ) {
                Steal::Success(thread) => {
                    self.emit_injector_take(1 + self.queue.deque().len());
                    return Some(thread);
                }
                Steal::Empty => return None,
                Steal::Retry => spin_loop(),
            }
        }
    }

    /// Reports `count` threads taken from the injector (a `Steal` whose victim is
    /// `NO_WORKER`). Out of line: inlined, it made `next_local` too big to inline into
    /// the worker loop (+18 instructions per ping-pong switch, measured by callgrind).
    #[cold]
    #[inline(never)]
    fn emit_injector_take(&self, count: usize) {
        self.shared.emit(self.index, || Event::Steal {
            thief: self.index,
            victim: NO_WORKER,
            count,
        });
    }

    #[cold]
    fn steal(&self) -> Option<ThreadRef> {
        let workers = self.shared.workers;
        if workers < 2 {
            return None;
        }
        let start = match self.shared.victim {
            Victim::Random => self.rng.below(workers),
            Victim::RoundRobin => {
                let start = self.next_victim.get() % workers;
                self.next_victim.set(start + 1);
                start
            }
        };
        (0..workers)
            .map(|i| (start + i) % workers)
            .filter(|&victim| victim != self.index)
            .find_map(|victim| self.steal_from(victim))
    }

    fn steal_from(&self, victim: usize) -> Option<ThreadRef> {
        let stealer = &self.shared.stealers[victim];
        if stealer.is_empty() {
            return None;
        }
        loop {
            match self
                .shared
                .policy
                .steal(stealer, self.queue.deque(), self.queue.batch_limit())
            {
                Steal::Success(thread) => {
                    let count = 1 + self.queue.deque().len();
                    self.shared.emit(self.index, || Event::Steal {
                        thief: self.index,
                        victim,
                        count,
                    });
                    return Some(thread);
                }
                Steal::Empty => return None,
                Steal::Retry => spin_loop(),
            }
        }
    }

    /// Wake the threads whose timers are due onto this worker. Returns how many woke.
    fn fire_due_timers(&self) -> usize {
        let timers = &self.shared.timers;
        if !timers.any() {
            return 0;
        }
        let now = Instant::now();
        if !timers.is_due(now) {
            return 0;
        }
        let mut due = self.due.borrow_mut();
        timers.take_due(now, &mut due);
        let mut count = 0;
        for (thread, generation) in due.drain(..) {
            if thread.0.state.wake_timed(generation) {
                self.shared.emit(self.index, || Event::Wake {
                    thread: thread.id(),
                    worker: self.index,
                    source: WakeSource::Timer,
                });
                // SAFETY: `wake_timed` returned true: this call won the wake-up transition.
                let woken = unsafe { thread.take_parked_ref() };
                drop(thread); // the timer's own handle
                self.schedule_back(woken);
                count += 1;
            }
        }
        count
    }

    // ----- Sleeping -----

    #[cold]
    fn sleep(&self) {
        let shared = &*self.shared;
        if self.searching.replace(false) {
            shared.idle.stop_searching();
        }
        let registration =
            shared
                .idle
                .register_sleeper(self.index, shared.timers.next_deadline(), || {
                    shared.nothing_can_run()
                });
        let deadline = match registration {
            Registration::NothingCanRun => return shared.finish(Outcome::Deadlock),
            Registration::Sleep { deadline } => deadline,
        };
        // Re-check after registering: a pusher that saw no sleeper woke nobody.
        fence(SeqCst);
        if !self.work_is_visible() && !shared.is_finished() {
            shared.emit(self.index, || Event::WorkerPark { worker: self.index });
            shared.announcements.go_offline(self.index);
            match deadline {
                Some(deadline) => self.parker.park_deadline(deadline),
                None => self.parker.park(),
            }
            shared.announcements.go_online(self.index);
            shared.emit(self.index, || Event::WorkerUnpark { worker: self.index });
        }
        if shared.idle.unregister_sleeper(self.index, deadline) {
            self.searching.set(true);
        }
    }

    fn work_is_visible(&self) -> bool {
        let timers = &self.shared.timers;
        self.shared.any_queued() || (timers.any() && timers.is_due(Instant::now()))
    }

    // ----- Running threads -----

    /// Run the worker loop on carriers until the run is over: start a carrier; whenever a
    /// job blocks inside its context, the carrier becomes that thread's and the next one
    /// takes over.
    fn run_carriers(&self) {
        loop {
            let Some(stack) = self.stacks.take(&self.shared.stacks) else {
                // No native stack to be had: run one thread on this stack, then try again.
                match self.next_thread() {
                    Some(thread) => self.run_without_carrier(thread),
                    None => return,
                }
                continue;
            };
            match ThreadCoroutine::carrier(stack).resume(self, std::ptr::null()) {
                Segment::Finished(stack, Finished::RunOver) => {
                    self.stacks.put(&self.shared.stacks, stack);
                    return;
                }
                Segment::Finished(_, Finished::Segment { .. }) => {
                    unreachable!("a carrier returns a segment only after it has suspended")
                }
                Segment::Suspended(carrier, Suspended { step, slot }) => {
                    // SAFETY: `slot` is on the stack of `carrier`, which is suspended and
                    // alive; this is the carrier's first suspension (this loop resumes each
                    // carrier once), so the slot still holds the blocked thread's handle,
                    // and nothing on the carrier touches the slot until it is resumed.
                    let thread = unsafe { (*slot).take() }
                        .expect("a carrier suspends only while running a thread");
                    thread.0.state.end_run();
                    self.put_back(thread, Continuation::Coroutine(Box::new(carrier)), step);
                }
            }
        }
    }

    /// The worker loop, on a carrier (the body of every carrier). `worker` started this
    /// carrier and runs it until it suspends; after a suspension the carrier is retired
    /// and this loop returns as soon as the job on it does, without touching `worker`
    /// again (another worker may be resuming it, and `worker` may be gone).
    pub(crate) fn carry(worker: *const Worker, yielder: &ThreadYielder) -> Finished {
        loop {
            // SAFETY: this carrier has not suspended yet (see below), so it runs on
            // `worker`, inside that worker's `run_carriers`, which outlives it.
            let this = unsafe { &*worker };
            let Some(thread) = this.next_thread() else {
                return Finished::RunOver;
            };
            let Some((thread, job)) = this.begin_run(thread) else {
                continue;
            };
            // The handle stays in this slot while the job runs; a suspension hands the
            // slot to `run_carriers`, which takes it out.
            let mut slot = Some(thread);
            let slot: *mut Option<ThreadRef> = &mut slot;
            // SAFETY: the slot was just filled, and is not touched while `cx` lives except
            // through `slot` by `run_carriers` while this carrier is suspended.
            let thread: &ThreadRef = unsafe { (*slot).as_ref() }.unwrap();
            let mut cx = if thread.0.blocks_in_context {
                Context::on_carrier(worker, thread, slot, yielder)
            } else {
                Context::direct(worker, thread)
            };
            let mut job = Some(job);
            let step = run_caught(&mut job, &mut cx);
            // SAFETY: the slot is on this carrier's stack and nothing else touches it now
            // (the carrier is running).
            let Some(thread) = (unsafe { (*slot).take() }) else {
                // The job blocked inside its context: this carrier was retired, and
                // whoever resumed it last takes the end of the segment.
                return Finished::Segment { job, step };
            };
            // SAFETY: the slot still held the handle, so the carrier has not suspended
            // and still runs on `worker`.
            let this = unsafe { &*worker };
            thread.0.state.end_run();
            match job {
                Some(job) => {
                    // SAFETY: this worker holds the run token until `after_run`
                    // publishes the thread.
                    unsafe { thread.put_continuation(Continuation::Job(job)) };
                    this.after_run(thread, step)
                }
                None => this.exit(thread, None),
            }
        }
    }

    /// Start a run segment of `thread`: take its continuation. A job comes back to be
    /// called by the caller; a retired carrier is resumed here (nested, on this worker)
    /// and `None` comes back.
    #[inline(always)]
    fn begin_run(&self, thread: ThreadRef) -> Option<(ThreadRef, Box<dyn Job>)> {
        thread.0.state.begin_run();
        self.shared.emit(self.index, || Event::Run {
            thread: thread.id(),
            worker: self.index,
        });
        // SAFETY: popping the thread made this worker the holder of the run token.
        match unsafe { thread.take_continuation() } {
            Some(Continuation::Job(job)) => Some((thread, job)),
            Some(Continuation::Coroutine(carrier)) => {
                self.resume_retired(thread, *carrier);
                None
            }
            None => panic!("a runnable thread has a continuation"),
        }
    }

    /// Resume `thread`'s retired carrier until its job blocks again or returns.
    fn resume_retired(&self, thread: ThreadRef, carrier: ThreadCoroutine) {
        match carrier.resume(self, &thread) {
            Segment::Suspended(carrier, Suspended { step, .. }) => {
                thread.0.state.end_run();
                self.put_back(thread, Continuation::Coroutine(Box::new(carrier)), step)
            }
            Segment::Finished(stack, Finished::Segment { job, step }) => {
                thread.0.state.end_run();
                self.stacks.put(&self.shared.stacks, stack);
                match job {
                    Some(job) => self.put_back(thread, Continuation::Job(job), step),
                    None => self.exit(thread, None),
                }
            }
            Segment::Finished(_, Finished::RunOver) => {
                unreachable!("a retired carrier never runs a worker loop again")
            }
        }
    }

    /// Run `thread` on this worker's own stack: only when no native stack for a carrier can
    /// be mapped. A job that may block inside its context waits for a stack.
    #[cold]
    fn run_without_carrier(&self, thread: ThreadRef) {
        let Some((thread, job)) = self.begin_run(thread) else {
            return;
        };
        if thread.0.blocks_in_context {
            return self.retry_without_stack(thread, job);
        }
        let mut cx = Context::direct(self, &thread);
        let mut job = Some(job);
        let step = run_caught(&mut job, &mut cx);
        thread.0.state.end_run();
        match job {
            Some(job) => self.put_back(thread, Continuation::Job(job), step),
            None => self.exit(thread, None),
        }
    }

    /// No native stack could be mapped: keep the thread runnable and try again later, from
    /// the injector so any worker (perhaps one with a pooled stack) may take it.
    #[cold]
    fn retry_without_stack(&self, thread: ThreadRef, job: Box<dyn Job>) {
        thread.0.state.end_run();
        // SAFETY: this worker holds the run token until the push below publishes the thread.
        unsafe { thread.put_continuation(Continuation::Job(job)) };
        self.shared.injector.push(thread);
        std::thread::yield_now();
    }

    /// Put `continuation` back in `thread`'s cell, then act on `step`.
    fn put_back(&self, thread: ThreadRef, continuation: Continuation, step: Step) {
        // SAFETY: this worker holds the run token until `after_run` publishes the thread.
        unsafe { thread.put_continuation(continuation) };
        self.after_run(thread, step);
    }

    /// Act on the `step` that ended a segment of `thread`, whose continuation is already
    /// back in its cell. (The caller puts it there itself: passing the freshly built
    /// continuation down to here by value cost a store-forwarding stall per run.) This
    /// worker holds the run token until the thread is published (queued or parked).
    #[inline(always)]
    fn after_run(&self, thread: ThreadRef, step: Step) {
        let (id, worker) = (thread.id(), self.index);
        match step {
            Step::Exit => {
                // SAFETY: this worker holds the run token (the thread is not published).
                let continuation = unsafe { thread.take_continuation() };
                self.exit(thread, continuation)
            }
            Step::Yield => {
                self.shared
                    .emit(worker, || Event::Yield { thread: id, worker });
                self.schedule_back(thread);
            }
            Step::Preempt => {
                self.shared
                    .emit(worker, || Event::Preempt { thread: id, worker });
                self.schedule_back(thread);
            }
            Step::Park => self.park(thread, None),
            Step::ParkUntil(deadline) => self.park(thread, Some(deadline)),
            Step::SleepUntil(deadline) => self.sleep_thread(thread, deadline),
        }
    }

    /// Park `thread` (its continuation in place; this worker holds the run token).
    #[inline(always)]
    fn park(&self, thread: ThreadRef, deadline: Option<Instant>) {
        if deadline.is_some_and(|d| d <= Instant::now()) {
            // Already timed out: a timed park that returns at once.
            return self.schedule_back(thread);
        }
        let (id, worker) = (thread.id(), self.index);
        self.shared
            .emit(worker, || Event::Park { thread: id, worker });
        // The timer needs its own handle, taken before the park is published.
        let timer = deadline.map(|deadline| (deadline, thread.clone()));
        // Publishes `Parked` (handing the run token to the future waker), or keeps the
        // token if a permit is consumed.
        match thread.0.state.park() {
            ParkOutcome::Parked { generation } => {
                thread.give_to_parked_state();
                if let Some((deadline, timer_handle)) = timer {
                    self.shared
                        .timers
                        .insert(deadline, generation, timer_handle);
                }
            }
            ParkOutcome::PermitConsumed => {
                self.shared.emit(worker, || Event::Wake {
                    thread: id,
                    worker,
                    source: WakeSource::Permit,
                });
                self.schedule_back(thread);
            }
        }
    }

    /// Put `thread` to sleep (its continuation in place; this worker holds the run token).
    fn sleep_thread(&self, thread: ThreadRef, deadline: Instant) {
        if deadline <= Instant::now() {
            return self.schedule_back(thread);
        }
        let (id, worker) = (thread.id(), self.index);
        self.shared
            .emit(worker, || Event::Park { thread: id, worker });
        let timer_handle = thread.clone();
        // Publishes `Sleeping`: the run token goes to the timer.
        let generation = thread.0.state.sleep();
        thread.give_to_parked_state();
        self.shared
            .timers
            .insert(deadline, generation, timer_handle);
    }

    #[cold]
    fn exit(&self, thread: ThreadRef, continuation: Option<Continuation>) {
        // The job is dropped after a grace period (see `reclaim`).
        if let Some(continuation) = continuation {
            self.limbo.borrow_mut().retire(continuation);
        }
        thread.0.state.exit();
        self.shared.emit(self.index, || Event::Exit {
            thread: thread.id(),
            worker: self.index,
        });
        self.shared.thread_exited(&thread);
    }

    // ----- Making threads runnable -----

    /// Spawn a thread from code running on this worker; it runs next here if the policy
    /// has a LIFO slot.
    pub(crate) fn spawn(&self, job: Box<dyn Job>, options: SpawnOptions) -> ThreadRef {
        let id = self.next_thread_id();
        let thread = self.shared.count_spawn(self.index, id, job, options);
        self.shared.emit(self.index, || Event::Spawn {
            thread: thread.id(),
            worker: self.index,
        });
        let pushed = self.queue.push_next(thread.clone(), &self.shared.injector);
        self.notify_if_surplus(pushed);
        thread
    }

    /// The next id from this worker's block, taking a new block of `ID_BLOCK` from the
    /// shared counter when it runs out (as Go hands out goroutine ids), so spawning does
    /// not write a cache line shared by every worker each time. Ids are unique and ascend
    /// per worker; with one worker they follow spawn order.
    fn next_thread_id(&self) -> u64 {
        let (next, end) = self.ids.get();
        let (next, end) = if next < end {
            (next, end)
        } else {
            let first = self.shared.take_ids(ID_BLOCK);
            (first, first + ID_BLOCK)
        };
        self.ids.set((next + 1, end));
        next
    }

    /// A thread unparked by code running on this worker (it holds the run token): it runs
    /// next here if the policy has a LIFO slot.
    #[inline(always)]
    pub(crate) fn schedule_woken(&self, thread: ThreadRef) {
        self.shared.emit(self.index, || Event::Wake {
            thread: thread.id(),
            worker: self.index,
            source: WakeSource::Unpark,
        });
        let pushed = self.queue.push_next(thread, &self.shared.injector);
        self.notify_if_surplus(pushed);
    }

    /// A thread that yielded, timed out or consumed a permit: to the back of the queue.
    fn schedule_back(&self, thread: ThreadRef) {
        let pushed = self.queue.push_back(thread, &self.shared.injector);
        self.notify_if_surplus(pushed);
    }

    /// Wake a sleeping worker only if the push left more work than this worker is about to
    /// run itself: a single waiting thread (a hand-off) is not worth a 25 µs OS wake.
    fn notify_if_surplus(&self, pushed: Pushed) {
        if self.shared.workers == 1 {
            return;
        }
        let surplus = match pushed {
            Pushed::Local => self.queue.waiting() >= 2,
            // This worker comes back for a lone thread in the injector itself.
            Pushed::Global => self.shared.injector.len() >= 2,
        };
        if surplus {
            self.shared.idle.notify_one();
        }
    }
}
