//! The interpreter's fast path: the common instructions with the common
//! operand types, in a tight loop that calls nothing (no allocation, no
//! locks, no error handling), so the compiler keeps the registers (`ip`,
//! `sp`, `base`, `budget`) in machine registers.
//!
//! Contract with the general path (`super::run_slice`): [`run_fast`] returns
//! `None` when the budget is spent (right after the call or taken branch
//! that spent it), or `Some(insn)` for an instruction it does not handle
//! (another instruction, an operand of an unexpected type, a bound or a type
//! check that fails, a stack to grow, a frame vector to grow). It returns
//! with `ip` already past that instruction and everything else exactly as
//! before it: the general path then executes it in full. So every shortcut
//! here must match the general path's result for the cases it accepts.
//!
//! The budget is charged one unit per call and per taken branch, not per
//! instruction (see `super` for why).
//!
//! One kind of call is made from here: `callnative` of a *leaf* native
//! (`NativeSig::leaf`: it reads only its arguments and the scheduling
//! links, never the frames or the operand stack, so the running frame need
//! not be synced). A result or nothing is completed here; anything else
//! (block, throw) comes back as [`FastExit::Native`] for the general path to
//! complete, the native having run. This keeps a thread switch
//! (`LockSupport.unpark` then `park`) from leaving the fast path for each
//! native (measured: ~110 -> ~95 ns per ping-pong switch).

use std::mem::MaybeUninit;

use crate::heap::slot;
use crate::isa::{ClassIdx, Instruction};
use crate::natives::{NativeResult, ResolvedNative, MAX_NATIVE_ARITY};
use crate::program::Program;
use crate::thread_state::{Frame, ThreadState};
use crate::threads::{self, Wait};
use crate::value::Value;

use super::operations::fcmp;
use super::{copy_value, fuse, Registers, RunExit};

/// Why [`run_fast`] returned.
pub(super) enum FastExit {
    /// The slice is over, and the running frame is back in the thread (see
    /// `super::leave`): the budget is spent (right after the call or taken
    /// branch that spent it), or a leaf native blocked the thread (without
    /// retry; the `callnative` is complete and `ip` is past it).
    Left(RunExit),
    /// This instruction needs the general path: `ip` is past it and nothing
    /// of it is done.
    Slow(Instruction),
    /// The leaf native of the `callnative` just before `ip` ran and returned
    /// this, which the general path completes (a retried block or a throw);
    /// its arguments are still on the operand stack. Boxed: it is rare, and
    /// every exit is copied out of here.
    Native(Box<(ResolvedNative, NativeResult)>),
}

/// Runs from `regs` until the budget is spent or an instruction needs the
/// general path; see the module docs.
#[inline(never)]
pub(super) fn run_fast(
    thread: &mut ThreadState,
    program: &Program,
    regs: &mut Registers,
) -> FastExit {
    let functions = &program.module.functions[..];
    let constants = &program.constants[..];
    let Registers {
        mut ip,
        mut sp,
        mut base,
        mut budget,
    } = *regs;
    frame_access!($ thread, ip, sp, base);

    let exit = 'fast: loop {
        // SAFETY: V-code: `ip` points at a valid instruction of this function.
        let insn = unsafe { *ip };
        // SAFETY: at most one past the end, and never fetched there (V-code).
        ip = unsafe { ip.add(1) };
        // Hands the instruction to the general path. (Re-reading it from
        // memory lets each arm decode only the operand it needs.)
        macro_rules! bail {
            () => {
                // SAFETY: `ip` is one past the current instruction.
                break 'fast FastExit::Slow(unsafe { *ip.sub(1) })
            };
        }
        // Charges one budget unit (for a call or a taken branch, after it
        // is done) and stops when the budget is spent.
        macro_rules! tick {
            () => {{
                budget -= 1;
                if budget == 0 {
                    break 'fast FastExit::Left(RunExit::BudgetSpent);
                }
            }};
        }
        macro_rules! taken {
            ($t:expr) => {{
                jump!($t);
                tick!();
            }};
        }
        macro_rules! fast_int_binop {
            (|$a:ident, $b:ident| $e:expr) => {{
                let (lhs, rhs) = operands!();
                match (lhs, rhs) {
                    (&Value::Int($a), &Value::Int($b)) => {
                        let r = $e;
                        sp = unsafe { sp.sub(1) };
                        set_top!(Value::Int(r));
                    }
                    _ => bail!(),
                }
            }};
        }
        macro_rules! fast_float_binop {
            (|$a:ident, $b:ident| $e:expr) => {{
                let (lhs, rhs) = operands!();
                match (lhs, rhs) {
                    (&Value::Float($a), &Value::Float($b)) => {
                        let r = $e;
                        sp = unsafe { sp.sub(1) };
                        set_top!(r);
                    }
                    _ => bail!(),
                }
            }};
        }
        macro_rules! fast_if_int {
            ($t:expr, |$a:ident| $cond:expr) => {{
                // SAFETY: V-stack: one operand.
                match unsafe { &*sp.sub(1) } {
                    &Value::Int($a) => {
                        sp = unsafe { sp.sub(1) };
                        if $cond {
                            taken!($t);
                        }
                    }
                    _ => bail!(),
                }
            }};
        }
        macro_rules! fast_if_icmp {
            ($t:expr, |$a:ident, $b:ident| $cond:expr) => {{
                let (lhs, rhs) = operands!();
                match (lhs, rhs) {
                    (&Value::Int($a), &Value::Int($b)) => {
                        sp = unsafe { sp.sub(2) };
                        if $cond {
                            taken!($t);
                        }
                    }
                    _ => bail!(),
                }
            }};
        }
        match insn {
            Instruction::Nop => {}
            Instruction::AConstNull => push!(Value::Null),
            Instruction::IConst(n) => push!(Value::Int(n as i64)),
            // SAFETY: V-index: the constant exists.
            Instruction::Ldc(c) => push!(unsafe { *constants.get_unchecked(c.0 as usize) }),
            // Copied in halves (`copy_value`): `iinc` just before a `load` of
            // the same local is common.
            Instruction::Load(l) => {
                let local: *mut Value = local!(l.0);
                // SAFETY: V-stack: room for one more value.
                unsafe {
                    copy_value(sp, local);
                    sp = sp.add(1);
                }
            }
            Instruction::Store(l) => {
                let local: *mut Value = local!(l.0);
                // SAFETY: V-stack: one operand.
                unsafe {
                    sp = sp.sub(1);
                    copy_value(local, sp);
                }
            }
            Instruction::IInc(op) => match local!(op.local.0) {
                Value::Int(i) => *i = i.wrapping_add(op.delta as i64),
                _ => bail!(),
            },
            Instruction::Pop => sp = unsafe { sp.sub(1) },
            Instruction::Dup => push!(peek!(0)),
            Instruction::DupX1 => {
                let (b, a) = (peek!(1), peek!(0));
                // SAFETY: V-stack: two operands, room for one more.
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
                // SAFETY: V-stack: two operands.
                unsafe {
                    *sp.sub(2) = a;
                    *sp.sub(1) = b;
                }
            }
            Instruction::IAdd => fast_int_binop!(|a, b| a.wrapping_add(b)),
            Instruction::ISub => fast_int_binop!(|a, b| a.wrapping_sub(b)),
            Instruction::IMul => fast_int_binop!(|a, b| a.wrapping_mul(b)),
            Instruction::IAnd => fast_int_binop!(|a, b| a & b),
            Instruction::IOr => fast_int_binop!(|a, b| a | b),
            Instruction::IXor => fast_int_binop!(|a, b| a ^ b),
            Instruction::IShl => fast_int_binop!(|a, b| a.wrapping_shl(b as u32 & 63)),
            Instruction::IShr => fast_int_binop!(|a, b| a.wrapping_shr(b as u32 & 63)),
            Instruction::ICmp => fast_int_binop!(|a, b| a.cmp(&b) as i64),
            Instruction::IUShr => {
                fast_int_binop!(|a, b| ((a as u64) >> (b as u32 & 63)) as i64)
            }
            Instruction::IDiv | Instruction::IRem => {
                if matches!(peek!(0), Value::Int(0)) {
                    bail!();
                }
                if matches!(insn, Instruction::IDiv) {
                    fast_int_binop!(|a, b| a.wrapping_div(b))
                } else {
                    fast_int_binop!(|a, b| a.wrapping_rem(b))
                }
            }
            Instruction::INeg => match peek!(0) {
                Value::Int(a) => set_top!(Value::Int(a.wrapping_neg())),
                _ => bail!(),
            },
            Instruction::FAdd => fast_float_binop!(|a, b| Value::Float(a + b)),
            Instruction::FSub => fast_float_binop!(|a, b| Value::Float(a - b)),
            Instruction::FMul => fast_float_binop!(|a, b| Value::Float(a * b)),
            Instruction::FDiv => fast_float_binop!(|a, b| Value::Float(a / b)),
            Instruction::FCmpL => fast_float_binop!(|a, b| Value::Int(fcmp(a, b, -1))),
            Instruction::FCmpG => fast_float_binop!(|a, b| Value::Int(fcmp(a, b, 1))),
            Instruction::FRem => fast_float_binop!(|a, b| Value::Float(a % b)),
            Instruction::FNeg => match peek!(0) {
                Value::Float(a) => set_top!(Value::Float(-a)),
                _ => bail!(),
            },
            Instruction::I2F => match peek!(0) {
                Value::Int(a) => set_top!(Value::Float(a as f64)),
                _ => bail!(),
            },
            Instruction::F2I => match peek!(0) {
                Value::Float(a) => set_top!(Value::Int(a as i64)),
                _ => bail!(),
            },
            Instruction::IfACmpEq(t) | Instruction::IfACmpNe(t) => {
                let same = peek!(1).same_as(peek!(0));
                sp = unsafe { sp.sub(2) };
                if same == matches!(insn, Instruction::IfACmpEq(_)) {
                    taken!(t);
                }
            }
            Instruction::Goto(t) => taken!(t),
            // ---- internal (fused) instructions: see `super::fuse` ----
            // `ip` is past the fused instruction, at the rest of its sequence.
            Instruction::LoadLoadBranch(op) => match (local!(op.a.0), local!(op.b.0)) {
                (&mut Value::Int(a), &mut Value::Int(b)) => {
                    if op.mask.holds(a, b) {
                        // SAFETY: fuse: `load b; if_icmp<c> t` follow.
                        let t = unsafe { fuse::target_at(ip.add(1)) };
                        taken!(t);
                    } else {
                        ip = unsafe { ip.add(2) };
                    }
                }
                _ => bail!(),
            },
            Instruction::LoadConstBranch(op) => match local!(op.a.0) {
                &mut Value::Int(a) => {
                    // SAFETY: fuse: `iconst k; if_icmp<c> t` follow.
                    if op.mask.holds(a, unsafe { fuse::iconst_at(ip) }) {
                        let t = unsafe { fuse::target_at(ip.add(1)) };
                        taken!(t);
                    } else {
                        ip = unsafe { ip.add(2) };
                    }
                }
                _ => bail!(),
            },
            Instruction::GetStaticBranch(op) => {
                // SAFETY: V-index: the static exists; fuse: it is an int
                // static (whose slot holds the int's bits), and `if<c> t`
                // follows.
                let v = unsafe { program.static_bits_unchecked(op.index as usize) } as i64;
                if op.mask.holds(v, 0) {
                    let t = unsafe { fuse::target_at(ip) };
                    taken!(t);
                } else {
                    ip = unsafe { ip.add(1) };
                }
            }
            Instruction::UnparkIntrinsic(_) => {
                // Anything but a thread object: the native's checks throw.
                let Value::Ref(r) = peek!(0) else { bail!() };
                let Some(object) = r.as_thread() else { bail!() };
                // A leaf, like the native it stands for.
                threads::natives::unpark_object(thread, object);
                sp = unsafe { sp.sub(1) };
            }
            Instruction::ParkIntrinsic(n) => match threads::natives::park_impl(thread, None) {
                NativeResult::Void => {}
                NativeResult::Block {
                    wait: Wait::Park,
                    retry: false,
                } => break 'fast FastExit::Left(RunExit::Blocked(Wait::Park)),
                other => {
                    // SAFETY: V-index: the native exists.
                    let native = unsafe { *program.natives.get_unchecked(n.0 as usize) };
                    break 'fast FastExit::Native(Box::new((native, other)));
                }
            },
            Instruction::IIncGoto(op) => match local!(op.local.0) {
                Value::Int(i) => {
                    *i = i.wrapping_add(op.delta as i64);
                    // SAFETY: fuse: `goto t` follows.
                    let t = unsafe { fuse::target_at(ip) };
                    taken!(t);
                }
                _ => bail!(),
            },
            Instruction::IfEq(t) => fast_if_int!(t, |a| a == 0),
            Instruction::IfNe(t) => fast_if_int!(t, |a| a != 0),
            Instruction::IfLt(t) => fast_if_int!(t, |a| a < 0),
            Instruction::IfGe(t) => fast_if_int!(t, |a| a >= 0),
            Instruction::IfGt(t) => fast_if_int!(t, |a| a > 0),
            Instruction::IfLe(t) => fast_if_int!(t, |a| a <= 0),
            Instruction::IfICmpEq(t) => fast_if_icmp!(t, |a, b| a == b),
            Instruction::IfICmpNe(t) => fast_if_icmp!(t, |a, b| a != b),
            Instruction::IfICmpLt(t) => fast_if_icmp!(t, |a, b| a < b),
            Instruction::IfICmpGe(t) => fast_if_icmp!(t, |a, b| a >= b),
            Instruction::IfICmpGt(t) => fast_if_icmp!(t, |a, b| a > b),
            Instruction::IfICmpLe(t) => fast_if_icmp!(t, |a, b| a <= b),
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
            Instruction::Call(f) => {
                // SAFETY: V-index: the function exists.
                let callee = unsafe { functions.get_unchecked(f.0 as usize) };
                let params = callee.params as usize;
                let locals = callee.locals as usize;
                // V-call: the arguments are the top `params` values.
                let new_base_idx = index_of!(sp) - params;
                // One spare slot so a handler can always push its exception.
                let top_idx = new_base_idx + locals + callee.max_stack as usize + 1;
                let depth = thread.frames.len();
                if top_idx > thread.values.len()
                    || depth == thread.frames.capacity()
                    || !thread.fits(top_idx, depth + 2)
                {
                    bail!();
                }
                let frame = Frame {
                    func: thread.cur_func,
                    base: index_of!(base) as u32,
                    ip,
                };
                // SAFETY: `depth < capacity`, checked above.
                unsafe {
                    thread.frames.as_mut_ptr().add(depth).write(frame);
                    thread.frames.set_len(depth + 1);
                }
                // SAFETY: `top_idx <= values.len()`, checked above.
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
                tick!();
            }
            Instruction::Return | Instruction::VReturn => {
                let depth = thread.frames.len();
                if depth == 0 {
                    bail!();
                }
                // SAFETY: `depth > 0`.
                let caller = unsafe {
                    thread.frames.set_len(depth - 1);
                    thread.frames.as_ptr().add(depth - 1).read()
                };
                let result = peek!(0);
                sp = base;
                if matches!(insn, Instruction::VReturn) {
                    push!(result);
                }
                thread.cur_func = caller.func;
                // SAFETY: frames only name existing functions.
                thread.cur_code = unsafe { functions.get_unchecked(caller.func as usize) }
                    .code
                    .as_ptr();
                ip = caller.ip;
                base = unsafe { stack!().add(caller.base as usize) };
            }
            Instruction::GetField(f) => {
                let Value::Ref(r) = peek!(0) else { bail!() };
                if !is_a(program, r, f.class) {
                    bail!();
                }
                let (slot_idx, ty) = program.field_slot(f);
                set_top!(slot::load(&r.slots()[slot_idx], ty));
            }
            Instruction::PutField(f) => {
                let Value::Ref(r) = peek!(1) else { bail!() };
                if !is_a(program, r, f.class) {
                    bail!();
                }
                let (slot_idx, ty) = program.field_slot(f);
                if !slot::store(&r.slots()[slot_idx], ty, peek!(0)) {
                    bail!();
                }
                sp = unsafe { sp.sub(2) };
            }
            Instruction::GetStatic(s) => {
                // SAFETY: V-index: the static exists.
                push!(unsafe { program.load_static_unchecked(s.0 as usize) })
            }
            Instruction::PutStatic(s) => {
                let v = peek!(0);
                // SAFETY: V-index: the static exists.
                if !unsafe { program.store_static_unchecked(s.0 as usize, v) } {
                    bail!();
                }
                sp = unsafe { sp.sub(1) };
            }
            Instruction::InstanceOf(c) => {
                set_top!(Value::Int(program.is_instance_of(peek!(0), c) as i64))
            }
            Instruction::ArrLoad => {
                let (Value::Ref(r), Value::Int(i)) = (peek!(1), peek!(0)) else {
                    bail!()
                };
                let Some(ty) = r.array_elem_type() else {
                    bail!()
                };
                let Some(elem) = r.slots().get(i as u64 as usize) else {
                    bail!()
                };
                let v = slot::load(elem, ty);
                sp = unsafe { sp.sub(1) };
                set_top!(v);
            }
            Instruction::ArrStore => {
                let (Value::Ref(r), Value::Int(i)) = (peek!(2), peek!(1)) else {
                    bail!()
                };
                let Some(ty) = r.array_elem_type() else {
                    bail!()
                };
                let Some(elem) = r.slots().get(i as u64 as usize) else {
                    bail!()
                };
                if !slot::store(elem, ty, peek!(0)) {
                    bail!();
                }
                sp = unsafe { sp.sub(3) };
            }
            Instruction::ArrLen => {
                let Value::Ref(r) = peek!(0) else { bail!() };
                if r.array_elem_type().is_none() {
                    bail!();
                }
                set_top!(Value::Int(r.slots().len() as i64));
            }
            Instruction::CallNative(n) => {
                // SAFETY: V-index: the native exists.
                let native = unsafe { *program.natives.get_unchecked(n.0 as usize) };
                if !native.sig.leaf {
                    bail!();
                }
                let arity = (native.sig.arity as usize).min(MAX_NATIVE_ARITY);
                // Only the `arity` arguments are written (no zeroing).
                let mut args = [MaybeUninit::<Value>::uninit(); MAX_NATIVE_ARITY];
                for (i, a) in args[..arity].iter_mut().enumerate() {
                    // SAFETY: V-stack: `arity` arguments on the stack.
                    unsafe { copy_value(a.as_mut_ptr(), sp.sub(arity - i)) };
                }
                // SAFETY: the first `arity` elements were written just above.
                let args =
                    unsafe { std::slice::from_raw_parts(args.as_ptr().cast::<Value>(), arity) };
                // A leaf looks at neither the frames nor the operand stack,
                // so the registers need not be synced around it.
                match (native.imp)(thread, args) {
                    NativeResult::Return(v) => {
                        sp = unsafe { sp.sub(arity) };
                        if native.sig.returns_value {
                            push!(v);
                        }
                    }
                    NativeResult::Void => {
                        sp = unsafe { sp.sub(arity) };
                        if native.sig.returns_value {
                            push!(Value::Null);
                        }
                    }
                    NativeResult::Block {
                        ref wait,
                        retry: false,
                    } => {
                        sp = unsafe { sp.sub(arity) };
                        if native.sig.returns_value {
                            push!(Value::Null);
                        }
                        break 'fast FastExit::Left(RunExit::Blocked(wait.rebuilt()));
                    }
                    other => break 'fast FastExit::Native(Box::new((native, other))),
                }
            }
            // Listed rather than `_`, so the dispatch table covers every
            // instruction and needs no range check.
            Instruction::New(_)
            | Instruction::CheckCast(_)
            | Instruction::NewArray(_)
            | Instruction::SConcat
            | Instruction::SLen
            | Instruction::SCharAt
            | Instruction::SSubstr
            | Instruction::ToStr
            | Instruction::Chr
            | Instruction::SCmp
            | Instruction::Throw
            | Instruction::NewThread(_)
            | Instruction::Spawn(_) => bail!(),
        }
    };
    *regs = Registers {
        ip,
        sp,
        base,
        budget,
    };
    if let FastExit::Left(_) = exit {
        super::leave(thread, regs);
    }
    exit
}

/// Whether `obj` is an instance of class `class` or a subclass (the field
/// instructions' check), without calls.
#[inline(always)]
fn is_a(program: &Program, obj: crate::value::Ref, class: u16) -> bool {
    match obj.class() {
        Some(c) => c.0 == class as u32 || program.is_subclass(c, ClassIdx(class as u32)),
        None => false,
    }
}
