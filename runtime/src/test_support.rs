//! Helpers for the unit tests: run a runtime on a helper OS thread and fail by timeout,
//! never hang.

use std::sync::mpsc;
use std::time::Duration;

use crate::{Config, Job, RunReport, Runtime};

/// How long any test run may take before the test fails.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// Run `main` under `config` on a helper thread; panic if it takes longer than `TIMEOUT`.
pub(crate) fn run(config: Config, main: impl Job) -> RunReport {
    let (done, result) = mpsc::channel();
    let describe = format!("{config:?}");
    std::thread::spawn(move || {
        let report = Runtime::new(config).run_with_report(Box::new(main));
        let _ = done.send(report);
    });
    match result.recv_timeout(TIMEOUT) {
        Ok(report) => report,
        Err(_) => panic!("runtime did not finish within {TIMEOUT:?} (hang?) with {describe}"),
    }
}

/// A config with `workers` workers and default everything else.
pub(crate) fn config(workers: usize) -> Config {
    Config {
        workers,
        ..Config::default()
    }
}
