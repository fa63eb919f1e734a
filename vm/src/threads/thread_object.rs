//! [`ThreadObject`]: the body of a thread's heap object, which outlives the
//! thread: its id, name, Java state, daemon/started flags and, once it has
//! ended, its result; plus, while it lives, a pointer to its [`VmThread`]
//! record (VM stack, permit, interrupt flag, joiners, runtime handle).
//!
//! Splitting the two is what makes a finished thread cheap: its record is
//! freed soon after it ends, and only this 48-byte body stays, as long as
//! the object does (until the program ends; later, until the collector
//! frees it).
//!
//! Invariants:
//! - `live` holds a strong `Arc<VmThread>` reference (from `Arc::into_raw`)
//!   from just after the object is allocated until the thread ends; then
//!   [`ThreadObject::end`] swaps it to null and drops that reference. The
//!   thread's job holds another one, and the runtime drops an exited job only
//!   after a grace period (`runtime::Job`), so a `&VmThread` loaded from
//!   `live` stays valid until the end of the loader's current slice. Natives
//!   use it within one native call, never across slices.
//! - `result` is written once, by the ending thread, before `live` is
//!   cleared (release), and read only after seeing it cleared (acquire).
//! - `name` is a string object (`Ref::to_bits`, 0 for the default name):
//!   heap objects are never freed while reachable, so a reader racing
//!   `setName` reads the old or the new name, both valid. (The collector must
//!   trace it.)
//! - `state` is written by the thread itself, except NEW → RUNNABLE by its
//!   starter and → TERMINATED when it ends; `flags` (started, daemon) is one
//!   word so that `setDaemon` and `start` cannot both succeed.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use super::{JavaState, VmThread};
use crate::value::{Ref, Value};

/// `flags`: the thread has been started.
const STARTED: u8 = 1;
/// `flags`: the thread is a daemon.
const DAEMON: u8 = 2;

/// The body of a thread object (laid out right after its header).
#[repr(C)]
pub struct ThreadObject {
    id: u64,
    live: AtomicPtr<VmThread>,
    name: AtomicU64,
    state: AtomicU8,
    flags: AtomicU8,
    result: UnsafeCell<Value>,
}

// SAFETY: every field but `result` is atomic; `result` is written once
// before `live` is cleared with release ordering and read only after an
// acquire load sees it cleared (module header).
unsafe impl Sync for ThreadObject {}
// SAFETY: as above; a `Value` is Send.
unsafe impl Send for ThreadObject {}

impl ThreadObject {
    /// A NEW thread's body, without a record yet (see [`ThreadObject::attach`]).
    pub(crate) fn new(id: u64) -> ThreadObject {
        ThreadObject {
            id,
            live: AtomicPtr::new(std::ptr::null_mut()),
            name: AtomicU64::new(0),
            state: AtomicU8::new(JavaState::New as u8),
            flags: AtomicU8::new(0),
            result: UnsafeCell::new(Value::Null),
        }
    }

    /// Gives the object its record, once, before the object is published.
    pub(crate) fn attach(&self, record: &Arc<VmThread>) {
        let raw = Arc::into_raw(record.clone()) as *mut VmThread;
        let previous = self.live.swap(raw, Ordering::Release);
        debug_assert!(previous.is_null(), "a thread object got two records");
    }

    /// The live record, or `None` once the thread has ended. The reference is
    /// valid until the end of the caller's slice (module header); do not keep
    /// it longer.
    pub fn live(&self) -> Option<&VmThread> {
        // SAFETY: non-null means the object's strong reference was still
        // there at the load, or had just been handed to the job's grace
        // period (module header); either keeps the record alive for the
        // rest of this slice.
        unsafe { self.live.load(Ordering::Acquire).as_ref() }
    }

    /// The thread has ended with `result`: record it, let go of the record
    /// (the job's reference keeps it alive through the grace period).
    pub(crate) fn end(&self, result: Value) {
        // SAFETY: only the ending thread writes `result`, once, and nobody
        // reads it before `live` is cleared below.
        unsafe { *self.result.get() = result };
        let raw = self.live.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if !raw.is_null() {
            // SAFETY: `raw` is the strong reference `attach` made; the swap
            // took it out, so it is released exactly once.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }

    /// The result of an ended thread (null if it threw or returned nothing);
    /// `None` while it has not ended.
    pub fn result(&self) -> Option<Value> {
        if !self.live.load(Ordering::Acquire).is_null() {
            return None;
        }
        // SAFETY: `live` is null: `end` wrote `result` before clearing it
        // (or it still holds its initial null, for an object never given a
        // record), and it is never written again.
        Some(unsafe { *self.result.get() })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name: as set by `setName`, else `main` or `Thread-N` (Java numbers
    /// unnamed threads from 0; main is id 1).
    pub fn name(&self) -> String {
        match self.name_object() {
            Some(s) => s.as_str().unwrap_or("").to_string(),
            None if self.id == 1 => "main".to_string(),
            None => format!("Thread-{}", self.id - 2),
        }
    }

    /// The string object `setName` gave, if any.
    pub fn name_object(&self) -> Option<Ref> {
        // SAFETY: the bits are 0 or `Ref::to_bits` of a string object, which
        // the heap keeps while this object can reach it.
        unsafe { Ref::from_bits(self.name.load(Ordering::Acquire)) }
    }

    /// Renames the thread; `name` must be a string object.
    pub(crate) fn set_name(&self, name: Ref) {
        self.name.store(name.to_bits(), Ordering::Release);
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

    pub fn is_alive(&self) -> bool {
        self.is_started() && self.state() != JavaState::Terminated
    }
}

impl Drop for ThreadObject {
    /// The heap is freeing the object: release the record if the thread never
    /// ended (never started, or abandoned when the program ended).
    fn drop(&mut self) {
        let raw = *self.live.get_mut();
        if !raw.is_null() {
            // SAFETY: the strong reference `attach` made, still held.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ended thread keeps only this body (plus the object header) until
    /// its object is freed, so a million of them must stay small.
    #[test]
    fn the_body_is_small() {
        assert!(std::mem::size_of::<ThreadObject>() <= 48);
    }
}
