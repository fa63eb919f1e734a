//! Operand-stack depth analysis: a worklist pass over the control-flow graph
//! that gives every reachable instruction one stack depth.
//!
//! Rules enforced here (run after [`super::function_checks`], so every index
//! is in range):
//! - the depth on entry to pc 0 is 0; an exception handler's entry depth is
//!   always 1 (the operand stack is cleared and the exception pushed);
//! - every path reaching an instruction brings the same depth;
//! - no instruction pops more than the stack holds, and (when a limit is
//!   given) no instruction leaves more than `max_stack` values;
//! - control never runs past the last instruction.
//!
//! Termination and cost: a pc enters the worklist only the first time it gets
//! a depth (a second, different depth is an error), so the main loop runs at
//! most once per instruction. Handlers are activated in rounds: after the
//! worklist drains, every not-yet-active handler whose range holds a reached
//! instruction is activated, and its handler pc joins the worklist. Each
//! round activates at least one handler or ends the analysis, so the cost is
//! O((code + handlers) × rounds), and rounds ≤ handlers + 1.

use super::error::{VerifyError, VerifyReason};
use super::function_checks::error_in;
use crate::builtin;
use crate::isa::{Instruction, StackEffect};
use crate::module::{Function, Module};

/// How many values an instruction pops and pushes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Effect {
    pops: u32,
    pushes: u32,
}

/// Computes the deepest operand stack over all reachable paths of `func`.
/// With `limit = Some(max)`, any depth above `max` is an error.
pub(super) fn max_depth(
    module: &Module,
    func: &Function,
    limit: Option<u16>,
) -> Result<u32, VerifyError> {
    let mut analysis = Analysis {
        func,
        limit,
        depth_at: vec![None; func.code.len()],
        worklist: Vec::new(),
        handler_active: vec![false; func.handlers.len()],
        max: 0,
    };
    analysis.reach(0, 0)?;
    loop {
        while let Some(pc) = analysis.worklist.pop() {
            analysis.step(module, pc)?;
        }
        if !analysis.activate_handlers()? {
            return Ok(analysis.max);
        }
    }
}

/// The state of one function's analysis.
struct Analysis<'a> {
    func: &'a Function,
    limit: Option<u16>,
    /// The depth on entry to each instruction, once some path reaches it.
    depth_at: Vec<Option<u32>>,
    /// Reached instructions whose successors are not yet visited.
    worklist: Vec<usize>,
    /// Whether each exception-table entry's handler has been reached.
    handler_active: Vec<bool>,
    /// The deepest stack seen so far.
    max: u32,
}

impl Analysis<'_> {
    /// Records that `pc` is reached with `depth`; queues it the first time.
    fn reach(&mut self, pc: usize, depth: u32) -> Result<(), VerifyError> {
        match self.depth_at.get(pc).copied() {
            // Callers check targets; a miss here means a checked index was
            // not, which is reported rather than trusted.
            None => Err(error_in(
                self.func,
                None,
                VerifyReason::BranchTargetOutOfRange {
                    target: pc as u32,
                    code_len: self.func.code.len(),
                },
            )),
            Some(None) => {
                self.depth_at[pc] = Some(depth);
                self.max = self.max.max(depth);
                self.worklist.push(pc);
                Ok(())
            }
            Some(Some(existing)) if existing == depth => Ok(()),
            Some(Some(existing)) => Err(error_in(
                self.func,
                Some(pc),
                VerifyReason::DepthMismatch {
                    one: existing,
                    other: depth,
                },
            )),
        }
    }

    /// Applies the instruction at `pc` to its entry depth and reaches its
    /// successors.
    fn step(&mut self, module: &Module, pc: usize) -> Result<(), VerifyError> {
        let func = self.func;
        let (Some(insn), Some(Some(depth))) = (func.code.get(pc), self.depth_at.get(pc).copied())
        else {
            return Ok(());
        };
        let effect = effect_of(module, insn).map_err(|r| error_in(func, Some(pc), r))?;
        let Some(base) = depth.checked_sub(effect.pops) else {
            let reason = VerifyReason::StackUnderflow {
                needed: effect.pops,
                depth,
            };
            return Err(error_in(func, Some(pc), reason));
        };
        let after = base.saturating_add(effect.pushes);
        if let Some(max_stack) = self.limit {
            if after > u32::from(max_stack) {
                let reason = VerifyReason::StackOverflow {
                    depth: after,
                    max_stack,
                };
                return Err(error_in(func, Some(pc), reason));
            }
        }
        self.max = self.max.max(after);

        if let Some(target) = insn.branch_target() {
            self.reach(target.0 as usize, after)?;
        }
        if !insn.ends_block() {
            let next = pc + 1;
            if next >= func.code.len() {
                return Err(error_in(func, Some(pc), VerifyReason::FallsOffEnd));
            }
            self.reach(next, after)?;
        }
        Ok(())
    }

    /// Activates every inactive handler whose range holds a reached
    /// instruction; returns whether any was activated.
    fn activate_handlers(&mut self) -> Result<bool, VerifyError> {
        // reached_before[i] = number of reached instructions below pc i.
        let mut reached_before = Vec::with_capacity(self.depth_at.len() + 1);
        let mut count = 0usize;
        reached_before.push(0);
        for d in &self.depth_at {
            count += usize::from(d.is_some());
            reached_before.push(count);
        }
        let mut activated = false;
        for (index, h) in self.func.handlers.iter().enumerate() {
            if self.handler_active[index] {
                continue;
            }
            let start = (h.start as usize).min(self.depth_at.len());
            let end = (h.end as usize).min(self.depth_at.len()).max(start);
            if reached_before[end] > reached_before[start] {
                self.handler_active[index] = true;
                activated = true;
                self.enter_handler(h.handler as usize)?;
            }
        }
        Ok(activated)
    }

    /// Reaches a handler pc with the exception alone on the stack.
    fn enter_handler(&mut self, pc: usize) -> Result<(), VerifyError> {
        if let Some(max_stack) = self.limit {
            if max_stack < 1 {
                let reason = VerifyReason::StackOverflow {
                    depth: 1,
                    max_stack,
                };
                return Err(error_in(self.func, Some(pc), reason));
            }
        }
        self.reach(pc, 1)
    }
}

/// The stack effect of `insn`: from the table in `isa.rs`, or from the
/// callee's signature for calls. Assumes operands were range-checked, but
/// reports rather than trusts.
fn effect_of(module: &Module, insn: &Instruction) -> Result<Effect, VerifyReason> {
    if let StackEffect::Fixed(pops, pushes) = insn.info().effect {
        return Ok(Effect {
            pops: u32::from(pops),
            pushes: u32::from(pushes),
        });
    }
    match *insn {
        Instruction::Call(f) => match module.functions.get(f.0 as usize) {
            Some(callee) => Ok(Effect {
                pops: u32::from(callee.params),
                pushes: u32::from(callee.returns_value),
            }),
            None => Err(VerifyReason::FunctionOutOfRange {
                index: f.0,
                function_count: module.functions.len(),
            }),
        },
        // The new thread takes the arguments; the creator gets the thread.
        Instruction::NewThread(f) | Instruction::Spawn(f) => {
            match module.functions.get(f.0 as usize) {
                Some(callee) => Ok(Effect {
                    pops: u32::from(callee.params),
                    pushes: 1,
                }),
                None => Err(VerifyReason::FunctionOutOfRange {
                    index: f.0,
                    function_count: module.functions.len(),
                }),
            }
        }
        Instruction::CallNative(n) => {
            let Some(name) = module.natives.get(n.0 as usize) else {
                return Err(VerifyReason::NativeOutOfRange {
                    index: n.0,
                    native_count: module.natives.len(),
                });
            };
            match builtin::native_by_name(name) {
                Some((_, sig)) => Ok(Effect {
                    pops: u32::from(sig.arity),
                    pushes: u32::from(sig.returns_value),
                }),
                None => Err(VerifyReason::UnknownNative { name: name.clone() }),
            }
        }
        Instruction::Return => Ok(Effect { pops: 0, pushes: 0 }),
        Instruction::VReturn | Instruction::Throw => Ok(Effect { pops: 1, pushes: 0 }),
        _ => Err(VerifyReason::UnknownStackEffect),
    }
}

#[cfg(test)]
mod tests {
    use crate::builtin::ARITHMETIC_EXCEPTION;
    use crate::isa::Instruction::*;
    use crate::isa::*;
    use crate::verifier::test_support::*;
    use crate::verifier::{infer_max_stack, verify, VerifyReason};

    #[test]
    fn stack_underflow_is_refused() {
        let m = single(vec![IConst(1), IAdd, Pop, Return]);
        assert_eq!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::StackUnderflow {
                needed: 2,
                depth: 1
            }
        );
    }

    #[test]
    fn calls_pop_the_callee_params_and_push_its_result() {
        let add = value_func(
            "add",
            2,
            vec![Load(Local(0)), Load(Local(1)), IAdd, VReturn],
        );
        // one argument short
        let m = module(vec![
            func("f", 0, vec![IConst(1), Call(FuncIdx(1)), Pop, Return]),
            add.clone(),
        ]);
        assert_eq!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::StackUnderflow {
                needed: 2,
                depth: 1
            }
        );
        // the result is pushed: popping it is fine, popping twice is not
        let code = vec![IConst(1), IConst(2), Call(FuncIdx(1)), Pop, Pop, Return];
        let m = module(vec![func("f", 0, code), add]);
        assert_eq!(
            refused(&m, Some("f"), Some(4)),
            VerifyReason::StackUnderflow {
                needed: 1,
                depth: 0
            }
        );
    }

    #[test]
    fn natives_pop_their_arity_and_push_their_result() {
        // println pops one value and pushes nothing
        let m = single(vec![CallNative(NativeIdx(0)), Return]);
        assert_eq!(
            refused(&m, Some("f"), Some(0)),
            VerifyReason::StackUnderflow {
                needed: 1,
                depth: 0
            }
        );
        // nanoTime pushes one value, which println consumes
        let m = single(vec![
            CallNative(NativeIdx(1)),
            CallNative(NativeIdx(0)),
            Return,
        ]);
        assert_eq!(verify(&m), Ok(()));
        assert_eq!(infer_max_stack(&m, 0), Ok(1));
    }

    #[test]
    fn exceeding_max_stack_is_refused() {
        let mut f = func("f", 0, vec![IConst(1), Dup, Dup, Pop, Pop, Pop, Return]);
        f.max_stack = 2;
        assert_eq!(
            refused(&module(vec![f]), Some("f"), Some(2)),
            VerifyReason::StackOverflow {
                depth: 3,
                max_stack: 2
            }
        );
    }

    #[test]
    fn depth_mismatch_at_a_join_is_refused() {
        // 0: iconst 1; 1: ifeq 3; 2: iconst 7; 3: return  -- pc 3 is reached with 0 and 1
        let m = single(vec![IConst(1), IfEq(t(3)), IConst(7), Return]);
        let reason = refused(&m, Some("f"), Some(3));
        assert!(matches!(
            reason,
            VerifyReason::DepthMismatch { one: 0, other: 1 }
                | VerifyReason::DepthMismatch { one: 1, other: 0 }
        ));
    }

    #[test]
    fn a_loop_that_grows_the_stack_is_refused() {
        // 0: iconst 1; 1: goto 0  -- pc 0 is reached with 0 and with 1
        let m = single(vec![IConst(1), Goto(t(0))]);
        assert_eq!(
            refused(&m, Some("f"), Some(0)),
            VerifyReason::DepthMismatch { one: 0, other: 1 }
        );
    }

    #[test]
    fn falling_off_the_end_is_refused() {
        let m = single(vec![Nop, Nop]);
        assert_eq!(refused(&m, Some("f"), Some(1)), VerifyReason::FallsOffEnd);
        // a conditional branch as the last instruction falls through too
        let m = single(vec![IConst(0), IfEq(t(0))]);
        assert_eq!(refused(&m, Some("f"), Some(1)), VerifyReason::FallsOffEnd);
    }

    #[test]
    fn unreachable_code_is_allowed() {
        // pc 2..4 would underflow and fall off the end, but nothing reaches them
        let m = single(vec![Nop, Return, IAdd, Nop]);
        assert_eq!(verify(&m), Ok(()));
    }

    #[test]
    fn handler_entry_depth_is_one() {
        // 0: iconst 1; 1: iconst 2; 2: idiv; 3: pop; 4: return; 5: pop; 6: return
        // the handler at 5 starts with just the exception, whatever the depth at 2
        let mut f = func(
            "f",
            0,
            vec![IConst(1), IConst(2), IDiv, Pop, Return, Pop, Return],
        );
        f.handlers
            .push(handler(0, 4, 5, Some(ARITHMETIC_EXCEPTION)));
        assert_eq!(verify(&module(vec![f.clone()])), Ok(()));
        // a handler that pops twice underflows
        f.code[6] = Pop;
        f.code.push(Return);
        assert_eq!(
            refused(&module(vec![f]), Some("f"), Some(6)),
            VerifyReason::StackUnderflow {
                needed: 1,
                depth: 0
            }
        );
    }

    #[test]
    fn handler_reached_by_fall_through_with_another_depth_is_refused() {
        // 0: nop; 1: return (handler, depth 1, but also reached from 0 with depth 0)
        let mut f = func("f", 0, vec![Nop, Return]);
        f.handlers.push(handler(0, 1, 1, None));
        assert_eq!(
            refused(&module(vec![f]), Some("f"), Some(1)),
            VerifyReason::DepthMismatch { one: 0, other: 1 }
        );
    }

    #[test]
    fn a_reachable_handler_needs_room_for_the_exception() {
        let mut f = func("f", 0, vec![Nop, Return, Throw]);
        f.max_stack = 0;
        f.handlers.push(handler(0, 1, 2, None));
        assert_eq!(
            refused(&module(vec![f]), Some("f"), Some(2)),
            VerifyReason::StackOverflow {
                depth: 1,
                max_stack: 0
            }
        );
    }

    #[test]
    fn handlers_of_unreachable_ranges_are_not_analysed() {
        // the range [2, 3) is unreachable, so its handler (which underflows) is too
        let mut f = func("f", 0, vec![Return, Return, Nop, Return, Pop, Pop, Return]);
        f.handlers.push(handler(2, 3, 4, None));
        assert_eq!(verify(&module(vec![f])), Ok(()));
    }
}
