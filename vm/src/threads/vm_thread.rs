//! [`VmThread`]: the record of a live VM thread: what only a running or
//! waiting thread needs (its VM stack, `LockSupport` permit, interrupt flag,
//! joiners and runtime handle). What outlives the thread (id, name, state,
//! flags, result) is in its heap object ([`ThreadObject`]), which points here
//! while the thread lives. The record is shared (`Arc`) by that object and
//! the job that runs the thread; it is freed a grace period after the
//! thread ends.
//!
//! Who touches what:
//! - `stack` (the VM stack) is used only by the holder of the thread's run
//!   token: the creator before `Thread.start`, then the worker running the
//!   job (the runtime never runs a thread on two workers at once), or anyone
//!   while no thread runs at all (the deadlock report; later the collector
//!   at a safepoint).
//! - `interrupted` and `permit` are atomics anyone may set.
//! - `permit` is `LockSupport`'s permit, kept here rather than in the
//!   runtime: the runtime's own park permit also serves the VM's retried
//!   waits (sleep, join), which may consume it on a wake-up that was meant
//!   for a later `LockSupport.park`.
//! - Wake-ups race with the first run of a thread (which publishes its
//!   runtime handle): the waker stores the permit (or interrupt flag) and
//!   then reads the handle; the thread stores its handle and then reads the
//!   permit. A `SeqCst` fence between the store and the load on each side
//!   (`publish_handle`, `wake`) means at least one of them sees the other.
//! - `end` (the joiners, then the result) is a small per-thread mutex: a
//!   joiner checks for `End::Done` and registers itself under it, and the
//!   ending thread switches it to `Done` and takes the joiners under it, so
//!   no wake-up is lost. No lock is held across a suspension (natives never
//!   suspend).

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use runtime::ThreadRef;

use super::ThreadObject;
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

    pub(crate) fn from_u8(b: u8) -> JavaState {
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

impl SchedLink {
    /// The running thread's id and the worker running it, for the
    /// instruction trace; `None` outside a slice run by the scheduler.
    pub(crate) fn whereabouts(&self) -> Option<(u64, usize)> {
        // SAFETY: both pointers are set by `VmJob::run` for the duration of
        // the slice (the record outlives it, the context is the live one)
        // and are null otherwise.
        let (me, cx) = unsafe { (self.me.as_ref()?, self.cx.as_ref()?) };
        Some((me.id, cx.worker_index()))
    }
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

/// Who waits for a thread to end, then how it ended. A joiner only needs
/// the one or the other, so they share the space.
enum End {
    /// Still alive: the threads waiting in `join` (usually none or one).
    Running { joiners: Vec<ThreadRef> },
    /// Over: its result (null if it returned nothing or threw).
    Done { result: Value },
}

/// The record of one live VM thread.
pub struct VmThread {
    /// 1 for main, then in creation order (also in the object).
    pub id: u64,
    /// This thread's heap object (never freed while the record exists).
    object: Ref,
    interrupted: AtomicBool,
    /// `LockSupport`'s permit.
    permit: AtomicBool,
    /// The runtime's handle, once started.
    handle: OnceLock<ThreadRef>,
    /// The joiners, then the result.
    end: Mutex<End>,
    /// The VM stack: `Some` from creation until the thread ends. Boxed, so
    /// it can be dropped the moment the thread ends.
    stack: UnsafeCell<Option<Box<ThreadState>>>,
}

// SAFETY: every field but `stack` is Sync. `stack` (ThreadState is Send) is
// only accessed by the holder of the run token (see the module header): the
// creator before start, then one worker at a time, whose hand-offs the
// runtime orders with acquire/release transitions; or while no thread runs.
unsafe impl Sync for VmThread {}
// SAFETY: as above; all fields are Send.
unsafe impl Send for VmThread {}

impl VmThread {
    /// The record of the NEW thread of `object` (a thread object, not yet
    /// published), which will run `stack`. The caller attaches it to the
    /// object ([`ThreadObject::attach`]).
    pub fn new(object: Ref, stack: Box<ThreadState>) -> VmThread {
        let id = object.as_thread().map_or(0, |o| o.id());
        VmThread {
            id,
            object,
            interrupted: AtomicBool::new(false),
            permit: AtomicBool::new(false),
            handle: OnceLock::new(),
            end: Mutex::new(End::Running {
                joiners: Vec::new(),
            }),
            stack: UnsafeCell::new(Some(stack)),
        }
    }

    /// A new strong reference to this record.
    pub(crate) fn arc(&self) -> Arc<VmThread> {
        // SAFETY: every record lives in an `Arc` (`ThreadRegistry::create`),
        // and `&self` proves a reference is still held.
        unsafe {
            Arc::increment_strong_count(self);
            Arc::from_raw(self)
        }
    }

    /// This thread's heap object.
    pub fn object(&self) -> Ref {
        self.object
    }

    /// The body of this thread's heap object.
    pub fn body(&self) -> &ThreadObject {
        // SAFETY: `object` is a thread object (`new`'s contract), and the
        // heap keeps it at least as long as this record.
        unsafe { self.object.thread_object_unchecked() }
    }

    pub fn name(&self) -> String {
        self.body().name()
    }

    pub fn state(&self) -> JavaState {
        self.body().state()
    }

    pub(crate) fn set_state(&self, s: JavaState) {
        self.body().set_state(s)
    }

    pub fn is_daemon(&self) -> bool {
        self.body().is_daemon()
    }

    pub fn is_alive(&self) -> bool {
        self.body().is_alive()
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
        match &mut *lock(&self.end) {
            End::Done { result } => Some(*result),
            End::Running { joiners } => {
                if !joiners.iter().any(|j| j == joiner) {
                    joiners.push(joiner.clone());
                }
                None
            }
        }
    }

    /// Records the end of the thread (`result` is null if it returned
    /// nothing or died by an exception) and returns the joiners to wake.
    /// The caller then lets go of the record ([`ThreadObject::end`]).
    pub(crate) fn finish(&self, result: Value) -> Vec<ThreadRef> {
        let mut end = lock(&self.end);
        // TERMINATED before `Done`, so whoever sees the result also sees the
        // thread dead.
        self.set_state(JavaState::Terminated);
        match std::mem::replace(&mut *end, End::Done { result }) {
            End::Running { joiners } => joiners,
            End::Done { .. } => Vec::new(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million live threads each hold one: keep it small (the record plus
    /// the `Arc`'s two counters).
    #[test]
    fn a_thread_record_is_small() {
        let bytes = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<VmThread>();
        assert!(bytes <= 96, "VmThread grew to {bytes} bytes");
    }
}
