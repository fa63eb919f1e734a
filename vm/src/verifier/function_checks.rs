//! Per-function checks that need no data flow: the function's header, its
//! exception table, and every instruction's operand (reachable or not).
//!
//! Invariant on success: every branch target, handler pc, local, constant,
//! function, class, field, static and native index in the function is in
//! range, so the data-flow pass ([`super::stack_depth`]) may index with them.

use super::error::{VerifyError, VerifyReason};
use crate::builtin::{self, BUILTIN_CLASS_COUNT, THROWABLE};
use crate::isa::{ClassIdx, FieldRef, Instruction, Local};
use crate::module::{Function, Module};

/// Where a per-function error is reported: the function, and optionally an
/// instruction in it.
pub(super) fn error_in(func: &Function, pc: Option<usize>, reason: VerifyReason) -> VerifyError {
    let insn = pc.and_then(|pc| func.code.get(pc));
    VerifyError {
        function: Some(func.name.clone()),
        pc: pc.map(|pc| pc as u32),
        mnemonic: insn.map(|i| i.mnemonic()),
        reason,
    }
}

/// Total number of classes, built-in and user.
pub(super) fn class_count(module: &Module) -> usize {
    BUILTIN_CLASS_COUNT.saturating_add(module.classes.len())
}

/// The superclass of any class, or `None` for a root or out-of-range index.
pub(super) fn superclass_of(module: &Module, class: ClassIdx) -> Option<ClassIdx> {
    match builtin::builtin_class(class) {
        Some(b) => b.superclass,
        None => module.user_class(class).and_then(|c| c.superclass),
    }
}

/// Whether `class` is Throwable or a subclass of it. The walk is bounded by
/// the number of classes, so a superclass cycle answers `false` rather than
/// looping.
pub(super) fn is_throwable(module: &Module, class: ClassIdx) -> bool {
    let mut current = Some(class);
    for _ in 0..=class_count(module) {
        match current {
            Some(c) if c == THROWABLE => return true,
            Some(c) => current = superclass_of(module, c),
            None => return false,
        }
    }
    false
}

/// The function's header: non-empty code, locals and their names.
pub(super) fn check_header(func: &Function) -> Result<(), VerifyError> {
    if func.code.is_empty() {
        return Err(error_in(func, None, VerifyReason::EmptyCode));
    }
    if func.locals < func.params {
        let reason = VerifyReason::LocalsBelowParams {
            locals: func.locals,
            params: func.params,
        };
        return Err(error_in(func, None, reason));
    }
    if !func.local_names.is_empty() && func.local_names.len() != func.locals as usize {
        let reason = VerifyReason::LocalNamesLength {
            names: func.local_names.len(),
            locals: func.locals,
        };
        return Err(error_in(func, None, reason));
    }
    Ok(())
}

/// The exception table: ranges, handler pcs and caught classes.
pub(super) fn check_handlers(module: &Module, func: &Function) -> Result<(), VerifyError> {
    let code_len = func.code.len();
    for (index, h) in func.handlers.iter().enumerate() {
        if h.start >= h.end || h.end as usize > code_len {
            let reason = VerifyReason::HandlerRangeInvalid {
                index,
                start: h.start,
                end: h.end,
                code_len,
            };
            return Err(error_in(func, None, reason));
        }
        if h.handler as usize >= code_len {
            let reason = VerifyReason::HandlerTargetOutOfRange {
                index,
                handler: h.handler,
                code_len,
            };
            return Err(error_in(func, None, reason));
        }
        if let Some(class) = h.class {
            if class.0 as usize >= class_count(module) {
                let reason = VerifyReason::HandlerClassOutOfRange {
                    index,
                    class: class.0,
                    class_count: class_count(module),
                };
                return Err(error_in(func, None, reason));
            }
            if !is_throwable(module, class) {
                let name = module.class_name(class).unwrap_or("?").to_string();
                let reason = VerifyReason::HandlerClassNotThrowable { index, class: name };
                return Err(error_in(func, None, reason));
            }
        }
    }
    Ok(())
}

/// Every instruction's operand, in pc order.
pub(super) fn check_operands(module: &Module, func: &Function) -> Result<(), VerifyError> {
    for (pc, insn) in func.code.iter().enumerate() {
        if let Err(reason) = check_operand(module, func, insn) {
            return Err(error_in(func, Some(pc), reason));
        }
    }
    Ok(())
}

/// One instruction's operand against the table it indexes.
fn check_operand(module: &Module, func: &Function, insn: &Instruction) -> Result<(), VerifyReason> {
    match *insn {
        Instruction::Load(local) | Instruction::Store(local) => check_local(func, local),
        Instruction::IInc(inc) => check_local(func, inc.local),
        Instruction::Ldc(c) => {
            if (c.0 as usize) < module.constants.len() {
                Ok(())
            } else {
                Err(VerifyReason::ConstantOutOfRange {
                    index: c.0,
                    constant_count: module.constants.len(),
                })
            }
        }
        Instruction::Call(f) => {
            if (f.0 as usize) < module.functions.len() {
                Ok(())
            } else {
                Err(VerifyReason::FunctionOutOfRange {
                    index: f.0,
                    function_count: module.functions.len(),
                })
            }
        }
        Instruction::CallNative(n) => match module.natives.get(n.0 as usize) {
            None => Err(VerifyReason::NativeOutOfRange {
                index: n.0,
                native_count: module.natives.len(),
            }),
            Some(name) if builtin::native_by_name(name).is_none() => {
                Err(VerifyReason::UnknownNative { name: name.clone() })
            }
            Some(_) => Ok(()),
        },
        Instruction::New(c) | Instruction::InstanceOf(c) | Instruction::CheckCast(c) => {
            check_class(module, c)
        }
        Instruction::Return if func.returns_value => Err(VerifyReason::ReturnInValueFunction),
        Instruction::VReturn if !func.returns_value => Err(VerifyReason::VReturnInVoidFunction),
        Instruction::GetField(field) | Instruction::PutField(field) => check_field(module, field),
        Instruction::GetStatic(s) | Instruction::PutStatic(s) => {
            if (s.0 as usize) < module.statics.len() {
                Ok(())
            } else {
                Err(VerifyReason::StaticOutOfRange {
                    index: s.0,
                    static_count: module.statics.len(),
                })
            }
        }
        _ => match insn.branch_target() {
            Some(t) if t.0 as usize >= func.code.len() => {
                Err(VerifyReason::BranchTargetOutOfRange {
                    target: t.0,
                    code_len: func.code.len(),
                })
            }
            _ => Ok(()),
        },
    }
}

fn check_local(func: &Function, local: Local) -> Result<(), VerifyReason> {
    if local.0 < func.locals {
        Ok(())
    } else {
        Err(VerifyReason::LocalOutOfRange {
            local: local.0,
            locals: func.locals,
        })
    }
}

fn check_class(module: &Module, class: ClassIdx) -> Result<(), VerifyReason> {
    if (class.0 as usize) < class_count(module) {
        Ok(())
    } else {
        Err(VerifyReason::ClassOutOfRange {
            index: class.0,
            class_count: class_count(module),
        })
    }
}

/// A field reference: its class exists and declares at least `field + 1`
/// fields of its own.
fn check_field(module: &Module, field: FieldRef) -> Result<(), VerifyReason> {
    let class = ClassIdx(u32::from(field.class));
    check_class(module, class)?;
    let own_fields = match builtin::builtin_class(class) {
        Some(b) => b.fields.len(),
        None => module.user_class(class).map_or(0, |c| c.fields.len()),
    };
    if (field.field as usize) < own_fields {
        Ok(())
    } else {
        Err(VerifyReason::FieldOutOfRange {
            class: module.class_name(class).unwrap_or("?").to_string(),
            field: field.field,
            field_count: own_fields,
        })
    }
}
