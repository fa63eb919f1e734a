//! greenvm's M:N green-thread runtime: coroutines on pooled native stacks, scheduled by
//! a work-stealing worker pool. It knows nothing of bytecode: a green thread is a [`Job`]
//! whose [`Job::run`] returns a [`Step`] saying why it stopped (exit, yield, preempt, park).
//!
//! Map of the crate (one concept per file):
//! - [`config`]: [`Config`], [`PolicyConfig`] and the CLI names of policies and victims.
//! - [`policy`]: the [`Policy`] trait (where runnable threads go, how thieves steal) and the
//!   built-in global-fifo / steal-one / steal-half policies.
//! - `job`, `context`: what a green thread is and the handle it runs with.
//! - `thread`, `thread_state`: the [`ThreadRef`] handle and the atomic park/unpark state machine.
//! - `coroutine`: carriers, the coroutines worker loops and blocked jobs run on (the one
//!   `Send` wrapper around a corosensei coroutine).
//! - `stack_pool`: native stacks, pooled per worker and never freed on the hot path.
//! - `reclaim`: grace periods before an exited thread's job is dropped.
//! - `queue`, `idle`, `timer`, `worker`, `shared`: the scheduler proper.
//! - `event`, `stats`: the scheduling event hook and the built-in counting sink.
//! - `runtime`: [`Runtime::run`], completion and deadlock detection.
//!
//! docs/scheduling.md describes the scheduling rules in prose.

pub mod config;
mod context;
mod coroutine;
mod event;
mod idle;
mod job;
pub mod policy;
mod queue;
mod reclaim;
mod rng;
mod runtime;
mod shared;
mod stack_pool;
mod stats;
mod thread;
mod thread_state;
mod timer;
mod worker;

pub use config::{Config, PolicyConfig, PolicyKind, Victim};
pub use context::Context;
pub use event::{Event, EventSink, WakeSource, NO_WORKER};
pub use job::{Job, Step};
pub use policy::{Placement, Policy};
pub use runtime::{Outcome, RunReport, Runtime};
pub use stack_pool::StackStats;
pub use stats::{Stats, StatsSnapshot};
pub use thread::{SpawnOptions, ThreadRef};
pub use thread_state::ThreadState;

#[cfg(test)]
mod test_support;
