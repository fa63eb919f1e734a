//! [`Runtime`]: builds the workers, runs `main` and every thread it spawns, and decides how
//! the run ended.
//!
//! A run ends when:
//! - the last non-daemon thread exits: [`Outcome::Completed`] (Java's exit rule; daemon
//!   threads still alive are abandoned: dropped with whatever they hold), or
//! - every worker is asleep, nothing is queued, no timer can fire, and non-daemon threads
//!   are still alive, so they are all parked and nothing can ever wake them:
//!   [`Outcome::Deadlock`]. (An `unpark` from a foreign OS thread could in principle still
//!   wake one; the runtime does not wait for that.)
//!
//! Worker 0 runs on the calling OS thread; workers 1.. on scoped threads named
//! `greenvm-worker-N`. When `run` returns, all worker threads have stopped, queued threads
//! were dropped, and pooled stacks were unmapped.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_deque::Steal;
use crossbeam_utils::sync::Parker;

use crate::config::Config;
use crate::event::{Event, NO_WORKER};
use crate::job::Job;
use crate::policy::Policy;
use crate::queue::RunQueue;
use crate::shared::Shared;
use crate::stack_pool::StackStats;
use crate::thread::SpawnOptions;
use crate::worker::Worker;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every non-daemon thread exited.
    Completed,
    /// Live non-daemon threads remain, but none can ever run again.
    Deadlock,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Completed => "completed",
            Outcome::Deadlock => "deadlock",
        })
    }
}

/// What [`Runtime::run_with_report`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub outcome: Outcome,
    /// Wall-clock time from starting the workers to the last one stopping.
    pub elapsed: Duration,
    /// Threads spawned, `main` included.
    pub threads_spawned: u64,
    /// Native stacks when the workers stopped (their own pools already unmapped): `in_use`
    /// counts stacks still held by abandoned threads blocked inside their coroutines.
    pub stacks: StackStats,
}

/// A green-thread runtime, ready to run one program.
pub struct Runtime {
    config: Config,
    policy: Option<Arc<dyn Policy>>,
}

impl Runtime {
    pub fn new(config: Config) -> Runtime {
        Runtime {
            config,
            policy: None,
        }
    }

    /// Use a custom policy instead of the built-in `config.policy.kind` (the other
    /// `PolicyConfig` knobs still apply).
    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Runtime {
        self.policy = Some(policy);
        self
    }

    /// Run `main` (a non-daemon thread) and everything it spawns until every non-daemon
    /// thread has exited, or until nothing can run any more.
    pub fn run(self, main: Box<dyn Job>) -> Outcome {
        self.run_with_report(main).outcome
    }

    /// Like [`Runtime::run`], with timing and stack statistics.
    pub fn run_with_report(self, main: Box<dyn Job>) -> RunReport {
        let Runtime { config, policy } = self;
        let policy = policy.unwrap_or_else(|| config.policy.kind.build());
        let count = config.workers.max(1);
        let knobs = config.policy;
        // The bound exists to show surplus work to other workers; alone, it only costs.
        let cap = if count == 1 {
            usize::MAX
        } else {
            knobs.local_queue_cap
        };
        let queues: Vec<RunQueue> = (0..count)
            .map(|_| {
                RunQueue::new(
                    knobs.lifo_slot,
                    knobs.max_lifo_runs,
                    cap,
                    policy.placement(),
                )
            })
            .collect();
        let parkers: Vec<Parker> = (0..count).map(|_| Parker::new()).collect();
        let shared = Arc::new(Shared::new(
            &config,
            policy,
            queues.iter().map(RunQueue::stealer).collect(),
            parkers.iter().map(|p| p.unparker().clone()).collect(),
        ));

        let main = shared.new_thread(
            main,
            SpawnOptions {
                daemon: false,
                name: Some("main".into()),
            },
        );
        shared.emit(NO_WORKER, || Event::Spawn {
            thread: main.id(),
            worker: NO_WORKER,
        });
        shared.injector.push(main);

        let mut workers = queues
            .into_iter()
            .zip(parkers)
            .enumerate()
            .map(|(index, (queue, parker))| Worker::new(index, shared.clone(), queue, parker));
        let first = workers.next().expect("at least one worker");
        let started = Instant::now();
        std::thread::scope(|scope| {
            for worker in workers {
                std::thread::Builder::new()
                    .name(format!("greenvm-worker-{}", worker.index()))
                    .spawn_scoped(scope, move || worker.run())
                    .expect("cannot start a worker thread");
            }
            first.run();
        });
        let elapsed = started.elapsed();

        let outcome = shared
            .outcome()
            .expect("workers stop only once the run has finished");
        let stacks = shared.stacks.stats();
        // Abandoned threads: drop them now (outside any lock), then unmap the pooled stacks.
        loop {
            match shared.injector.steal() {
                Steal::Success(thread) => drop(thread),
                Steal::Retry => continue,
                Steal::Empty => break,
            }
        }
        drop(shared.timers.clear());
        // Every worker has stopped, so every grace period is over.
        for job in shared.exhume() {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(job))).is_err() {
                log::error!("dropping the job of an exited green thread panicked");
            }
        }
        shared.stacks.release_overflow();
        RunReport {
            outcome,
            elapsed,
            threads_spawned: shared.threads_spawned(),
            stacks,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::test_support::{config, run};
    use crate::{Context, Step, ThreadRef};

    #[test]
    fn main_alone_completes() {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let report = run(config(2), move |_: &mut Context| {
            r.fetch_add(1, SeqCst);
            Step::Exit
        });
        assert_eq!(report.outcome, Outcome::Completed);
        assert_eq!(ran.load(SeqCst), 1);
        assert_eq!(report.threads_spawned, 1);
    }

    #[test]
    fn two_threads_parked_forever_is_a_deadlock() {
        for workers in 1..=3 {
            let report = run(config(workers), |cx: &mut Context| {
                if cx.current().id() == 1 {
                    cx.spawn(Box::new(|_: &mut Context| Step::Park), Default::default());
                }
                Step::Park
            });
            assert_eq!(report.outcome, Outcome::Deadlock, "{workers} workers");
        }
    }

    #[test]
    fn a_pending_timer_is_not_a_deadlock() {
        for workers in 1..=2 {
            let start = Instant::now();
            let mut slept = false;
            let report = run(config(workers), move |_: &mut Context| {
                if slept {
                    return Step::Exit;
                }
                slept = true;
                Step::ParkUntil(Instant::now() + Duration::from_millis(50))
            });
            assert_eq!(report.outcome, Outcome::Completed);
            assert!(start.elapsed() >= Duration::from_millis(50));
        }
    }

    #[test]
    fn daemon_threads_do_not_keep_the_runtime_alive() {
        let report = run(config(2), |cx: &mut Context| {
            // A daemon that never stops yielding, and one that parks forever.
            cx.spawn(
                Box::new(|_: &mut Context| Step::Yield),
                SpawnOptions {
                    daemon: true,
                    name: None,
                },
            );
            cx.spawn(
                Box::new(|_: &mut Context| Step::Park),
                SpawnOptions {
                    daemon: true,
                    name: None,
                },
            );
            Step::Exit
        });
        assert_eq!(report.outcome, Outcome::Completed);
    }

    #[test]
    fn unpark_from_a_foreign_os_thread_wakes_a_parked_thread() {
        let (tx, rx) = std::sync::mpsc::channel::<ThreadRef>();
        let helper = std::thread::spawn(move || {
            let thread = rx.recv().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            thread.unpark();
        });
        let mut sent = false;
        let report = run(config(2), move |cx: &mut Context| {
            if sent {
                return Step::Exit;
            }
            sent = true;
            tx.send(cx.current().clone()).unwrap();
            // Keep a timer armed so the run is not judged a deadlock while we wait.
            Step::ParkUntil(Instant::now() + Duration::from_secs(20))
        });
        helper.join().unwrap();
        assert_eq!(report.outcome, Outcome::Completed);
        assert!(
            report.elapsed < Duration::from_secs(10),
            "woken by unpark, not the timer"
        );
    }
}
