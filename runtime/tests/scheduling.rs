//! Every workload shape, under every policy x LIFO slot x victim rule x 1..=4 workers x
//! several seeds: every spawned thread runs to exit exactly once, never on two workers at
//! once, and the run completes (each run fails by timeout, never hangs).

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::{matrix, run, tracked, Join, Tracker};
use runtime::{Config, Context, Outcome, PolicyConfig, PolicyKind, SpawnOptions, Stats, Step};

const SEEDS: [u64; 2] = [1, 0xDEAD_BEEF];

/// Run `workload` (which spawns tracked threads and returns how many it is waiting for)
/// under every configuration of the matrix.
fn for_every_config(name: &str, workload: fn(&mut Context, &Arc<Tracker>, Arc<Join>)) {
    for config in matrix(&SEEDS) {
        run_workload(name, config, workload);
    }
}

fn run_workload(name: &str, config: Config, workload: fn(&mut Context, &Arc<Tracker>, Arc<Join>)) {
    let what = format!("{name} with {config:?}");
    let tracker = Tracker::new(4096);
    let t = tracker.clone();
    let mut join: Option<Arc<Join>> = None;
    let report = run(config, move |cx: &mut Context| match &join {
        None => {
            let j = Join::new(1, cx.current().clone());
            join = Some(j.clone());
            workload(cx, &t, j);
            Step::Park
        }
        Some(j) if j.finished() => Step::Exit,
        Some(_) => Step::Park, // spurious wake-up
    });
    assert_eq!(report.outcome, Outcome::Completed, "{what}");
    assert!(tracker.used() > 0, "{what}: spawned nothing");
    assert_eq!(
        report.threads_spawned,
        tracker.used() as u64 + 1,
        "{what}: untracked threads"
    );
    tracker.check(&what);
}

/// Spawn `count` tracked threads running `body(index, join)`, all reporting to one join
/// that reports to `parent` when they are all done.
fn spawn_group<F>(
    cx: &mut Context,
    tracker: &Arc<Tracker>,
    parent: Arc<Join>,
    count: usize,
    body: F,
) where
    F: Fn(usize) -> Box<dyn runtime::Job>,
{
    let group = Arc::new(GroupJoin {
        remaining: AtomicU64::new(count as u64),
        parent,
    });
    for i in 0..count {
        let done = group.clone();
        let mut inner = body(i);
        cx.spawn(
            tracked(tracker, move |cx| {
                let step = inner.run(cx);
                if step == Step::Exit {
                    done.done();
                }
                step
            }),
            SpawnOptions::default(),
        );
    }
}

struct GroupJoin {
    remaining: AtomicU64,
    parent: Arc<Join>,
}

impl GroupJoin {
    fn done(&self) {
        if self.remaining.fetch_sub(1, SeqCst) == 1 {
            self.parent.done();
        }
    }
}

#[test]
fn fan_out_from_one_thread_with_yields() {
    for_every_config("fan-out", |cx, tracker, join| {
        spawn_group(cx, tracker, join, 64, |i| {
            let mut yields = if i % 8 == 0 { 100 } else { 3 };
            Box::new(move |_: &mut Context| {
                if yields == 0 {
                    return Step::Exit;
                }
                yields -= 1;
                if yields % 2 == 0 {
                    Step::Yield
                } else {
                    Step::Preempt
                }
            })
        });
    });
}

/// Two threads taking turns; each parks until its turn (Step::Park, stack released).
struct Pair {
    count: AtomicU64,
    sides: [OnceLock<runtime::ThreadRef>; 2],
}

const ROUNDS: u64 = 40;

#[test]
fn ping_pong_pairs_with_step_park() {
    for_every_config("ping-pong", |cx, tracker, join| {
        let pairs: Vec<Arc<Pair>> = (0..4)
            .map(|_| {
                Arc::new(Pair {
                    count: AtomicU64::new(0),
                    sides: [OnceLock::new(), OnceLock::new()],
                })
            })
            .collect();
        let group = Arc::new(GroupJoin {
            remaining: AtomicU64::new(8),
            parent: join,
        });
        for pair in &pairs {
            for side in 0..2u64 {
                let (p, g) = (pair.clone(), group.clone());
                let thread = cx.spawn(
                    tracked(tracker, move |cx| {
                        let Some(other) = p.sides[1 - side as usize].get() else {
                            return Step::Yield;
                        };
                        let c = p.count.load(SeqCst);
                        if c >= ROUNDS {
                            g.done();
                            return Step::Exit;
                        }
                        if c % 2 == side {
                            p.count.store(c + 1, SeqCst);
                            cx.unpark(other);
                            if c + 1 >= ROUNDS {
                                g.done();
                                return Step::Exit;
                            }
                        }
                        Step::Park
                    }),
                    SpawnOptions::default(),
                );
                pair.sides[side as usize].set(thread).unwrap();
            }
        }
    });
}

#[test]
fn ping_pong_pairs_inside_the_coroutine() {
    for_every_config("in-coroutine ping-pong", |cx, tracker, join| {
        let group = Arc::new(GroupJoin {
            remaining: AtomicU64::new(4),
            parent: join,
        });
        for _ in 0..2 {
            let pair = Arc::new(Pair {
                count: AtomicU64::new(0),
                sides: [OnceLock::new(), OnceLock::new()],
            });
            for side in 0..2u64 {
                let (p, g) = (pair.clone(), group.clone());
                let thread = cx.spawn(
                    tracked(tracker, move |cx| loop {
                        let Some(other) = p.sides[1 - side as usize].get() else {
                            // SAFETY: nothing thread-affine is held across the call.
                            unsafe { cx.yield_now() };
                            continue;
                        };
                        let c = p.count.load(SeqCst);
                        if c >= ROUNDS {
                            g.done();
                            return Step::Exit;
                        }
                        if c % 2 == side {
                            p.count.store(c + 1, SeqCst);
                            other.unpark(); // the thread-local path, from inside a coroutine
                        } else {
                            // SAFETY: nothing thread-affine is held across the call.
                            unsafe { cx.park() };
                        }
                    }),
                    SpawnOptions::default(),
                );
                pair.sides[side as usize].set(thread).unwrap();
            }
        }
    });
}

#[test]
fn unpark_before_park_leaves_a_permit() {
    for_every_config("unpark-before-park", |cx, tracker, join| {
        spawn_group(cx, tracker, join, 8, |_| {
            let mut parks = 3;
            Box::new(move |cx: &mut Context| {
                if parks == 0 {
                    return Step::Exit;
                }
                parks -= 1;
                let me = cx.current().clone();
                me.unpark();
                me.unpark(); // a second unpark does not stack
                Step::Park
            })
        });
    });
}

/// Timed parks and sleeps end by themselves (no one unparks these threads); a sleep never
/// ends before its deadline (a timed park may, as Java allows, so only its ending is
/// checked).
#[test]
fn timed_parks_and_sleeps_wake_by_themselves() {
    for_every_config("timers", |cx, tracker, join| {
        spawn_group(cx, tracker, join, 6, |i| {
            let mut phase = 0;
            let mut slept_until: Option<Instant> = None;
            Box::new(move |cx: &mut Context| {
                phase += 1;
                let soon = Instant::now() + Duration::from_micros(300 * (i as u64 + 1));
                match phase {
                    1 => Step::ParkUntil(soon),
                    2 => {
                        slept_until = Some(soon);
                        Step::SleepUntil(soon)
                    }
                    3 => {
                        let deadline = slept_until.expect("phase 2 slept");
                        assert!(Instant::now() >= deadline, "Step::SleepUntil woke early");
                        // SAFETY: nothing thread-affine is held across the call.
                        unsafe { cx.park_until(soon) };
                        let before = Instant::now();
                        // SAFETY: nothing thread-affine is held across the call.
                        unsafe { cx.sleep(Duration::from_micros(200)) };
                        assert!(
                            before.elapsed() >= Duration::from_micros(200),
                            "Context::sleep woke early"
                        );
                        Step::ParkUntil(Instant::now()) // already due: returns at once
                    }
                    _ => Step::Exit,
                }
            })
        });
    });
}

#[test]
fn in_coroutine_yields_keep_local_state() {
    for_every_config("in-coroutine yield", |cx, tracker, join| {
        spawn_group(cx, tracker, join, 8, |i| {
            Box::new(move |cx: &mut Context| {
                let mut local = vec![i; 16]; // lives on the coroutine's stack frame
                for round in 0..5 {
                    // SAFETY: nothing thread-affine is held across the call.
                    unsafe { cx.yield_now() };
                    local.push(round);
                }
                assert_eq!(&local[..16], &[i; 16]);
                Step::Exit
            })
        });
    });
}

/// A skynet-shaped tree: every inner node spawns `FANOUT` children and parks until they
/// are done.
fn tree(tracker: &Arc<Tracker>, depth: u32, parent: Arc<Join>) -> Box<dyn runtime::Job> {
    const FANOUT: usize = 4;
    let t = tracker.clone();
    let mut children: Option<Arc<Join>> = None;
    tracked(tracker, move |cx| {
        if depth == 0 {
            parent.done();
            return Step::Exit;
        }
        match &children {
            None => {
                let join = Join::new(FANOUT, cx.current().clone());
                for _ in 0..FANOUT {
                    cx.spawn(tree(&t, depth - 1, join.clone()), SpawnOptions::default());
                }
                children = Some(join);
                Step::Park
            }
            Some(join) if join.finished() => {
                parent.done();
                Step::Exit
            }
            Some(_) => Step::Park,
        }
    })
}

#[test]
fn nested_spawning_tree() {
    for_every_config("tree", |cx, tracker, join| {
        cx.spawn(tree(tracker, 3, join), SpawnOptions::default());
    });
}

/// Heavy stealing: one worker spawns a queue full of threads and then stays busy (it
/// spins until the others have run them), so the other workers can only get them by
/// stealing (or, under `global-fifo`, from the injector). The last one spawned stays in
/// the busy worker's LIFO slot when there is one (the slot is not stealable) and runs
/// when the spinning ends. Under every policy, LIFO slot, victim
/// rule, 2..=4 workers and several seeds, every thread runs exactly once; the steals
/// are counted by the event hook: `steal-one` takes one thread per steal, `steal-half`
/// takes batches, `global-fifo` never steals.
#[test]
fn idle_workers_steal_from_a_busy_one() {
    const CHILDREN: usize = 200;
    for config in matrix(&SEEDS).into_iter().filter(|c| c.workers >= 2) {
        let stats = Arc::new(Stats::new());
        let config = Config {
            events: Some(stats.clone()),
            policy: PolicyConfig {
                local_queue_cap: 256, // room for every child: nothing overflows
                ..config.policy
            },
            ..config
        };
        let what = format!("{config:?}");
        let tracker = Tracker::new(CHILDREN);
        let done = Arc::new(AtomicU64::new(0));
        let (t, d) = (tracker.clone(), done.clone());
        let unstealable = config.policy.lifo_slot as u64;
        let spun_out = Arc::new(AtomicBool::new(false));
        let timed_out = spun_out.clone();
        let report = run(config.clone(), move |cx: &mut Context| {
            for _ in 0..CHILDREN {
                let d = d.clone();
                cx.spawn(
                    tracked(&t, move |_: &mut Context| {
                        // A little work, so a thief finds the queue still full.
                        let until = Instant::now() + Duration::from_micros(20);
                        while Instant::now() < until {
                            std::hint::spin_loop();
                        }
                        d.fetch_add(1, SeqCst);
                        Step::Exit
                    }),
                    SpawnOptions::default(),
                );
            }
            // Busy: this worker runs nothing else until the others have run them all.
            let deadline = Instant::now() + Duration::from_secs(10);
            while d.load(SeqCst) < CHILDREN as u64 - unstealable {
                if Instant::now() > deadline {
                    timed_out.store(true, SeqCst);
                    break;
                }
                std::hint::spin_loop();
            }
            Step::Exit
        });
        assert_eq!(report.outcome, Outcome::Completed, "{what}");
        assert!(
            !spun_out.load(SeqCst),
            "{what}: the other workers did not take the busy one's threads within 10 s"
        );
        assert_eq!(
            done.load(SeqCst),
            CHILDREN as u64,
            "{what}: children left unrun"
        );
        tracker.check(&what);
        let s = stats.snapshot();
        match config.policy.kind {
            PolicyKind::GlobalFifo => assert_eq!(s.steals, 0, "{what}: {s:?}"),
            PolicyKind::StealOne => {
                assert!(s.steals > 0, "{what}: no steals: {s:?}");
                assert_eq!(s.stolen_threads, s.steals, "{what}: {s:?}");
            }
            PolicyKind::StealHalf => {
                assert!(s.steals > 0, "{what}: no steals: {s:?}");
                assert!(s.stolen_threads > s.steals, "{what}: no batches: {s:?}");
            }
        }
    }
}
