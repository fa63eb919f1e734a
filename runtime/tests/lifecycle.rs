//! Whole-run behaviour: deadlock detection, daemons, panics, native stacks held only by
//! running (or in-coroutine blocked) threads, and deterministic scheduling with one worker.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{run, Join, Recorder};
use runtime::{
    Config, Context, Event, Outcome, PolicyConfig, PolicyKind, SpawnOptions, Step, ThreadRef,
    Victim,
};

fn config(workers: usize) -> Config {
    Config {
        workers,
        ..Config::default()
    }
}

#[test]
fn deadlock_is_detected_under_every_policy() {
    for kind in PolicyKind::ALL {
        for workers in 1..=3 {
            let config = Config {
                workers,
                policy: PolicyConfig {
                    kind,
                    ..Default::default()
                },
                ..Config::default()
            };
            // Two threads wait for each other forever, one in-coroutine (keeps its stack).
            let report = run(config, |cx: &mut Context| {
                cx.spawn(
                    Box::new(|cx: &mut Context| loop {
                        // SAFETY: nothing thread-affine is held across the call.
                        unsafe { cx.park() };
                    }),
                    SpawnOptions::default(),
                );
                Step::Park
            });
            assert_eq!(report.outcome, Outcome::Deadlock, "{kind} x {workers}");
        }
    }
}

#[test]
fn sleeping_threads_are_not_deadlocked_and_stale_timers_do_not_block_detection() {
    // A thread parks with a far deadline but is unparked early; then everyone parks forever.
    // The stale timer must not make the runtime wait for it.
    let start = Instant::now();
    let mut phase = 0;
    let report = run(config(2), move |cx: &mut Context| {
        phase += 1;
        match phase {
            1 => {
                let me = cx.current().clone();
                cx.spawn(
                    Box::new(move |_: &mut Context| {
                        me.unpark();
                        Step::Exit
                    }),
                    SpawnOptions::default(),
                );
                Step::ParkUntil(Instant::now() + Duration::from_secs(60))
            }
            _ => Step::Park, // forever: deadlock
        }
    });
    assert_eq!(report.outcome, Outcome::Deadlock);
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_panicking_job_does_not_kill_its_worker() {
    for workers in 1..=2 {
        let exits = Arc::new(AtomicUsize::new(0));
        let e = exits.clone();
        let mut join: Option<Arc<Join>> = None;
        let report = run(config(workers), move |cx: &mut Context| match &join {
            None => {
                let j = Join::new(20, cx.current().clone());
                for i in 0..20 {
                    let (j, e) = (j.clone(), e.clone());
                    let mut first = true;
                    cx.spawn(
                        Box::new(move |cx: &mut Context| {
                            if std::mem::take(&mut first) {
                                // SAFETY: nothing thread-affine is held across the call.
                                unsafe { cx.yield_now() };
                                return Step::Yield;
                            }
                            j.done();
                            if i % 2 == 0 {
                                panic!("job {i} panics on purpose");
                            }
                            e.fetch_add(1, SeqCst);
                            Step::Exit
                        }),
                        SpawnOptions::default(),
                    );
                }
                join = Some(j);
                Step::Park
            }
            Some(j) => common::park_until_true(j.finished()),
        });
        assert_eq!(report.outcome, Outcome::Completed);
        assert_eq!(exits.load(SeqCst), 10);
    }
}

#[test]
fn unstarted_parked_and_finished_threads_hold_no_native_stack() {
    const N: usize = 500;
    let observed = Arc::new(Mutex::new(Vec::new()));
    let o = observed.clone();
    let parked = Arc::new(AtomicUsize::new(0));
    let mut children: Vec<ThreadRef> = Vec::new();
    let mut phase = 0;
    let report = run(config(2), move |cx: &mut Context| {
        phase += 1;
        match phase {
            1 => {
                for _ in 0..N {
                    let (p, mut parked_once) = (parked.clone(), false);
                    children.push(cx.spawn(
                        Box::new(move |_: &mut Context| {
                            if std::mem::take(&mut parked_once) {
                                return Step::Exit;
                            }
                            parked_once = true;
                            p.fetch_add(1, SeqCst);
                            Step::Park
                        }),
                        SpawnOptions::default(),
                    ));
                }
                // N spawned, none run yet (but perhaps one on the other worker).
                o.lock().unwrap().push(cx.stack_stats().in_use);
                Step::Yield
            }
            _ if parked.load(SeqCst) < N
                || children
                    .iter()
                    .any(|c| c.state() != runtime::ThreadState::Parked) =>
            {
                Step::Yield
            }
            _ => {
                // All N parked via Step::Park: only this thread (and at most the other
                // worker's current thread) holds a stack.
                o.lock().unwrap().push(cx.stack_stats().in_use);
                for c in children.drain(..) {
                    c.unpark();
                }
                Step::Exit
            }
        }
    });
    assert_eq!(report.outcome, Outcome::Completed);
    let observed = observed.lock().unwrap();
    let (queued, parked) = (observed[0], observed[1]);
    assert!(
        queued <= 2,
        "{queued} stacks in use while {N} threads waited for their first run"
    );
    assert!(
        parked <= 2,
        "{parked} stacks in use while {N} threads were parked"
    );
    assert_eq!(
        report.stacks.in_use, 0,
        "finished threads hold no stack: {:?}",
        report.stacks
    );
}

#[test]
fn threads_blocked_inside_their_coroutine_keep_their_stack() {
    const N: usize = 50;
    let observed = Arc::new(AtomicUsize::new(0));
    let o = observed.clone();
    let parked = Arc::new(AtomicUsize::new(0));
    let mut children: Vec<ThreadRef> = Vec::new();
    let mut phase = 0;
    let report = run(config(1), move |cx: &mut Context| {
        phase += 1;
        if phase == 1 {
            for _ in 0..N {
                let p = parked.clone();
                children.push(cx.spawn(
                    Box::new(move |cx: &mut Context| {
                        p.fetch_add(1, SeqCst);
                        // SAFETY: nothing thread-affine is held across the call.
                        unsafe { cx.park() };
                        Step::Exit
                    }),
                    SpawnOptions::default(),
                ));
            }
            return Step::Yield;
        }
        if parked.load(SeqCst) < N {
            return Step::Yield;
        }
        o.store(cx.stack_stats().in_use, SeqCst);
        children.drain(..).for_each(|c| c.unpark());
        Step::Exit
    });
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(observed.load(SeqCst), N + 1);
}

/// Daemons that yield inside their coroutine forever, hopping between workers, are still
/// queued when the run ends: their suspended coroutines are dropped with them, which
/// unwinds their stacks and drops what the jobs hold.
#[test]
fn abandoned_threads_blocked_inside_their_coroutine_are_unwound() {
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    const DAEMONS: usize = 8;
    for workers in 1..=3 {
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        let mut rounds = 0;
        let report = run(config(workers), move |cx: &mut Context| {
            rounds += 1;
            if rounds == 1 {
                for _ in 0..DAEMONS {
                    let guard = Guard(d.clone());
                    cx.spawn(
                        Box::new(move |cx: &mut Context| {
                            let _guard = &guard;
                            loop {
                                // SAFETY: nothing thread-affine is held across the call.
                                unsafe { cx.yield_now() };
                            }
                        }),
                        SpawnOptions {
                            daemon: true,
                            name: None,
                        },
                    );
                }
            }
            if rounds < 100 {
                Step::Yield
            } else {
                Step::Exit
            }
        });
        assert_eq!(report.outcome, Outcome::Completed);
        assert_eq!(dropped.load(SeqCst), DAEMONS, "{workers} workers");
    }
}

/// A mixed workload whose scheduling order depends only on the scheduler.
fn deterministic_workload(cx: &mut Context, state: &mut Option<Arc<Join>>) -> Step {
    match state {
        None => {
            let join = Join::new(12, cx.current().clone());
            for i in 0..12u64 {
                let j = join.clone();
                let mut runs = 0;
                cx.spawn(
                    Box::new(move |cx: &mut Context| {
                        runs += 1;
                        if runs == 1 && i % 3 == 0 {
                            // spawn a grandchild that unparks us
                            let me = cx.current().clone();
                            cx.spawn(
                                Box::new(move |_: &mut Context| {
                                    me.unpark();
                                    Step::Exit
                                }),
                                SpawnOptions::default(),
                            );
                            return Step::Park;
                        }
                        if runs < 4 + i % 4 {
                            return if runs % 2 == 0 {
                                Step::Yield
                            } else {
                                Step::Preempt
                            };
                        }
                        j.done();
                        Step::Exit
                    }),
                    SpawnOptions::default(),
                );
            }
            *state = Some(join);
            Step::Park
        }
        Some(join) => common::park_until_true(join.finished()),
    }
}

fn record(policy: PolicyConfig, seed: u64) -> Vec<(usize, Event)> {
    let recorder = Arc::new(Recorder::default());
    let config = Config {
        workers: 1,
        seed,
        policy,
        events: Some(recorder.clone()),
        ..Config::default()
    };
    let mut state = None;
    let report = run(config, move |cx: &mut Context| {
        deterministic_workload(cx, &mut state)
    });
    assert_eq!(report.outcome, Outcome::Completed);
    let events = std::mem::take(&mut *recorder.0.lock().unwrap());
    events
}

#[test]
fn one_worker_and_a_seed_give_the_same_schedule_every_time() {
    for kind in PolicyKind::ALL {
        for lifo_slot in [false, true] {
            let policy = PolicyConfig {
                kind,
                lifo_slot,
                victim: Victim::Random,
                ..Default::default()
            };
            let first = record(policy, 42);
            assert!(first.len() > 50, "recorded only {} events", first.len());
            for _ in 0..3 {
                assert_eq!(
                    record(policy, 42),
                    first,
                    "{kind} lifo={lifo_slot}: schedules differ"
                );
            }
        }
    }
}

#[test]
fn events_tell_a_consistent_story() {
    let policy = PolicyConfig::default();
    let events = record(policy, 7);
    let count = |name: &str| events.iter().filter(|(_, e)| e.name() == name).count();
    assert_eq!(count("spawn"), count("exit"), "every spawned thread exits");
    assert_eq!(count("spawn"), 1 + 12 + 4);
    // Every run ends in exactly one of: exit, yield, preempt, park.
    assert_eq!(
        count("run"),
        count("exit") + count("yield") + count("preempt") + count("park")
    );
}
