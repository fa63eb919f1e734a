//! [`ThreadRegistry`]: the thread objects of a program, and the options new
//! threads are made with.
//!
//! Every thread object is pushed when it is created, on the list of the
//! worker that creates it (a lock only that worker takes while the program
//! runs, so it never waits and its cache line stays on its core); nothing
//! is done when a thread ends. The live threads are the objects whose record
//! is still attached. The lists are walked only when no thread runs (the
//! deadlock report; later the collector, whose roots are the live threads'
//! stacks and which will also drop the entries of collected objects). Until
//! then an entry costs 8 bytes per thread ever created.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crossbeam_utils::CachePadded;

use super::{JavaState, VmThread};
use crate::heap::{AllocList, Heap, OutOfMemory};
use crate::thread_state::ThreadState;
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
    /// On its own cache line: every spawn on every worker writes it.
    next_id: CachePadded<AtomicU64>,
    /// One list per worker (index = worker index).
    lists: Box<[CachePadded<Mutex<Vec<Ref>>>]>,
    /// Exit status main ended with (0, or 1 after an uncaught exception).
    main_status: AtomicI32,
    /// The strings `Thread.getState` returns, allocated on first use.
    state_names: OnceLock<[Ref; 6]>,
}

impl ThreadRegistry {
    pub fn new(options: SchedOptions) -> ThreadRegistry {
        ThreadRegistry {
            options,
            next_id: CachePadded::new(AtomicU64::new(1)),
            lists: (0..options.workers.max(1))
                .map(|_| CachePadded::new(Mutex::new(Vec::new())))
                .collect(),
            main_status: AtomicI32::new(0),
            state_names: OnceLock::new(),
        }
    }

    /// The next thread id (1 is main).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A NEW thread that will run `stack`: its heap object (on `list`),
    /// with its record attached, registered on worker `worker`'s list.
    pub fn create(
        &self,
        heap: &Heap,
        list: &mut AllocList,
        stack: Box<ThreadState>,
        worker: usize,
    ) -> Result<Arc<VmThread>, OutOfMemory> {
        let object = heap.alloc_thread(list, self.next_id())?;
        let thread = Arc::new(VmThread::new(object, stack));
        if let Some(body) = object.as_thread() {
            body.attach(&thread);
        }
        let mut objects = self.lists[worker % self.lists.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        objects.push(object);
        Ok(thread)
    }

    /// The records of every live thread (created and not ended), in no
    /// particular order. Call only when no thread runs, so none ends
    /// meanwhile and the records stay valid.
    pub fn live_threads(&self) -> Vec<&VmThread> {
        let mut out = Vec::new();
        for objects in self.lists.iter() {
            let objects = objects.lock().unwrap_or_else(|e| e.into_inner());
            for object in objects.iter() {
                // SAFETY: no thread runs (the contract), so no record is
                // detached and freed while the caller uses it.
                let live = object
                    .as_thread()
                    .and_then(|o| o.live())
                    .map(|t| unsafe { &*(t as *const VmThread) });
                out.extend(live);
            }
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
