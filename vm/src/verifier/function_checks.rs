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

#[cfg(test)]
mod tests {
    use crate::builtin::{ARITHMETIC_EXCEPTION, EXCEPTION, THROWABLE};
    use crate::isa::Instruction::*;
    use crate::isa::*;
    use crate::module::Module;
    use crate::verifier::test_support::*;
    use crate::verifier::{verify, VerifyReason};

    #[test]
    fn empty_code_is_refused() {
        assert_eq!(
            refused(&single(vec![]), Some("f"), None),
            VerifyReason::EmptyCode
        );
    }

    #[test]
    fn fewer_locals_than_params_is_refused() {
        let mut f = func("f", 2, vec![Return]);
        f.locals = 1;
        assert_eq!(
            refused(&module(vec![f]), Some("f"), None),
            VerifyReason::LocalsBelowParams {
                locals: 1,
                params: 2
            }
        );
    }

    #[test]
    fn local_names_of_the_wrong_length_are_refused() {
        let mut f = func("f", 2, vec![Return]);
        f.local_names = vec!["a".to_string()];
        assert_eq!(
            refused(&module(vec![f.clone()]), Some("f"), None),
            VerifyReason::LocalNamesLength {
                names: 1,
                locals: 2
            }
        );
        f.local_names.push("b".to_string());
        assert_eq!(verify(&module(vec![f])), Ok(()));
    }

    #[test]
    fn handler_ranges_must_be_non_empty_and_inside_the_code() {
        for (start, end) in [(1, 1), (2, 1), (0, 3)] {
            let mut f = func("f", 0, vec![Nop, Return]);
            f.handlers.push(handler(start, end, 0, None));
            assert!(
                matches!(
                    refused(&module(vec![f]), Some("f"), None),
                    VerifyReason::HandlerRangeInvalid { index: 0, .. }
                ),
                "[{start}, {end})"
            );
        }
    }

    #[test]
    fn handler_target_out_of_range_is_refused() {
        let mut f = func("f", 0, vec![Nop, Return]);
        f.handlers.push(handler(0, 1, 2, None));
        assert_eq!(
            refused(&module(vec![f]), Some("f"), None),
            VerifyReason::HandlerTargetOutOfRange {
                index: 0,
                handler: 2,
                code_len: 2
            }
        );
    }

    #[test]
    fn handler_class_out_of_range_is_refused() {
        let mut f = func("f", 0, vec![Nop, Return]);
        f.handlers.push(handler(0, 1, 1, Some(ClassIdx(500))));
        assert!(matches!(
            refused(&module(vec![f]), Some("f"), None),
            VerifyReason::HandlerClassOutOfRange {
                index: 0,
                class: 500,
                ..
            }
        ));
    }

    #[test]
    fn handler_class_must_be_a_throwable() {
        // code: nop; return; handler: pop; return
        let mut f = func("f", 0, vec![Nop, Return, Pop, Return]);
        f.handlers
            .push(handler(0, 1, 2, Some(Module::user_class_idx(0))));
        let mut m = module(vec![f]);
        m.classes.push(class("Point", None, &["x"]));
        assert_eq!(
            refused(&m, Some("f"), None),
            VerifyReason::HandlerClassNotThrowable {
                index: 0,
                class: "Point".to_string()
            }
        );
        // a user class two levels below Exception is fine
        m.classes[0].superclass = Some(Module::user_class_idx(1));
        m.classes.push(class("MyException", Some(EXCEPTION), &[]));
        assert_eq!(verify(&m), Ok(()));
    }

    #[test]
    fn branch_target_out_of_range_is_refused_even_when_unreachable() {
        let m = single(vec![Return, Goto(t(99)), Return]);
        assert_eq!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::BranchTargetOutOfRange {
                target: 99,
                code_len: 3
            }
        );
    }

    #[test]
    fn local_indices_must_be_below_locals() {
        let inc = IInc(IncOperand {
            local: Local(1),
            delta: 1,
        });
        for (code, pc) in [
            (vec![Load(Local(1)), Pop, Return], 0),
            (vec![IConst(1), Store(Local(1)), Return], 1),
            (vec![inc, Return], 0),
        ] {
            let mut f = func("f", 1, code);
            f.locals = 1;
            assert_eq!(
                refused(&module(vec![f]), Some("f"), Some(pc)),
                VerifyReason::LocalOutOfRange {
                    local: 1,
                    locals: 1
                }
            );
        }
    }

    #[test]
    fn constant_index_out_of_range_is_refused() {
        let m = single(vec![Ldc(ConstIdx(1)), Ldc(ConstIdx(2)), Return]);
        assert_eq!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::ConstantOutOfRange {
                index: 2,
                constant_count: 2
            }
        );
    }

    #[test]
    fn function_index_out_of_range_is_refused() {
        let m = single(vec![Call(FuncIdx(1)), Return]);
        assert_eq!(
            refused(&m, Some("f"), Some(0)),
            VerifyReason::FunctionOutOfRange {
                index: 1,
                function_count: 1
            }
        );
    }

    #[test]
    fn class_index_out_of_range_is_refused() {
        let bad = ClassIdx(crate::builtin::BUILTIN_CLASS_COUNT as u32);
        for insn in [New(bad), InstanceOf(bad), CheckCast(bad)] {
            let code = if insn == New(bad) {
                vec![insn, Pop, Return]
            } else {
                vec![AConstNull, insn, Pop, Return]
            };
            let pc = if insn == New(bad) { 0 } else { 1 };
            assert!(matches!(
                refused(&single(code), Some("f"), Some(pc)),
                VerifyReason::ClassOutOfRange { .. }
            ));
        }
    }

    #[test]
    fn field_index_must_be_below_the_class_own_field_count() {
        let node = Module::user_class_idx(0).0 as u16;
        let code = |field: FieldRef| vec![AConstNull, GetField(field), Pop, Return];
        let mut m = single(code(FieldRef {
            class: node,
            field: 1,
        }));
        m.classes.push(class("Node", None, &["value"]));
        assert_eq!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::FieldOutOfRange {
                class: "Node".to_string(),
                field: 1,
                field_count: 1
            }
        );
        // field 0 of Node is fine, and so is Throwable.message
        m.functions[0].code = code(FieldRef {
            class: node,
            field: 0,
        });
        assert_eq!(verify(&m), Ok(()));
        m.functions[0].code = code(FieldRef {
            class: THROWABLE.0 as u16,
            field: 0,
        });
        assert_eq!(verify(&m), Ok(()));
        // ArithmeticException inherits `message` but declares no field itself
        m.functions[0].code = code(FieldRef {
            class: ARITHMETIC_EXCEPTION.0 as u16,
            field: 0,
        });
        assert!(matches!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::FieldOutOfRange { .. }
        ));
        // a field of a class that does not exist
        m.functions[0].code = vec![
            AConstNull,
            IConst(1),
            PutField(FieldRef {
                class: 900,
                field: 0,
            }),
            Return,
        ];
        assert!(matches!(
            refused(&m, Some("f"), Some(2)),
            VerifyReason::ClassOutOfRange { index: 900, .. }
        ));
    }

    #[test]
    fn static_index_out_of_range_is_refused() {
        let m = single(vec![
            GetStatic(StaticIdx(0)),
            PutStatic(StaticIdx(1)),
            Return,
        ]);
        assert_eq!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::StaticOutOfRange {
                index: 1,
                static_count: 1
            }
        );
    }

    #[test]
    fn native_index_out_of_range_is_refused() {
        let m = single(vec![CallNative(NativeIdx(2)), Return]);
        assert_eq!(
            refused(&m, Some("f"), Some(0)),
            VerifyReason::NativeOutOfRange {
                index: 2,
                native_count: 2
            }
        );
    }

    #[test]
    fn return_kinds_must_match_the_function() {
        let m = module(vec![value_func("f", 0, vec![Return])]);
        assert_eq!(
            refused(&m, Some("f"), Some(0)),
            VerifyReason::ReturnInValueFunction
        );
        let m = single(vec![IConst(1), VReturn]);
        assert_eq!(
            refused(&m, Some("f"), Some(1)),
            VerifyReason::VReturnInVoidFunction
        );
    }
}
