//! [`ThreadRegistry`]: every VM thread of a program, and the options new
//! threads are made with.
//!
//! The registry is a push-only, lock-free list (a Treiber stack through
//! `VmThread::registry_next`) holding one strong reference to each thread
//! ever created: pushing costs one compare-and-swap, so spawning a million
//! threads takes no lock. It is walked only when no thread runs (the
//! deadlock report; later the collector, which will also prune it), and
//! dropped with the program.

use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;

use std::sync::OnceLock;

use super::{JavaState, VmThread};
use crate::heap::{AllocList, Heap};
use crate::value::Ref;

const ALL_STATES: [JavaState; 6] = [
    JavaState::New,
    JavaState::Runnable,
    JavaState::Blocked,
    JavaState::Waiting,
    JavaState::TimedWaiting,
    JavaState::Terminated,
];

/// Scheduling options the VM needs while threads run.
#[derive(Clone, Copy, Debug)]
pub struct SchedOptions {
    /// Budget of one slice: calls and taken branches (see `interp`).
    pub quantum: u32,
    /// VM stack limit of each thread, in bytes.
    pub stack_size: usize,
    /// Number of OS workers (for `Runtime.workers`).
    pub workers: usize,
    /// Run each thread on a coroutine (`--coroutines`); see `job`.
    pub coroutines: bool,
}

impl Default for SchedOptions {
    fn default() -> Self {
        SchedOptions {
            quantum: 4000,
            stack_size: crate::thread_state::DEFAULT_STACK_SIZE,
            workers: 1,
            coroutines: true,
        }
    }
}

/// All threads of one program.
pub struct ThreadRegistry {
    pub options: SchedOptions,
    next_id: AtomicU64,
    head: AtomicPtr<VmThread>,
    /// Exit status main ended with (0, or 1 after an uncaught exception).
    main_status: AtomicI32,
    /// The strings `Thread.getState` returns, allocated on first use.
    state_names: OnceLock<[Ref; 6]>,
}

impl ThreadRegistry {
    pub fn new(options: SchedOptions) -> ThreadRegistry {
        ThreadRegistry {
            options,
            next_id: AtomicU64::new(1),
            head: AtomicPtr::new(std::ptr::null_mut()),
            main_status: AtomicI32::new(0),
            state_names: OnceLock::new(),
        }
    }

    /// The next thread id (1 is main).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds a thread; the registry keeps a strong reference.
    pub fn register(&self, thread: &Arc<VmThread>) {
        let node = Arc::into_raw(thread.clone()) as *mut VmThread;
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            thread.registry_next.store(head, Ordering::Relaxed);
            match self
                .head
                .compare_exchange_weak(head, node, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }

    /// Every registered thread, newest first.
    pub fn threads(&self) -> Vec<&VmThread> {
        let mut out = Vec::new();
        let mut cur = self.head.load(Ordering::Acquire);
        while !cur.is_null() {
            // SAFETY: registered threads are kept alive by the registry's
            // strong reference until it is dropped (which needs `&mut self`).
            let t = unsafe { &*cur };
            out.push(t);
            cur = t.registry_next.load(Ordering::Relaxed);
        }
        out
    }

    /// The string naming `state` (shared by every caller).
    pub(crate) fn state_name(
        &self,
        state: JavaState,
        heap: &Heap,
        list: &mut AllocList,
    ) -> Option<Ref> {
        if self.state_names.get().is_none() {
            let mut names = Vec::with_capacity(6);
            for s in ALL_STATES {
                names.push(heap.alloc_string_exempt(list, s.name()).ok()?);
            }
            let names: [Ref; 6] = names.try_into().ok()?;
            let _ = self.state_names.set(names);
        }
        self.state_names.get().map(|n| n[state as usize])
    }

    pub fn set_main_status(&self, status: i32) {
        self.main_status.store(status, Ordering::Relaxed);
    }

    pub fn main_status(&self) -> i32 {
        self.main_status.load(Ordering::Relaxed)
    }
}

impl Drop for ThreadRegistry {
    fn drop(&mut self) {
        let mut cur = *self.head.get_mut();
        while !cur.is_null() {
            // SAFETY: each node is a strong reference from `Arc::into_raw`,
            // released exactly once here.
            let t = unsafe { Arc::from_raw(cur as *const VmThread) };
            cur = t.registry_next.load(Ordering::Relaxed);
        }
    }
}
