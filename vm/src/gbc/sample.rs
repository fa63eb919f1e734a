//! Hand-built modules for the `.gbc` tests: one instruction of every opcode
//! (so every operand kind), and a module that fills every table.

use crate::builtin::{ARITHMETIC_EXCEPTION, EXCEPTION};
use crate::isa::{
    ClassIdx, ConstIdx, FieldRef, FuncIdx, IncOperand, Instruction, Local, NativeIdx, Operand,
    OperandKind, StaticIdx, Target, ValueType, OPCODES,
};
use crate::module::{
    ClassDef, Constant, FieldDef, Function, Handler, LineEntry, Module, StaticDef,
};

/// One instruction per opcode, in opcode order, with operands whose bytes
/// differ from each other (so a misplaced byte would show).
pub fn every_instruction() -> Vec<Instruction> {
    OPCODES
        .iter()
        .map(|info| {
            let operand = match info.operand {
                OperandKind::None => Operand::None,
                OperandKind::Int => Operand::Int(-123_456_789),
                OperandKind::Local => Operand::Local(Local(0x1234)),
                OperandKind::Const => Operand::Const(ConstIdx(2)),
                OperandKind::Target => Operand::Target(Target(0x0102_0304)),
                OperandKind::Func => Operand::Func(FuncIdx(1)),
                OperandKind::Class => Operand::Class(ClassIdx(u32::MAX - 1)),
                OperandKind::Field => Operand::Field(FieldRef {
                    class: 0xABCD,
                    field: 0x0102,
                }),
                OperandKind::Static => Operand::Static(StaticIdx(7)),
                OperandKind::Native => Operand::Native(NativeIdx(3)),
                OperandKind::Type => Operand::Type(ValueType::Ref),
                OperandKind::Inc => Operand::Inc(IncOperand {
                    local: Local(65535),
                    delta: i16::MIN,
                }),
            };
            Instruction::from_parts(info.opcode, operand)
                .expect("the sample operand fits its opcode")
        })
        .collect()
}

/// A module with entries in every table and every optional field both set
/// and unset.
pub fn full_module() -> Module {
    Module {
        source_name: "sample.gasm".into(),
        constants: vec![
            Constant::Int(i64::MIN),
            Constant::Int(42),
            Constant::Float(-0.0),
            Constant::Float(f64::INFINITY),
            Constant::Str(String::new()),
            Constant::Str("héllo, wörld 😀\n".into()),
        ],
        classes: vec![
            ClassDef {
                name: "Empty".into(),
                superclass: None,
                fields: vec![],
            },
            ClassDef {
                name: "Node".into(),
                superclass: None,
                fields: vec![
                    FieldDef {
                        name: "value".into(),
                        ty: ValueType::Int,
                    },
                    FieldDef {
                        name: "weight".into(),
                        ty: ValueType::Float,
                    },
                    FieldDef {
                        name: "next".into(),
                        ty: ValueType::Ref,
                    },
                ],
            },
            ClassDef {
                name: "BadInput".into(),
                superclass: Some(EXCEPTION),
                fields: vec![],
            },
        ],
        statics: vec![
            StaticDef {
                name: "counter".into(),
                ty: ValueType::Int,
            },
            StaticDef {
                name: "head".into(),
                ty: ValueType::Ref,
            },
        ],
        natives: vec!["println".into(), "nanoTime".into()],
        functions: vec![
            Function {
                name: "main".into(),
                params: 1,
                locals: 3,
                returns_value: false,
                max_stack: 4,
                local_names: vec!["args".into(), "i".into(), "e".into()],
                code: every_instruction(),
                handlers: vec![
                    Handler {
                        start: 0,
                        end: 5,
                        handler: 9,
                        class: Some(ARITHMETIC_EXCEPTION),
                    },
                    Handler {
                        start: 1,
                        end: 2,
                        handler: 3,
                        class: Some(Module::user_class_idx(2)),
                    },
                    Handler {
                        start: 0,
                        end: 40,
                        handler: 50,
                        class: None,
                    },
                ],
                lines: vec![
                    LineEntry { pc: 0, line: 3 },
                    LineEntry { pc: 4, line: 4 },
                    LineEntry { pc: 9, line: 12 },
                ],
            },
            Function {
                name: "answer".into(),
                params: 0,
                locals: 2,
                returns_value: true,
                max_stack: 1,
                local_names: vec![],
                code: vec![Instruction::IConst(42), Instruction::VReturn],
                handlers: vec![],
                lines: vec![],
            },
            Function {
                name: "empty".into(),
                params: 0,
                locals: 0,
                returns_value: false,
                max_stack: 0,
                local_names: vec![],
                code: vec![],
                handlers: vec![],
                lines: vec![],
            },
        ],
    }
}
