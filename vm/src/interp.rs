//! The interpreter: runs one thread for a bounded number of instructions.
//!
//! [`run`] executes at most `budget` instructions of a thread and returns why
//! it stopped ([`RunExit`]). The end of a slice is an instruction boundary
//! where the thread's state is fully synced (see
//! [`crate::thread_state`]): the scheduler preempts there and a collector
//! finds its safepoints there.
//!
//! Inside a slice, the current frame lives in the loop's locals ("registers"):
//! `code` (the function's instructions), `pc` (the next instruction), `base`
//! (pointer to local 0) and `sp` (pointer one past the operand-stack top),
//! all raw pointers into `thread.values`; `thread.frames` then holds only the
//! callers. `sync_out!` pushes the registers back into the thread (before
//! throwing, calling a native, or leaving the slice), `sync_in!` reloads them.
//! `thread.values` only reallocates in `grow_values` (at a call, or when a
//! handler needs a slot), after which the pointers are recomputed.
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
//! Given those, and the call path reserving `locals + max_stack` slots for
//! every frame (plus one spare for a handler's exception), every `sp`/`base`
//! access below is in bounds.
//!
//! Types are dynamic: every instruction checks its operands' tags and throws
//! ClassCastException on a mismatch ("iadd: expected int, found string").
//! The dispatch loop never allocates or locks except in `new`, `newarray`,
//! the string instructions and natives.

use crate::builtin::{
    ILLEGAL_ARGUMENT_EXCEPTION, NEGATIVE_ARRAY_SIZE_EXCEPTION, STRING_INDEX_OUT_OF_BOUNDS_EXCEPTION,
};
use crate::display;
use crate::exception::{self, Pending, Unwound};
use crate::heap::array::{self as heap_array, ElementError};
use crate::heap::{slot, string as heap_string};
use crate::isa::{ClassIdx, FieldRef, Instruction, ValueType};
use crate::natives::{NativeResult, MAX_NATIVE_ARITY};
use crate::program::Program;
use crate::thread_state::{Frame, ThreadState};
use crate::value::{Ref, Value};

/// Why [`run`] returned.
#[derive(Debug)]
pub enum RunExit {
    /// The budget ran out at an instruction boundary; call `run` again to go on.
    BudgetSpent,
    /// Reserved for thread and monitor operations (next issue): the thread
    /// waits and must not be run until woken.
    Blocked,
    /// The bottom frame returned, with its value if it returns one; the
    /// thread is over.
    Finished(Option<Value>),
    /// An exception escaped every frame (it is the value); the thread is over.
    Threw(Ref),
}

/// Runs `thread` for at most `budget` instructions. Calling it on a finished
/// thread returns `Finished(None)`.
pub fn run(thread: &mut ThreadState, budget: u32) -> RunExit {
    if thread.frames.is_empty() {
        return RunExit::Finished(None);
    }
    if thread.trace {
        run_slice::<true>(thread, budget)
    } else {
        run_slice::<false>(thread, budget)
    }
}

/// The dispatch loop; `TRACE` logs every instruction (a separate copy of the
/// loop, so tracing costs nothing when off).
#[allow(unused_unsafe)]
fn run_slice<const TRACE: bool>(thread: &mut ThreadState, mut budget: u32) -> RunExit {
    let program_arc = thread.program.clone();
    let program: &Program = &program_arc;
    let functions = &program.module.functions[..];
    let constants = &program.constants[..];

    let Some(top) = thread.frames.pop() else {
        return RunExit::Finished(None);
    };
    let mut func_idx: u32 = top.func;
    let mut code = functions[func_idx as usize].code.as_ptr();
    let mut pc: usize = top.pc as usize;
    let mut stack: *mut Value = thread.values.as_mut_ptr();
    // SAFETY: `top.base` and `thread.sp` index into `values` (thread
    // invariants between slices).
    let mut base: *mut Value = unsafe { stack.add(top.base as usize) };
    let mut sp: *mut Value = unsafe { stack.add(thread.sp) };

    // Index of a pointer into `values`.
    macro_rules! index_of {
        ($p:expr) => {
            // SAFETY: `$p` and `stack` point into the same `values` buffer.
            unsafe { $p.offset_from(stack) as usize }
        };
    }
    // Puts the registers back into the thread (current frame last).
    macro_rules! sync_out {
        () => {{
            let frame = Frame {
                func: func_idx,
                pc: pc as u32,
                base: index_of!(base) as u32,
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
            func_idx = top.func;
            code = functions[func_idx as usize].code.as_ptr();
            pc = top.pc as usize;
            stack = thread.values.as_mut_ptr();
            // SAFETY: synced indices are within `values` (thread invariants).
            base = unsafe { stack.add(top.base as usize) };
            sp = unsafe { stack.add(thread.sp) };
        }};
    }
    // Throws a `Pending` from the current instruction.
    macro_rules! throw {
        ($pending:expr) => {{
            let pending = $pending;
            sync_out!();
            match exception::throw(thread, pending) {
                Unwound::Handled => {
                    sync_in!();
                    continue;
                }
                Unwound::Uncaught(exc) => {
                    log::debug!("thread ended by an uncaught exception");
                    return RunExit::Threw(exc);
                }
            }
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
    // SAFETY (for push/pop/peek): V-stack guarantees the depth, and the
    // frame has `max_stack` slots reserved after its locals.
    macro_rules! push {
        ($v:expr) => {{
            let v = $v;
            unsafe {
                sp.write(v);
                sp = sp.add(1);
            }
        }};
    }
    macro_rules! pop {
        () => {
            unsafe {
                sp = sp.sub(1);
                *sp
            }
        };
    }
    // The value `n` below the top (0 = top), as a place.
    macro_rules! peek {
        ($n:expr) => {
            unsafe { *sp.sub($n + 1) }
        };
    }
    macro_rules! set_top {
        ($v:expr) => {{
            let v = $v;
            unsafe { *sp.sub(1) = v };
        }};
    }
    // The current function (for the cold paths).
    macro_rules! local {
        ($l:expr) => {
            // SAFETY: V-index: the local exists; the frame's locals start at
            // `base`.
            unsafe { &mut *base.add($l as usize) }
        };
    }
    macro_rules! int_binop {
        ($name:literal, |$a:ident, $b:ident| $e:expr) => {{
            let rhs = peek!(0);
            let lhs = peek!(1);
            match (lhs, rhs) {
                (Value::Int($a), Value::Int($b)) => {
                    sp = unsafe { sp.sub(1) };
                    set_top!(Value::Int($e));
                }
                (x, y) => throw!(operand_error(program, $name, "int", x, y)),
            }
        }};
    }
    macro_rules! int_divop {
        ($name:literal, |$a:ident, $b:ident| $e:expr) => {{
            let rhs = peek!(0);
            let lhs = peek!(1);
            match (lhs, rhs) {
                (Value::Int(_), Value::Int(0)) => throw!(Pending::divide_by_zero()),
                (Value::Int($a), Value::Int($b)) => {
                    sp = unsafe { sp.sub(1) };
                    set_top!(Value::Int($e));
                }
                (x, y) => throw!(operand_error(program, $name, "int", x, y)),
            }
        }};
    }
    macro_rules! float_binop {
        ($name:literal, |$a:ident, $b:ident| $e:expr) => {{
            let rhs = peek!(0);
            let lhs = peek!(1);
            match (lhs, rhs) {
                (Value::Float($a), Value::Float($b)) => {
                    sp = unsafe { sp.sub(1) };
                    set_top!($e);
                }
                (x, y) => throw!(operand_error(program, $name, "float", x, y)),
            }
        }};
    }
    macro_rules! if_int {
        ($name:literal, $t:expr, |$a:ident| $cond:expr) => {{
            match pop!() {
                Value::Int($a) => {
                    if $cond {
                        pc = $t.0 as usize;
                    }
                }
                x => throw!(Pending::wrong_type(program, $name, "int", x)),
            }
        }};
    }
    macro_rules! if_icmp {
        ($name:literal, $t:expr, |$a:ident, $b:ident| $cond:expr) => {{
            let rhs = pop!();
            let lhs = pop!();
            match (lhs, rhs) {
                (Value::Int($a), Value::Int($b)) => {
                    if $cond {
                        pc = $t.0 as usize;
                    }
                }
                (x, y) => throw!(operand_error(program, $name, "int", x, y)),
            }
        }};
    }

    loop {
        if budget == 0 {
            sync_out!();
            return RunExit::BudgetSpent;
        }
        budget -= 1;
        // SAFETY: V-code: `pc` is a valid instruction index of this function.
        let insn = unsafe { *code.add(pc) };
        if TRACE {
            trace_instruction(program, func_idx, pc, insn, index_of!(sp) - index_of!(base));
        }
        pc += 1;
        match insn {
            // ---- constants ----
            Instruction::Nop => {}
            Instruction::AConstNull => push!(Value::Null),
            Instruction::IConst(n) => push!(Value::Int(n as i64)),
            // SAFETY: V-index: the constant exists.
            Instruction::Ldc(c) => push!(unsafe { *constants.get_unchecked(c.0 as usize) }),

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
            Instruction::Goto(t) => pc = t.0 as usize,
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
                    pc = t.0 as usize;
                }
            }
            Instruction::IfACmpNe(t) => {
                let (b, a) = (pop!(), pop!());
                if !a.same_as(b) {
                    pc = t.0 as usize;
                }
            }
            Instruction::IfNull(t) => {
                if pop!().is_null() {
                    pc = t.0 as usize;
                }
            }
            Instruction::IfNonNull(t) => {
                if !pop!().is_null() {
                    pc = t.0 as usize;
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
                if top_idx > thread.values.len() {
                    if !thread.fits(top_idx, thread.frames.len() + 2) {
                        throw!(Pending::stack_overflow());
                    }
                    let base_idx = index_of!(base);
                    thread.grow_values(top_idx);
                    stack = thread.values.as_mut_ptr();
                    // SAFETY: same index, new buffer (at least as long); `sp`
                    // is recomputed from `new_base_idx` below.
                    base = unsafe { stack.add(base_idx) };
                } else if !thread.fits(top_idx, thread.frames.len() + 2) {
                    throw!(Pending::stack_overflow());
                }
                thread.frames.push(Frame {
                    func: func_idx,
                    pc: pc as u32,
                    base: index_of!(base) as u32,
                });
                // SAFETY: `top_idx <= values.len()` was ensured above.
                unsafe {
                    base = stack.add(new_base_idx);
                    let mut l = params;
                    while l < locals {
                        base.add(l).write(Value::Null);
                        l += 1;
                    }
                    sp = base.add(locals);
                }
                func_idx = f.0;
                code = callee.code.as_ptr();
                pc = 0;
            }
            Instruction::CallNative(n) => {
                // SAFETY: V-index: the native exists.
                let native = unsafe { *program.natives.get_unchecked(n.0 as usize) };
                let arity = (native.sig.arity as usize).min(MAX_NATIVE_ARITY);
                let mut args = [Value::Null; MAX_NATIVE_ARITY];
                for (i, a) in args[..arity].iter_mut().enumerate() {
                    *a = peek!(arity - 1 - i);
                }
                // The native may look at the whole (synced) thread.
                sync_out!();
                let result = (native.imp)(thread, &args[..arity]);
                sync_in!();
                sp = unsafe { sp.sub(arity) };
                match result {
                    NativeResult::Return(v) if native.sig.returns_value => push!(v),
                    NativeResult::Void if native.sig.returns_value => push!(Value::Null),
                    NativeResult::Return(_) | NativeResult::Void => {}
                    NativeResult::Throw(p) => throw!(p),
                }
            }
            Instruction::Return => {
                sp = base;
                match thread.frames.pop() {
                    Some(caller) => {
                        func_idx = caller.func;
                        // SAFETY: frames only name existing functions.
                        code = unsafe { functions.get_unchecked(func_idx as usize) }
                            .code
                            .as_ptr();
                        pc = caller.pc as usize;
                        base = unsafe { stack.add(caller.base as usize) };
                    }
                    None => return finish(thread, None),
                }
            }
            Instruction::VReturn => {
                let result = peek!(0);
                sp = base;
                match thread.frames.pop() {
                    Some(caller) => {
                        func_idx = caller.func;
                        // SAFETY: frames only name existing functions.
                        code = unsafe { functions.get_unchecked(func_idx as usize) }
                            .code
                            .as_ptr();
                        pc = caller.pc as usize;
                        base = unsafe { stack.add(caller.base as usize) };
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
fn trace_instruction(program: &Program, func: u32, pc: usize, insn: Instruction, depth: usize) {
    let name = program
        .module
        .functions
        .get(func as usize)
        .map_or("?", |f| f.name.as_str());
    log::trace!("{name}:{pc:<4} {insn:?} (stack depth {depth})");
}

/// The ClassCastException for a two-operand instruction, naming the first
/// operand of the wrong type.
#[cold]
#[inline(never)]
fn operand_error(program: &Program, op: &str, expected: &str, a: Value, b: Value) -> Pending {
    let wrong = match (expected, a) {
        ("int", Value::Int(_)) | ("float", Value::Float(_)) => b,
        _ => a,
    };
    Pending::wrong_type(program, op, expected, wrong)
}

/// Float comparison: -1, 0, 1, or `nan` if either is NaN.
#[inline(always)]
fn fcmp(a: f64, b: f64, nan: i64) -> i64 {
    if a < b {
        -1
    } else if a > b {
        1
    } else if a == b {
        0
    } else {
        nan
    }
}

#[inline]
fn new_instance(
    thread: &mut ThreadState,
    program: &Program,
    class: ClassIdx,
) -> Result<Ref, Pending> {
    let slots = program.class(class).slot_count();
    program
        .heap
        .alloc_instance(&mut thread.allocs, class, slots)
        .map_err(|_| Pending::out_of_memory())
}

/// The object a field instruction works on, or the exception.
#[inline(always)]
fn field_object(program: &Program, op: &str, field: FieldRef, obj: Value) -> Result<Ref, Pending> {
    if let Value::Ref(r) = obj {
        if let Some(c) = r.class() {
            if c.0 == field.class as u32 || program.is_subclass(c, ClassIdx(field.class as u32)) {
                return Ok(r);
            }
        }
    }
    Err(field_object_error(program, op, field, obj))
}

#[cold]
#[inline(never)]
fn field_object_error(program: &Program, op: &str, field: FieldRef, obj: Value) -> Pending {
    let name = program.field_name(field);
    if obj.is_null() {
        let verb = if op == "getfield" { "read" } else { "write" };
        return Pending::null_pointer(format!("cannot {verb} field {name} of null"));
    }
    let class = &program.class(ClassIdx(field.class as u32)).name;
    Pending::class_cast(format!(
        "{op} {name}: expected {class}, found {}",
        program.type_name(obj)
    ))
}

#[inline(always)]
fn get_field(program: &Program, field: FieldRef, obj: Value) -> Result<Value, Pending> {
    let r = field_object(program, "getfield", field, obj)?;
    let (slot_idx, ty) = program.field_slot(field);
    // The object is a `field.class` (or subclass), whose layout has the slot.
    Ok(slot::load(&r.slots()[slot_idx], ty))
}

#[inline(always)]
fn put_field(program: &Program, field: FieldRef, obj: Value, value: Value) -> Result<(), Pending> {
    let r = field_object(program, "putfield", field, obj)?;
    let (slot_idx, ty) = program.field_slot(field);
    if slot::store(&r.slots()[slot_idx], ty, value) {
        Ok(())
    } else {
        Err(store_type_error(
            program,
            value,
            ty,
            &format!("field {}", program.field_name(field)),
        ))
    }
}

/// "cannot store string into int field Node.value"
#[cold]
#[inline(never)]
fn store_type_error(program: &Program, value: Value, ty: ValueType, place: &str) -> Pending {
    Pending::class_cast(format!(
        "cannot store {} into {ty} {place}",
        program.type_name(value)
    ))
}

#[cold]
#[inline(never)]
fn static_type_error(program: &Program, idx: usize, value: Value) -> Pending {
    let def = &program.module.statics[idx];
    store_type_error(program, value, def.ty, &format!("static {}", def.name))
}

#[inline]
fn new_array(
    thread: &mut ThreadState,
    program: &Program,
    ty: ValueType,
    len: Value,
) -> Result<Ref, Pending> {
    match len {
        Value::Int(n) if n < 0 => Err(Pending::new(NEGATIVE_ARRAY_SIZE_EXCEPTION, n.to_string())),
        Value::Int(n) => thread
            .alloc_array(ty, n as usize)
            .map_err(|_| Pending::out_of_memory()),
        x => Err(Pending::wrong_type(program, "newarray", "int", x)),
    }
}

/// The array and index operands of `arrload` / `arrstore`.
#[inline(always)]
fn array_operands(
    program: &Program,
    op: &str,
    array: Value,
    index: Value,
) -> Result<(Ref, ValueType, i64), Pending> {
    match (array, index) {
        (Value::Ref(r), Value::Int(i)) => match r.array_elem_type() {
            Some(ty) => Ok((r, ty, i)),
            None => Err(Pending::wrong_type(program, op, "array", array)),
        },
        (Value::Null, _) => Err(Pending::null_pointer(format!("{op}: array is null"))),
        (Value::Ref(_), x) => Err(Pending::wrong_type(program, op, "int", x)),
        (x, _) => Err(Pending::wrong_type(program, op, "array", x)),
    }
}

#[inline(always)]
fn array_load(program: &Program, array: Value, index: Value) -> Result<Value, Pending> {
    let (r, ty, i) = array_operands(program, "arrload", array, index)?;
    heap_array::load(r, ty, i).map_err(|e| element_error(program, e, Value::Null))
}

#[inline(always)]
fn array_store(program: &Program, array: Value, index: Value, v: Value) -> Result<(), Pending> {
    let (r, ty, i) = array_operands(program, "arrstore", array, index)?;
    heap_array::store(r, ty, i, v).map_err(|e| element_error(program, e, v))
}

#[cold]
#[inline(never)]
fn element_error(program: &Program, e: ElementError, v: Value) -> Pending {
    match e {
        ElementError::OutOfBounds { index, len } => Pending::array_index(index, len),
        ElementError::WrongType { elem } => store_type_error(program, v, elem, "array"),
    }
}

/// A string operand (null → NullPointerException, non-string →
/// ClassCastException).
#[inline(always)]
fn string_operand(program: &Program, op: &str, v: Value) -> Result<Ref, Pending> {
    match v {
        Value::Ref(r) if r.as_str().is_some() => Ok(r),
        Value::Null => Err(Pending::null_pointer(format!("{op}: string is null"))),
        x => Err(Pending::wrong_type(program, op, "string", x)),
    }
}

fn alloc_string(thread: &mut ThreadState, s: &str) -> Result<Value, Pending> {
    thread
        .alloc_string(s)
        .map(Value::Ref)
        .map_err(|_| Pending::out_of_memory())
}

fn string_concat(
    thread: &mut ThreadState,
    program: &Program,
    a: Value,
    b: Value,
) -> Result<Value, Pending> {
    let a = string_operand(program, "sconcat", a)?;
    let b = string_operand(program, "sconcat", b)?;
    let (a, b) = (a.as_str().unwrap_or(""), b.as_str().unwrap_or(""));
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    alloc_string(thread, &s)
}

fn string_char_at(program: &Program, s: Value, index: Value) -> Result<Value, Pending> {
    let r = string_operand(program, "scharat", s)?;
    let Value::Int(i) = index else {
        return Err(Pending::wrong_type(program, "scharat", "int", index));
    };
    let chars = r.str_char_count().unwrap_or(0);
    match heap_string::char_at(r.as_str().unwrap_or(""), chars, i) {
        Some(c) => Ok(Value::Int(c as i64)),
        None => Err(Pending::new(
            STRING_INDEX_OUT_OF_BOUNDS_EXCEPTION,
            format!("Index {i} out of bounds for length {chars}"),
        )),
    }
}

fn string_substring(
    thread: &mut ThreadState,
    program: &Program,
    s: Value,
    begin: Value,
    end: Value,
) -> Result<Value, Pending> {
    let r = string_operand(program, "ssubstr", s)?;
    let (b, e) = match (begin, end) {
        (Value::Int(b), Value::Int(e)) => (b, e),
        (x, y) => return Err(operand_error(program, "ssubstr", "int", x, y)),
    };
    let chars = r.str_char_count().unwrap_or(0);
    match heap_string::substring(r.as_str().unwrap_or(""), chars, b, e) {
        Some(sub) if sub.len() == r.as_str().map_or(0, str::len) => Ok(Value::Ref(r)),
        Some(sub) => alloc_string(thread, sub),
        None => Err(Pending::new(
            STRING_INDEX_OUT_OF_BOUNDS_EXCEPTION,
            format!("begin {b}, end {e}, length {chars}"),
        )),
    }
}

fn to_string(thread: &mut ThreadState, program: &Program, v: Value) -> Result<Value, Pending> {
    if let Value::Ref(r) = v {
        if r.as_str().is_some() {
            return Ok(v);
        }
    }
    alloc_string(thread, &display::to_display_string(program, v))
}

fn chr(thread: &mut ThreadState, program: &Program, v: Value) -> Result<Value, Pending> {
    let Value::Int(c) = v else {
        return Err(Pending::wrong_type(program, "chr", "int", v));
    };
    match u32::try_from(c).ok().and_then(char::from_u32) {
        Some(ch) => alloc_string(thread, ch.encode_utf8(&mut [0; 4])),
        None => Err(Pending::new(
            ILLEGAL_ARGUMENT_EXCEPTION,
            format!("invalid code point: {c}"),
        )),
    }
}

/// What `throw` throws: the object itself, or the NullPointerException /
/// ClassCastException for a bad operand.
#[cold]
fn throwable_operand(program: &Program, exc: Value) -> Pending {
    match exc {
        Value::Ref(r) if r.class().is_some_and(|c| program.class(c).is_throwable) => {
            Pending::Object(r)
        }
        Value::Null => Pending::null_pointer("throw: exception is null"),
        x => Pending::wrong_type(program, "throw", "Throwable", x),
    }
}

#[cfg(test)]
#[path = "interp_tests.rs"]
mod tests;
