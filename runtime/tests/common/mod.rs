//! Shared helpers for the runtime's integration tests: run with a timeout (fail, never
//! hang), a join counter, and per-thread bookkeeping that proves each thread ran to exit
//! exactly once and never on two workers at the same time.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

use runtime::{
    Config, Context, Event, EventSink, Job, PolicyConfig, PolicyKind, RunReport, Runtime, Step,
    ThreadRef, Victim,
};

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Run `main` on a helper OS thread; panic with the config if it takes over `TIMEOUT`.
pub fn run(config: Config, main: impl Job) -> RunReport {
    run_boxed(config, Box::new(main))
}

pub fn run_boxed(config: Config, main: Box<dyn Job>) -> RunReport {
    let (done, result) = mpsc::channel();
    let describe = format!("{config:?}");
    std::thread::spawn(move || {
        let _ = done.send(Runtime::new(config).run_with_report(main));
    });
    result.recv_timeout(TIMEOUT).unwrap_or_else(|_| {
        panic!("runtime did not finish within {TIMEOUT:?} (hang?) with {describe}")
    })
}

/// Every combination of policy, LIFO slot, victim rule and 1..=4 workers, for `seeds`.
pub fn matrix(seeds: &[u64]) -> Vec<Config> {
    let mut configs = Vec::new();
    for kind in PolicyKind::ALL {
        for lifo_slot in [false, true] {
            for victim in Victim::ALL {
                for workers in 1..=4 {
                    for &seed in seeds {
                        configs.push(Config {
                            workers,
                            seed,
                            policy: PolicyConfig {
                                kind,
                                lifo_slot,
                                victim,
                                local_queue_cap: 16,
                                max_lifo_runs: 3,
                            },
                            ..Config::default()
                        });
                    }
                }
            }
        }
    }
    configs
}

/// Counts down; the last `done` unparks the waiter.
pub struct Join {
    remaining: AtomicUsize,
    waiter: ThreadRef,
}

impl Join {
    pub fn new(count: usize, waiter: ThreadRef) -> Arc<Join> {
        Arc::new(Join {
            remaining: AtomicUsize::new(count),
            waiter,
        })
    }
    pub fn done(&self) {
        if self.remaining.fetch_sub(1, SeqCst) == 1 {
            self.waiter.unpark();
        }
    }
    pub fn finished(&self) -> bool {
        self.remaining.load(SeqCst) == 0
    }
}

/// Proves every tracked thread exits exactly once and never runs on two workers at once.
pub struct Tracker {
    exits: Vec<AtomicU32>,
    running: Vec<AtomicBool>,
    next: AtomicUsize,
}

impl Tracker {
    pub fn new(capacity: usize) -> Arc<Tracker> {
        Arc::new(Tracker {
            exits: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            running: (0..capacity).map(|_| AtomicBool::new(false)).collect(),
            next: AtomicUsize::new(0),
        })
    }
    /// A slot for a new thread.
    pub fn slot(&self) -> usize {
        let slot = self.next.fetch_add(1, SeqCst);
        assert!(slot < self.exits.len(), "tracker too small");
        slot
    }
    pub fn enter(&self, slot: usize) {
        assert!(
            !self.running[slot].swap(true, SeqCst),
            "thread in slot {slot} runs on two workers at once"
        );
    }
    pub fn leave(&self, slot: usize) {
        self.running[slot].store(false, SeqCst);
    }
    pub fn exited(&self, slot: usize) {
        self.exits[slot].fetch_add(1, SeqCst);
    }
    /// Every slot handed out exited exactly once.
    pub fn check(&self, what: &str) {
        let used = self.next.load(SeqCst);
        for (slot, exits) in self.exits[..used].iter().enumerate() {
            assert_eq!(
                exits.load(SeqCst),
                1,
                "{what}: thread in slot {slot} exited {} times",
                exits.load(SeqCst)
            );
        }
    }
    pub fn used(&self) -> usize {
        self.next.load(SeqCst)
    }
}

/// A job wrapped so the tracker sees each run; `body` returns the step.
pub struct Tracked<F> {
    tracker: Arc<Tracker>,
    slot: usize,
    body: F,
}

pub fn tracked<F>(tracker: &Arc<Tracker>, body: F) -> Box<Tracked<F>>
where
    F: FnMut(&mut Context) -> Step + Send + 'static,
{
    Box::new(Tracked {
        slot: tracker.slot(),
        tracker: tracker.clone(),
        body,
    })
}

impl<F: FnMut(&mut Context) -> Step + Send + 'static> Job for Tracked<F> {
    fn run(&mut self, cx: &mut Context) -> Step {
        self.tracker.enter(self.slot);
        let step = (self.body)(cx);
        self.tracker.leave(self.slot);
        if step == Step::Exit {
            self.tracker.exited(self.slot);
        }
        step
    }
}

/// Park (Step-based) until `cond` holds, tolerating spurious wake-ups.
pub fn park_until_true(cond: bool) -> Step {
    if cond {
        Step::Exit
    } else {
        Step::Park
    }
}

/// A handle filled in after spawn (for threads that need each other's handles).
pub type Later = Arc<OnceLock<ThreadRef>>;

/// Records every event in order.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<(usize, Event)>>);

impl EventSink for Recorder {
    fn event(&self, worker: usize, event: Event) {
        self.0.lock().unwrap().push((worker, event));
    }
}
