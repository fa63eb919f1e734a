//! Builders for the verifier's tests: small modules written directly as
//! `Module` structs, without the assembler.

use super::{verify, VerifyReason};
use crate::isa::ValueType;
use crate::isa::{ClassIdx, Instruction, Target};
use crate::module::{ClassDef, Constant, FieldDef, Function, Handler, Module, StaticDef};

/// A function with `params` parameters and as many locals, no result,
/// `max_stack` 8, and the given code.
pub fn func(name: &str, params: u16, code: Vec<Instruction>) -> Function {
    Function {
        name: name.to_string(),
        params,
        locals: params,
        returns_value: false,
        max_stack: 8,
        local_names: Vec::new(),
        code,
        handlers: Vec::new(),
        lines: Vec::new(),
    }
}

/// Like [`func`], but declared to return a value.
pub fn value_func(name: &str, params: u16, code: Vec<Instruction>) -> Function {
    Function {
        returns_value: true,
        ..func(name, params, code)
    }
}

/// A catch-everything (`class: None`) or typed exception-table entry.
pub fn handler(start: u32, end: u32, handler: u32, class: Option<ClassIdx>) -> Handler {
    Handler {
        start,
        end,
        handler,
        class,
    }
}

/// A user class with the given superclass and field names (all `int`).
pub fn class(name: &str, superclass: Option<ClassIdx>, fields: &[&str]) -> ClassDef {
    ClassDef {
        name: name.to_string(),
        superclass,
        fields: fields
            .iter()
            .map(|f| FieldDef {
                name: f.to_string(),
                ty: ValueType::Int,
            })
            .collect(),
    }
}

/// A module holding the given functions, one int constant, one static and
/// the natives `println` and `nanoTime`.
pub fn module(functions: Vec<Function>) -> Module {
    Module {
        source_name: "test.gasm".to_string(),
        constants: vec![Constant::Int(42), Constant::Str("hi".to_string())],
        classes: Vec::new(),
        statics: vec![StaticDef {
            name: "counter".to_string(),
            ty: ValueType::Int,
        }],
        natives: vec!["println".to_string(), "nanoTime".to_string()],
        functions,
    }
}

/// Asserts that `m` is refused at `function`/`pc` and returns the reason.
pub fn refused(m: &Module, function: Option<&str>, pc: Option<u32>) -> VerifyReason {
    let err = verify(m).expect_err("module should be refused");
    assert_eq!(err.function.as_deref(), function, "wrong function in {err}");
    assert_eq!(err.pc, pc, "wrong pc in {err}");
    err.reason
}

/// A one-function module whose function `f` has the given code and locals.
pub fn single(code: Vec<Instruction>) -> Module {
    module(vec![func("f", 0, code)])
}

pub fn t(pc: u32) -> Target {
    Target(pc)
}
