//! Runs `greenvm` as a child process with a deadline.
//!
//! Every run has a timeout: the child is polled until it exits or the
//! deadline passes, in which case it is killed and the test fails with a
//! message naming the command. stdout and stderr are drained by two threads
//! while the child runs, so a chatty child cannot block on a full pipe.
//! `RUST_LOG` is removed from the child's environment so that logging never
//! leaks into the captured stderr.

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long one run of greenvm may take before it is killed. Generous: the
/// tests run debug builds on a shared two-core machine.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What a finished run produced.
#[derive(Debug)]
pub struct Outcome {
    /// The command line, for failure messages.
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The exit code; `None` if the process was killed by a signal.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics unless the run exited with `code`, showing the run's output.
    pub fn assert_exit(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "wrong exit status\n{}",
            self.describe()
        );
        self
    }

    /// Panics unless stderr contains `needle`.
    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// Panics unless stdout contains `needle`.
    pub fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// The command, its status and its output, for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "command: {}\nstatus: {}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

/// Runs greenvm with `args` in directory `dir`, with [`DEFAULT_TIMEOUT`].
pub fn greenvm<I, S>(dir: &Path, args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    greenvm_with_timeout(dir, args, DEFAULT_TIMEOUT)
}

/// Runs greenvm with `args` in directory `dir`; panics if it does not exit
/// within `timeout` (after killing it) or exits with status 101 (a panic,
/// which greenvm must never do).
pub fn greenvm_with_timeout<I, S>(dir: &Path, args: I, timeout: Duration) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(crate::binary::greenvm());
    command.args(args).current_dir(dir).env_remove("RUST_LOG");
    let outcome = run_with_timeout(command, timeout);
    assert_ne!(
        outcome.code(),
        Some(101),
        "greenvm panicked\n{}",
        outcome.describe()
    );
    outcome
}

/// Runs `command` to completion or until `timeout`, capturing its output.
pub fn run_with_timeout(mut command: Command, timeout: Duration) -> Outcome {
    let description = format!("{command:?}");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("timed out after {timeout:?}, killed: {description}");
            }
            Err(e) => panic!("cannot wait for {description}: {e}"),
        }
    };
    Outcome {
        command: description,
        status,
        stdout: stdout.join().expect("the stdout reader does not panic"),
        stderr: stderr.join().expect("the stderr reader does not panic"),
    }
}

/// Reads a pipe to its end on a new thread.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
