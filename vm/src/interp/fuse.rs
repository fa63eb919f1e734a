//! Link-time bytecode rewriting: a few common short sequences become one
//! internal instruction for the interpreter's fast path (as HotSpot rewrites
//! bytecodes into its `_fast_` forms), saving dispatches and operand-stack
//! traffic in loop headers, loop latches and wait loops.
//!
//! | internal          | stands for                              |
//! |-------------------|-----------------------------------------|
//! | `LoadLoadBranch`  | `load a; load b; if_icmp<c> t`          |
//! | `LoadConstBranch` | `load a; iconst k; if_icmp<c> t`        |
//! | `GetStaticBranch` | `getstatic s; if<c> t` (an int static)  |
//! | `IIncGoto`        | `iinc l d; goto t`                      |
//! | `ParkIntrinsic`   | `callnative LockSupport.park`           |
//! | `UnparkIntrinsic` | `callnative LockSupport.unpark`         |
//!
//! The last two are intrinsics rather than fusions: the fast path calls the
//! native's code directly, without the generic argument copy and result
//! dispatch of `callnative` (they are half of a thread switch).
//!
//! The internal instruction takes the place of the sequence's *first*
//! instruction and the others stay where they were, so pcs, branch targets,
//! handler ranges and line tables are unchanged, a branch into the middle of
//! a sequence still finds the original instructions, and the fused
//! instruction reads the operands it does not carry (`k`, `t`) from them.
//!
//! Invariants the fast path relies on:
//! - an internal instruction at pc `p` is followed by the rest of its
//!   sequence at `p + 1 ..` (checked here; code never changes after linking);
//! - no instruction of a sequence but the first is itself rewritten.
//!
//! Everything but the fast path (the general path, tracing, disassembly,
//! encoding) treats an internal instruction as the one it replaced
//! ([`Instruction::unfused`]), so semantics cannot diverge: the fast path
//! takes a fused shortcut only when every type check of the sequence passes,
//! and otherwise hands the first instruction to the general path as usual.

use crate::isa::{CmpMask, CmpOperand, Instruction, Local, NativeIdx, StaticCmpOperand, Target};

/// What `fuse` needs to know about the module being linked.
pub struct FuseContext<'a> {
    /// Whether static `s` is declared `int`.
    pub int_static: &'a dyn Fn(u32) -> bool,
    /// The name of native `n` (as imported by the module).
    pub native_name: &'a dyn Fn(NativeIdx) -> Option<&'a str>,
}

// Which three-way outcomes (bit 0 less, 1 equal, 2 greater) take a branch.
const LT: CmpMask = CmpMask(0b001);
const EQ: CmpMask = CmpMask(0b010);
const LE: CmpMask = CmpMask(0b011);
const GT: CmpMask = CmpMask(0b100);
const NE: CmpMask = CmpMask(0b101);
const GE: CmpMask = CmpMask(0b110);

/// The condition of an `if_icmp<c>`.
fn icmp_mask(insn: Instruction) -> Option<CmpMask> {
    Some(match insn {
        Instruction::IfICmpLt(_) => LT,
        Instruction::IfICmpEq(_) => EQ,
        Instruction::IfICmpLe(_) => LE,
        Instruction::IfICmpGt(_) => GT,
        Instruction::IfICmpNe(_) => NE,
        Instruction::IfICmpGe(_) => GE,
        _ => return None,
    })
}

/// The condition of an `if<c>` (a comparison with 0).
fn if_mask(insn: Instruction) -> Option<CmpMask> {
    Some(match insn {
        Instruction::IfLt(_) => LT,
        Instruction::IfEq(_) => EQ,
        Instruction::IfLe(_) => LE,
        Instruction::IfGt(_) => GT,
        Instruction::IfNe(_) => NE,
        Instruction::IfGe(_) => GE,
        _ => return None,
    })
}

/// The fused form of the sequence starting at `code[0]`, and its length.
fn fused(code: &[Instruction], cx: &FuseContext) -> Option<(Instruction, usize)> {
    match *code {
        [Instruction::CallNative(n), ..] => match (cx.native_name)(n)? {
            "LockSupport.park" => Some((Instruction::ParkIntrinsic(n), 1)),
            "LockSupport.unpark" => Some((Instruction::UnparkIntrinsic(n), 1)),
            _ => None,
        },
        [Instruction::Load(a), Instruction::Load(b), branch, ..] => {
            let mask = icmp_mask(branch)?;
            Some((Instruction::LoadLoadBranch(CmpOperand { a, b, mask }), 3))
        }
        [Instruction::Load(a), Instruction::IConst(_), branch, ..] => {
            let mask = icmp_mask(branch)?;
            let op = CmpOperand {
                a,
                b: Local(0),
                mask,
            };
            Some((Instruction::LoadConstBranch(op), 3))
        }
        [Instruction::GetStatic(s), branch, ..] => {
            let mask = if_mask(branch)?;
            let index = u16::try_from(s.0).ok().filter(|_| (cx.int_static)(s.0))?;
            Some((
                Instruction::GetStaticBranch(StaticCmpOperand { index, mask }),
                2,
            ))
        }
        [Instruction::IInc(op), Instruction::Goto(_), ..] => Some((Instruction::IIncGoto(op), 2)),
        _ => None,
    }
}

/// Rewrites one function's verified code in place. Returns how many
/// sequences it fused.
pub fn fuse(code: &mut [Instruction], cx: &FuseContext) -> usize {
    let mut count = 0;
    let mut pc = 0;
    while pc < code.len() {
        match fused(&code[pc..], cx) {
            Some((insn, len)) => {
                code[pc] = insn;
                count += 1;
                // The rest of the sequence stays as it is (see the invariants).
                pc += len;
            }
            None => pc += 1,
        }
    }
    count
}

/// The branch target of the branch at `p`, which `fuse` guarantees is an
/// `if<c>`, `if_icmp<c>` or `goto`.
///
/// # Safety
/// `p` is the instruction of a fused sequence that `fuse` checked is one of
/// those branches.
#[inline(always)]
pub(super) unsafe fn target_at(p: *const Instruction) -> Target {
    // SAFETY: `p` is in bounds (caller).
    match unsafe { *p } {
        Instruction::IfICmpLt(t)
        | Instruction::IfICmpEq(t)
        | Instruction::IfICmpLe(t)
        | Instruction::IfICmpGt(t)
        | Instruction::IfICmpNe(t)
        | Instruction::IfICmpGe(t)
        | Instruction::IfLt(t)
        | Instruction::IfEq(t)
        | Instruction::IfLe(t)
        | Instruction::IfGt(t)
        | Instruction::IfNe(t)
        | Instruction::IfGe(t)
        | Instruction::Goto(t) => t,
        // SAFETY: `fuse` only fuses sequences ending in one of the above.
        _ => unsafe { std::hint::unreachable_unchecked() },
    }
}

/// The immediate of the `iconst` at `p`.
///
/// # Safety
/// `p` is the `iconst` of a `LoadConstBranch` sequence.
#[inline(always)]
pub(super) unsafe fn iconst_at(p: *const Instruction) -> i64 {
    // SAFETY: `p` is in bounds (caller).
    match unsafe { *p } {
        Instruction::IConst(k) => k as i64,
        // SAFETY: `fuse` only fuses `load; iconst; if_icmp<c>` into it.
        _ => unsafe { std::hint::unreachable_unchecked() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::{IncOperand, StaticIdx};

    fn fuse_all(code: &mut [Instruction], int_static: bool) -> usize {
        let natives = ["LockSupport.park", "LockSupport.unpark", "println"];
        let cx = FuseContext {
            int_static: &|_| int_static,
            native_name: &|n: NativeIdx| natives.get(n.0 as usize).copied(),
        };
        fuse(code, &cx)
    }

    #[test]
    fn masks_match_the_branches_they_replace() {
        let cases = [
            (LT, [true, false, false]),
            (EQ, [false, true, false]),
            (LE, [true, true, false]),
            (GT, [false, false, true]),
            (NE, [true, false, true]),
            (GE, [false, true, true]),
        ];
        for (mask, expected) in cases {
            let got = [mask.holds(1, 2), mask.holds(2, 2), mask.holds(3, 2)];
            assert_eq!(got, expected, "{mask:?}");
        }
        assert!(LT.holds(i64::MIN, i64::MAX) && GT.holds(i64::MAX, i64::MIN));
    }

    #[test]
    fn sequences_fuse_in_place_and_keep_their_tails() {
        let mut code = vec![
            Instruction::Load(Local(1)),
            Instruction::Load(Local(2)),
            Instruction::IfICmpGe(Target(9)),
            Instruction::GetStatic(StaticIdx(3)),
            Instruction::IfEq(Target(0)),
            Instruction::IInc(IncOperand {
                local: Local(1),
                delta: 1,
            }),
            Instruction::Goto(Target(0)),
            Instruction::Load(Local(1)),
            Instruction::IConst(10),
            Instruction::IfICmpLt(Target(0)),
            Instruction::Return,
        ];
        let original = code.clone();
        assert_eq!(fuse_all(&mut code, true), 4);
        assert!(
            matches!(code[0], Instruction::LoadLoadBranch(op) if op.a == Local(1) && op.b == Local(2) && op.mask == GE)
        );
        assert!(
            matches!(code[3], Instruction::GetStaticBranch(op) if op.index == 3 && op.mask == EQ)
        );
        assert!(matches!(code[5], Instruction::IIncGoto(_)));
        assert!(matches!(code[7], Instruction::LoadConstBranch(op) if op.mask == LT));
        // Tails untouched; every instruction unfuses to the original.
        for (pc, (now, before)) in code.iter().zip(&original).enumerate() {
            assert_eq!(now.unfused(), *before, "pc {pc}");
        }
        assert_eq!(unsafe { target_at(&code[2]) }, Target(9));
        assert_eq!(unsafe { iconst_at(&code[8]) }, 10);
    }

    #[test]
    fn no_instruction_inside_a_sequence_starts_another() {
        // `load 1; load 2; load 3; if_icmpeq`: the fusion starts at the
        // second load, and nothing after it is rewritten.
        let mut code = vec![
            Instruction::Load(Local(1)),
            Instruction::Load(Local(2)),
            Instruction::Load(Local(3)),
            Instruction::IfICmpEq(Target(0)),
        ];
        assert_eq!(fuse_all(&mut code, true), 1);
        assert_eq!(code[0], Instruction::Load(Local(1)));
        assert!(matches!(code[1], Instruction::LoadLoadBranch(_)));
        assert_eq!(code[2], Instruction::Load(Local(3)));
    }

    #[test]
    fn only_int_statics_with_small_indices_fuse() {
        let seq = |s| {
            vec![
                Instruction::GetStatic(StaticIdx(s)),
                Instruction::IfNe(Target(0)),
            ]
        };
        let mut code = seq(1);
        assert_eq!(fuse_all(&mut code, false), 0, "a ref static");
        let mut code = seq(70_000);
        assert_eq!(fuse_all(&mut code, true), 0, "index past 16 bits");
        let mut code = seq(1);
        assert_eq!(fuse_all(&mut code, true), 1);
    }

    #[test]
    fn park_and_unpark_natives_become_intrinsics() {
        let mut code: Vec<_> = (0..3)
            .map(|n| Instruction::CallNative(NativeIdx(n)))
            .collect();
        assert_eq!(fuse_all(&mut code, true), 2);
        assert_eq!(code[0], Instruction::ParkIntrinsic(NativeIdx(0)));
        assert_eq!(code[1], Instruction::UnparkIntrinsic(NativeIdx(1)));
        assert_eq!(
            code[2],
            Instruction::CallNative(NativeIdx(2)),
            "not an intrinsic"
        );
        assert_eq!(code[1].unfused(), Instruction::CallNative(NativeIdx(1)));
    }

    #[test]
    fn internal_instructions_encode_as_the_one_they_replace() {
        let mut code = vec![
            Instruction::IInc(IncOperand {
                local: Local(0),
                delta: -1,
            }),
            Instruction::Goto(Target(0)),
        ];
        fuse_all(&mut code, true);
        assert!(code[0].is_internal());
        assert_eq!(code[0].opcode(), original_iinc().opcode());
        assert_eq!(code[0].operand(), original_iinc().operand());
        assert_eq!(code[0].mnemonic(), "iinc");
    }

    fn original_iinc() -> Instruction {
        Instruction::IInc(IncOperand {
            local: Local(0),
            delta: -1,
        })
    }
}
