//! A sample program's expectations.
//!
//! A program `programs/NAME.gasm` states how to run it and what it must do:
//! - header comment lines in the program itself:
//!   `; args: A B C` (command-line arguments, split on whitespace; default
//!   none) and `; expect-exit: N` (exit status; default 0);
//! - `programs/NAME.stdout`: the exact expected stdout (required);
//! - `programs/NAME.stderr`: the exact expected stderr (optional; when absent
//!   stderr must be empty).

use std::path::{Path, PathBuf};

/// How to run one program and what it must produce.
#[derive(Debug)]
pub struct ProgramSpec {
    /// `NAME` of `NAME.gasm`.
    pub name: String,
    /// The `.gasm` file.
    pub path: PathBuf,
    pub args: Vec<String>,
    pub expect_exit: i32,
    pub expect_stdout: String,
    pub expect_stderr: String,
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
        for line in source.lines() {
            if let Some(rest) = line.strip_prefix("; args:") {
                args = rest.split_whitespace().map(str::to_string).collect();
            } else if let Some(rest) = line.strip_prefix("; expect-exit:") {
                expect_exit = rest.trim().parse().unwrap_or_else(|e| {
                    panic!("{}: bad `; expect-exit:` line: {e}", path.display())
                });
            }
        }
        let stderr_path = path.with_extension("stderr");
        ProgramSpec {
            expect_stdout: read(&path.with_extension("stdout")),
            expect_stderr: if stderr_path.exists() {
                read(&stderr_path)
            } else {
                String::new()
            },
            name,
            path: path.to_path_buf(),
            args,
            expect_exit,
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
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
