//! Whole-verifier tests over hand-built modules: valid modules of several
//! shapes, `infer_max_stack`, messages, and a never-panics sweep over
//! pseudo-random modules. The tests of each rule sit beside the rule, in
//! `module_checks.rs`, `function_checks.rs` and `stack_depth.rs`.

use super::test_support::*;
use super::*;
use crate::builtin::{ARITHMETIC_EXCEPTION, EXCEPTION, RUNTIME_EXCEPTION, THROWABLE};
use crate::isa::Instruction::*;
use crate::isa::{
    ClassIdx, ConstIdx, FieldRef, FuncIdx, IncOperand, Instruction, Local, NativeIdx, StaticIdx,
    Target, ValueType,
};

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
