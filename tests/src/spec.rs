//! A sample program's expectations.
//!
//! A program `programs/NAME.gasm` states how to run it and what it must do:
//! - header comment lines in the program itself (each at the start of a line):
//!   - `; args: A B C`: command-line arguments, split on whitespace (default
//!     none);
//!   - `; expect-exit: N`: the exit status (default 0);
//!   - `; matrix: full|light|none`: also run it under that many scheduler
//!     configurations (see [`crate::matrix`]; default none);
//!   - `; stdout-contains: TEXT` / `; stderr-contains: TEXT` (repeatable):
//!     the stream must contain each TEXT (trimmed); a stream with such lines
//!     is checked only this way, and its `NAME.stdout` / `NAME.stderr` file
//!     must not exist;
//! - `programs/NAME.stdout`: the expected stdout (required unless
//!   `; stdout-contains:` lines are given);
//! - `programs/NAME.stderr`: the expected stderr (optional; when absent and
//!   there are no `; stderr-contains:` lines, stderr must be empty).
//!
//! Expected-output files are exact, except that a line may use the `{num}`
//! and `{any}` placeholders of [`crate::pattern`] (for timings and sizes).

use std::path::{Path, PathBuf};

use crate::matrix::Matrix;
use crate::pattern;
use crate::run::Outcome;

/// What one output stream must look like.
#[derive(Debug)]
pub enum Expected {
    /// The whole stream, matched by [`pattern::matches`].
    Text(String),
    /// Pieces the stream must contain.
    Contains(Vec<String>),
}

impl Expected {
    /// `Err` says how `actual` (the stream called `what`) falls short.
    pub fn check(&self, what: &str, actual: &str) -> Result<(), String> {
        match self {
            Expected::Text(text) if pattern::matches(text, actual) => Ok(()),
            Expected::Text(text) => Err(format!("{what} differs; expected:\n{text}")),
            Expected::Contains(pieces) => {
                let missing: Vec<&String> = pieces
                    .iter()
                    .filter(|p| !actual.contains(p.as_str()))
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("{what} lacks {missing:?}"))
                }
            }
        }
    }
}

/// How to run one program and what it must produce.
#[derive(Debug)]
pub struct ProgramSpec {
    /// `NAME` of `NAME.gasm`.
    pub name: String,
    /// The `.gasm` file.
    pub path: PathBuf,
    pub args: Vec<String>,
    pub expect_exit: i32,
    pub expect_stdout: Expected,
    pub expect_stderr: Expected,
    pub matrix: Matrix,
}

impl ProgramSpec {
    /// Reads the spec of the program at `path`; panics with a clear message
    /// if the program or its `.stdout` file is missing or a header is bad.
    pub fn read(path: &Path) -> ProgramSpec {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a program has a UTF-8 name")
            .to_string();
        let source = read(path);
        let mut args = Vec::new();
        let mut expect_exit = 0;
        let mut matrix = Matrix::None;
        let mut stdout_contains = Vec::new();
        let mut stderr_contains = Vec::new();
        for line in source.lines() {
            if let Some(rest) = line.strip_prefix("; args:") {
                args = rest.split_whitespace().map(str::to_string).collect();
            } else if let Some(rest) = line.strip_prefix("; expect-exit:") {
                expect_exit = rest.trim().parse().unwrap_or_else(|e| {
                    panic!("{}: bad `; expect-exit:` line: {e}", path.display())
                });
            } else if let Some(rest) = line.strip_prefix("; matrix:") {
                matrix = Matrix::from_name(rest.trim()).unwrap_or_else(|| {
                    panic!(
                        "{}: bad `; matrix:` line (full, light or none): {rest}",
                        path.display()
                    )
                });
            } else if let Some(rest) = line.strip_prefix("; stdout-contains:") {
                stdout_contains.push(rest.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("; stderr-contains:") {
                stderr_contains.push(rest.trim().to_string());
            }
        }
        ProgramSpec {
            expect_stdout: expected(path, "stdout", stdout_contains, true),
            expect_stderr: expected(path, "stderr", stderr_contains, false),
            name,
            path: path.to_path_buf(),
            args,
            expect_exit,
            matrix,
        }
    }

    /// The spec of every `*.gasm` in `dir`, sorted by name.
    pub fn all_in(dir: &Path) -> Vec<ProgramSpec> {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.expect("a readable directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "gasm"))
            .collect();
        paths.sort();
        paths.iter().map(|p| ProgramSpec::read(p)).collect()
    }

    /// The file name, e.g. `fib.gasm`.
    pub fn file_name(&self) -> String {
        format!("{}.gasm", self.name)
    }

    /// Compares a run (described as `form`, e.g. "from .gbc") with the
    /// expectations; `Err` describes every mismatch and shows the run.
    pub fn check(&self, form: &str, outcome: &Outcome) -> Result<(), String> {
        let mut problems = Vec::new();
        if outcome.code() != Some(self.expect_exit) {
            problems.push(format!(
                "exit status {:?}, expected {}",
                outcome.code(),
                self.expect_exit
            ));
        }
        for (expected, what, actual) in [
            (&self.expect_stdout, "stdout", &outcome.stdout),
            (&self.expect_stderr, "stderr", &outcome.stderr),
        ] {
            if let Err(e) = expected.check(what, actual) {
                problems.push(e);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} ({form}): {}\n{}",
                self.name,
                problems.join("; "),
                outcome.describe()
            ))
        }
    }
}

/// The expectation for one stream of the program at `path`.
fn expected(path: &Path, stream: &str, contains: Vec<String>, required: bool) -> Expected {
    let file = path.with_extension(stream);
    if !contains.is_empty() {
        assert!(
            !file.exists(),
            "{}: has both `; {stream}-contains:` lines and {}",
            path.display(),
            file.display()
        );
        Expected::Contains(contains)
    } else if required || file.exists() {
        Expected::Text(read(&file))
    } else {
        Expected::Text(String::new())
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
