//! End-to-end test support: everything the tests in `tests/tests/` need to
//! run sample programs through the real `greenvm` binary.
//!
//! - [`binary`] builds (once per test process) and locates `greenvm`;
//! - [`run`] runs it with a deadline, capturing stdout, stderr and the status;
//! - [`spec`] reads a program's expectations (`; args:`, `; expect-exit:`,
//!   `; matrix:`, `; stdout-contains:` / `; stderr-contains:` header lines
//!   and the `NAME.stdout` / `NAME.stderr` files beside it);
//! - [`pattern`] matches expected output with `{num}` / `{any}` placeholders;
//! - [`matrix`] lists the scheduler configurations (policy, workers, LIFO
//!   slot, seed) the concurrency programs also run under;
//! - [`scratch`] makes per-test temporary directories.
//!
//! The tests themselves: `programs.rs` (every `programs/*.gasm`, as text and
//! as `.gbc`, plus the disassembler round trip, plus the scheduler matrix),
//! `errors.rs` (error paths: bad input must give exit status 2 and a located
//! message, never a panic) and `threads.rs` (determinism under a seed, idle
//! CPU while every thread sleeps, deadlock detection under every policy).

pub mod binary;
pub mod matrix;
pub mod pattern;
pub mod run;
pub mod scratch;
pub mod spec;

use std::path::PathBuf;

/// The workspace root (the directory holding `programs/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

/// The directory of sample programs.
pub fn programs_dir() -> PathBuf {
    workspace_root().join("programs")
}

/// The directory of error-path fixtures (`tests/fixtures/`).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
