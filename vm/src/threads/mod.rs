//! VM threads on the green-thread runtime: Java's thread model.
//!
//! Every VM thread is a heap object ([`ThreadObject`]: what outlives the
//! thread) pointing, while the thread lives, at a [`VmThread`] record whose
//! VM stack ([`crate::thread_state::ThreadState`]) is run by a [`job::VmJob`] on the `runtime` crate's scheduler. The
//! interpreter runs a thread for one quantum and returns why it stopped;
//! the job turns that into a scheduling [`runtime::Step`]: preempt, park,
//! sleep, yield or exit.
//!
//! Blocking is done at instruction boundaries: a blocking native returns
//! [`crate::natives::NativeResult::Block`], the interpreter leaves the
//! thread's whole state in its VM stack, and the job returns `Step::Park`
//! (or `ParkUntil`/`Yield`), so a blocked thread holds no native stack.
//! Natives that wait for a condition (join, sleep) are *retried*: the thread
//! re-executes the `callnative` when woken and re-checks its condition, so
//! spurious wake-ups are harmless.
//!
//! Files: `thread_object` (the heap object's body), `vm_thread` (the live
//! record and Java's states), `registry` (the live threads of a program, for
//! dumps and, later, the collector), `job` (the
//! runtime job), `natives` (the thread natives and `newthread`/`spawn`),
//! `dump` (the deadlock report).

mod dump;
mod job;
pub(crate) mod natives;
mod registry;
mod thread_object;
mod vm_thread;

pub use dump::format_deadlock;
pub use job::VmJob;
pub use registry::{SchedOptions, ThreadRegistry};
pub use thread_object::ThreadObject;
pub use vm_thread::{JavaState, VmThread};

pub(crate) use vm_thread::SchedLink;

/// How a blocked thread waits (what the job tells the scheduler).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Until `unpark` (or spuriously).
    Park,
    /// Until `unpark` or the deadline.
    ParkUntil(std::time::Instant),
    /// Not blocked: go to the back of the run queue.
    Yield,
}

impl Wait {
    /// A copy built variant by variant. Right after a native returns a
    /// `Wait`, only some of its bytes have been stored (`Park` is a 4-byte
    /// niche value); a plain copy reads all 16 at once, which cannot be
    /// forwarded from that store and stalls (~5 ns per switch).
    #[inline(always)]
    pub(crate) fn rebuilt(&self) -> Wait {
        match *self {
            Wait::Park => Wait::Park,
            Wait::ParkUntil(deadline) => Wait::ParkUntil(deadline),
            Wait::Yield => Wait::Yield,
        }
    }
}
