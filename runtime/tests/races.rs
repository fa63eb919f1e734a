//! Park/unpark races at volume: many ping-pong pairs across workers, plus foreign OS
//! threads unparking at random (spurious wake-ups the jobs must tolerate). A lost wake-up
//! shows up as a deadlock or a timeout, never as a hang.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{run, tracked, Join, Tracker};
use runtime::{Config, Context, Outcome, PolicyConfig, PolicyKind, SpawnOptions, Step, ThreadRef};

const PAIRS: usize = 32;
const ROUNDS: u64 = 2000;

struct Pair {
    count: AtomicU64,
    sides: [OnceLock<ThreadRef>; 2],
}

fn pairs_with_foreign_unparkers(config: Config) {
    let what = format!("{config:?}");
    let tracker = Tracker::new(2 * PAIRS);
    let all: Arc<Mutex<Vec<ThreadRef>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    // Two foreign OS threads unpark random green threads until the run ends.
    let noise: Vec<_> = (0..2u64)
        .map(|seed| {
            let (all, stop) = (all.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut x = seed * 7919 + 1;
                while !stop.load(SeqCst) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let victim = {
                        let all = all.lock().unwrap();
                        (!all.is_empty()).then(|| all[x as usize % all.len()].clone())
                    };
                    if let Some(t) = victim {
                        t.unpark();
                    }
                    std::thread::sleep(Duration::from_micros(50));
                }
            })
        })
        .collect();

    let t = tracker.clone();
    let registry = all.clone();
    let mut join: Option<Arc<Join>> = None;
    let report = run(config, move |cx: &mut Context| {
        if let Some(j) = &join {
            return common::park_until_true(j.finished());
        }
        let j = Join::new(2 * PAIRS, cx.current().clone());
        for _ in 0..PAIRS {
            let pair = Arc::new(Pair {
                count: AtomicU64::new(0),
                sides: [OnceLock::new(), OnceLock::new()],
            });
            for side in 0..2u64 {
                let (p, jj) = (pair.clone(), j.clone());
                let in_coroutine = side == 1; // one side blocks inside its coroutine
                let thread = cx.spawn(
                    tracked(&t, move |cx| loop {
                        let Some(other) = p.sides[1 - side as usize].get() else {
                            return Step::Yield;
                        };
                        let c = p.count.load(SeqCst);
                        if c >= ROUNDS {
                            jj.done();
                            return Step::Exit;
                        }
                        if c % 2 == side {
                            p.count.store(c + 1, SeqCst);
                            cx.unpark(other);
                            continue;
                        }
                        if in_coroutine {
                            // SAFETY: nothing thread-affine is held across the call.
                            unsafe { cx.park() };
                        } else {
                            return Step::Park;
                        }
                    }),
                    SpawnOptions::default(),
                );
                registry.lock().unwrap().push(thread.clone());
                pair.sides[side as usize].set(thread).unwrap();
            }
        }
        join = Some(j);
        Step::Park
    });
    stop.store(true, SeqCst);
    noise.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(report.outcome, Outcome::Completed, "{what}");
    tracker.check(&what);
}

#[test]
fn ping_pong_pairs_survive_foreign_unparks() {
    for kind in PolicyKind::ALL {
        for workers in [1, 2, 4] {
            for lifo_slot in [false, true] {
                pairs_with_foreign_unparkers(Config {
                    workers,
                    seed: workers as u64,
                    policy: PolicyConfig {
                        kind,
                        lifo_slot,
                        ..Default::default()
                    },
                    ..Config::default()
                });
            }
        }
    }
}
