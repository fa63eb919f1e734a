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
        let after = base.checked_add(effect.pushes).unwrap_or(u32::MAX);
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
