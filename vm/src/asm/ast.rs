//! The syntax tree: a `.gasm` file as written, before any name is resolved.
//!
//! The parser builds it; the assembler turns it into a [`crate::module::Module`].
//! Every name keeps the position it was written at, so resolution errors
//! (undefined label, duplicate class, ...) point at the offending token.
//!
//! Invariants established by the parser:
//! - Numeric operands are already range-checked (i32 immediates, i16 deltas,
//!   u16 locals and counts).
//! - Each instruction's operand syntax matches its opcode's [`OperandKind`]
//!   (e.g. a `Target` opcode always has an [`OperandSyntax::Target`]).
//!
//! [`OperandKind`]: crate::isa::OperandKind

use super::error::Pos;
use crate::isa::{OpInfo, ValueType};
use crate::module::Constant;

/// A value and the position of the token it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> Spanned<T> {
    pub fn new(value: T, pos: Pos) -> Spanned<T> {
        Spanned { value, pos }
    }
}

/// A whole source file.
#[derive(Clone, Debug, Default)]
pub struct SourceModule {
    /// `.source "name"`.
    pub source_name: Option<Spanned<String>>,
    /// `.const` declarations, in order: they open the constant pool.
    pub consts: Vec<Spanned<Constant>>,
    /// `.native` declarations, in order: they open the native table.
    pub natives: Vec<Spanned<String>>,
    pub classes: Vec<ClassDecl>,
    pub statics: Vec<StaticDecl>,
    pub functions: Vec<FuncDecl>,
}

/// `.class NAME [extends SUPER]` ... `.end`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassDecl {
    pub name: Spanned<String>,
    pub superclass: Option<Spanned<String>>,
    pub fields: Vec<FieldDecl>,
}

/// `.field NAME TYPE`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Spanned<String>,
    pub ty: ValueType,
}

/// `.static NAME TYPE`.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticDecl {
    pub name: Spanned<String>,
    pub ty: ValueType,
}

/// A list of locals: names, or just a count (unnamed locals).
#[derive(Clone, Debug, PartialEq)]
pub enum LocalList {
    /// `(a, b)` or `.locals a, b`.
    Named(Vec<Spanned<String>>),
    /// `(2)` or `.locals 2`.
    Count(u16),
}

impl LocalList {
    pub fn len(&self) -> usize {
        match self {
            LocalList::Named(names) => names.len(),
            LocalList::Count(n) => *n as usize,
        }
    }
}

/// `.func NAME(PARAMS) [-> value]` ... `.end`.
#[derive(Clone, Debug)]
pub struct FuncDecl {
    pub name: Spanned<String>,
    /// Position of the `.func` directive.
    pub pos: Pos,
    pub params: LocalList,
    pub returns_value: bool,
    /// `.locals`, with the position of the directive.
    pub locals: Option<Spanned<LocalList>>,
    /// `.stack N`.
    pub max_stack: Option<u16>,
    pub body: Vec<BodyItem>,
}

/// One line of a function body (other than `.locals` and `.stack`).
#[derive(Clone, Debug)]
pub enum BodyItem {
    /// `NAME:`
    Label(Spanned<String>),
    /// `.line N`
    Line(u32),
    Catch(CatchDecl),
    Instruction(InstructionSyntax),
}

/// `.catch CLASS from START to END using HANDLER`.
#[derive(Clone, Debug, PartialEq)]
pub struct CatchDecl {
    /// `None` for `any`.
    pub class: Option<Spanned<String>>,
    pub start: Spanned<String>,
    pub end: Spanned<String>,
    pub handler: Spanned<String>,
}

/// An instruction line.
#[derive(Clone, Debug)]
pub struct InstructionSyntax {
    /// Position of the mnemonic.
    pub pos: Pos,
    pub info: &'static OpInfo,
    pub operand: OperandSyntax,
}

/// A local named or numbered.
#[derive(Clone, Debug, PartialEq)]
pub enum LocalRef {
    Name(String),
    Number(u16),
}

/// A constant operand: a literal to pool, or a pool index.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstOperand {
    Literal(Constant),
    /// `#N`
    Index(u32),
}

/// An instruction's operand as written.
#[derive(Clone, Debug, PartialEq)]
pub enum OperandSyntax {
    None,
    Int(i32),
    Const(Spanned<ConstOperand>),
    Local(Spanned<LocalRef>),
    /// A label.
    Target(Spanned<String>),
    /// A function name.
    Func(Spanned<String>),
    /// A class name.
    Class(Spanned<String>),
    /// `Class.field`, split at the last dot.
    Field {
        class: Spanned<String>,
        field: Spanned<String>,
    },
    /// A static name.
    Static(Spanned<String>),
    /// A native name.
    Native(Spanned<String>),
    Type(ValueType),
    Inc {
        local: Spanned<LocalRef>,
        delta: i16,
    },
}
