//! Runs every sample program in `programs/` through the real `greenvm`
//! binary and checks its stdout, stderr and exit status against the
//! expectations beside it (see `greenvm_tests::spec`), in both forms:
//! assembled from `.gasm` on the fly, and from a `.gbc` made by `greenvm asm`.
//! Also checks the disassembler round trip for every program:
//! `asm a.gasm -o a.gbc; disasm a.gbc > b.gasm; asm b.gasm -o b.gbc` gives
//! `a.gbc == b.gbc` byte for byte.
//!
//! Programs run with the programs directory as working directory and are
//! named relative to it, so stack traces read `at f (exceptions.gasm:140)`.
//! Each test checks every program and reports all failures together.

use std::path::Path;

use greenvm_tests::programs_dir;
use greenvm_tests::run::{self, Outcome};
use greenvm_tests::scratch::Scratch;
use greenvm_tests::spec::ProgramSpec;

/// `greenvm run FILE [-- ARGS...]` in the programs directory.
fn run_program(file: &Path, args: &[String]) -> Outcome {
    let mut argv = vec!["run".into(), file.as_os_str().to_owned()];
    if !args.is_empty() {
        argv.push("--".into());
        argv.extend(args.iter().map(Into::into));
    }
    run::greenvm(&programs_dir(), argv)
}

/// Compares a run with the program's expectations; `Err` describes the mismatch.
fn check(spec: &ProgramSpec, form: &str, outcome: &Outcome) -> Result<(), String> {
    let mut problems = Vec::new();
    if outcome.code() != Some(spec.expect_exit) {
        problems.push(format!(
            "exit status {:?}, expected {}",
            outcome.code(),
            spec.expect_exit
        ));
    }
    if outcome.stdout != spec.expect_stdout {
        problems.push(format!("stdout differs; expected:\n{}", spec.expect_stdout));
    }
    if outcome.stderr != spec.expect_stderr {
        problems.push(format!("stderr differs; expected:\n{}", spec.expect_stderr));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} ({form}): {}\n{}",
            spec.name,
            problems.join("; "),
            outcome.describe()
        ))
    }
}

/// Panics with every failure, if there were any.
fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// `greenvm asm SOURCE -o OUT`, in the programs directory; `Err` if it failed.
fn assemble(source: &Path, out: &Path) -> Result<(), String> {
    let outcome = run::greenvm(
        &programs_dir(),
        [
            "asm".as_ref(),
            source.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
    );
    if outcome.code() == Some(0) && outcome.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "asm {} failed\n{}",
            source.display(),
            outcome.describe()
        ))
    }
}

#[test]
fn the_sample_programs_are_all_there() {
    let names: Vec<String> = ProgramSpec::all_in(&programs_dir())
        .into_iter()
        .map(|s| s.name)
        .collect();
    for expected in ["hello", "fib", "workout", "exceptions", "deep-recursion"] {
        assert!(
            names.iter().any(|n| n == expected),
            "programs/{expected}.gasm is missing; found {names:?}"
        );
    }
}

#[test]
fn every_program_runs_as_gasm() {
    let mut failures = Vec::new();
    for spec in ProgramSpec::all_in(&programs_dir()) {
        let outcome = run_program(Path::new(&spec.file_name()), &spec.args);
        if let Err(e) = check(&spec, "from .gasm", &outcome) {
            failures.push(e);
        }
    }
    report(failures);
}

#[test]
fn every_program_runs_as_gbc_with_the_same_output() {
    let scratch = Scratch::new("gbc");
    let mut failures = Vec::new();
    for spec in ProgramSpec::all_in(&programs_dir()) {
        let gbc = scratch.join(&format!("{}.gbc", spec.name));
        let result = assemble(Path::new(&spec.file_name()), &gbc)
            .and_then(|()| check(&spec, "from .gbc", &run_program(&gbc, &spec.args)));
        if let Err(e) = result {
            failures.push(e);
        }
    }
    report(failures);
}

#[test]
fn every_program_survives_the_disassembler_round_trip() {
    let scratch = Scratch::new("round-trip");
    let mut failures = Vec::new();
    for spec in ProgramSpec::all_in(&programs_dir()) {
        let a_gbc = scratch.join(&format!("{}.a.gbc", spec.name));
        let b_gasm = scratch.join(&format!("{}.b.gasm", spec.name));
        let b_gbc = scratch.join(&format!("{}.b.gbc", spec.name));
        let result = assemble(Path::new(&spec.file_name()), &a_gbc)
            .and_then(|()| {
                let disasm = run::greenvm(&programs_dir(), ["disasm".as_ref(), a_gbc.as_os_str()]);
                if disasm.code() != Some(0) {
                    return Err(format!("disasm failed\n{}", disasm.describe()));
                }
                std::fs::write(&b_gasm, &disasm.stdout).map_err(|e| e.to_string())
            })
            .and_then(|()| assemble(&b_gasm, &b_gbc))
            .and_then(|()| {
                let a = std::fs::read(&a_gbc).map_err(|e| e.to_string())?;
                let b = std::fs::read(&b_gbc).map_err(|e| e.to_string())?;
                if a == b {
                    Ok(())
                } else {
                    let at = a
                        .iter()
                        .zip(&b)
                        .position(|(x, y)| x != y)
                        .unwrap_or(a.len().min(b.len()));
                    Err(format!(
                        "{}: reassembled disassembly differs from the original .gbc at byte {at} \
                         ({} vs {} bytes); disassembly:\n{}",
                        spec.name,
                        a.len(),
                        b.len(),
                        std::fs::read_to_string(&b_gasm).unwrap_or_default()
                    ))
                }
            });
        if let Err(e) = result {
            failures.push(format!("{}: {e}", spec.name));
        }
    }
    report(failures);
}
