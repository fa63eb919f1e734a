//! The interpreter: runs one thread for a bounded slice of work.
//!
//! [`run`] executes a thread until it has spent `budget` units and returns
//! why it stopped ([`RunExit`]). The end of a slice is an instruction
//! boundary where the thread's state is fully synced (see
//! [`crate::thread_state`]): the scheduler preempts there and a collector
//! finds its safepoints there.
//!
//! The budget counts calls and taken branches, not instructions: every loop
//! iteration and every call costs at least one unit, so a slice is bounded
//! (at most `budget` units, each followed by straight-line code no longer
//! than a function), and the common path pays one decrement per call or
//! branch instead of one per instruction (measured: 25% faster on fib).
//!
//! Inside a slice, the current frame lives in "registers" (locals of the
//! loop): `ip` (the next instruction), `base` (pointer to local 0) and `sp`
//! (pointer one past the operand-stack top), raw pointers into the code and
//! `thread.values`, plus `thread.cur_func` / `thread.cur_code`; while running,
//! `thread.frames` holds only the callers. `sync_out!` pushes the registers
//! back into the thread (before throwing, calling a native, or leaving the
//! slice), `sync_in!` reloads them. `thread.values` only reallocates in
//! `ThreadState::grow` (at a call), after which
//! the pointers are recomputed.
//!
//! Two paths: [`fast_path::run_fast`] runs the common instructions with the
//! common operand types in a tight loop that makes no calls but to leaf
//! natives (so the registers stay in machine registers); on anything else it
//! stops before the instruction's effects and hands it to the general path
//! in `run_slice`, which implements every instruction in full (type errors,
//! exceptions, allocation, natives, stack growth). The general path alone is
//! a complete interpreter: the fast path only ever takes a shortcut it has
//! proven safe. A leaf native's block or throw, which the fast path cannot
//! complete, comes back as `FastExit::Native`/`Blocked` after the native ran.
//! With `--trace`, every instruction takes the general path, which logs it.
//!
//! Safety rests on the verifier (`verifier::verify`), which every module
//! passes before it is run. The rules relied on, cited as "V:" below:
//! - V-code: every branch/handler target is a valid pc and control never
//!   falls off the end of a function, so `pc < code.len()` at every fetch;
//! - V-stack: at every pc the operand-stack depth is fixed, at least what the
//!   instruction pops and at most `max_stack` after it pushes;
//! - V-index: locals, constants, functions, natives, classes, fields and
//!   statics named by operands exist;
//! - V-call: `call f` finds at least `f.params` values on the stack.
//!
//! Given those, and the call path reserving `locals + max_stack` slots for
//! every frame (plus one spare for a handler's exception), every `sp`/`base`
//! access below is in bounds.
//!
//! Types are dynamic: every instruction checks its operands' tags and throws
//! ClassCastException on a mismatch ("iadd: expected int, found string").
//! The dispatch loop never allocates or locks except in `new`, `newarray`,
//! the string instructions and natives.

use crate::exception::{self, Pending, Unwound};
use crate::heap::string as heap_string;
use crate::isa::Instruction;
use crate::natives::{NativeResult, ResolvedNative, MAX_NATIVE_ARITY};
use crate::program::Program;
use crate::thread_state::{Frame, ThreadState};
use crate::threads::{self, Wait};
use crate::value::{Ref, Value};

use fast_path::FastExit;
use operations::*;

/// Defines the macros that access the running frame through the register
/// variables named by the caller (`$d` is a literal `$`, for the inner
/// macros' own parameters):
/// `stack!()`, `index_of!(p)`, `jump!(t)`, `push!(v)`, `pop!()`,
/// `peek!(n)` (the value `n` below the top), `set_top!(v)`, `local!(l)`
/// (a `&mut` to a local), `operands!()` (the top two values, by reference,
/// so matching on them does not copy them).
///
/// SAFETY (for every access): V-stack guarantees the operand-stack depth
/// each instruction relies on, V-index that locals exist, and the call path
/// reserves `locals + max_stack + 1` slots for every frame; V-code that jump
/// targets are valid pcs of the current function (`thread.cur_code`).
macro_rules! frame_access {
    ($d:tt $thread:ident, $ip:ident, $sp:ident, $base:ident) => {
        // The start of `values` (reloaded when needed rather than kept in a
        // register).
        macro_rules! stack {
            () => {
                $thread.values.as_mut_ptr()
            };
        }
        // Index of a pointer into `values`.
        macro_rules! index_of {
                                    ($d p:expr) => {
                                        // SAFETY: both point into the same `values` buffer.
                                        unsafe { $d p.offset_from(stack!()) as usize }
                                    };
                                }
        macro_rules! jump {
                                    ($d t:expr) => {{
                                        // SAFETY: V-code: the target is a valid pc of this function.
                                        $ip = unsafe { $thread.cur_code.add($d t.0 as usize) };
                                    }};
                                }
        macro_rules! push {
                                    ($d v:expr) => {{
                                        let v = $d v;
                                        // SAFETY: V-stack: room for one more value.
                                        unsafe {
                                            $sp.write(v);
                                            $sp = $sp.add(1);
                                        }
                                    }};
                                }
        macro_rules! pop {
            () => {
                // SAFETY: V-stack: at least one value.
                unsafe {
                    $sp = $sp.sub(1);
                    *$sp
                }
            };
        }
        macro_rules! peek {
                                    ($d n:expr) => {
                                        // SAFETY: V-stack: at least n + 1 values.
                                        unsafe { *$sp.sub($d n + 1) }
                                    };
                                }
        macro_rules! set_top {
                                    ($d v:expr) => {{
                                        let v = $d v;
                                        // SAFETY: V-stack: at least one value.
                                        unsafe { *$sp.sub(1) = v };
                                    }};
                                }
        macro_rules! local {
                                    ($d l:expr) => {
                                        // SAFETY: V-index: the local exists; locals start at `base`.
                                        unsafe { &mut *$base.add($d l as usize) }
                                    };
                                }
        macro_rules! operands {
            () => {
                // SAFETY: V-stack: two operands.
                unsafe { (&*$sp.sub(2), &*$sp.sub(1)) }
            };
        }
    };
}

mod fast_path;
pub mod fuse;
mod operations;

/// Copies a value as two 8-byte halves rather than one 16-byte move. A value
/// is often written as two separate 8-byte stores just before it is copied
/// (`iinc` stores only the payload, a new `Value::Int` or a decoded static
/// its tag and payload apart), and a 16-byte load spanning stores still in
/// the store buffer cannot be forwarded from them: a stall of ~5 ns (seen
/// in ping-pong as `iinc i 1` .. `load i`, and `getstatic` before a
/// native's argument copy). Volatile, so the halves are not merged back.
///
/// # Safety
/// `src` is a valid, aligned value; `dst` is valid and aligned for writes.
#[inline(always)]
pub(crate) unsafe fn copy_value(dst: *mut Value, src: *const Value) {
    use std::mem::MaybeUninit;
    let (dst, src) = (
        dst.cast::<MaybeUninit<u64>>(),
        src.cast::<MaybeUninit<u64>>(),
    );
    // SAFETY: a `Value` is 16 bytes, 8-aligned; both halves are in bounds.
    // `MaybeUninit` carries any bytes (a null's payload is uninitialised).
    unsafe {
        let (lo, hi) = (src.read_volatile(), src.add(1).read_volatile());
        dst.write_volatile(lo);
        dst.add(1).write_volatile(hi);
    }
}

/// Why [`run`] returned.
#[derive(Debug)]
pub enum RunExit {
    /// The budget ran out at an instruction boundary; call `run` again to go on.
    BudgetSpent,
    /// The thread waits (join, sleep, park, yield) at an instruction
    /// boundary, its whole state in its VM stack; run it again when woken.
    Blocked(Wait),
    /// The bottom frame returned, with its value if it returns one; the
    /// thread is over.
    Finished(Option<Value>),
    /// An exception escaped every frame (it is the value); the thread is over.
    Threw(Ref),
}

/// Runs `thread` until it has made `budget` calls and taken branches (see
/// the module docs), it ends, or it blocks. `budget == 0` returns
/// `BudgetSpent` at once; calling it on a finished thread returns
/// `Finished(None)`.
#[inline]
pub fn run(thread: &mut ThreadState, budget: u32) -> RunExit {
    if budget == 0 {
        return if thread.frames.is_empty() {
            RunExit::Finished(None)
        } else {
            RunExit::BudgetSpent
        };
    }
    // SAFETY: as in `run_slice`: the `Arc` in `thread.program` outlives this
    // call and is never reassigned.
    let program: &Program = unsafe { &*std::sync::Arc::as_ptr(&thread.program) };
    let mut regs = Registers {
        ip: std::ptr::null(),
        sp: std::ptr::null_mut(),
        base: std::ptr::null_mut(),
        budget,
    };
    if !enter(thread, program, &mut regs) {
        return RunExit::Finished(None);
    }
    if (thread.trace && log::log_enabled!(log::Level::Trace)) || thread.general_path_only {
        return run_slice::<true>(thread, regs, None);
    }
    // The common case takes the fast path first and needs the general path
    // only for what the fast path hands it: a slice that only runs common
    // instructions and blocks in a leaf native (a thread switch) never
    // enters `run_slice`.
    match fast_path::run_fast(thread, program, &mut regs) {
        // Rebuilt rather than moved: see `Wait::rebuilt` (moving it whole
        // costs a store-forwarding stall per switch).
        FastExit::Left(RunExit::Blocked(ref wait)) => RunExit::Blocked(wait.rebuilt()),
        FastExit::Left(exit) => exit,
        exit => run_slice::<false>(thread, regs, Some(exit)),
    }
}

/// Starts a slice: pops the top frame into `regs` (while running,
/// `thread.frames` holds only the callers) and sets `cur_func`/`cur_code`.
/// False if the thread has no frame left. (Written field by field into the
/// caller's registers: building a `Registers` here and moving it costs a
/// store-forwarding stall, as in `copy_value`.)
#[inline(always)]
fn enter(thread: &mut ThreadState, program: &Program, regs: &mut Registers) -> bool {
    let Some(top) = thread.frames.pop() else {
        return false;
    };
    thread.cur_func = top.func;
    thread.cur_code = program.module.functions[top.func as usize].code.as_ptr();
    let stack = thread.values.as_mut_ptr();
    regs.ip = top.ip;
    // SAFETY: `top.base` and `thread.sp` index into `values` (thread
    // invariants between slices).
    unsafe {
        regs.sp = stack.add(thread.sp);
        regs.base = stack.add(top.base as usize);
    }
    true
}

/// Ends a slice at an instruction boundary: pushes the registers back into
/// the thread as its top frame.
#[inline(always)]
fn leave(thread: &mut ThreadState, regs: &Registers) {
    let stack = thread.values.as_mut_ptr();
    // SAFETY: both pointers point into `values`.
    let (base, sp) = unsafe {
        (
            regs.base.offset_from(stack) as usize,
            regs.sp.offset_from(stack) as usize,
        )
    };
    thread.sp = sp;
    thread.frames.push(Frame {
        func: thread.cur_func,
        base: base as u32,
        ip: regs.ip,
    });
}

/// The running frame's registers, handed to and from the fast path.
#[derive(Clone, Copy)]
pub(crate) struct Registers {
    pub ip: *const Instruction,
    pub sp: *mut Value,
    pub base: *mut Value,
    pub budget: u32,
}

/// The general path, and the driver while it is needed; `TRACE` logs every
/// instruction (a separate copy of the loop, so tracing costs nothing when
/// off). Entered by [`run`] with the registers of the running frame, and
/// with `first`, the fast path's exit that needs it (`None` when tracing).
#[allow(unused_unsafe)]
fn run_slice<const TRACE: bool>(
    thread: &mut ThreadState,
    regs: Registers,
    mut first: Option<FastExit>,
) -> RunExit {
    // SAFETY: `thread.program` is set when the thread is created and never
    // reassigned (see `ThreadState::program`), and its `Arc` keeps the
    // program alive while the thread lives, which outlasts this call (we
    // hold `&mut thread` throughout). Borrowing through a raw pointer
    // instead of cloning the `Arc` saves two atomic read-modify-writes per
    // slice (measured: 12% of a ping-pong switch).
    let program: &Program = unsafe { &*std::sync::Arc::as_ptr(&thread.program) };
    let functions = &program.module.functions[..];

    let Registers {
        mut ip,
        mut sp,
        mut base,
        mut budget,
    } = regs;
    frame_access!($ thread, ip, sp, base);

    // Puts the registers back into the thread (current frame last).
    macro_rules! sync_out {
        () => {{
            let frame = Frame {
                func: thread.cur_func,
                base: index_of!(base) as u32,
                ip,
            };
            thread.sp = index_of!(sp);
            thread.frames.push(frame);
        }};
    }
    // Reloads the registers from the thread (pops the current frame).
    macro_rules! sync_in {
        () => {{
            let Some(top) = thread.frames.pop() else {
                return RunExit::Finished(None);
            };
            thread.cur_func = top.func;
            ip = top.ip;
            thread.cur_code = functions[top.func as usize].code.as_ptr();
            // SAFETY: synced indices are within `values` (thread invariants).
            base = unsafe { stack!().add(top.base as usize) };
            sp = unsafe { stack!().add(thread.sp) };
        }};
    }
    // A taken branch: jumps and charges one budget unit.
    macro_rules! taken {
        ($t:expr) => {{
            jump!($t);
            budget = budget.saturating_sub(1);
        }};
    }
    // Unwraps a `Result<_, Pending>` or throws.
    macro_rules! attempt {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(p) => throw!(p),
            }
        };
    }
    macro_rules! int_binop {
        ($name:literal, |$a:ident, $b:ident| $e:expr) => {{
            let (lhs, rhs) = operands!();
            match (lhs, rhs) {
                (&Value::Int($a), &Value::Int($b)) => {
                    let r = $e;
                    sp = unsafe { sp.sub(1) };
                    set_top!(Value::Int(r));
                }
                _ => throw!(operand_error(program, $name, "int", *lhs, *rhs)),
            }
        }};
    }
    macro_rules! int_divop {
        ($name:literal, |$a:ident, $b:ident| $e:expr) => {{
            let (lhs, rhs) = operands!();
            match (lhs, rhs) {
                (&Value::Int(_), &Value::Int(0)) => throw!(Pending::divide_by_zero()),
                (&Value::Int($a), &Value::Int($b)) => {
                    let r = $e;
                    sp = unsafe { sp.sub(1) };
                    set_top!(Value::Int(r));
                }
                _ => throw!(operand_error(program, $name, "int", *lhs, *rhs)),
            }
        }};
    }
    macro_rules! float_binop {
        ($name:literal, |$a:ident, $b:ident| $e:expr) => {{
            let (lhs, rhs) = operands!();
            match (lhs, rhs) {
                (&Value::Float($a), &Value::Float($b)) => {
                    let r = $e;
                    sp = unsafe { sp.sub(1) };
                    set_top!(r);
                }
                _ => throw!(operand_error(program, $name, "float", *lhs, *rhs)),
            }
        }};
    }
    macro_rules! if_int {
        ($name:literal, $t:expr, |$a:ident| $cond:expr) => {{
            sp = unsafe { sp.sub(1) };
            // SAFETY: V-stack: one operand (just popped; still in place).
            match unsafe { &*sp } {
                &Value::Int($a) => {
                    if $cond {
                        taken!($t);
                    }
                }
                x => throw!(Pending::wrong_type(program, $name, "int", *x)),
            }
        }};
    }
    macro_rules! if_icmp {
        ($name:literal, $t:expr, |$a:ident, $b:ident| $cond:expr) => {{
            let (lhs, rhs) = operands!();
            sp = unsafe { sp.sub(2) };
            match (lhs, rhs) {
                (&Value::Int($a), &Value::Int($b)) => {
                    if $cond {
                        taken!($t);
                    }
                }
                _ => throw!(operand_error(program, $name, "int", *lhs, *rhs)),
            }
        }};
    }

    'run: loop {
        // The next instruction for the general path: from the fast path, or
        // (when tracing) fetched here.
        let exit = if TRACE {
            // SAFETY: V-code: `ip` points at a valid instruction.
            let insn = unsafe { *ip };
            ip = unsafe { ip.add(1) };
            FastExit::Slow(insn)
        } else if let Some(exit) = first.take() {
            exit
        } else {
            let mut regs = Registers {
                ip,
                sp,
                base,
                budget,
            };
            let exit = fast_path::run_fast(thread, program, &mut regs);
            (ip, sp, base, budget) = (regs.ip, regs.sp, regs.base, regs.budget);
            exit
        };

        // ---- the general path: every instruction, in full ----
        let pending: Pending = 'dispatch: {
            // Throws a `Pending` from the current instruction: leaves the
            // dispatch block for the one shared throw path below it.
            macro_rules! throw {
                ($pending:expr) => {
                    break 'dispatch $pending
                };
            }
            // Completes a `callnative` (`ip` past it, its `arity` arguments
            // still on the stack) whose native returned `result`.
            macro_rules! native_done {
                ($native:expr, $result:expr) => {{
                    let native: ResolvedNative = $native;
                    let arity = (native.sig.arity as usize).min(MAX_NATIVE_ARITY);
                    let result: NativeResult = $result;
                    if let NativeResult::Block { wait, retry } = result {
                        if retry {
                            // Run this `callnative` again when woken; its
                            // arguments are still on the stack.
                            ip = unsafe { ip.sub(1) };
                        } else {
                            sp = unsafe { sp.sub(arity) };
                            if native.sig.returns_value {
                                push!(Value::Null);
                            }
                        }
                        sync_out!();
                        return RunExit::Blocked(wait);
                    }
                    sp = unsafe { sp.sub(arity) };
                    match result {
                        NativeResult::Return(v) if native.sig.returns_value => push!(v),
                        NativeResult::Void if native.sig.returns_value => push!(Value::Null),
                        NativeResult::Return(_) | NativeResult::Void => {}
                        NativeResult::Throw(p) => throw!(p),
                        NativeResult::Block { .. } => {}
                    }
                }};
            }
            let insn = match exit {
                // An internal (fused) instruction runs here as the one it
                // stands in for; the rest of its sequence follows it.
                FastExit::Slow(insn) => insn.unfused(),
                FastExit::Left(exit) => return exit,
                FastExit::Native(done) => {
                    let (native, result) = *done;
                    native_done!(native, result);
                    continue 'run;
                }
            };
            if TRACE {
                // SAFETY: `ip` is one past the current instruction.
                let pc = unsafe { ip.offset_from(thread.cur_code) } as usize - 1;
                let locals = functions[thread.cur_func as usize].locals as usize;
                let depth = index_of!(sp) - index_of!(base) - locals;
                let whereabouts = thread.sched.whereabouts();
                trace_instruction(program, whereabouts, thread.cur_func, pc, insn, depth);
            }
            match insn {
                // ---- constants ----
                Instruction::Nop => {}
                Instruction::AConstNull => push!(Value::Null),
                Instruction::IConst(n) => push!(Value::Int(n as i64)),
                // SAFETY: V-index: the constant exists.
                Instruction::Ldc(c) => {
                    push!(unsafe { *program.constants.get_unchecked(c.0 as usize) })
                }

                // ---- locals and the operand stack ----
                Instruction::Load(l) => push!(*local!(l.0)),
                Instruction::Store(l) => *local!(l.0) = pop!(),
                Instruction::IInc(op) => match local!(op.local.0) {
                    Value::Int(i) => *i = i.wrapping_add(op.delta as i64),
                    other => {
                        let found = *other;
                        throw!(Pending::wrong_type(program, "iinc", "int", found))
                    }
                },
                Instruction::Pop => sp = unsafe { sp.sub(1) },
                Instruction::Dup => push!(peek!(0)),
                Instruction::DupX1 => {
                    let (b, a) = (peek!(1), peek!(0));
                    unsafe {
                        *sp.sub(2) = a;
                        *sp.sub(1) = b;
                    }
                    push!(a);
                }
                Instruction::Dup2 => {
                    let (b, a) = (peek!(1), peek!(0));
                    push!(b);
                    push!(a);
                }
                Instruction::Swap => {
                    let (b, a) = (peek!(1), peek!(0));
                    unsafe {
                        *sp.sub(2) = a;
                        *sp.sub(1) = b;
                    }
                }

                // ---- integer arithmetic ----
                Instruction::IAdd => int_binop!("iadd", |a, b| a.wrapping_add(b)),
                Instruction::ISub => int_binop!("isub", |a, b| a.wrapping_sub(b)),
                Instruction::IMul => int_binop!("imul", |a, b| a.wrapping_mul(b)),
                Instruction::IDiv => int_divop!("idiv", |a, b| a.wrapping_div(b)),
                Instruction::IRem => int_divop!("irem", |a, b| a.wrapping_rem(b)),
                Instruction::INeg => match peek!(0) {
                    Value::Int(a) => set_top!(Value::Int(a.wrapping_neg())),
                    x => throw!(Pending::wrong_type(program, "ineg", "int", x)),
                },
                Instruction::IAnd => int_binop!("iand", |a, b| a & b),
                Instruction::IOr => int_binop!("ior", |a, b| a | b),
                Instruction::IXor => int_binop!("ixor", |a, b| a ^ b),
                Instruction::IShl => int_binop!("ishl", |a, b| a.wrapping_shl(b as u32 & 63)),
                Instruction::IShr => int_binop!("ishr", |a, b| a.wrapping_shr(b as u32 & 63)),
                Instruction::IUShr => {
                    int_binop!("iushr", |a, b| ((a as u64) >> (b as u32 & 63)) as i64)
                }
                Instruction::ICmp => int_binop!("icmp", |a, b| a.cmp(&b) as i64),

                // ---- float arithmetic ----
                Instruction::FAdd => float_binop!("fadd", |a, b| Value::Float(a + b)),
                Instruction::FSub => float_binop!("fsub", |a, b| Value::Float(a - b)),
                Instruction::FMul => float_binop!("fmul", |a, b| Value::Float(a * b)),
                Instruction::FDiv => float_binop!("fdiv", |a, b| Value::Float(a / b)),
                Instruction::FRem => float_binop!("frem", |a, b| Value::Float(a % b)),
                Instruction::FNeg => match peek!(0) {
                    Value::Float(a) => set_top!(Value::Float(-a)),
                    x => throw!(Pending::wrong_type(program, "fneg", "float", x)),
                },
                Instruction::FCmpL => float_binop!("fcmpl", |a, b| Value::Int(fcmp(a, b, -1))),
                Instruction::FCmpG => float_binop!("fcmpg", |a, b| Value::Int(fcmp(a, b, 1))),

                // ---- conversions ----
                Instruction::I2F => match peek!(0) {
                    Value::Int(a) => set_top!(Value::Float(a as f64)),
                    x => throw!(Pending::wrong_type(program, "i2f", "int", x)),
                },
                // `as` truncates toward zero, saturates, and maps NaN to 0.
                Instruction::F2I => match peek!(0) {
                    Value::Float(a) => set_top!(Value::Int(a as i64)),
                    x => throw!(Pending::wrong_type(program, "f2i", "float", x)),
                },

                // ---- branches ----
                Instruction::Goto(t) => taken!(t),
                Instruction::IfEq(t) => if_int!("ifeq", t, |a| a == 0),
                Instruction::IfNe(t) => if_int!("ifne", t, |a| a != 0),
                Instruction::IfLt(t) => if_int!("iflt", t, |a| a < 0),
                Instruction::IfGe(t) => if_int!("ifge", t, |a| a >= 0),
                Instruction::IfGt(t) => if_int!("ifgt", t, |a| a > 0),
                Instruction::IfLe(t) => if_int!("ifle", t, |a| a <= 0),
                Instruction::IfICmpEq(t) => if_icmp!("if_icmpeq", t, |a, b| a == b),
                Instruction::IfICmpNe(t) => if_icmp!("if_icmpne", t, |a, b| a != b),
                Instruction::IfICmpLt(t) => if_icmp!("if_icmplt", t, |a, b| a < b),
                Instruction::IfICmpGe(t) => if_icmp!("if_icmpge", t, |a, b| a >= b),
                Instruction::IfICmpGt(t) => if_icmp!("if_icmpgt", t, |a, b| a > b),
                Instruction::IfICmpLe(t) => if_icmp!("if_icmple", t, |a, b| a <= b),
                Instruction::IfACmpEq(t) => {
                    let (b, a) = (pop!(), pop!());
                    if a.same_as(b) {
                        taken!(t);
                    }
                }
                Instruction::IfACmpNe(t) => {
                    let (b, a) = (pop!(), pop!());
                    if !a.same_as(b) {
                        taken!(t);
                    }
                }
                Instruction::IfNull(t) => {
                    if pop!().is_null() {
                        taken!(t);
                    }
                }
                Instruction::IfNonNull(t) => {
                    if !pop!().is_null() {
                        taken!(t);
                    }
                }

                // ---- calls ----
                Instruction::Call(f) => {
                    // SAFETY: V-index: the function exists.
                    let callee = unsafe { functions.get_unchecked(f.0 as usize) };
                    let params = callee.params as usize;
                    let locals = callee.locals as usize;
                    // V-call: the arguments are the top `params` values.
                    let new_base_idx = index_of!(sp) - params;
                    // One spare slot so a handler can always push its exception.
                    let top_idx = new_base_idx + locals + callee.max_stack as usize + 1;
                    // The caller's frame and, when the slice ends, the callee's.
                    let depth = thread.frames.len() + 2;
                    if top_idx > thread.values.len()
                        || depth > thread.frames.capacity()
                        || !thread.fits(top_idx, depth)
                    {
                        if !thread.fits(top_idx, depth) {
                            throw!(Pending::stack_overflow());
                        }
                        let (base_idx, sp_idx) = (index_of!(base), index_of!(sp));
                        let grown = thread.grow(top_idx, depth);
                        // SAFETY: same indices, new buffer (at least as long).
                        unsafe { (base, sp) = (stack!().add(base_idx), stack!().add(sp_idx)) };
                        if grown.is_err() {
                            throw!(Pending::stack_out_of_memory());
                        }
                    }
                    thread.frames.push(Frame {
                        func: thread.cur_func,
                        base: index_of!(base) as u32,
                        ip,
                    });
                    // SAFETY: `top_idx <= values.len()` was ensured above.
                    unsafe {
                        base = stack!().add(new_base_idx);
                        let mut l = params;
                        while l < locals {
                            base.add(l).write(Value::Null);
                            l += 1;
                        }
                        sp = base.add(locals);
                    }
                    thread.cur_func = f.0;
                    ip = callee.code.as_ptr();
                    thread.cur_code = ip;
                    budget = budget.saturating_sub(1);
                }
                Instruction::CallNative(n) => {
                    // SAFETY: V-index: the native exists.
                    let native = unsafe { *program.natives.get_unchecked(n.0 as usize) };
                    let arity = (native.sig.arity as usize).min(MAX_NATIVE_ARITY);
                    let mut args = [Value::Null; MAX_NATIVE_ARITY];
                    for (i, a) in args[..arity].iter_mut().enumerate() {
                        // SAFETY: V-stack: `arity` arguments on the stack.
                        unsafe { copy_value(a, sp.sub(arity - i)) };
                    }
                    // The native may look at the whole (synced) thread.
                    sync_out!();
                    let result = (native.imp)(thread, &args[..arity]);
                    sync_in!();
                    native_done!(native, result);
                }
                Instruction::NewThread(f) | Instruction::Spawn(f) => {
                    // SAFETY: V-index: the function exists.
                    let params = unsafe { functions.get_unchecked(f.0 as usize) }.params as usize;
                    // V-call: the arguments are the top `params` values; they
                    // stay on this stack (visible to a collector) until the
                    // new thread has its own copy.
                    let first = index_of!(sp) - params;
                    let args: Vec<Value> = thread.values[first..first + params].to_vec();
                    sync_out!();
                    let start = matches!(insn, Instruction::Spawn(_));
                    let created = threads::natives::create_thread(thread, f, &args, start);
                    sync_in!();
                    sp = unsafe { sp.sub(params) };
                    push!(attempt!(created));
                }
                Instruction::Return => {
                    sp = base;
                    match thread.frames.pop() {
                        Some(caller) => {
                            thread.cur_func = caller.func;
                            // SAFETY: frames only name existing functions.
                            thread.cur_code =
                                unsafe { functions.get_unchecked(caller.func as usize) }
                                    .code
                                    .as_ptr();
                            ip = caller.ip;
                            base = unsafe { stack!().add(caller.base as usize) };
                        }
                        None => return finish(thread, None),
                    }
                }
                Instruction::VReturn => {
                    let result = peek!(0);
                    sp = base;
                    match thread.frames.pop() {
                        Some(caller) => {
                            thread.cur_func = caller.func;
                            // SAFETY: frames only name existing functions.
                            thread.cur_code =
                                unsafe { functions.get_unchecked(caller.func as usize) }
                                    .code
                                    .as_ptr();
                            ip = caller.ip;
                            base = unsafe { stack!().add(caller.base as usize) };
                            push!(result);
                        }
                        None => return finish(thread, Some(result)),
                    }
                }

                // ---- objects ----
                Instruction::New(c) => {
                    let r = attempt!(new_instance(thread, program, c));
                    push!(Value::Ref(r));
                }
                Instruction::GetField(f) => {
                    let v = attempt!(get_field(program, f, peek!(0)));
                    set_top!(v);
                }
                Instruction::PutField(f) => {
                    let value = pop!();
                    let obj = pop!();
                    attempt!(put_field(program, f, obj, value));
                }
                Instruction::InstanceOf(c) => {
                    set_top!(Value::Int(program.is_instance_of(peek!(0), c) as i64))
                }
                Instruction::CheckCast(c) => {
                    let v = peek!(0);
                    if !v.is_null() && !program.is_instance_of(v, c) {
                        throw!(Pending::class_cast(format!(
                            "{} cannot be cast to {}",
                            program.type_name(v),
                            program.class(c).name
                        )));
                    }
                }
                Instruction::GetStatic(s) => push!(program.load_static(s.0 as usize)),
                Instruction::PutStatic(s) => {
                    let v = pop!();
                    if !program.store_static(s.0 as usize, v) {
                        throw!(static_type_error(program, s.0 as usize, v));
                    }
                }

                // ---- arrays ----
                Instruction::NewArray(ty) => {
                    let r = attempt!(new_array(thread, program, ty, peek!(0)));
                    set_top!(Value::Ref(r));
                }
                Instruction::ArrLoad => {
                    let index = pop!();
                    let v = attempt!(array_load(program, peek!(0), index));
                    set_top!(v);
                }
                Instruction::ArrStore => {
                    let v = pop!();
                    let index = pop!();
                    let array = pop!();
                    attempt!(array_store(program, array, index, v));
                }
                Instruction::ArrLen => match peek!(0) {
                    Value::Ref(r) if r.array_elem_type().is_some() => {
                        set_top!(Value::Int(r.slots().len() as i64))
                    }
                    Value::Null => throw!(Pending::null_pointer("arrlen: array is null")),
                    x => throw!(Pending::wrong_type(program, "arrlen", "array", x)),
                },

                // ---- strings ----
                Instruction::SConcat => {
                    let b = pop!();
                    let v = attempt!(string_concat(thread, program, peek!(0), b));
                    set_top!(v);
                }
                Instruction::SLen => {
                    let s = attempt!(string_operand(program, "slen", peek!(0)));
                    set_top!(Value::Int(s.str_char_count().unwrap_or(0) as i64));
                }
                Instruction::SCharAt => {
                    let index = pop!();
                    let v = attempt!(string_char_at(program, peek!(0), index));
                    set_top!(v);
                }
                Instruction::SSubstr => {
                    let end = pop!();
                    let begin = pop!();
                    let v = attempt!(string_substring(thread, program, peek!(0), begin, end));
                    set_top!(v);
                }
                Instruction::ToStr => {
                    let v = attempt!(to_string(thread, program, peek!(0)));
                    set_top!(v);
                }
                Instruction::Chr => {
                    let v = attempt!(chr(thread, program, peek!(0)));
                    set_top!(v);
                }
                Instruction::SCmp => {
                    let b = pop!();
                    let a = peek!(0);
                    let sa = attempt!(string_operand(program, "scmp", a));
                    let sb = attempt!(string_operand(program, "scmp", b));
                    let ord =
                        heap_string::compare(sa.as_str().unwrap_or(""), sb.as_str().unwrap_or(""));
                    set_top!(Value::Int(ord));
                }

                // ---- exceptions ----
                Instruction::Throw => {
                    let exc = pop!();
                    throw!(throwable_operand(program, exc));
                }

                // ---- internal: unfused above ----
                Instruction::LoadLoadBranch(_)
                | Instruction::LoadConstBranch(_)
                | Instruction::GetStaticBranch(_)
                | Instruction::IIncGoto(_)
                | Instruction::ParkIntrinsic(_)
                | Instruction::UnparkIntrinsic(_) => {
                    unreachable!("internal instructions are unfused")
                }
            }
            if budget == 0 {
                sync_out!();
                return RunExit::BudgetSpent;
            }
            continue 'run;
        };
        // The shared throw path: find a handler or end the thread.
        sync_out!();
        match exception::throw(thread, pending) {
            Unwound::Handled => sync_in!(),
            Unwound::Uncaught(exc) => {
                log::debug!("thread ended by an uncaught exception");
                return RunExit::Threw(exc);
            }
        }
    }
}

/// The bottom frame returned: the thread is over.
#[cold]
fn finish(thread: &mut ThreadState, result: Option<Value>) -> RunExit {
    thread.sp = 0;
    log::debug!("thread finished");
    RunExit::Finished(result)
}

#[cold]
#[inline(never)]
fn trace_instruction(
    program: &Program,
    whereabouts: Option<(u64, usize)>,
    func: u32,
    pc: usize,
    insn: Instruction,
    depth: usize,
) {
    let name = program
        .module
        .functions
        .get(func as usize)
        .map_or("?", |f| f.name.as_str());
    match whereabouts {
        Some((thread, worker)) => {
            log::trace!(
                "thread {thread} on worker {worker}: {name}:{pc:<4} {insn:?} (stack depth {depth})"
            )
        }
        None => log::trace!("{name}:{pc:<4} {insn:?} (stack depth {depth})"),
    }
}

#[cfg(test)]
mod tests;
