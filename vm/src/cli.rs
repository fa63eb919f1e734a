//! The `greenvm` command line: what it accepts (clap derive definitions),
//! what each subcommand does, and the exit status it ends with.
//!
//! Invariants:
//! - Every subcommand loads its input through [`crate::loader::load`], so
//!   `run`, `verify`, `asm` and `disasm` accept exactly the same files and
//!   report the same errors.
//! - Exit statuses: [`EXIT_OK`], [`EXIT_UNCAUGHT`] (main ended by an uncaught
//!   exception, decided by the machine), [`EXIT_BAD_INPUT`] (usage errors —
//!   clap's own exit with 2 as well — unreadable files, assembly, load and
//!   verify errors), [`EXIT_DEADLOCK`] (no thread can ever run again).
//! - Errors go to stderr, results to stdout; nothing here panics, including
//!   when stdout is a closed pipe.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use runtime::{PolicyConfig, PolicyKind, Victim};

use crate::loader::{self, LoadFailure};
use crate::machine::{self, RunOptions};
use crate::module::Module;
use crate::thread_state::MAX_STACK_SIZE;

/// The program ran to completion.
pub const EXIT_OK: i32 = 0;
/// `main` ended with an uncaught exception.
pub const EXIT_UNCAUGHT: i32 = 1;
/// Bad usage, an unreadable file, or an assembly, load or verify error.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Every thread is blocked forever: a thread dump went to stderr.
pub const EXIT_DEADLOCK: i32 = crate::machine::EXIT_DEADLOCK;

/// Parses a scheduler name (`steal-half`, `round-robin`, ...).
fn parse_name<T: std::str::FromStr>(s: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    s.parse::<T>().map_err(|e| e.to_string())
}

/// Parses `on` or `off`.
fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected `on` or `off`, not `{s}`")),
    }
}

/// greenvm: a Java-style bytecode VM with green threads.
#[derive(Parser, Debug)]
#[command(
    name = "greenvm",
    version,
    arg_required_else_help = true,
    after_help = "Examples:\n  greenvm run programs/hello.gasm\n  greenvm run programs/fib.gasm -- 25\n  \
                  greenvm asm programs/fib.gasm -o fib.gbc\n\n\
                  Exit status: 0 ok, 1 uncaught exception, 2 bad usage or bad input, 3 deadlock.\n\
                  Set RUST_LOG=debug for loader and interpreter logs."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs a program (.gasm or .gbc); arguments after `--` reach `main`.
    #[command(after_help = "Example:\n  greenvm run --stack-size 256k programs/fib.gasm -- 25")]
    Run(RunArgs),
    /// Assembles a .gasm file into a binary .gbc module.
    #[command(after_help = "Example:\n  greenvm asm programs/fib.gasm -o fib.gbc")]
    Asm(AsmArgs),
    /// Prints a module (.gbc, or .gasm after assembling it) as .gasm text.
    #[command(after_help = "Example:\n  greenvm disasm fib.gbc > fib.gasm")]
    Disasm(DisasmArgs),
    /// Checks that a module loads and verifies; prints `FILE: ok`.
    #[command(after_help = "Example:\n  greenvm verify programs/fib.gasm")]
    Verify(VerifyArgs),
}

/// `greenvm run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The program: a .gbc module or .gasm source (told apart by content).
    pub file: PathBuf,
    /// Size of each VM thread's stack, in bytes (suffixes k, m, g; at most
    /// 1g). Stacks grow on demand and count against --max-heap.
    #[arg(long, value_name = "SIZE", default_value = "1m", value_parser = parse_stack_size)]
    pub stack_size: usize,
    /// Largest heap the program may use, in bytes (suffixes k, m, g); past
    /// it, allocation throws OutOfMemoryError.
    #[arg(long, value_name = "SIZE", default_value = "2g", value_parser = parse_size)]
    pub max_heap: usize,
    /// Logs every instruction executed (at log level trace; enabled unless
    /// RUST_LOG says otherwise).
    #[arg(long)]
    pub trace: bool,
    /// OS worker threads that run the green threads (default: number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    /// Scheduling policy: global-fifo, steal-one or steal-half (docs/scheduling.md).
    #[arg(long, value_name = "POLICY", default_value = "steal-half", value_parser = parse_name::<PolicyKind>)]
    pub policy: PolicyKind,
    /// Run a freshly woken or spawned thread next on the same worker (on|off).
    #[arg(long, value_name = "on|off", default_value = "on", action = clap::ArgAction::Set, value_parser = parse_on_off)]
    pub lifo_slot: bool,
    /// How an idle worker picks whom to steal from: random or round-robin.
    #[arg(long, value_name = "VICTIM", default_value = "random", value_parser = parse_name::<Victim>)]
    pub victim: Victim,
    /// Capacity of each worker's local run queue; half overflows to the global queue.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub local_queue: u32,
    /// Budget of one time slice before a running thread is preempted, in calls
    /// and taken branches (each loop iteration or call costs at least one).
    #[arg(long, value_name = "N", default_value_t = crate::machine::DEFAULT_QUANTUM, value_parser = clap::value_parser!(u32).range(1..))]
    pub quantum: u32,
    /// Seed of every random scheduling choice; with --workers 1 runs are repeatable.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Count scheduling events and print them to stderr at exit.
    #[arg(long)]
    pub stats: bool,
    /// Let green threads block inside the runtime's context, on the workers'
    /// carrier coroutines (on, the default), or have them promise not to
    /// (off; they never do: natives block by returning).
    #[arg(long, value_name = "on|off", default_value = "on", action = clap::ArgAction::Set, value_parser = parse_on_off)]
    pub coroutines: bool,
    /// Arguments passed to `main` as an array of strings.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// `greenvm asm`.
#[derive(Args, Debug)]
pub struct AsmArgs {
    /// The .gasm source to assemble.
    pub file: PathBuf,
    /// Where to write the module (default: FILE with the extension .gbc).
    #[arg(short, long, value_name = "OUT.gbc")]
    pub output: Option<PathBuf>,
}

/// `greenvm disasm`.
#[derive(Args, Debug)]
pub struct DisasmArgs {
    /// The module to disassemble (.gbc, or .gasm).
    pub file: PathBuf,
}

/// `greenvm verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The module to check (.gbc or .gasm).
    pub file: PathBuf,
}

/// A subcommand's failure; `Display` is the whole message for stderr.
#[derive(Debug)]
pub enum CliError {
    /// The input did not load (see [`LoadFailure`]).
    Load(LoadFailure),
    /// `run` was given a module without a `main` function.
    NoMain { path: String },
    /// `asm` would write its output over its own input.
    OutputIsInput { path: String },
    /// A file could not be written.
    Write { path: String, error: io::Error },
    /// stdout could not be written (other than a closed pipe).
    Stdout(io::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Load(failure) => write!(f, "{failure}"),
            CliError::NoMain { path } => write!(f, "{path}: error: no function `main` to run"),
            CliError::OutputIsInput { path } => {
                write!(
                    f,
                    "greenvm: error: '{path}' is both input and output; choose another with -o"
                )
            }
            CliError::Write { path, error } => {
                write!(
                    f,
                    "greenvm: error: cannot write '{path}': {}",
                    loader::describe_io_error(error)
                )
            }
            CliError::Stdout(error) => {
                write!(
                    f,
                    "greenvm: error: cannot write to stdout: {}",
                    loader::describe_io_error(error)
                )
            }
        }
    }
}

impl std::error::Error for CliError {}

impl From<LoadFailure> for CliError {
    fn from(failure: LoadFailure) -> CliError {
        CliError::Load(failure)
    }
}

impl Cli {
    /// The log filter to use when RUST_LOG is not set: `trace` for `run
    /// --trace` (so the instruction trace shows), else warnings only.
    pub fn default_log_filter(&self) -> &'static str {
        match &self.command {
            Command::Run(RunArgs { trace: true, .. }) => "trace",
            _ => "warn",
        }
    }
}

/// Carries out the command; returns the process exit status. Errors are
/// printed to stderr here.
pub fn execute(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Asm(args) => asm(args).map(|()| EXIT_OK),
        Command::Disasm(args) => disasm(args).map(|()| EXIT_OK),
        Command::Verify(args) => verify(args).map(|()| EXIT_OK),
    };
    match result {
        Ok(status) => status,
        Err(error) => {
            eprintln!("{error}");
            EXIT_BAD_INPUT
        }
    }
}

fn run(args: RunArgs) -> Result<i32, CliError> {
    let module = loader::load(&args.file)?;
    if module.main_function().is_none() {
        return Err(CliError::NoMain {
            path: args.file.display().to_string(),
        });
    }
    let defaults = RunOptions::default();
    let options = RunOptions {
        stack_size: args.stack_size,
        max_heap: args.max_heap,
        trace: args.trace,
        workers: args.workers.map_or(defaults.workers, usize::from),
        policy: PolicyConfig {
            kind: args.policy,
            lifo_slot: args.lifo_slot,
            victim: args.victim,
            local_queue_cap: args.local_queue as usize,
            ..defaults.policy
        },
        seed: args.seed,
        quantum: args.quantum,
        stats: args.stats,
        coroutines: args.coroutines,
    };
    log::debug!(
        "running {} (stack {} bytes, heap at most {} bytes, trace {})",
        args.file.display(),
        options.stack_size,
        options.max_heap,
        options.trace
    );
    Ok(machine::run(module, args.args, &options))
}

fn asm(args: AsmArgs) -> Result<(), CliError> {
    let module = loader::load(&args.file)?;
    let output = args
        .output
        .unwrap_or_else(|| args.file.with_extension("gbc"));
    if output == args.file {
        return Err(CliError::OutputIsInput {
            path: output.display().to_string(),
        });
    }
    write_module(&module, &output)
}

fn write_module(module: &Module, path: &Path) -> Result<(), CliError> {
    let bytes = crate::gbc::encode(module);
    std::fs::write(path, &bytes).map_err(|error| CliError::Write {
        path: path.display().to_string(),
        error,
    })?;
    log::debug!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}

fn disasm(args: DisasmArgs) -> Result<(), CliError> {
    let module = loader::load(&args.file)?;
    write_stdout(&crate::disasm::disassemble(&module))
}

fn verify(args: VerifyArgs) -> Result<(), CliError> {
    loader::load(&args.file)?;
    write_stdout(&format!("{}: ok\n", args.file.display()))
}

/// Writes `text` to stdout. A closed pipe (`greenvm disasm x | head`) is not
/// an error: the reader has all it wanted.
fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Stdout(error)),
        _ => Ok(()),
    }
}

/// Parses a size in bytes: digits with an optional suffix `k`, `m` or `g`
/// (binary multiples, either case): `4096`, `256k`, `1m`, `2G`. Zero and
/// sizes that do not fit in `usize` are refused.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let (digits, multiplier) = match text.as_bytes().last().map(u8::to_ascii_lowercase) {
        Some(b'k') => (&text[..text.len() - 1], 1usize << 10),
        Some(b'm') => (&text[..text.len() - 1], 1 << 20),
        Some(b'g') => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{text}' is not a size: expected digits with an optional k, m or g suffix"
        ));
    }
    let size = digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("'{text}' is too large"))?;
    if size == 0 {
        return Err("the size must be greater than zero".to_string());
    }
    Ok(size)
}

/// Parses `--stack-size`: a [`parse_size`] of at most [`MAX_STACK_SIZE`].
fn parse_stack_size(text: &str) -> Result<usize, String> {
    let size = parse_size(text)?;
    if size > MAX_STACK_SIZE {
        return Err(format!(
            "'{text}' is larger than the largest stack size, 1g"
        ));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("256k"), Ok(256 << 10));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
    }

    #[test]
    fn bad_sizes_are_refused() {
        for bad in [
            "",
            "k",
            "12q",
            "-1",
            "1.5m",
            "0",
            "0k",
            " 1m",
            "99999999999999999999",
            "18014398509481984k",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn stack_sizes_stop_at_one_gigabyte() {
        assert_eq!(parse_stack_size("1g"), Ok(1 << 30));
        assert!(parse_stack_size("1025m").is_err());
        assert!(parse_stack_size("100g").is_err());
    }

    #[test]
    fn run_takes_its_defaults_and_passes_arguments_after_the_separator() {
        let cli =
            Cli::try_parse_from(["greenvm", "run", "fib.gasm", "--", "25", "--trace"]).unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.file, PathBuf::from("fib.gasm"));
        assert_eq!(args.stack_size, 1 << 20);
        assert_eq!(args.max_heap, 2 << 30);
        assert!(!args.trace);
        assert_eq!(args.args, ["25", "--trace"]);
    }

    #[test]
    fn usage_errors_exit_with_the_bad_input_status() {
        for argv in [
            &["greenvm", "frobnicate"][..],
            &["greenvm", "run", "--stack-size", "x", "f"],
            &["greenvm", "run"],
        ] {
            let error = Cli::try_parse_from(argv).unwrap_err();
            assert_eq!(error.exit_code(), EXIT_BAD_INPUT, "{argv:?}");
        }
    }

    #[test]
    fn trace_turns_on_trace_logging_by_default() {
        let cli = Cli::try_parse_from(["greenvm", "run", "--trace", "f.gasm"]).unwrap();
        assert_eq!(cli.default_log_filter(), "trace");
        let cli = Cli::try_parse_from(["greenvm", "verify", "f.gasm"]).unwrap();
        assert_eq!(cli.default_log_filter(), "warn");
    }
}
