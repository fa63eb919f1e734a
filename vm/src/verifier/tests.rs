//! Tests of `verify` and `infer_max_stack` over hand-built modules: one
//! module per rule that breaks exactly that rule, valid modules of several
//! shapes, and a never-panics sweep over pseudo-random modules.

use super::test_support::*;
use super::*;
use crate::builtin::{ARITHMETIC_EXCEPTION, EXCEPTION, RUNTIME_EXCEPTION, THROWABLE};
use crate::isa::Instruction::*;
use crate::isa::{
    ClassIdx, ConstIdx, FieldRef, FuncIdx, IncOperand, Instruction, Local, NativeIdx, StaticIdx,
    Target, ValueType,
};
use crate::module::Module;

/// Asserts that `m` is refused at `function`/`pc` and returns the reason.
fn refused(m: &Module, function: Option<&str>, pc: Option<u32>) -> VerifyReason {
    let err = verify(m).expect_err("module should be refused");
    assert_eq!(err.function.as_deref(), function, "wrong function in {err}");
    assert_eq!(err.pc, pc, "wrong pc in {err}");
    err.reason
}

/// A one-function module whose function `f` has the given code and locals.
fn single(code: Vec<Instruction>) -> Module {
    module(vec![func("f", 0, code)])
}

fn t(pc: u32) -> Target {
    Target(pc)
}

// ---- module-level rules ---------------------------------------------------

#[test]
fn unknown_native_is_refused_at_module_level() {
    let mut m = single(vec![Return]);
    m.natives.push("launchMissiles".to_string());
    let reason = refused(&m, None, None);
    assert_eq!(
        reason,
        VerifyReason::UnknownNative {
            name: "launchMissiles".to_string()
        }
    );
}

#[test]
fn module_errors_come_before_function_errors() {
    let mut m = single(vec![]); // EmptyCode, but the native is checked first
    m.natives.push("nope".to_string());
    assert!(matches!(
        refused(&m, None, None),
        VerifyReason::UnknownNative { .. }
    ));
}

#[test]
fn superclass_out_of_range_is_refused() {
    let mut m = single(vec![Return]);
    m.classes.push(class("A", Some(ClassIdx(999)), &[]));
    let reason = refused(&m, None, None);
    assert!(
        matches!(reason, VerifyReason::SuperclassOutOfRange { ref class, superclass: 999, .. } if class == "A")
    );
}

#[test]
fn superclass_cycles_are_refused() {
    let mut m = single(vec![Return]);
    let a = Module::user_class_idx(0);
    let b = Module::user_class_idx(1);
    m.classes.push(class("A", Some(b), &[]));
    m.classes.push(class("B", Some(a), &[]));
    assert!(matches!(
        refused(&m, None, None),
        VerifyReason::SuperclassCycle { .. }
    ));

    let mut m = single(vec![Return]);
    m.classes
        .push(class("Self", Some(Module::user_class_idx(0)), &[]));
    assert_eq!(
        refused(&m, None, None),
        VerifyReason::SuperclassCycle {
            class: "Self".to_string()
        }
    );
}

#[test]
fn long_superclass_chains_are_accepted() {
    let mut m = single(vec![Return]);
    m.classes.push(class("C0", Some(EXCEPTION), &[]));
    for i in 1..200 {
        m.classes.push(class(
            &format!("C{i}"),
            Some(Module::user_class_idx(i - 1)),
            &[],
        ));
    }
    assert_eq!(verify(&m), Ok(()));
}

#[test]
fn duplicate_field_names_are_refused() {
    let mut m = single(vec![Return]);
    m.classes
        .push(class("Node", None, &["value", "next", "value"]));
    assert_eq!(
        refused(&m, None, None),
        VerifyReason::DuplicateFieldName {
            class: "Node".to_string(),
            field: "value".to_string()
        }
    );
}

#[test]
fn duplicate_function_names_are_refused() {
    let m = module(vec![func("f", 0, vec![Return]), func("f", 0, vec![Return])]);
    assert_eq!(
        refused(&m, None, None),
        VerifyReason::DuplicateFunctionName {
            name: "f".to_string()
        }
    );
}

#[test]
fn main_with_two_params_is_refused() {
    let m = module(vec![func("main", 2, vec![Return])]);
    assert_eq!(
        refused(&m, Some("main"), None),
        VerifyReason::MainParams { params: 2 }
    );
    let m = module(vec![func("main", 1, vec![Return])]);
    assert_eq!(verify(&m), Ok(()));
}

// ---- function header and exception table ------------------------------------

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

// ---- operands -------------------------------------------------------------

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

// ---- data flow ------------------------------------------------------------

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

// ---- valid modules ----------------------------------------------------------

/// `fib(n)`: recursion, a conditional branch and calls with arguments.
fn fib() -> crate::module::Function {
    value_func(
        "fib",
        1,
        vec![
            Load(Local(0)),   // 0
            IConst(2),        // 1
            IfICmpLt(t(11)),  // 2
            Load(Local(0)),   // 3
            IConst(1),        // 4
            ISub,             // 5
            Call(FuncIdx(1)), // 6
            Load(Local(0)),   // 7
            IConst(2),        // 8
            ISub,             // 9
            Goto(t(13)),      // 10
            Load(Local(0)),   // 11
            VReturn,          // 12
            Call(FuncIdx(1)), // 13
            IAdd,             // 14
            VReturn,          // 15
        ],
    )
}

#[test]
fn recursion_and_calls_with_arguments_are_accepted() {
    let main = func(
        "main",
        0,
        vec![
            IConst(20),
            Call(FuncIdx(1)),
            CallNative(NativeIdx(0)),
            Return,
        ],
    );
    let m = module(vec![main, fib()]);
    assert_eq!(verify(&m), Ok(()));
    assert_eq!(infer_max_stack(&m, 1), Ok(3));
}

#[test]
fn a_counting_loop_is_accepted() {
    // i = 10; while (i > 0) { println(i); i -= 1 }
    let mut f = func(
        "main",
        0,
        vec![
            IConst(10),               // 0
            Store(Local(0)),          // 1
            Load(Local(0)),           // 2
            IfLe(t(8)),               // 3
            Load(Local(0)),           // 4
            CallNative(NativeIdx(0)), // 5
            IInc(IncOperand {
                local: Local(0),
                delta: -1,
            }), // 6
            Goto(t(2)),               // 7
            Return,                   // 8
        ],
    );
    f.locals = 1;
    f.max_stack = 1;
    assert_eq!(verify(&module(vec![f])), Ok(()));
}

#[test]
fn nested_try_catch_and_throw_of_a_builtin_exception_are_accepted() {
    // outer try [0, 9) catch Exception -> 11; inner try [0, 5) catch ArithmeticException -> 5
    let message = FieldRef {
        class: THROWABLE.0 as u16,
        field: 0,
    };
    let mut f = func(
        "main",
        0,
        vec![
            New(ARITHMETIC_EXCEPTION), // 0
            Dup,                       // 1
            Ldc(ConstIdx(1)),          // 2
            PutField(message),         // 3
            Throw,                     // 4
            GetField(message),         // 5  inner handler: exc -> message
            CallNative(NativeIdx(0)),  // 6
            New(RUNTIME_EXCEPTION),    // 7
            Throw,                     // 8
            Return,                    // 9  unreachable
            Return,                    // 10 unreachable
            Pop,                       // 11 outer handler
            Return,                    // 12
        ],
    );
    f.max_stack = 3;
    f.handlers
        .push(handler(0, 5, 5, Some(ARITHMETIC_EXCEPTION)));
    f.handlers.push(handler(0, 9, 11, Some(EXCEPTION)));
    let m = module(vec![f]);
    assert_eq!(verify(&m), Ok(()));
    assert_eq!(infer_max_stack(&m, 0), Ok(3));
}

#[test]
fn handler_chains_are_followed_through_rounds() {
    // handler 1 covers only handler 0's code: it is reached in a second round
    let mut f = func("f", 0, vec![Nop, Return, Throw, Dup, Dup, Throw]);
    f.handlers.push(handler(2, 3, 3, None)); // only reachable via handler 1
    f.handlers.push(handler(0, 1, 2, None));
    let m = module(vec![f]);
    assert_eq!(verify(&m), Ok(()));
    assert_eq!(infer_max_stack(&m, 0), Ok(3));
}

// ---- infer_max_stack ----------------------------------------------------------

#[test]
fn infer_max_stack_of_straight_line_code() {
    let m = module(vec![func(
        "main",
        0,
        vec![IConst(1), IConst(2), IAdd, Pop, Return],
    )]);
    assert_eq!(infer_max_stack(&m, 0), Ok(2));
}

#[test]
fn infer_max_stack_ignores_the_declared_max_stack() {
    let mut f = func(
        "main",
        0,
        vec![IConst(1), Dup, Dup2, Pop, Pop, Pop, Pop, Return],
    );
    f.max_stack = 0;
    let m = module(vec![f]);
    assert_eq!(infer_max_stack(&m, 0), Ok(4));
    assert!(verify(&m).is_err());
}

#[test]
fn infer_max_stack_takes_the_deeper_branch() {
    // if (x) { push 3 values } else { push 1 }; both pop back to 0
    let code = vec![
        IConst(0),  // 0
        IfEq(t(8)), // 1
        IConst(1),  // 2
        IConst(2),  // 3
        IConst(3),  // 4
        IAdd,       // 5
        IAdd,       // 6
        Goto(t(9)), // 7
        IConst(4),  // 8
        Pop,        // 9
        Return,     // 10
    ];
    let m = module(vec![func("main", 0, code)]);
    assert_eq!(infer_max_stack(&m, 0), Ok(3));
}

#[test]
fn infer_max_stack_reports_errors_like_verify() {
    let m = single(vec![IConst(1), IfEq(t(3)), IConst(7), Return]);
    assert!(matches!(
        infer_max_stack(&m, 0),
        Err(VerifyError {
            reason: VerifyReason::DepthMismatch { .. },
            pc: Some(3),
            ..
        })
    ));
    assert!(matches!(
        infer_max_stack(&single(vec![Goto(t(5))]), 0),
        Err(VerifyError {
            reason: VerifyReason::BranchTargetOutOfRange { .. },
            ..
        })
    ));
    assert_eq!(
        infer_max_stack(&m, 7).map_err(|e| e.reason),
        Err(VerifyReason::NoSuchFunction {
            index: 7,
            function_count: 1
        })
    );
}

// ---- messages -------------------------------------------------------------

#[test]
fn messages_name_the_function_the_pc_and_the_instruction() {
    let mut f = func(
        "fib",
        0,
        vec![IConst(1), IConst(2), IfICmpLt(t(99)), Return],
    );
    f.returns_value = false;
    let err = verify(&module(vec![f])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "verify error: function `fib`, pc 2 (if_icmplt): branch target 99 out of range \
         (function has 4 instructions)"
    );
    let mut m = single(vec![Return]);
    m.natives.push("nope".to_string());
    assert_eq!(
        verify(&m).unwrap_err().to_string(),
        "verify error: module: unknown native `nope`"
    );
}

// ---- robustness -------------------------------------------------------------

/// A small deterministic pseudo-random generator (xorshift) for the sweep.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random instruction whose operands are small numbers, often out of range.
fn random_instruction(rng: &mut Rng) -> Instruction {
    use crate::isa::{Operand, OperandKind, OPCODES};
    let info = &OPCODES[rng.below(OPCODES.len() as u64) as usize];
    let small = rng.below(8) as u32;
    let operand = match info.operand {
        OperandKind::None => Operand::None,
        OperandKind::Int => Operand::Int(small as i32),
        OperandKind::Local => Operand::Local(Local(small as u16)),
        OperandKind::Const => Operand::Const(ConstIdx(small)),
        OperandKind::Target => Operand::Target(Target(small)),
        OperandKind::Func => Operand::Func(FuncIdx(small % 3)),
        OperandKind::Class => Operand::Class(ClassIdx(small * 3)),
        OperandKind::Field => Operand::Field(FieldRef {
            class: (small * 3) as u16,
            field: 0,
        }),
        OperandKind::Static => Operand::Static(StaticIdx(small % 2)),
        OperandKind::Native => Operand::Native(NativeIdx(small % 3)),
        OperandKind::Type => Operand::Type(ValueType::Int),
        OperandKind::Inc => Operand::Inc(IncOperand {
            local: Local(small as u16),
            delta: 1,
        }),
    };
    Instruction::from_parts(info.opcode, operand).unwrap_or(Nop)
}

#[test]
fn random_modules_never_panic_and_agree_with_infer_max_stack() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let mut functions = Vec::new();
        for i in 0..1 + rng.below(3) {
            let len = rng.below(9) as usize;
            let code = (0..len).map(|_| random_instruction(&mut rng)).collect();
            let mut f = func(&format!("f{i}"), rng.below(3) as u16, code);
            f.locals = f.params + rng.below(3) as u16;
            f.returns_value = rng.below(2) == 0;
            f.max_stack = rng.below(5) as u16;
            for _ in 0..rng.below(3) {
                let h = handler(
                    rng.below(9) as u32,
                    rng.below(9) as u32,
                    rng.below(9) as u32,
                    if rng.below(2) == 0 {
                        None
                    } else {
                        Some(ClassIdx(rng.below(20) as u32))
                    },
                );
                f.handlers.push(h);
            }
            functions.push(f);
        }
        let mut m = module(functions);
        if rng.below(4) == 0 {
            m.classes
                .push(class("C", Some(ClassIdx(rng.below(20) as u32)), &["a"]));
        }
        for (i, f) in m.functions.iter().enumerate() {
            let inferred = infer_max_stack(&m, i);
            if let Ok(depth) = inferred {
                // with the declared limit raised to the inferred depth, the
                // function's own checks pass
                let mut fixed = m.clone();
                fixed.functions[i].max_stack = depth;
                assert!(check_function(&fixed, &fixed.functions[i], Some(depth)).is_ok());
                assert!(depth <= 8 * 4 + 1, "{f:?}");
            }
        }
        if verify(&m).is_ok() {
            accepted += 1;
        }
    }
    assert!(accepted > 0, "the sweep should produce some valid modules");
}
