//! Scheduler micro-benchmarks (run in release mode):
//!
//! ```text
//! cargo run --release -p greenvm-runtime --example bench -- [pingpong|dpingpong|cpingpong|skynet|ring|yield|all]
//!     [--workers N] [--policy global-fifo|steal-one|steal-half] [--no-lifo] [--runs R]
//! ```
//!
//! - `pingpong`: two threads hand a counter back and forth with `Step::Park` + unpark,
//!   10M hand-offs; reports ns per hand-off (default 1 worker).
//! - `dpingpong`: the same with jobs that never block inside `Context`, run directly on
//!   the worker's stack (`Job::blocks_in_context` false), as the vm's threads are.
//! - `cpingpong`: the same blocking inside `Context::park` (the coroutine keeps its stack).
//! - `skynet`: a 10-ary tree of 1,111,111 threads (1,000,000 leaves) that sums its leaves
//!   with joins; reports total time (default 2 workers).
//! - `ring`: 503 threads pass a token around a ring 10M times (default 1 worker).
//! - `yield`: 1,000 threads each yield 10,000 times (default 1 worker).
//!
//! Each benchmark prints every run and the median.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use runtime::{
    Config, Context, Job, Outcome, PolicyConfig, PolicyKind, Runtime, SpawnOptions, Step, ThreadRef,
};

struct Options {
    workers: Option<usize>,
    policy: PolicyConfig,
    runs: usize,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut which = String::from("all");
    let mut options = Options {
        workers: None,
        policy: PolicyConfig::default(),
        runs: 5,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--workers" => options.workers = args.next().and_then(|n| n.parse().ok()),
            "--policy" => options.policy.kind = args.next().unwrap().parse::<PolicyKind>().unwrap(),
            "--no-lifo" => options.policy.lifo_slot = false,
            "--runs" => options.runs = args.next().and_then(|n| n.parse().ok()).unwrap(),
            name => which = name.to_string(),
        }
    }
    let all = which == "all";
    if all || which == "pingpong" {
        const N: u64 = 10_000_000;
        let t = measure("pingpong", &options, 1, || ping_pong(N, true));
        println!("  -> {:.1} ns per hand-off", t.as_nanos() as f64 / N as f64);
    }
    if all || which == "dpingpong" {
        const N: u64 = 10_000_000;
        let t = measure("dpingpong", &options, 1, || ping_pong(N, false));
        println!("  -> {:.1} ns per hand-off", t.as_nanos() as f64 / N as f64);
    }
    if all || which == "cpingpong" {
        const N: u64 = 10_000_000;
        let t = measure("cpingpong", &options, 1, || coroutine_ping_pong(N));
        println!("  -> {:.1} ns per hand-off", t.as_nanos() as f64 / N as f64);
    }
    if all || which == "skynet" {
        measure("skynet 1M", &options, 2, skynet);
    }
    if all || which == "ring" {
        const PASSES: u64 = 10_000_000;
        let t = measure("ring 503 x 10M", &options, 1, || ring(503, PASSES));
        println!(
            "  -> {:.1} ns per pass",
            t.as_nanos() as f64 / PASSES as f64
        );
    }
    if all || which == "yield" {
        const THREADS: usize = 1000;
        const YIELDS: u64 = 10_000;
        let t = measure("yield 1000 x 10k", &options, 1, || {
            yielders(THREADS, YIELDS)
        });
        println!(
            "  -> {:.1} ns per yield",
            t.as_nanos() as f64 / (THREADS as u64 * YIELDS) as f64
        );
    }
}

/// Run a workload `runs` times; print each and the median.
fn measure(
    name: &str,
    options: &Options,
    default_workers: usize,
    workload: impl Fn() -> Box<dyn Job>,
) -> Duration {
    let workers = options.workers.unwrap_or(default_workers);
    let mut times = Vec::new();
    for _ in 0..options.runs {
        let config = Config {
            workers,
            policy: options.policy,
            ..Config::default()
        };
        let report = Runtime::new(config).run_with_report(workload());
        assert_eq!(report.outcome, Outcome::Completed);
        times.push(report.elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{name:<18} workers={workers} policy={} lifo={}: median {median:?} (runs: {times:?})",
        options.policy.kind, options.policy.lifo_slot
    );
    median
}

// ----- ping-pong -----

struct PingPong {
    count: Arc<AtomicU64>,
    limit: u64,
    partner: Arc<OnceLock<ThreadRef>>,
    /// Run on a coroutine (as a job that may block inside `Context`) or directly.
    coroutine: bool,
}

impl Job for PingPong {
    fn run(&mut self, cx: &mut Context) -> Step {
        let Some(partner) = self.partner.get() else {
            return Step::Yield;
        };
        let c = self.count.load(Relaxed);
        if c >= self.limit {
            cx.unpark(partner);
            return Step::Exit;
        }
        self.count.store(c + 1, Relaxed);
        cx.unpark(partner);
        Step::Park
    }

    fn blocks_in_context(&self) -> bool {
        self.coroutine
    }
}

fn ping_pong(limit: u64, coroutine: bool) -> Box<dyn Job> {
    let mut started = false;
    Box::new(move |cx: &mut Context| {
        if std::mem::replace(&mut started, true) {
            return Step::Exit;
        }
        let count = Arc::new(AtomicU64::new(0));
        let (a_partner, b_partner) = (Arc::new(OnceLock::new()), Arc::new(OnceLock::new()));
        let a = cx.spawn(
            Box::new(PingPong {
                count: count.clone(),
                limit,
                partner: a_partner.clone(),
                coroutine,
            }),
            SpawnOptions::default(),
        );
        let b = cx.spawn(
            Box::new(PingPong {
                count,
                limit,
                partner: b_partner.clone(),
                coroutine,
            }),
            SpawnOptions::default(),
        );
        a_partner.set(b).unwrap();
        b_partner.set(a).unwrap();
        Step::Exit
    })
}

/// Ping-pong blocking inside the coroutine (`Context::park`): the stack stays attached.
fn coroutine_ping_pong(limit: u64) -> Box<dyn Job> {
    let mut started = false;
    Box::new(move |cx: &mut Context| {
        if std::mem::replace(&mut started, true) {
            return Step::Exit;
        }
        let count = Arc::new(AtomicU64::new(0));
        let partners: Arc<[OnceLock<ThreadRef>; 2]> = Arc::new([OnceLock::new(), OnceLock::new()]);
        for side in 0..2 {
            let (count, shared_partners) = (count.clone(), partners.clone());
            let me = cx.spawn(
                Box::new(move |cx: &mut Context| {
                    let partners = &shared_partners;
                    while partners[1 - side].get().is_none() {
                        // SAFETY: nothing thread-affine is held across the call.
                        unsafe { cx.yield_now() };
                    }
                    let partner = partners[1 - side].get().unwrap().clone();
                    loop {
                        let c = count.load(Relaxed);
                        if c >= limit {
                            cx.unpark(&partner);
                            return Step::Exit;
                        }
                        count.store(c + 1, Relaxed);
                        cx.unpark(&partner);
                        // SAFETY: nothing thread-affine is held across the call.
                        unsafe { cx.park() };
                    }
                }),
                SpawnOptions::default(),
            );
            partners[side].set(me).unwrap();
        }
        Step::Exit
    })
}

// ----- skynet -----

struct Sum {
    total: AtomicU64,
    remaining: AtomicUsize,
    waiter: ThreadRef,
}

impl Sum {
    fn add(&self, value: u64) {
        self.total.fetch_add(value, Relaxed);
        if self.remaining.fetch_sub(1, SeqCst) == 1 {
            self.waiter.unpark();
        }
    }
}

struct Node {
    num: u64,
    size: u64,
    parent: Arc<Sum>,
    children: Option<Arc<Sum>>,
}

impl Job for Node {
    fn run(&mut self, cx: &mut Context) -> Step {
        if self.size == 1 {
            self.parent.add(self.num);
            return Step::Exit;
        }
        match &self.children {
            None => {
                let sum = Arc::new(Sum {
                    total: AtomicU64::new(0),
                    remaining: AtomicUsize::new(10),
                    waiter: cx.current().clone(),
                });
                let size = self.size / 10;
                for i in 0..10 {
                    let child = Node {
                        num: self.num + i * size,
                        size,
                        parent: sum.clone(),
                        children: None,
                    };
                    cx.spawn(Box::new(child), SpawnOptions::default());
                }
                self.children = Some(sum);
                Step::Park
            }
            Some(sum) if sum.remaining.load(SeqCst) == 0 => {
                self.parent.add(sum.total.load(Relaxed));
                Step::Exit
            }
            Some(_) => Step::Park,
        }
    }
}

fn skynet() -> Box<dyn Job> {
    let mut sum: Option<Arc<Sum>> = None;
    Box::new(move |cx: &mut Context| match &sum {
        None => {
            let s = Arc::new(Sum {
                total: AtomicU64::new(0),
                remaining: AtomicUsize::new(1),
                waiter: cx.current().clone(),
            });
            cx.spawn(
                Box::new(Node {
                    num: 0,
                    size: 1_000_000,
                    parent: s.clone(),
                    children: None,
                }),
                SpawnOptions::default(),
            );
            sum = Some(s);
            Step::Park
        }
        Some(s) if s.remaining.load(SeqCst) == 0 => {
            assert_eq!(s.total.load(Relaxed), 499_999_500_000);
            Step::Exit
        }
        Some(_) => Step::Park,
    })
}

// ----- thread ring -----

struct RingMember {
    index: usize,
    mailboxes: Arc<Vec<AtomicU64>>,
    members: Arc<Vec<OnceLock<ThreadRef>>>,
    main: ThreadRef,
}

impl Job for RingMember {
    fn run(&mut self, cx: &mut Context) -> Step {
        let token = self.mailboxes[self.index].swap(0, Relaxed);
        if token == 0 {
            return Step::Park; // not our turn (spurious wake-up)
        }
        if token == 1 {
            cx.unpark(&self.main);
            return Step::Park;
        }
        let next = (self.index + 1) % self.mailboxes.len();
        self.mailboxes[next].store(token - 1, Relaxed);
        cx.unpark(self.members[next].get().unwrap());
        Step::Park
    }
}

fn ring(size: usize, passes: u64) -> Box<dyn Job> {
    let mut started = false;
    Box::new(move |cx: &mut Context| {
        if std::mem::replace(&mut started, true) {
            return Step::Exit; // token reached the end; members are daemons, abandoned
        }
        let mailboxes: Arc<Vec<AtomicU64>> =
            Arc::new((0..size).map(|_| AtomicU64::new(0)).collect());
        let members: Arc<Vec<OnceLock<ThreadRef>>> =
            Arc::new((0..size).map(|_| OnceLock::new()).collect());
        for index in 0..size {
            let member = RingMember {
                index,
                mailboxes: mailboxes.clone(),
                members: members.clone(),
                main: cx.current().clone(),
            };
            let thread = cx.spawn(
                Box::new(member),
                SpawnOptions {
                    daemon: true,
                    name: None,
                },
            );
            members[index].set(thread).unwrap();
        }
        mailboxes[0].store(passes + 1, Relaxed);
        members[0].get().unwrap().unpark();
        Step::Park
    })
}

// ----- yielders -----

fn yielders(threads: usize, yields: u64) -> Box<dyn Job> {
    let mut started = false;
    Box::new(move |cx: &mut Context| {
        if !std::mem::replace(&mut started, true) {
            for _ in 0..threads {
                let mut left = yields;
                cx.spawn(
                    Box::new(move |_: &mut Context| {
                        if left == 0 {
                            return Step::Exit;
                        }
                        left -= 1;
                        Step::Yield
                    }),
                    SpawnOptions::default(),
                );
            }
        }
        Step::Exit
    })
}
