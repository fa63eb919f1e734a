//! Scheduling policies: the one small trait a policy implements, and the built-in ones.
//!
//! A policy decides two things and nothing else:
//! - **placement**: does a thread made runnable on a worker go to that worker's local
//!   queue or to the global injector?
//! - **taking**: how an idle worker takes work from the injector and from a victim's queue
//!   (one thread, or a batch of which the first runs now and the rest land in the local queue).
//!
//! Everything else (LIFO slot, victim order, queue bound, fairness ticks, parking) is the
//! worker's job and shared by all policies, so a new policy is a few lines: see
//! docs/scheduling.md, "How to add a policy". Implementations must treat [`Steal::Retry`]
//! as "try again", never as "empty", or they may strand work.

use std::sync::Arc;

pub use crossbeam_deque::{Injector, Steal, Stealer, Worker as LocalDeque};

use crate::config::PolicyKind;
use crate::thread::ThreadRef;

/// Where a thread made runnable on a worker is queued (the LIFO slot aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// On the worker's own bounded local queue (overflow spills half to the injector).
    Local,
    /// On the global injector, shared FIFO of all workers.
    Global,
}

/// A scheduling policy. Called by workers on their hot paths: keep it cheap and lock-free.
pub trait Policy: Send + Sync + 'static {
    /// A short name for traces and `--stats`.
    fn name(&self) -> &'static str;

    /// Where threads made runnable on a worker go.
    fn placement(&self) -> Placement {
        Placement::Local
    }

    /// Take work from the injector: return the thread to run now, and optionally move up to
    /// `limit` more into `local` (which is empty when this is called).
    fn take_global(
        &self,
        injector: &Injector<ThreadRef>,
        local: &LocalDeque<ThreadRef>,
        limit: usize,
    ) -> Steal<ThreadRef>;

    /// Steal from a victim's local queue, with the same contract as [`Policy::take_global`].
    /// Return [`Steal::Empty`] to never steal.
    fn steal(
        &self,
        victim: &Stealer<ThreadRef>,
        local: &LocalDeque<ThreadRef>,
        limit: usize,
    ) -> Steal<ThreadRef>;
}

/// `global-fifo`: every runnable thread goes through the injector; nobody steals.
pub struct GlobalFifo;

impl Policy for GlobalFifo {
    fn name(&self) -> &'static str {
        "global-fifo"
    }
    fn placement(&self) -> Placement {
        Placement::Global
    }
    fn take_global(
        &self,
        injector: &Injector<ThreadRef>,
        _: &LocalDeque<ThreadRef>,
        _: usize,
    ) -> Steal<ThreadRef> {
        injector.steal()
    }
    fn steal(
        &self,
        _: &Stealer<ThreadRef>,
        _: &LocalDeque<ThreadRef>,
        _: usize,
    ) -> Steal<ThreadRef> {
        Steal::Empty
    }
}

/// `steal-one`: local queues; an idle worker takes one thread at a time.
pub struct StealOne;

impl Policy for StealOne {
    fn name(&self) -> &'static str {
        "steal-one"
    }
    fn take_global(
        &self,
        injector: &Injector<ThreadRef>,
        _: &LocalDeque<ThreadRef>,
        _: usize,
    ) -> Steal<ThreadRef> {
        injector.steal()
    }
    fn steal(
        &self,
        victim: &Stealer<ThreadRef>,
        _: &LocalDeque<ThreadRef>,
        _: usize,
    ) -> Steal<ThreadRef> {
        victim.steal()
    }
}

/// `steal-half`: local queues; an idle worker takes about half of a queue (bounded by
/// `limit`), runs the first and keeps the rest locally.
pub struct StealHalf;

impl Policy for StealHalf {
    fn name(&self) -> &'static str {
        "steal-half"
    }
    fn take_global(
        &self,
        injector: &Injector<ThreadRef>,
        local: &LocalDeque<ThreadRef>,
        limit: usize,
    ) -> Steal<ThreadRef> {
        injector.steal_batch_with_limit_and_pop(local, limit)
    }
    fn steal(
        &self,
        victim: &Stealer<ThreadRef>,
        local: &LocalDeque<ThreadRef>,
        limit: usize,
    ) -> Steal<ThreadRef> {
        victim.steal_batch_with_limit_and_pop(local, limit)
    }
}

impl PolicyKind {
    /// The built-in implementation of this policy.
    pub fn build(self) -> Arc<dyn Policy> {
        match self {
            PolicyKind::GlobalFifo => Arc::new(GlobalFifo),
            PolicyKind::StealOne => Arc::new(StealOne),
            PolicyKind::StealHalf => Arc::new(StealHalf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_names_match_cli_names() {
        for kind in PolicyKind::ALL {
            assert_eq!(kind.build().name(), kind.name());
        }
    }

    #[test]
    fn only_global_fifo_places_globally() {
        assert_eq!(GlobalFifo.placement(), Placement::Global);
        assert_eq!(StealOne.placement(), Placement::Local);
        assert_eq!(StealHalf.placement(), Placement::Local);
    }
}
