//! Runs every sample program in `programs/` through the real `greenvm`
//! binary and checks its stdout, stderr and exit status against the
//! expectations beside it (see `greenvm_tests::spec`), in both forms:
//! assembled from `.gasm` on the fly, and from a `.gbc` made by `greenvm asm`.
//! Also checks the disassembler round trip for every program:
//! `asm a.gasm -o a.gbc; disasm a.gbc > b.gasm; asm b.gasm -o b.gbc` gives
//! `a.gbc == b.gbc` byte for byte.
//!
//! The concurrency programs (header `; matrix: full|light`) also run under
//! many scheduler configurations (see `greenvm_tests::matrix`); those runs
//! are spread over a few test-side threads to keep the suite fast.
//!
//! Programs run with the programs directory as working directory and are
//! named relative to it, so stack traces read `at f (exceptions.gasm:140)`.
//! Each test checks every program and reports all failures together.

use std::ffi::OsString;
use std::path::Path;
use std::sync::Mutex;

use greenvm_tests::matrix::Matrix;
use greenvm_tests::programs_dir;
use greenvm_tests::run::{self, Outcome};
use greenvm_tests::scratch::Scratch;
use greenvm_tests::spec::ProgramSpec;

/// `greenvm run FILE [-- ARGS...]` in the programs directory.
fn run_program(file: &Path, args: &[String]) -> Outcome {
    run_program_with(&[], file, args)
}

/// `greenvm run OPTIONS FILE [-- ARGS...]` in the programs directory.
fn run_program_with(options: &[String], file: &Path, args: &[String]) -> Outcome {
    let mut argv: Vec<OsString> = vec!["run".into()];
    argv.extend(options.iter().map(Into::into));
    argv.push(file.as_os_str().to_owned());
    if !args.is_empty() {
        argv.push("--".into());
        argv.extend(args.iter().map(Into::into));
    }
    run::greenvm(&programs_dir(), argv)
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
    for expected in [
        "hello",
        "fib",
        "workout",
        "exceptions",
        "deep-recursion",
        "threads",
        "skynet",
        "thread-ring",
        "ping-pong",
        "parallel-sum",
        "sleep-sort",
        "parked",
        "preemption",
        "deadlock",
        "interrupt",
        "uncaught-in-thread",
    ] {
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
        if let Err(e) = spec.check("from .gasm", &outcome) {
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
            .and_then(|()| spec.check("from .gbc", &run_program(&gbc, &spec.args)));
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

#[test]
fn concurrency_programs_agree_under_every_scheduler_configuration() {
    let mut jobs = Vec::new();
    for spec in ProgramSpec::all_in(&programs_dir()) {
        for config in spec.matrix.configs() {
            jobs.push((spec.name.clone(), config));
        }
    }
    let specs: Vec<ProgramSpec> = ProgramSpec::all_in(&programs_dir())
        .into_iter()
        .filter(|s| s.matrix != Matrix::None)
        .collect();
    let queue = Mutex::new(jobs);
    let failures = Mutex::new(Vec::new());
    // Two runners: the machine has two cores and the other e2e tests run
    // beside this one; the runs mostly sleep or are short.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some((name, config)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let spec = specs
                    .iter()
                    .find(|s| s.name == name)
                    .expect("every job comes from a spec");
                let outcome =
                    run_program_with(&config.options(), Path::new(&spec.file_name()), &spec.args);
                if let Err(e) = spec.check(&format!("{config:?}"), &outcome) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    report(failures.into_inner().unwrap());
}
