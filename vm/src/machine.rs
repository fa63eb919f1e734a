//! The top-level entry the CLI uses: link a verified module, start `main` as
//! the first VM thread on the green-thread scheduler, run until the program
//! is over, report the outcome.
//!
//! Exit status: 0 when `main` and every non-daemon thread have ended and
//! `main` returned normally; 1 when an exception escaped `main` (after the
//! Java-style report on stderr); 2 when the program cannot start (no `main`,
//! link error); 3 on deadlock (after the thread dump on stderr).
//! `exit(code)` in the program ends the process directly. stdout is flushed
//! before returning.

use std::sync::Arc;

use runtime::{Config, Outcome, PolicyConfig, Runtime, Stats};

use crate::heap::{slot, AllocList, DEFAULT_MAX_HEAP};
use crate::isa::{FuncIdx, ValueType};
use crate::module::Module;
use crate::output::Output;
use crate::program::{LinkOptions, Program};
use crate::thread_state::{ThreadState, DEFAULT_STACK_SIZE};
use crate::threads::{self, SchedOptions, VmJob};
use crate::value::Value;

/// Default `--quantum`: the budget of one slice before the thread is
/// preempted, counted in calls and taken branches (see [`crate::interp`]);
/// every loop iteration and call costs at least one, so a spinning thread
/// gives way after at most this many iterations.
pub const DEFAULT_QUANTUM: u32 = 4000;

/// Exit status on deadlock.
pub const EXIT_DEADLOCK: i32 = 3;

/// How to run a program.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// VM stack size per thread, in bytes (`--stack-size`).
    pub stack_size: usize,
    /// Heap limit in bytes (`--max-heap`).
    pub max_heap: usize,
    /// Log every instruction at trace level (`log::trace!`).
    pub trace: bool,
    /// OS worker threads (`--workers`).
    pub workers: usize,
    /// Scheduling policy (`--policy`, `--lifo-slot`, `--victim`, `--local-queue`).
    pub policy: PolicyConfig,
    /// Seed of every random scheduling choice (`--seed`).
    pub seed: u64,
    /// Slice budget (`--quantum`).
    pub quantum: u32,
    /// Count scheduling events and print them to stderr at exit (`--stats`).
    pub stats: bool,
    /// Run each thread on a coroutine (`--coroutines on|off`).
    pub coroutines: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            stack_size: DEFAULT_STACK_SIZE,
            max_heap: DEFAULT_MAX_HEAP,
            trace: false,
            workers: Config::default().workers,
            policy: PolicyConfig::default(),
            seed: 0,
            quantum: DEFAULT_QUANTUM,
            stats: false,
            coroutines: true,
        }
    }
}

/// Runs `module` (already verified) with `args`; returns the exit status.
///
/// The program (its heap, every thread record) is deliberately leaked after
/// its output is flushed: the process is about to exit and the operating
/// system takes the memory back at once, whereas freeing a million objects
/// one by one took ~5% of a million-thread run. [`run_with_output`] drops it
/// normally (tests run many programs in one process).
pub fn run(module: Module, args: Vec<String>, opts: &RunOptions) -> i32 {
    let (status, program) = run_with_output(module, args, opts, Output::process());
    std::mem::forget(program);
    status
}

/// Like [`run`], writing to `output`; also returns the program (for tests
/// that read captured output).
pub fn run_with_output(
    module: Module,
    args: Vec<String>,
    opts: &RunOptions,
    output: Output,
) -> (i32, Option<Arc<Program>>) {
    let Some(main) = module.main_function() else {
        output
            .write_err(format!("error: no function `main` in {}\n", module.source_name).as_bytes());
        return (2, None);
    };
    let source = module.source_name.clone();
    let workers = opts.workers.max(1);
    let link = LinkOptions {
        max_heap: opts.max_heap,
        output,
        sched: SchedOptions {
            quantum: opts.quantum.max(1),
            stack_size: opts.stack_size,
            workers,
            coroutines: opts.coroutines,
        },
    };
    let program = match Program::link(module, link) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("error: {source}: {e}");
            return (2, None);
        }
    };
    let status = run_main(&program, &source, main, &args, opts, workers);
    program.output.flush();
    (status, Some(program))
}

fn run_main(
    program: &Arc<Program>,
    source: &str,
    main: FuncIdx,
    args: &[String],
    opts: &RunOptions,
    workers: usize,
) -> i32 {
    let params = program.module.functions[main.0 as usize].params;
    let main_args = match params {
        0 => vec![],
        1 => match args_array(program, args) {
            Some(a) => vec![a],
            None => {
                return cannot_start(program, source, "out of memory for the arguments");
            }
        },
        n => {
            let msg = format!("error: `main` must take 0 or 1 parameters, not {n}\n");
            program.output.write_err(msg.as_bytes());
            return 2;
        }
    };
    let mut list = AllocList::new();
    let stack = ThreadState::new(program.clone(), main, &main_args, opts.stack_size, &list);
    let mut stack = match stack {
        Ok(t) => t,
        Err(e) => return cannot_start(program, source, &e.to_string()),
    };
    stack.trace = opts.trace;
    let main_thread = program
        .threads
        .create(&program.heap, &mut list, Box::new(stack), 0);
    program.heap.retire(list);
    let main_thread = match main_thread {
        Ok(thread) => thread,
        Err(_) => return cannot_start(program, source, "out of memory for the main thread"),
    };
    let _ = main_thread.body().mark_started();

    let stats = opts.stats.then(|| Arc::new(Stats::new()));
    let config = Config {
        workers,
        policy: opts.policy,
        seed: opts.seed,
        events: stats.clone().map(|s| s as Arc<dyn runtime::EventSink>),
        ..Config::default()
    };
    log::debug!(
        "starting main on {workers} worker(s), policy {:?}",
        opts.policy
    );
    let outcome = Runtime::new(config).run(Box::new(VmJob::new(main_thread, opts.coroutines)));
    if let Some(stats) = stats {
        program.output.write_err(format!("{stats}").as_bytes());
    }
    match outcome {
        Outcome::Completed => program.threads.main_status(),
        Outcome::Deadlock => {
            program
                .output
                .write_err(threads::format_deadlock(program).as_bytes());
            EXIT_DEADLOCK
        }
    }
}

/// Reports that `main` could not start (a stack or heap limit too small for
/// even that: a usage error) and returns the exit status, 2.
fn cannot_start(program: &Program, source: &str, why: &str) -> i32 {
    let msg = format!("error: {source}: cannot start `main`: {why}\n");
    program.output.write_err(msg.as_bytes());
    2
}

/// The `args` array of strings `main` receives.
fn args_array(program: &Program, args: &[String]) -> Option<Value> {
    let mut list = AllocList::new();
    let result = (|| {
        let array = program
            .heap
            .alloc_array(&mut list, ValueType::Ref, args.len())
            .ok()?;
        for (slot_ref, a) in array.slots().iter().zip(args) {
            let s = program.heap.alloc_string(&mut list, a).ok()?;
            let _ = slot::store(slot_ref, ValueType::Ref, Value::Ref(s));
        }
        Some(Value::Ref(array))
    })();
    program.heap.retire(list);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_source(src: &str, args: &[&str]) -> (i32, String, String) {
        let module = crate::asm::assemble(src, "t.gasm").unwrap();
        crate::verifier::verify(&module).unwrap();
        let args = args.iter().map(|s| s.to_string()).collect();
        let (status, program) =
            run_with_output(module, args, &RunOptions::default(), Output::capture());
        let (out, err) = program.map(|p| p.output.captured()).unwrap_or_default();
        (status, out, err)
    }

    #[test]
    fn main_receives_its_arguments() {
        let src = ".func main(args)\n    load args\n    arrlen\n    callnative println\n    load args\n    iconst 1\n    arrload\n    callnative println\n    return\n.end\n";
        assert_eq!(
            run_source(src, &["a", "bé"]),
            (0, "2\nbé\n".into(), String::new())
        );
    }

    #[test]
    fn uncaught_exceptions_exit_with_1_and_a_report() {
        let src = ".func main()\n    iconst 1\n    iconst 0\n    idiv\n    pop\n    return\n.end\n";
        let (status, out, err) = run_source(src, &[]);
        assert_eq!(status, 1);
        assert_eq!(out, "");
        assert_eq!(
            err,
            "Exception in thread \"main\" ArithmeticException: / by zero\n    at main (t.gasm:4)\n"
        );
    }

    #[test]
    fn a_module_without_main_exits_with_2() {
        let module = Module {
            source_name: "x.gasm".into(),
            ..Module::default()
        };
        let (status, _) =
            run_with_output(module, vec![], &RunOptions::default(), Output::capture());
        assert_eq!(status, 2);
    }

    /// Every sample program gives the output written beside it.
    #[test]
    fn sample_programs_match_their_expected_output() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../programs");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut ran = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("gasm") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            // Programs using instructions or natives still being written
            // (threads) are for the e2e harness.
            let Ok(module) = crate::asm::assemble(&src, &name) else {
                continue;
            };
            if crate::verifier::verify(&module).is_err() || src.contains("Thread.") {
                continue;
            }
            let args = src
                .lines()
                .find_map(|l| l.strip_prefix("; args:"))
                .map_or(vec![], |a| a.split_whitespace().map(String::from).collect());
            let (status, program) =
                run_with_output(module, args, &RunOptions::default(), Output::capture());
            let (out, err) = program.unwrap().output.captured();
            let expected_exit = src
                .lines()
                .find_map(|l| l.strip_prefix("; expect-exit: "))
                .map_or(0, |s| s.trim().parse().unwrap());
            assert_eq!(status, expected_exit, "{name}: exit status; stderr: {err}");
            if let Ok(want) = std::fs::read_to_string(path.with_extension("stdout")) {
                assert_eq!(out, want, "{name}: stdout");
            }
            if let Ok(want) = std::fs::read_to_string(path.with_extension("stderr")) {
                assert_eq!(err, want, "{name}: stderr");
            }
            ran += 1;
        }
        assert!(ran > 0);
    }
}
