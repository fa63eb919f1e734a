//! The `greenvm` binary: parses the command line, sets up logging and hands
//! over to [`vm::cli::execute`]. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc malloc: a million threads allocate and free
/// millions of small records (see `vm::allocator`).
#[global_allocator]
static GLOBAL: vm::allocator::Allocator = vm::allocator::Allocator;

fn main() -> ExitCode {
    // Usage errors make clap print its message and exit with status 2.
    let cli = vm::cli::Cli::parse();
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or(cli.default_log_filter()),
    )
    .init();
    let status = vm::cli::execute(cli);
    // Returning (rather than `process::exit`) lets stdout be flushed.
    ExitCode::from(u8::try_from(status).unwrap_or(u8::MAX))
}
