//! The per-thread VM stack: frames and values, on the Rust heap (never in
//! Rust recursion), so a thread can be suspended at any instruction boundary,
//! moved to another worker OS thread and scanned by a collector.
//!
//! Layout (Lua-style): one `Vec<Value>` holds every frame's locals followed
//! by its operand stack; a call's arguments (the top `params` values of the
//! caller's operand stack) become the callee's first locals in place. A frame
//! is `(function, base, ip)` where `base` is the index of its local 0 and its
//! operand stack starts at `base + locals`.
//!
//! Invariants while the thread is suspended (between `run` slices):
//! - `frames` holds every frame, innermost last; each one's `ip` is the next
//!   instruction to run (for callers: the return address, one past `call`);
//! - `values[..sp]` holds exactly the live values (the collector's roots);
//!   `values[sp..]` are spare slots (stale but valid values);
//! - `values.len()` is the reserved size; it starts at [`INITIAL_SLOTS`] and
//!   grows on demand while `slots * SLOT_BYTES + frames * FRAME_BYTES` stays
//!   within `stack_limit` (`--stack-size`); past it the call throws
//!   StackOverflowError;
//! - every byte reserved for `values` and `frames` (beyond the record
//!   itself) is counted against the heap limit (`charged`; given back when
//!   the state is dropped): a stack that cannot grow within `--max-heap`
//!   throws OutOfMemoryError, so many deep threads cannot exhaust the host.
//!
//! While `interp::run` executes, the current frame lives in the loop's
//! registers and `frames` holds only its callers (see `interp`).

use std::sync::Arc;

use crate::heap::{AllocList, OutOfMemory};
use crate::isa::{FuncIdx, Instruction, ValueType};
use crate::program::Program;
use crate::value::{Ref, Value};

/// Bytes each value slot counts for against the stack limit.
pub const SLOT_BYTES: usize = std::mem::size_of::<Value>();
/// Bytes each frame counts for against the stack limit.
pub const FRAME_BYTES: usize = 16;
/// Value slots reserved when a thread starts (at least; more if its first
/// frame needs them). Small, because a million parked threads must each cost
/// under 1 KiB; the stack doubles on demand.
pub const INITIAL_SLOTS: usize = 8;
/// Default `--stack-size`: 1 MiB.
pub const DEFAULT_STACK_SIZE: usize = 1 << 20;
/// Largest `--stack-size`: 1 GiB (as HotSpot's `-Xss`). Also keeps every
/// value index within the `u32` of [`Frame::base`].
pub const MAX_STACK_SIZE: usize = 1 << 30;

/// The frames' bytes are counted as `FRAME_BYTES` each.
const _: () = assert!(std::mem::size_of::<Frame>() == FRAME_BYTES);

/// One activation record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Function index.
    pub func: u32,
    /// Index in `values` of local 0.
    pub base: u32,
    /// The next instruction to execute, as a pointer into the function's
    /// code (the interpreter saves and restores it without a lookup); see
    /// [`Frame::pc`].
    pub(crate) ip: *const Instruction,
}

impl Frame {
    /// A frame of `func` about to execute instruction `pc`.
    pub(crate) fn new(program: &Program, func: u32, pc: u32, base: u32) -> Frame {
        let code = &program.module.functions[func as usize].code;
        let pc = (pc as usize).min(code.len());
        // SAFETY: `pc <= code.len()`, so the pointer is within (or one past)
        // the code slice.
        Frame {
            func,
            base,
            ip: unsafe { code.as_ptr().add(pc) },
        }
    }

    /// The index of the next instruction to execute (for callers: one past
    /// the `call`).
    pub fn pc(&self, program: &Program) -> u32 {
        let code = program.module.functions[self.func as usize].code.as_ptr();
        // SAFETY: `ip` always points into (or one past) this function's code,
        // which the program (kept alive by the thread) never moves.
        unsafe { self.ip.offset_from(code) as u32 }
    }
}

/// Why a thread could not be started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// `args` does not match the function's parameter count.
    WrongArgCount {
        function: String,
        expected: u16,
        got: usize,
    },
    /// The function's frame does not fit in the stack limit.
    StackTooSmall { needed: usize, limit: usize },
    /// The heap limit refuses the stack's first bytes.
    OutOfMemory { bytes: usize },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::WrongArgCount {
                function,
                expected,
                got,
            } => {
                write!(
                    f,
                    "function `{function}` takes {expected} arguments, {got} given"
                )
            }
            StartError::StackTooSmall { needed, limit } => {
                write!(
                    f,
                    "stack size {limit} is too small (the first frame needs {needed} bytes)"
                )
            }
            StartError::OutOfMemory { bytes } => {
                write!(f, "out of memory for a {bytes}-byte thread stack")
            }
        }
    }
}

impl std::error::Error for StartError {}

/// A VM thread's state: its stack, its allocation list and its program.
pub struct ThreadState {
    /// Set at creation and never reassigned: the interpreter borrows the
    /// program through it for a whole slice without cloning the `Arc`.
    pub(crate) program: Arc<Program>,
    pub(crate) values: Vec<Value>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) sp: usize,
    pub(crate) stack_limit: usize,
    /// Bytes of `values` and `frames` counted against the heap limit.
    charged: usize,
    pub(crate) allocs: AllocList,
    /// Log every instruction (`log::trace!`); checked once per slice.
    pub trace: bool,
    /// Run every instruction on the interpreter's general path (as tracing
    /// does); tests use it to check both paths agree.
    pub(crate) general_path_only: bool,
    /// While `interp::run` executes: the current frame's function and a
    /// pointer to its code (kept here rather than in registers). Stale
    /// between slices.
    pub(crate) cur_func: u32,
    pub(crate) cur_code: *const Instruction,
    /// Scheduling links, valid only while the thread runs under the
    /// scheduler (see [`crate::threads`]).
    pub(crate) sched: crate::threads::SchedLink,
}

// SAFETY: the only non-Send parts are the frames' `ip` pointers (and
// `cur_code`) into the program's code, which is immutable and shared read-only (the thread keeps
// the program alive through its `Arc`), and the allocation list (Send).
unsafe impl Send for ThreadState {}

impl ThreadState {
    /// A thread about to run `func` with `args` as its first locals, within
    /// `stack_size` bytes of VM stack. The stack's first bytes count against
    /// the heap limit, on the budget of the worker that runs `creator` (the
    /// creating thread's list; any list outside the scheduler).
    pub fn new(
        program: Arc<Program>,
        func: FuncIdx,
        args: &[Value],
        stack_size: usize,
        creator: &AllocList,
    ) -> Result<ThreadState, StartError> {
        let f = &program.module.functions[func.0 as usize];
        if args.len() != f.params as usize {
            return Err(StartError::WrongArgCount {
                function: f.name.clone(),
                expected: f.params,
                got: args.len(),
            });
        }
        let needed = f.locals as usize + f.max_stack as usize + 1;
        let needed_bytes = needed * SLOT_BYTES + FRAME_BYTES;
        if needed_bytes > stack_size {
            return Err(StartError::StackTooSmall {
                needed: needed_bytes,
                limit: stack_size,
            });
        }
        let slots = needed.max(INITIAL_SLOTS.min(stack_size / SLOT_BYTES));
        let charged = slots * SLOT_BYTES + FRAME_BYTES;
        if !program.heap.charge(creator, charged) {
            return Err(StartError::OutOfMemory { bytes: charged });
        }
        let mut values = vec![Value::Null; slots];
        values[..args.len()].copy_from_slice(args);
        let sp = f.locals as usize;
        log::debug!("thread started in `{}`", f.name);
        let frames = vec![Frame::new(&program, func.0, 0, 0)];
        Ok(ThreadState {
            program,
            values,
            frames,
            sp,
            stack_limit: stack_size,
            charged,
            allocs: AllocList::new(),
            trace: false,
            general_path_only: false,
            cur_func: func.0,
            cur_code: std::ptr::null(),
            sched: crate::threads::SchedLink::default(),
        })
    }

    /// The program this thread runs.
    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// True once the bottom frame has returned or an exception escaped.
    pub fn is_finished(&self) -> bool {
        self.frames.is_empty()
    }

    /// The frames, innermost last (valid between slices).
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// The live values: every local and operand of every frame (valid
    /// between slices). These are the thread's roots for a collector.
    pub fn live_values(&self) -> &[Value] {
        &self.values[..self.sp]
    }

    /// Number of objects this thread has allocated (still on its list).
    pub fn allocated_objects(&self) -> usize {
        self.allocs.len()
    }

    /// Bytes of VM stack reserved (values and frames), as counted against
    /// the stack limit.
    pub fn reserved_stack_bytes(&self) -> usize {
        self.values.len() * SLOT_BYTES + self.frames.capacity() * FRAME_BYTES
    }

    /// Whether a stack of `slots` values and `frames` frames fits the limit.
    #[inline(always)]
    pub(crate) fn fits(&self, slots: usize, frames: usize) -> bool {
        slots * SLOT_BYTES + frames * FRAME_BYTES <= self.stack_limit
    }

    /// Makes room for at least `slots` values and `frames` frames (each
    /// doubling, capped by the stack limit), counting the new bytes against
    /// the heap limit. The caller has checked [`ThreadState::fits`].
    /// Invalidates raw pointers into `values`, even when it fails (then the
    /// heap limit or the host refused, and nothing is counted for the part
    /// that failed).
    #[cold]
    #[inline(never)]
    pub(crate) fn grow(&mut self, slots: usize, frames: usize) -> Result<(), OutOfMemory> {
        let len = self.values.len();
        if slots > len {
            let cap = (self.stack_limit / SLOT_BYTES).max(slots);
            let new_len = (len * 2).max(slots).min(cap);
            let more = new_len - len;
            self.reserve_charged(more * SLOT_BYTES, |t| {
                t.values.try_reserve_exact(more).is_ok()
            })?;
            self.values.resize(new_len, Value::Null);
        }
        let capacity = self.frames.capacity();
        if frames > capacity {
            let cap = (self.stack_limit / FRAME_BYTES).max(frames);
            let more = (capacity * 2).max(frames).min(cap) - self.frames.len();
            let bytes = (self.frames.len() + more - capacity) * FRAME_BYTES;
            self.reserve_charged(bytes, |t| t.frames.try_reserve_exact(more).is_ok())?;
        }
        Ok(())
    }

    /// Counts `bytes` against the heap limit, then runs `reserve`; undoes
    /// the count if it fails.
    fn reserve_charged(
        &mut self,
        bytes: usize,
        reserve: impl FnOnce(&mut ThreadState) -> bool,
    ) -> Result<(), OutOfMemory> {
        let refused = OutOfMemory { requested: bytes };
        if !self.program.heap.charge(&self.allocs, bytes) {
            return Err(refused);
        }
        if !reserve(self) {
            self.program.heap.uncharge(&self.allocs, bytes);
            return Err(refused);
        }
        self.charged += bytes;
        Ok(())
    }

    /// Allocates a string on this thread's allocation list.
    pub fn alloc_string(&mut self, s: &str) -> Result<Ref, OutOfMemory> {
        self.program.heap.alloc_string(&mut self.allocs, s)
    }

    /// Allocates an array on this thread's allocation list.
    pub fn alloc_array(&mut self, elem: ValueType, len: usize) -> Result<Ref, OutOfMemory> {
        self.program.heap.alloc_array(&mut self.allocs, elem, len)
    }
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        self.program.heap.uncharge(&self.allocs, self.charged);
        let list = std::mem::take(&mut self.allocs);
        self.program.heap.retire(list);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{Function, Module};
    use crate::program::LinkOptions;

    fn program_with(f: Function) -> Arc<Program> {
        let module = Module {
            functions: vec![f],
            ..Module::default()
        };
        let opts = LinkOptions {
            max_heap: 1 << 20,
            output: crate::output::Output::capture(),
            ..LinkOptions::default()
        };
        Arc::new(Program::link(module, opts).unwrap())
    }

    fn func(params: u16, locals: u16, max_stack: u16) -> Function {
        Function {
            name: "f".into(),
            params,
            locals,
            returns_value: false,
            max_stack,
            local_names: vec![],
            code: vec![crate::isa::Instruction::Return],
            handlers: vec![],
            lines: vec![],
        }
    }

    #[test]
    fn a_new_thread_is_small_and_holds_its_args() {
        let t = ThreadState::new(
            program_with(func(2, 3, 4)),
            FuncIdx(0),
            &[Value::Int(1), Value::Int(2)],
            DEFAULT_STACK_SIZE,
            &AllocList::new(),
        )
        .unwrap();
        assert!(matches!(
            t.live_values(),
            [Value::Int(1), Value::Int(2), Value::Null]
        ));
        assert!(t.reserved_stack_bytes() + std::mem::size_of::<ThreadState>() < 1024);
    }

    #[test]
    fn bad_starts_are_refused() {
        let p = program_with(func(1, 1, 1));
        assert!(matches!(
            ThreadState::new(
                p.clone(),
                FuncIdx(0),
                &[],
                DEFAULT_STACK_SIZE,
                &AllocList::new()
            ),
            Err(StartError::WrongArgCount { .. })
        ));
        assert!(matches!(
            ThreadState::new(p, FuncIdx(0), &[Value::Null], 8, &AllocList::new()),
            Err(StartError::StackTooSmall { .. })
        ));
    }

    #[test]
    fn stacks_are_counted_against_the_heap_until_dropped() {
        let p = program_with(func(0, 1, 1));
        let before = p.heap.allocated_bytes();
        let mut t = ThreadState::new(
            p.clone(),
            FuncIdx(0),
            &[],
            DEFAULT_STACK_SIZE,
            &AllocList::new(),
        )
        .unwrap();
        let first = p.heap.allocated_bytes() - before;
        assert!(first >= t.reserved_stack_bytes(), "{first} bytes counted");
        t.grow(1000, 100).unwrap();
        assert!(t.values.len() >= 1000 && t.frames.capacity() >= 100);
        let counted = p.heap.allocated_bytes() - before;
        assert_eq!(counted, t.reserved_stack_bytes());
        drop(t);
        assert_eq!(p.heap.allocated_bytes(), before);
    }

    #[test]
    fn a_stack_cannot_grow_past_the_heap_limit() {
        // program_with's heap holds 1 MiB; the stack limit allows 1 GiB.
        let p = program_with(func(0, 1, 1));
        let before = p.heap.allocated_bytes();
        let mut t =
            ThreadState::new(p.clone(), FuncIdx(0), &[], 1 << 30, &AllocList::new()).unwrap();
        let len = t.values.len();
        assert!(
            t.grow(1 << 20, 1).is_err(),
            "16 MiB of values fit a 1 MiB heap"
        );
        assert_eq!(t.values.len(), len, "a refused stack stays as it was");
        assert!(t.grow(1000, 1).is_ok(), "16 KB fit");
        drop(t);
        assert_eq!(p.heap.allocated_bytes(), before, "everything given back");
    }
}
