//! Idle workers must not burn CPU: a program whose threads all sleep uses almost none.
//! (Its own test binary, so no other test's CPU time is counted.)

mod common;

use std::time::{Duration, Instant};

use runtime::{Config, Context, Outcome, SpawnOptions, Step};

/// User + system CPU time of this process, from /proc/self/stat (Linux; clock ticks of 10 ms).
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[test]
fn sleeping_program_uses_almost_no_cpu() {
    let Some(before) = process_cpu_time() else {
        return;
    }; // not Linux
    let start = Instant::now();
    let mut slept = false;
    let report = common::run(
        Config {
            workers: 2,
            ..Config::default()
        },
        move |cx: &mut Context| {
            if std::mem::take(&mut slept) {
                return Step::Exit;
            }
            slept = true;
            for i in 0..16u64 {
                let mut done = false;
                cx.spawn(
                    Box::new(move |_: &mut Context| {
                        if std::mem::take(&mut done) {
                            return Step::Exit;
                        }
                        done = true;
                        Step::SleepUntil(Instant::now() + Duration::from_millis(1000 + i))
                    }),
                    SpawnOptions::default(),
                );
            }
            Step::SleepUntil(Instant::now() + Duration::from_millis(1000))
        },
    );
    let wall = start.elapsed();
    let cpu = process_cpu_time().unwrap() - before;
    assert_eq!(report.outcome, Outcome::Completed);
    assert!(wall >= Duration::from_millis(1000));
    assert!(
        cpu < Duration::from_millis(50),
        "sleeping for {wall:?} burned {cpu:?} of CPU"
    );
}
