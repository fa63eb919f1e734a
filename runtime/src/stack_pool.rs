//! Native stacks for coroutines: a small free list per worker, backed by one global
//! overflow pool. Stacks are created on demand (`DefaultStack::new`, ~5-20 µs: an mmap
//! plus a guard page) and then never freed until the runtime ends, because unmapping
//! inside workers costs TLB shootdowns (FACTS.md).
//!
//! Invariants:
//! - A stack is in exactly one place: a worker's free list, the overflow pool, or a
//!   coroutine (a running thread, or one suspended inside `Context`).
//! - Each worker's free list is touched only by that worker; its length is mirrored in an
//!   atomic written only by that worker, so `stats` can be read from anywhere.
//! - Creation failure (the process is out of memory mappings, about 32,750 stacks) is
//!   reported as `None`, never a panic; the caller keeps the thread runnable and retries.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use corosensei::stack::DefaultStack;
use crossbeam_utils::CachePadded;

/// Most stacks a worker keeps for itself; beyond this, half go to the overflow pool.
const LOCAL_MAX: usize = 64;
/// How many stacks a worker takes from the overflow pool at once.
const REFILL: usize = LOCAL_MAX / 4;

/// Where the runtime's native stacks are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackStats {
    /// Stacks currently mapped (created and not yet released at the end of the run).
    pub mapped: usize,
    /// Stacks idle in pools.
    pub pooled: usize,
    /// Stacks held by coroutines: running threads and threads blocked inside `Context`.
    pub in_use: usize,
    /// Times `DefaultStack::new` failed (thread kept runnable and retried).
    pub failures: usize,
}

/// The pool all workers share.
pub(crate) struct SharedStacks {
    size: usize,
    overflow: Mutex<Vec<DefaultStack>>,
    overflow_len: AtomicUsize,
    /// Length of each worker's free list; written only by that worker.
    local_len: Box<[CachePadded<AtomicUsize>]>,
    created: AtomicUsize,
    failures: AtomicUsize,
}

impl SharedStacks {
    pub(crate) fn new(size: usize, workers: usize) -> SharedStacks {
        SharedStacks {
            size,
            overflow: Mutex::new(Vec::new()),
            overflow_len: AtomicUsize::new(0),
            local_len: (0..workers)
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
            created: AtomicUsize::new(0),
            failures: AtomicUsize::new(0),
        }
    }

    /// A snapshot (exact when no worker is running).
    pub(crate) fn stats(&self) -> StackStats {
        let created = self.created.load(Relaxed);
        let pooled = self.overflow_len.load(Relaxed)
            + self
                .local_len
                .iter()
                .map(|n| n.load(Relaxed))
                .sum::<usize>();
        StackStats {
            mapped: created,
            pooled,
            in_use: created.saturating_sub(pooled),
            failures: self.failures.load(Relaxed),
        }
    }

    /// Unmap every pooled stack (at the end of a run, after the workers stopped).
    pub(crate) fn release_overflow(&self) {
        let stacks = std::mem::take(&mut *self.overflow.lock().unwrap_or_else(|e| e.into_inner()));
        self.overflow_len.fetch_sub(stacks.len(), Relaxed);
        self.created.fetch_sub(stacks.len(), Relaxed);
    }
}

/// One worker's free list.
pub(crate) struct StackPool {
    worker: usize,
    free: RefCell<Vec<DefaultStack>>,
}

impl StackPool {
    pub(crate) fn new(worker: usize) -> StackPool {
        StackPool {
            worker,
            free: RefCell::new(Vec::with_capacity(LOCAL_MAX + 1)),
        }
    }

    /// A stack for a new coroutine: from this worker, else the overflow pool, else a new
    /// mapping. `None` if the process cannot map another stack right now.
    pub(crate) fn take(&self, shared: &SharedStacks) -> Option<DefaultStack> {
        let mut free = self.free.borrow_mut();
        if free.is_empty() && shared.overflow_len.load(Relaxed) > 0 {
            let mut overflow = shared.overflow.lock().unwrap_or_else(|e| e.into_inner());
            let n = overflow.len().min(REFILL);
            let at = overflow.len() - n;
            free.extend(overflow.drain(at..));
            shared.overflow_len.fetch_sub(n, Relaxed);
        }
        let stack = match free.pop() {
            Some(stack) => stack,
            None => match DefaultStack::new(shared.size) {
                Ok(stack) => {
                    shared.created.fetch_add(1, Relaxed);
                    stack
                }
                Err(err) => {
                    if shared.failures.fetch_add(1, Relaxed) == 0 {
                        log::warn!("cannot map a coroutine stack ({err}); threads wait for one to be freed");
                    }
                    return None;
                }
            },
        };
        shared.local_len[self.worker].store(free.len(), Relaxed);
        Some(stack)
    }

    /// Return a stack whose coroutine has finished.
    pub(crate) fn put(&self, shared: &SharedStacks, stack: DefaultStack) {
        let mut free = self.free.borrow_mut();
        free.push(stack);
        if free.len() > LOCAL_MAX {
            let at = free.len() / 2;
            let spill = free.len() - at;
            shared
                .overflow
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(free.drain(at..));
            shared.overflow_len.fetch_add(spill, Relaxed);
        }
        shared.local_len[self.worker].store(free.len(), Relaxed);
    }

    /// Unmap this worker's stacks (at the end of a run).
    pub(crate) fn release(&self, shared: &SharedStacks) {
        let n = std::mem::take(&mut *self.free.borrow_mut()).len();
        shared.local_len[self.worker].store(0, Relaxed);
        shared.created.fetch_sub(n, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_are_reused_and_accounted() {
        let shared = SharedStacks::new(32 * 1024, 2);
        let pool = StackPool::new(0);
        let a = pool.take(&shared).unwrap();
        assert_eq!(
            shared.stats(),
            StackStats {
                mapped: 1,
                pooled: 0,
                in_use: 1,
                failures: 0
            }
        );
        pool.put(&shared, a);
        assert_eq!(shared.stats().in_use, 0);
        let _b = pool.take(&shared).unwrap();
        assert_eq!(shared.stats().mapped, 1, "reused, not re-created");
    }

    #[test]
    fn overflow_spills_to_and_refills_from_the_shared_pool() {
        let shared = SharedStacks::new(32 * 1024, 2);
        let (p0, p1) = (StackPool::new(0), StackPool::new(1));
        let stacks: Vec<_> = (0..LOCAL_MAX + 1)
            .map(|_| p0.take(&shared).unwrap())
            .collect();
        for s in stacks {
            p0.put(&shared, s);
        }
        let stats = shared.stats();
        assert_eq!(
            (stats.mapped, stats.pooled, stats.in_use),
            (LOCAL_MAX + 1, LOCAL_MAX + 1, 0)
        );
        assert!(shared.overflow_len.load(Relaxed) > 0);
        let _s = p1.take(&shared).unwrap();
        assert_eq!(
            shared.stats().mapped,
            LOCAL_MAX + 1,
            "worker 1 refilled from the overflow pool"
        );
        p0.release(&shared);
        p1.release(&shared);
        shared.release_overflow();
        assert_eq!(shared.stats().pooled, 0);
    }
}
