//! [`VmThread`]: one VM thread's record, shared by its heap object, the job
//! that runs it and every thread that joins, interrupts or unparks it.
//!
//! Who touches what:
//! - `stack` (the VM stack) is used only by the holder of the thread's run
//!   token: the creator before `Thread.start`, then the worker running the
//!   job (the runtime never runs a thread on two workers at once), or anyone
//!   while no thread runs at all (the deadlock report; later the collector
//!   at a safepoint).
//! - `state`, `flags` (started, daemon), `interrupted` and `permit` are
//!   atomics anyone may read; `state` is written by the thread itself, except
//!   NEW → RUNNABLE by the starter and → TERMINATED by the job. `flags` is
//!   one word so that `setDaemon` and `start` cannot both succeed.
//! - `permit` is `LockSupport`'s permit, kept here rather than in the
//!   runtime: the runtime's own park permit also serves the VM's retried
//!   waits (sleep, join), which may consume it on a wake-up that was meant
//!   for a later `LockSupport.park`.
//! - Wake-ups race with the first run of a thread (which publishes its
//!   runtime handle): the waker stores the permit (or interrupt flag) and
//!   then reads the handle; the thread stores its handle and then reads the
//!   permit. A `SeqCst` fence between the store and the load on each side
//!   (`publish_handle`, `wake`) means at least one of them sees the other.
//! - `record` (the name; the joiners, then the result) is a small per-thread mutex: a joiner
//!   checks for `End::Done` and registers itself under it, and the ending
//!   thread switches it to `Done` and takes the joiners under it, so no
//!   wake-up is lost. No lock is held
//!   across a suspension (natives never suspend).

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use runtime::ThreadRef;

use crate::thread_state::ThreadState;
use crate::value::{Ref, Value};

/// Java's thread states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum JavaState {
    /// Created by `newthread`, not started; leaves by `Thread.start`.
    New = 0,
    /// Running or queued to run; leaves by blocking or ending.
    Runnable = 1,
    /// Waiting to enter a monitor (monitors arrive with the next issue).
    Blocked = 2,
    /// In `join` or `park` without a timeout; leaves when woken.
    Waiting = 3,
    /// In `sleep`, `joinMillis` or `parkNanos`; leaves when woken or the time passes.
    TimedWaiting = 4,
    /// Its function returned or threw; never leaves.
    Terminated = 5,
}

impl JavaState {
    pub fn name(self) -> &'static str {
        match self {
            JavaState::New => "NEW",
            JavaState::Runnable => "RUNNABLE",
            JavaState::Blocked => "BLOCKED",
            JavaState::Waiting => "WAITING",
            JavaState::TimedWaiting => "TIMED_WAITING",
            JavaState::Terminated => "TERMINATED",
        }
    }

    fn from_u8(b: u8) -> JavaState {
        match b {
            0 => JavaState::New,
            1 => JavaState::Runnable,
            2 => JavaState::Blocked,
            3 => JavaState::Waiting,
            4 => JavaState::TimedWaiting,
            _ => JavaState::Terminated,
        }
    }
}

/// What a waiting thread waits for (for thread dumps).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) enum Blocker {
    #[default]
    None,
    /// `Thread.join` / `joinMillis` on this thread object.
    Join(Ref),
    /// `LockSupport.park` / `parkNanos`.
    Park,
    /// `Thread.sleep`.
    Sleep,
}

/// The scheduling links of a running thread, kept in its VM stack so the
/// natives can reach them. Valid only during a slice run by [`super::VmJob`]
/// (set at the start of each run; never cached across a suspension).
pub(crate) struct SchedLink {
    /// This thread's record.
    pub me: *const VmThread,
    /// The runtime context of the current run.
    pub cx: *mut runtime::Context,
    /// The deadline of a retried timed wait (sleep, joinMillis), set by its
    /// first execution and cleared when the wait ends.
    pub deadline: Option<Instant>,
    /// What the thread waits for, for dumps.
    pub blocker: Blocker,
}

impl Default for SchedLink {
    fn default() -> Self {
        SchedLink {
            me: std::ptr::null(),
            cx: std::ptr::null_mut(),
            deadline: None,
            blocker: Blocker::None,
        }
    }
}

/// The parts of a thread behind its lock.
struct Record {
    end: End,
    /// `None`: the default name (`main` or `Thread-N`). Boxed twice so an
    /// unnamed thread spends one word on it.
    name: Option<Box<Box<str>>>,
}

/// Who waits for a thread to end, then how it ended. A joiner only needs
/// the one or the other, so they share the space.
enum End {
    /// Still alive: the threads waiting in `join` (usually none or one;
    /// boxed, so `End` is no bigger than a `Value`).
    Running {
        joiners: Option<Box<Vec<ThreadRef>>>,
    },
    /// Over: its result (null if it returned nothing or threw).
    Done { result: Value },
}

/// One VM thread.
pub struct VmThread {
    /// 1 for main, then in creation order.
    pub id: u64,
    state: AtomicU8,
    /// [`STARTED`] and [`DAEMON`].
    flags: AtomicU8,
    interrupted: AtomicBool,
    /// `LockSupport`'s permit.
    permit: AtomicBool,
    /// The runtime's handle, once started.
    handle: OnceLock<ThreadRef>,
    /// Joiners then result, and the name: rarely used, so behind one lock.
    record: Mutex<Record>,
    /// The VM stack: `Some` from creation until the thread ends. Boxed, so
    /// an ended thread (kept for its object until the program ends; there is
    /// no collector yet) does not keep the stack's ~170 bytes.
    stack: UnsafeCell<Option<Box<ThreadState>>>,
    /// This thread's heap object as `Ref::to_bits` (0 until set, once, right
    /// after allocation, before the thread is published).
    object: AtomicU64,
    /// The next thread in the program's registry (written once, before the
    /// thread is pushed; see `registry`).
    pub(super) registry_next: AtomicPtr<VmThread>,
}

// SAFETY: every field but `stack` is Sync. `stack` (ThreadState is Send) is
// only accessed by the holder of the run token (see the module header): the
// creator before start, then one worker at a time, whose hand-offs the
// runtime orders with acquire/release transitions; or while no thread runs.
unsafe impl Sync for VmThread {}
// SAFETY: as above; all fields are Send.
unsafe impl Send for VmThread {}

impl VmThread {
    /// A NEW thread that will run `stack`.
    pub fn new(id: u64, name: Option<&str>, stack: ThreadState) -> VmThread {
        VmThread {
            id,
            state: AtomicU8::new(JavaState::New as u8),
            flags: AtomicU8::new(0),
            interrupted: AtomicBool::new(false),
            permit: AtomicBool::new(false),
            handle: OnceLock::new(),
            record: Mutex::new(Record {
                end: End::Running { joiners: None },
                name: name.map(|n| Box::new(n.into())),
            }),
            stack: UnsafeCell::new(Some(Box::new(stack))),
            object: AtomicU64::new(0),
            registry_next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    pub fn name(&self) -> String {
        match &lock(&self.record).name {
            Some(n) => n.to_string(),
            None if self.id == 1 => "main".to_string(),
            // Java numbers unnamed threads from 0; main is id 1.
            None => format!("Thread-{}", self.id - 2),
        }
    }

    pub fn set_name(&self, name: &str) {
        lock(&self.record).name = Some(Box::new(name.into()));
    }

    pub fn state(&self) -> JavaState {
        JavaState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub(crate) fn set_state(&self, s: JavaState) {
        self.state.store(s as u8, Ordering::Release);
    }

    pub fn is_daemon(&self) -> bool {
        self.flags.load(Ordering::Acquire) & DAEMON != 0
    }

    /// Sets the daemon flag; false if the thread has already started.
    pub(crate) fn set_daemon(&self, on: bool) -> bool {
        let mut flags = self.flags.load(Ordering::Acquire);
        loop {
            if flags & STARTED != 0 {
                return false;
            }
            let new = if on { flags | DAEMON } else { flags & !DAEMON };
            match self
                .flags
                .compare_exchange_weak(flags, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(f) => flags = f,
            }
        }
    }

    pub fn is_started(&self) -> bool {
        self.flags.load(Ordering::Acquire) & STARTED != 0
    }

    /// Marks the thread started: `Some(daemon)` with the daemon flag it
    /// starts with, or `None` if it had already started.
    pub(crate) fn mark_started(&self) -> Option<bool> {
        let before = self.flags.fetch_or(STARTED, Ordering::AcqRel);
        (before & STARTED == 0).then_some(before & DAEMON != 0)
    }

    /// Gives the thread `LockSupport`'s permit. The caller then wakes the
    /// thread (`natives::wake`), which orders this store before the wake-up:
    /// through the runtime's `AcqRel` unpark, or the fence rule while the
    /// handle is unpublished (module header).
    pub(crate) fn give_permit(&self) {
        self.permit.store(true, Ordering::Release);
    }

    /// Consumes `LockSupport`'s permit: true if there was one. Only the
    /// thread itself consumes it, so this needs no locked instruction: an
    /// unpark whose store lands between the load and the clearing store
    /// overlaps this call and counts as having come just before it (the
    /// permit is one bit: two unparks before a park give one permit), and
    /// its wake-up is then merely spurious.
    pub(crate) fn take_permit(&self) -> bool {
        if self.permit.load(Ordering::Acquire) {
            self.permit.store(false, Ordering::Relaxed);
            return true;
        }
        false
    }

    pub fn is_alive(&self) -> bool {
        self.is_started() && self.state() != JavaState::Terminated
    }

    pub(crate) fn interrupt_flag(&self) -> &AtomicBool {
        &self.interrupted
    }

    /// Consumes the interrupt flag: true if it was set.
    pub(crate) fn take_interrupt(&self) -> bool {
        self.interrupted.swap(false, Ordering::AcqRel)
    }

    /// The runtime handle, once the thread has been started and spawned.
    pub(crate) fn handle(&self) -> Option<&ThreadRef> {
        self.handle.get()
    }

    /// Publishes the runtime handle (by the starter, or by the thread's own
    /// first run, whichever comes first), then fences: see the module header.
    pub(crate) fn publish_handle(&self, h: &ThreadRef) {
        if self.handle.get().is_none() {
            let _ = self.handle.set(h.clone());
            std::sync::atomic::fence(Ordering::SeqCst);
        }
    }

    pub fn object(&self) -> Option<Ref> {
        let bits = self.object.load(Ordering::Acquire);
        // SAFETY: the bits are 0 or came from `Ref::to_bits` of the thread
        // object, which lives as long as the heap (no collector yet), hence
        // as long as any VM code can ask.
        unsafe { Ref::from_bits(bits) }
    }

    pub(crate) fn set_object(&self, r: Ref) {
        let _ = self
            .object
            .compare_exchange(0, r.to_bits(), Ordering::AcqRel, Ordering::Acquire);
    }

    /// The VM stack.
    ///
    /// # Safety
    /// The caller holds the run token (module header) and no other
    /// reference to the stack is alive.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn stack_mut(&self) -> &mut Option<Box<ThreadState>> {
        &mut *self.stack.get()
    }

    /// The VM stack, for reading while no thread runs.
    ///
    /// # Safety
    /// No thread of the program is running (e.g. the runtime reported a
    /// deadlock), so nobody writes the stack.
    pub(crate) unsafe fn stack_when_stopped(&self) -> Option<&ThreadState> {
        (*self.stack.get()).as_deref()
    }

    /// The result if the thread has ended; otherwise registers `joiner` to
    /// be unparked when it ends and returns `None`.
    pub(crate) fn result_or_register(&self, joiner: &ThreadRef) -> Option<Value> {
        match &mut lock(&self.record).end {
            End::Done { result } => Some(*result),
            End::Running { joiners } => {
                let joiners = joiners.get_or_insert_with(Default::default);
                if !joiners.iter().any(|j| j == joiner) {
                    joiners.push(joiner.clone());
                }
                None
            }
        }
    }

    /// Records the end of the thread (`result` is null if it returned
    /// nothing or died by an exception) and returns the joiners to wake.
    pub(crate) fn finish(&self, result: Value) -> Vec<ThreadRef> {
        let mut record = lock(&self.record);
        // TERMINATED before `Done`, so whoever sees the result also sees the
        // thread dead.
        self.set_state(JavaState::Terminated);
        match std::mem::replace(&mut record.end, End::Done { result }) {
            End::Running { joiners } => joiners.map_or_else(Vec::new, |j| *j),
            End::Done { .. } => Vec::new(),
        }
    }
}

/// `flags`: the thread has been started.
const STARTED: u8 = 1;
/// `flags`: the thread is a daemon.
const DAEMON: u8 = 2;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ended thread is kept (for its heap object) until the program ends,
    /// so a million of them must stay small: the record plus the `Arc`'s two
    /// counters.
    #[test]
    fn an_ended_thread_record_is_small() {
        let bytes = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<VmThread>();
        assert!(bytes <= 104, "VmThread grew to {bytes} bytes");
    }
}
