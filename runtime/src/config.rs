//! Runtime configuration: how many workers, which scheduling policy and knobs, the seed
//! that drives every random choice, the native stack size and the optional event hook.
//!
//! The CLI spells policies and victims as `global-fifo`, `steal-one`, `steal-half`,
//! `random` and `round-robin`; [`PolicyKind`] and [`Victim`] parse and print those names.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::event::EventSink;

/// Smallest native stack the runtime will use: a panic unwinding with the default hook
/// needs about 32 KiB (see FACTS.md), so smaller requests are rounded up to this.
pub const MIN_STACK_SIZE: usize = 32 * 1024;

/// Default native stack size of a carrier coroutine (see `coroutine`). Unoptimised builds
/// get more: their frames are many times larger (the vm's interpreter loops alone take
/// ~36 KiB of stack in a debug build, against a few hundred bytes optimised).
pub const DEFAULT_STACK_SIZE: usize = if cfg!(debug_assertions) {
    256 * 1024
} else {
    64 * 1024
};

/// Everything [`crate::Runtime::new`] needs.
#[derive(Clone)]
pub struct Config {
    /// Number of OS worker threads (at least 1).
    pub workers: usize,
    /// Scheduling policy and its knobs.
    pub policy: PolicyConfig,
    /// Seed for every random choice the scheduler makes (victim selection).
    pub seed: u64,
    /// Native stack size of each coroutine, in bytes (rounded up to [`MIN_STACK_SIZE`]).
    pub stack_size: usize,
    /// Receives every scheduling event; `None` costs one branch per decision.
    pub events: Option<Arc<dyn EventSink>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            policy: PolicyConfig::default(),
            seed: 0x5EED_0F61_EE4F_11AA,
            stack_size: DEFAULT_STACK_SIZE,
            events: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("workers", &self.workers)
            .field("policy", &self.policy)
            .field("seed", &self.seed)
            .field("stack_size", &self.stack_size)
            .field("events", &self.events.is_some())
            .finish()
    }
}

/// Which built-in policy schedules threads, plus the knobs every policy shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyConfig {
    /// The built-in policy (a custom one goes through [`crate::Runtime::with_policy`]).
    pub kind: PolicyKind,
    /// A freshly spawned or woken thread runs next on the same worker (run-next slot).
    pub lifo_slot: bool,
    /// How a thief picks the worker to steal from.
    pub victim: Victim,
    /// Capacity of each worker's local queue; on overflow half of it moves to the injector.
    pub local_queue_cap: usize,
    /// Most consecutive runs from the LIFO slot before the local queue gets a turn.
    pub max_lifo_runs: u32,
}

impl Default for PolicyConfig {
    fn default() -> PolicyConfig {
        PolicyConfig {
            kind: PolicyKind::StealHalf,
            lifo_slot: true,
            victim: Victim::Random,
            local_queue_cap: 256,
            max_lifo_runs: 3,
        }
    }
}

/// The built-in scheduling policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Every runnable thread goes through one shared FIFO (the injector); no stealing.
    GlobalFifo,
    /// Local queues; an idle worker steals one thread at a time from a victim.
    StealOne,
    /// Local queues; an idle worker steals about half of a victim's queue at once.
    StealHalf,
}

impl PolicyKind {
    /// Every built-in policy, for test matrices and `--help` text.
    pub const ALL: [PolicyKind; 3] = [
        PolicyKind::GlobalFifo,
        PolicyKind::StealOne,
        PolicyKind::StealHalf,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::GlobalFifo => "global-fifo",
            PolicyKind::StealOne => "steal-one",
            PolicyKind::StealHalf => "steal-half",
        }
    }
}

/// How a thief chooses its victims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Victim {
    /// Start at a worker drawn from the seeded generator, then try the others in order.
    Random,
    /// Start one past where the previous search started, then try the others in order.
    RoundRobin,
}

impl Victim {
    /// Every victim rule, for test matrices and `--help` text.
    pub const ALL: [Victim; 2] = [Victim::Random, Victim::RoundRobin];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Victim::Random => "random",
            Victim::RoundRobin => "round-robin",
        }
    }
}

/// A CLI name that names no policy or victim rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// What was asked for.
    pub given: String,
    /// The names that would have been accepted.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown name `{}` (expected one of: {})",
            self.given,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

impl FromStr for PolicyKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<PolicyKind, UnknownName> {
        PolicyKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownName {
                given: s.to_string(),
                expected: &["global-fifo", "steal-one", "steal-half"],
            })
    }
}

impl FromStr for Victim {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Victim, UnknownName> {
        Victim::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownName {
                given: s.to_string(),
                expected: &["random", "round-robin"],
            })
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Victim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in PolicyKind::ALL {
            assert_eq!(k.name().parse::<PolicyKind>(), Ok(k));
        }
        for v in Victim::ALL {
            assert_eq!(v.name().parse::<Victim>(), Ok(v));
        }
        let err = "steal-all".parse::<PolicyKind>().unwrap_err();
        assert!(err.to_string().contains("steal-half"));
    }

    #[test]
    fn defaults_are_sane() {
        let c = Config::default();
        assert!(c.workers >= 1);
        assert!(c.stack_size >= MIN_STACK_SIZE);
        assert_eq!(c.policy.local_queue_cap, 256);
    }
}
