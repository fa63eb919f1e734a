//! Error paths and the command line, through the real `greenvm` binary.
//!
//! Bad input of every kind (unparsable assembly, truncated or corrupt
//! `.gbc`, modules that fail verification, missing files, bad flags) must end
//! with exit status 2 and a message that says where the problem is; an
//! uncaught VM exception ends with status 1. Nothing may panic (status 101):
//! `greenvm_tests::run` fails any test whose run exits with 101.
//! Fixtures live in `tests/fixtures/`.

use std::path::Path;

use greenvm_tests::run::{self, Outcome};
use greenvm_tests::scratch::Scratch;
use greenvm_tests::{fixtures_dir, programs_dir};
use vm::isa::Instruction;
use vm::module::{Function, Module};

/// Runs greenvm in the fixtures directory.
fn in_fixtures<const N: usize>(args: [&str; N]) -> Outcome {
    run::greenvm(&fixtures_dir(), args)
}

/// Runs greenvm in `dir` with arguments that may be paths.
fn in_dir(dir: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Outcome {
    run::greenvm(dir, args.iter().map(|a| a.as_ref().to_owned()))
}

/// Assembles `programs/hello.gasm` into `dir` and returns the bytes.
fn hello_gbc(scratch: &Scratch) -> Vec<u8> {
    let out = scratch.join("hello.gbc");
    let hello = programs_dir().join("hello.gasm");
    in_dir(scratch.path(), &[&"asm", &hello, &"-o", &out]).assert_exit(0);
    std::fs::read(&out).expect("asm wrote hello.gbc")
}

/// A module whose `main` pops from an empty stack at pc 0.
fn module_failing_verification() -> Module {
    Module {
        source_name: "bad.gasm".to_string(),
        functions: vec![Function {
            name: "main".to_string(),
            params: 0,
            locals: 0,
            returns_value: false,
            max_stack: 1,
            local_names: Vec::new(),
            code: vec![Instruction::Pop, Instruction::Return],
            handlers: Vec::new(),
            lines: Vec::new(),
        }],
        ..Module::default()
    }
}

// ---- assembly errors --------------------------------------------------------

#[test]
fn an_assembly_error_is_located_and_shown_with_a_caret() {
    for subcommand in ["run", "verify", "asm", "disasm"] {
        let outcome = in_fixtures([subcommand, "syntax-error.gasm"]);
        outcome
            .assert_exit(2)
            .assert_stderr_contains("syntax-error.gasm:6:5: error:");
        assert!(
            outcome.stderr.contains("    printline"),
            "no source line\n{}",
            outcome.describe()
        );
        assert!(
            outcome.stderr.lines().any(|l| l.trim() == "^"),
            "no caret line\n{}",
            outcome.describe()
        );
        assert!(outcome.stdout.is_empty(), "{}", outcome.describe());
    }
}

#[test]
fn empty_and_non_utf8_inputs_are_refused_without_panicking() {
    let scratch = Scratch::new("odd-inputs");
    std::fs::write(scratch.join("empty.gasm"), "").unwrap();
    std::fs::write(scratch.join("binary.gasm"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    // An empty module assembles and verifies, but has nothing to run.
    in_dir(scratch.path(), &[&"verify", &"empty.gasm"]).assert_exit(0);
    in_dir(scratch.path(), &[&"run", &"empty.gasm"])
        .assert_exit(2)
        .assert_stderr_contains("main");
    in_dir(scratch.path(), &[&"run", &"binary.gasm"])
        .assert_exit(2)
        .assert_stderr_contains("binary.gasm");
}

// ---- binary module errors ---------------------------------------------------

#[test]
fn every_truncation_of_a_gbc_is_refused_with_a_byte_offset() {
    let scratch = Scratch::new("truncated");
    let bytes = hello_gbc(&scratch);
    let file = scratch.join("truncated.gbc");
    for len in vm::gbc::MAGIC.len()..bytes.len() {
        std::fs::write(&file, &bytes[..len]).unwrap();
        let outcome = in_dir(scratch.path(), &[&"run", &"truncated.gbc"]);
        outcome
            .assert_exit(2)
            .assert_stderr_contains("truncated.gbc: byte offset ");
        assert!(
            outcome.stdout.is_empty(),
            "truncated to {len} bytes, yet ran\n{}",
            outcome.describe()
        );
    }
}

#[test]
fn corrupt_gbc_bytes_never_crash_the_vm() {
    let scratch = Scratch::new("corrupt");
    let bytes = hello_gbc(&scratch);
    let file = scratch.join("corrupt.gbc");
    // Flip every byte after the magic in turn; each result must be refused
    // (status 2) or still be a valid module that runs (status 0 or 1).
    for at in vm::gbc::MAGIC.len()..bytes.len() {
        let mut corrupt = bytes.clone();
        corrupt[at] ^= 0xff;
        std::fs::write(&file, &corrupt).unwrap();
        let outcome = in_dir(scratch.path(), &[&"run", &"corrupt.gbc"]);
        assert!(
            matches!(outcome.code(), Some(0..=2)),
            "flipping byte {at} gave an unexpected status\n{}",
            outcome.describe()
        );
    }
}

#[test]
fn trailing_garbage_after_a_gbc_is_refused() {
    let scratch = Scratch::new("trailing");
    let mut bytes = hello_gbc(&scratch);
    let end = bytes.len();
    bytes.extend_from_slice(b"junk");
    std::fs::write(scratch.join("trailing.gbc"), &bytes).unwrap();
    in_dir(scratch.path(), &[&"run", &"trailing.gbc"])
        .assert_exit(2)
        .assert_stderr_contains(&format!("trailing.gbc: byte offset {end}: error:"));
}

// ---- verification errors ------------------------------------------------------

#[test]
fn a_module_failing_verification_names_the_function_and_pc() {
    let scratch = Scratch::new("verify");
    std::fs::write(
        scratch.join("bad.gbc"),
        vm::gbc::encode(&module_failing_verification()),
    )
    .unwrap();
    for subcommand in ["run", "verify"] {
        let outcome = in_dir(scratch.path(), &[&subcommand, &"bad.gbc"]);
        outcome
            .assert_exit(2)
            .assert_stderr_contains("bad.gbc: verify error: function")
            .assert_stderr_contains("`main`")
            .assert_stderr_contains("pc 0");
        assert!(outcome.stdout.is_empty(), "{}", outcome.describe());
    }
}

#[test]
fn verify_reports_ok_for_good_modules_in_both_forms() {
    let scratch = Scratch::new("verify-ok");
    hello_gbc(&scratch);
    let outcome = in_dir(scratch.path(), &[&"verify", &"hello.gbc"]);
    outcome.assert_exit(0);
    assert_eq!(outcome.stdout, "hello.gbc: ok\n", "{}", outcome.describe());
    let outcome = run::greenvm(&programs_dir(), ["verify", "workout.gasm"]);
    outcome.assert_exit(0);
    assert_eq!(
        outcome.stdout,
        "workout.gasm: ok\n",
        "{}",
        outcome.describe()
    );
}

// ---- files and usage ------------------------------------------------------------

#[test]
fn a_missing_file_is_reported_plainly() {
    for subcommand in ["run", "verify", "asm", "disasm"] {
        let outcome = in_fixtures([subcommand, "no-such-file.gasm"]);
        outcome.assert_exit(2);
        assert_eq!(
            outcome.stderr,
            "greenvm: error: cannot read 'no-such-file.gasm': No such file or directory\n",
            "{}",
            outcome.describe()
        );
    }
}

#[test]
fn a_directory_is_not_a_module() {
    in_fixtures(["run", "."])
        .assert_exit(2)
        .assert_stderr_contains("greenvm: error: cannot read '.'");
}

#[test]
fn bad_usage_exits_with_status_2() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["run"][..],
        &["run", "--no-such-flag", "divide-by-zero.gasm"][..],
        &["run", "--stack-size", "12q", "divide-by-zero.gasm"][..],
        &["run", "--max-heap", "", "divide-by-zero.gasm"][..],
        &["asm", "syntax-error.gasm", "-o"][..],
    ] {
        let outcome = run::greenvm(&fixtures_dir(), args);
        outcome.assert_exit(2);
        assert!(
            !outcome.stderr.is_empty(),
            "no message for {args:?}\n{}",
            outcome.describe()
        );
    }
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for subcommand in ["run", "asm", "disasm", "verify"] {
        let outcome = in_fixtures([subcommand, "--help"]);
        outcome.assert_exit(0);
        assert!(
            outcome.stdout.contains("Example"),
            "`{subcommand} --help` has no example\n{}",
            outcome.describe()
        );
    }
    in_fixtures(["--help"]).assert_exit(0);
    in_fixtures(["--version"]).assert_exit(0);
}

// ---- the subcommands' normal paths -------------------------------------------------

#[test]
fn asm_writes_beside_the_source_by_default() {
    let scratch = Scratch::new("asm-default");
    std::fs::copy(
        programs_dir().join("hello.gasm"),
        scratch.join("hello.gasm"),
    )
    .unwrap();
    let outcome = in_dir(scratch.path(), &[&"asm", &"hello.gasm"]);
    outcome.assert_exit(0);
    let bytes = std::fs::read(scratch.join("hello.gbc")).expect("asm wrote hello.gbc");
    assert!(vm::gbc::is_gbc(&bytes));
}

#[test]
fn asm_to_an_unwritable_path_fails_cleanly() {
    in_fixtures(["asm", "main-without-args.gasm", "-o", "no-such-dir/out.gbc"])
        .assert_exit(2)
        .assert_stderr_contains("no-such-dir/out.gbc");
}

#[test]
fn disasm_accepts_gasm_and_gbc_alike() {
    let scratch = Scratch::new("disasm");
    hello_gbc(&scratch);
    let from_gbc = in_dir(scratch.path(), &[&"disasm", &"hello.gbc"]);
    let from_gasm = run::greenvm(&programs_dir(), ["disasm", "hello.gasm"]);
    from_gbc.assert_exit(0);
    from_gasm.assert_exit(0);
    assert_eq!(from_gbc.stdout, from_gasm.stdout);
    assert!(
        from_gbc.stdout.contains(".func main"),
        "{}",
        from_gbc.describe()
    );
}

#[test]
fn main_may_take_no_parameters_and_arguments_reach_main() {
    in_fixtures(["run", "main-without-args.gasm"]).assert_exit(0);
    let outcome = run::greenvm(&programs_dir(), ["run", "fib.gasm", "--", "10"]);
    outcome.assert_exit(0);
    assert_eq!(outcome.stdout, "55\n");
}

#[test]
fn trace_and_size_options_are_accepted() {
    let outcome = run::greenvm(
        &programs_dir(),
        [
            "run",
            "--trace",
            "--stack-size",
            "256k",
            "--max-heap",
            "64m",
            "hello.gasm",
        ],
    );
    outcome.assert_exit(0);
    assert_eq!(outcome.stdout, "Hello, world!\n");
}

// ---- runtime failures ---------------------------------------------------------------

#[test]
fn an_uncaught_division_by_zero_exits_with_status_1() {
    let outcome = in_fixtures(["run", "divide-by-zero.gasm"]);
    outcome
        .assert_exit(1)
        .assert_stderr_contains("Exception in thread \"main\" ArithmeticException")
        .assert_stderr_contains("    at divide_by_zero (divide-by-zero.gasm:14)")
        .assert_stderr_contains("    at main (divide-by-zero.gasm:6)");
    assert!(outcome.stdout.is_empty(), "{}", outcome.describe());
}

#[test]
fn running_out_of_heap_throws_out_of_memory_error() {
    let outcome = in_fixtures(["run", "--max-heap", "16m", "allocate-forever.gasm"]);
    outcome
        .assert_exit(1)
        .assert_stderr_contains("OutOfMemoryError");
}

#[test]
fn catching_vm_exceptions_forever_still_respects_the_heap_limit() {
    let outcome = in_fixtures(["run", "--max-heap", "16m", "catch-forever.gasm"]);
    outcome
        .assert_exit(1)
        .assert_stderr_contains("OutOfMemoryError");
}

#[test]
fn exit_refuses_statuses_outside_0_to_255() {
    let outcome = in_fixtures(["run", "exit-out-of-range.gasm"]);
    outcome
        .assert_exit(1)
        .assert_stderr_contains("IllegalArgumentException: exit status 256 is not in 0..=255");
}

#[test]
fn a_small_stack_still_overflows_cleanly() {
    let outcome = run::greenvm(
        &programs_dir(),
        ["run", "--stack-size", "64k", "deep-recursion.gasm"],
    );
    assert!(
        matches!(outcome.code(), Some(0 | 1)),
        "{}",
        outcome.describe()
    );
    assert!(
        outcome.stdout.contains("caught StackOverflowError"),
        "{}",
        outcome.describe()
    );
}

#[test]
fn thread_stacks_count_against_the_heap_limit() {
    // Without the heap counting the stacks, each of the four threads would
    // grow to its 1 GiB --stack-size and die of StackOverflowError.
    let outcome = in_fixtures([
        "run",
        "--stack-size",
        "1g",
        "--max-heap",
        "64m",
        "deep-threads.gasm",
    ]);
    outcome.assert_exit(0);
    assert_eq!(outcome.stdout, "done\n", "{}", outcome.describe());
    let refused = outcome
        .stderr
        .matches("OutOfMemoryError: no heap left for the thread's stack")
        .count();
    assert_eq!(refused, 4, "{}", outcome.describe());
}

#[test]
fn stack_sizes_past_one_gigabyte_are_refused() {
    in_fixtures(["run", "--stack-size", "2g", "timeouts.gasm"])
        .assert_exit(2)
        .assert_stderr_contains("larger than the largest stack size, 1g");
}

#[test]
fn limits_too_small_for_main_to_start_are_usage_errors() {
    for (heap, why) in [
        ("100", "out of memory for the arguments"),
        ("200", "out of memory for a"),
    ] {
        run::greenvm(
            &programs_dir(),
            ["run", "--max-heap", heap, "fib.gasm", "--", "5"],
        )
        .assert_exit(2)
        .assert_stderr_contains(&format!("error: fib.gasm: cannot start `main`: {why}"));
    }
    run::greenvm(&programs_dir(), ["run", "--stack-size", "8", "hello.gasm"])
        .assert_exit(2)
        .assert_stderr_contains(
            "error: hello.gasm: cannot start `main`: stack size 8 is too small",
        );
}

#[test]
fn timed_waits_treat_zero_and_negative_timeouts_as_java_does() {
    let outcome = in_fixtures(["run", "timeouts.gasm"]);
    outcome.assert_exit(0);
    assert_eq!(
        outcome.stdout,
        "joinMillis(-1): timeout value is negative\n\
         sleep(-1): timeout value is negative\n\
         joinMillis(0): 42\n\
         parkNanos(-1) returned\n\
         sleep(0) returned\n",
        "{}",
        outcome.describe()
    );
}
