//! Green-thread behaviour through the real `greenvm` binary, beyond the
//! sample programs' expected output (which `programs.rs` checks, under the
//! scheduler matrix too):
//! - determinism: with `--workers 1` and a seed, a program whose output
//!   depends on the schedule prints the same thing every run, and `--stats`
//!   reports the same counts, and the instruction trace (`--trace`) shows
//!   the same threads running the same instructions in the same order;
//! - idle CPU: threads that all sleep leave the workers asleep, so the run
//!   uses almost no CPU time;
//! - deadlock: `programs/deadlock.gasm` ends with status 3 and a
//!   `Found deadlock` dump under every policy and worker count;
//! - Java's exit rule: the VM waits for non-daemon threads after main returns;
//! - parked threads nobody can unpark are a deadlock, dumped with their stacks;
//! - scale (release builds only): skynet with 1,111,111 threads.
//!
//! Fixtures live in `tests/fixtures/`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use greenvm_tests::matrix::POLICIES;
use greenvm_tests::run::{self, Outcome};
use greenvm_tests::{binary, fixtures_dir, programs_dir};

fn run_fixture(args: &[&str]) -> Outcome {
    run::greenvm(&fixtures_dir(), args)
}

/// Runs `greenvm run --policy P --workers W FILE` in `dir` under every policy
/// and 1..=`max_workers` workers, handing each outcome to `check`.
fn under_every_policy(dir: &Path, file: &str, max_workers: usize, check: impl Fn(Outcome)) {
    for policy in POLICIES {
        for workers in 1..=max_workers {
            let workers = workers.to_string();
            check(run::greenvm(
                dir,
                ["run", "--policy", policy, "--workers", &workers, file],
            ));
        }
    }
}

/// How many times consecutive lines of `stdout` come from different
/// chatters (`A step 0`, `B step 0`, ... ; other lines are skipped).
fn switches(stdout: &str) -> usize {
    let owners: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" step "))
        .map(|l| &l[..1])
        .collect();
    owners.windows(2).filter(|w| w[0] != w[1]).count()
}

#[test]
fn one_worker_and_a_seed_give_the_same_interleaving_every_run() {
    for policy in POLICIES {
        let options = [
            "run",
            "--workers",
            "1",
            "--seed",
            "7",
            "--policy",
            policy,
            "interleave.gasm",
        ];
        let first = run_fixture(&options);
        first.assert_exit(0);
        assert_eq!(
            first.stdout.lines().count(),
            3 * 4 + 3 + 2,
            "every line printed\n{}",
            first.describe()
        );
        assert!(
            switches(&first.stdout) >= 3,
            "the chatters yield after every line, so their lines interleave\n{}",
            first.describe()
        );
        for _ in 0..2 {
            let again = run_fixture(&options);
            again.assert_exit(0);
            assert_eq!(
                again.stdout, first.stdout,
                "a different interleaving with the same seed ({policy})\nfirst run:\n{}\nthis run:\n{}",
                first.describe(),
                again.describe()
            );
        }
    }
}

#[test]
fn one_worker_and_a_seed_give_the_same_stats_every_run() {
    let options = [
        "run",
        "--workers",
        "1",
        "--seed",
        "7",
        "--stats",
        "interleave.gasm",
    ];
    let first = run_fixture(&options);
    first.assert_exit(0);
    let count = |event: &str| -> Option<u64> {
        first.stderr.lines().find_map(|l| {
            let (name, n) = l.rsplit_once(' ')?;
            (name.trim_end() == event).then(|| n.parse().ok())?
        })
    };
    // main, three chatters and their three helpers; each chatter yields 4 times.
    for (event, expected) in [
        ("threads spawned", 7),
        ("threads exited", 7),
        ("yields", 12),
        ("steals", 0),
    ] {
        assert_eq!(
            count(event),
            Some(expected),
            "--stats counts {event}\n{}",
            first.describe()
        );
    }
    let again = run_fixture(&options);
    again.assert_exit(0);
    assert_eq!(again.stdout, first.stdout, "{}", again.describe());
    assert_eq!(
        again.stderr,
        first.stderr,
        "different stats with the same seed\nfirst run:\n{}\nthis run:\n{}",
        first.describe(),
        again.describe()
    );
}

/// The instruction trace of a run (`--trace`), without the log's timestamp
/// prefix: one line per instruction, naming the thread and its worker.
fn instruction_trace(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|l| l.split_once(" TRACE vm::interp] "))
        .map(|(_, rest)| rest)
        .collect()
}

#[test]
fn one_worker_and_a_seed_give_the_same_instruction_order_every_run() {
    for policy in POLICIES {
        let options = [
            "run",
            "--workers",
            "1",
            "--seed",
            "7",
            "--policy",
            policy,
            "--trace",
            "interleave.gasm",
        ];
        let first = run_fixture(&options);
        first.assert_exit(0);
        let trace = instruction_trace(&first.stderr);
        let threads: std::collections::BTreeSet<&str> = trace
            .iter()
            .filter_map(|l| l.split(" on worker ").next())
            .collect();
        assert!(
            threads.len() >= 4,
            "main, three chatters and their helpers all appear in the trace\n{}",
            first.describe()
        );
        let again = run_fixture(&options);
        again.assert_exit(0);
        assert!(
            instruction_trace(&again.stderr) == trace,
            "a different instruction order with the same seed ({policy})\nfirst run:\n{}\nthis run:\n{}",
            first.describe(),
            again.describe()
        );
    }
}

/// User + system CPU seconds of `greenvm run OPTIONS sleepers.gasm`, measured
/// by bash's `time` (which reports the child's rusage).
fn cpu_seconds_of_sleepers(options: &[&str]) -> f64 {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(r#"TIMEFORMAT="cpu %U %S"; time "$@""#)
        .arg("bash")
        .arg(binary::greenvm())
        .arg("run")
        .args(options)
        .arg("sleepers.gasm")
        .current_dir(fixtures_dir())
        .env_remove("RUST_LOG");
    let outcome = run::run_with_timeout(command, Duration::from_secs(60));
    outcome.assert_exit(0);
    assert_eq!(
        outcome.stdout,
        "all 100 sleepers woke\n",
        "{}",
        outcome.describe()
    );
    let line = outcome
        .stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("cpu "))
        .unwrap_or_else(|| panic!("no timing line\n{}", outcome.describe()));
    line.split_whitespace()
        .skip(1)
        .map(|x| x.parse::<f64>().unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .sum()
}

#[test]
fn sleeping_threads_use_almost_no_cpu() {
    for options in [&[][..], &["--workers", "4"][..]] {
        let cpu = cpu_seconds_of_sleepers(options);
        assert!(
            cpu < 0.05,
            "100 threads sleeping 2 s used {cpu:.3} s of CPU (options {options:?})"
        );
    }
}

#[test]
fn a_deadlock_is_reported_under_every_policy_and_worker_count() {
    under_every_policy(&programs_dir(), "deadlock.gasm", 4, |outcome| {
        outcome
            .assert_exit(3)
            .assert_stderr_contains("Found deadlock")
            .assert_stderr_contains(
                "\"main\" #1 WAITING\n    \
                 waiting for thread \"partner\" #2 to end (Thread.join)\n    \
                 at main (deadlock.gasm:32)\n",
            )
            .assert_stderr_contains(
                "\"partner\" #2 WAITING\n    \
                 waiting for thread \"main\" #1 to end (Thread.join)\n    \
                 at join_forever (deadlock.gasm:42)\n",
            );
    });
}

/// Threads parked in `LockSupport.park` with no one left to unpark them (and
/// the one timer fired) are a deadlock too: each is dumped with what it waits
/// for and its whole VM stack.
#[test]
fn parked_threads_nobody_can_unpark_are_a_deadlock() {
    under_every_policy(&fixtures_dir(), "park-deadlock.gasm", 4, |outcome| {
        outcome
            .assert_exit(3)
            .assert_stderr_contains(
                "\"main\" #1 WAITING\n    \
                 waiting for a permit (LockSupport.park)\n    \
                 at park_forever (park-deadlock.gasm:24)\n    \
                 at main (park-deadlock.gasm:11)\n",
            )
            .assert_stderr_contains(
                "\"sleeper\" #2 WAITING\n    \
                 waiting for a permit (LockSupport.park)\n    \
                 at park_forever (park-deadlock.gasm:24)\n    \
                 at sleeper (park-deadlock.gasm:18)\n",
            );
    });
}

#[test]
fn a_permit_survives_sleep_and_join_under_every_policy() {
    under_every_policy(
        &fixtures_dir(),
        "permit-survives-waits.gasm",
        2,
        |outcome| {
            outcome.assert_exit(0);
        },
    );
}

#[test]
fn threads_also_run_without_coroutines() {
    for workers in ["1", "2"] {
        let with = |program: &'static str, args: &[&'static str]| {
            let mut all = vec!["run", "--coroutines", "off", "--workers", workers, program];
            all.extend_from_slice(args);
            run::greenvm(&programs_dir(), all)
        };
        with("skynet.gasm", &["--", "10000"])
            .assert_exit(0)
            .assert_stdout_contains("49995000");
        with("interrupt.gasm", &[]).assert_exit(0);
    }
}

/// 1,111,111 threads: too slow for a debug build, so release builds only
/// (`cargo test --release -p greenvm-tests`).
#[test]
#[cfg_attr(debug_assertions, ignore = "release builds only")]
fn skynet_runs_a_million_threads() {
    let outcome = run::greenvm_with_timeout(
        &programs_dir(),
        ["run", "skynet.gasm"],
        Duration::from_secs(120),
    );
    outcome.assert_exit(0);
    assert_eq!(outcome.stdout, "499999500000\n", "{}", outcome.describe());
}

/// A thread object answers for its thread after the thread's record is
/// freed (name, state, isAlive, join's result; interrupt and unpark do
/// nothing; start throws).
#[test]
fn an_ended_thread_still_answers_under_every_policy() {
    under_every_policy(&fixtures_dir(), "ended-thread.gasm", 2, |outcome| {
        outcome.assert_exit(0);
        assert_eq!(
            outcome.stdout,
            "42\nworker\nThread-1\nTERMINATED\n0\n42\n\
             start after the end: IllegalThreadStateException\n",
            "{}",
            outcome.describe()
        );
    });
}

/// Java's exit rule: the VM waits for every non-daemon thread, not just main.
#[test]
fn the_vm_waits_for_non_daemon_threads_after_main_returns() {
    under_every_policy(&fixtures_dir(), "main-ends-first.gasm", 2, |outcome| {
        outcome.assert_exit(0);
        assert_eq!(
            outcome.stdout,
            "main: returning\nlate: still ran after main returned\n",
            "{}",
            outcome.describe()
        );
    });
}
