//! A loaded bytecode module: what the assembler produces, the `.gbc` encoder
//! writes and the loader reads back, the verifier checks and the interpreter
//! runs.
//!
//! A module is plain data, immutable once verified, and shared read-only by
//! every VM thread (it holds no heap references, so the collector never needs
//! to look inside it).
//!
//! Index spaces (each checked by the verifier):
//! - classes: [`ClassIdx`] `0..BUILTIN_CLASS_COUNT` are the built-in classes
//!   of [`crate::builtin`]; `BUILTIN_CLASS_COUNT + i` is `classes[i]`.
//! - constants, functions, statics and natives index their own tables.
//! - a function's locals are `0..locals`; its parameters are `0..params`.

use crate::builtin::BUILTIN_CLASS_COUNT;
use crate::isa::{ClassIdx, FuncIdx, Instruction, ValueType};

/// A constant-pool entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Constant {
    Int(i64),
    Float(f64),
    Str(String),
}

/// A field declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub ty: ValueType,
}

/// A user class: a name, an optional superclass (built-in or user) and its
/// own fields. An instance's fields are its superclasses' fields first, then
/// its own.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassDef {
    pub name: String,
    pub superclass: Option<ClassIdx>,
    pub fields: Vec<FieldDef>,
}

/// A static (global) variable.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticDef {
    pub name: String,
    pub ty: ValueType,
}

/// An exception-table entry: if an exception whose class is `class` (or a
/// subclass; `None` catches everything) is thrown by an instruction with
/// `start <= pc < end`, the operand stack is cleared, the exception pushed,
/// and execution continues at `handler`. Entries are tried in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    pub start: u32,
    pub end: u32,
    pub handler: u32,
    pub class: Option<ClassIdx>,
}

/// A line-table entry: instructions from `pc` up to the next entry's pc come
/// from source line `line`. Entries are sorted by pc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineEntry {
    pub pc: u32,
    pub line: u32,
}

/// A function.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    /// Number of parameters; they arrive in locals `0..params`.
    pub params: u16,
    /// Total locals, parameters included (`locals >= params`).
    pub locals: u16,
    /// Whether the function returns a value (`vreturn`) or not (`return`).
    pub returns_value: bool,
    /// Declared maximum operand-stack depth.
    pub max_stack: u16,
    /// Names of the locals for the disassembler and thread dumps: either
    /// empty or exactly `locals` long.
    pub local_names: Vec<String>,
    pub code: Vec<Instruction>,
    pub handlers: Vec<Handler>,
    pub lines: Vec<LineEntry>,
}

impl Function {
    /// The source line of the instruction at `pc`, if the line table covers it.
    pub fn line_of(&self, pc: u32) -> Option<u32> {
        let i = self.lines.partition_point(|e| e.pc <= pc);
        if i == 0 {
            None
        } else {
            Some(self.lines[i - 1].line)
        }
    }
}

/// A whole module.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Module {
    /// The source file name used in stack traces (e.g. `fib.gasm`).
    pub source_name: String,
    pub constants: Vec<Constant>,
    pub classes: Vec<ClassDef>,
    pub statics: Vec<StaticDef>,
    /// Natives the module imports, by name (resolved against
    /// [`crate::builtin::NATIVES`] by the verifier).
    pub natives: Vec<String>,
    pub functions: Vec<Function>,
}

impl Module {
    /// The entry point: the function named `main`.
    pub fn main_function(&self) -> Option<FuncIdx> {
        self.functions
            .iter()
            .position(|f| f.name == "main")
            .map(|i| FuncIdx(i as u32))
    }

    /// The index of the user class at position `i` of `classes`.
    pub fn user_class_idx(i: usize) -> ClassIdx {
        ClassIdx((BUILTIN_CLASS_COUNT + i) as u32)
    }

    /// The user class at `idx`, or `None` for a built-in or out-of-range index.
    pub fn user_class(&self, idx: ClassIdx) -> Option<&ClassDef> {
        (idx.0 as usize)
            .checked_sub(BUILTIN_CLASS_COUNT)
            .and_then(|i| self.classes.get(i))
    }

    /// The name of any class, built-in or user.
    pub fn class_name(&self, idx: ClassIdx) -> Option<&str> {
        match crate::builtin::builtin_class(idx) {
            Some(b) => Some(b.name),
            None => self.user_class(idx).map(|c| c.name.as_str()),
        }
    }

    /// Looks a class up by name, built-ins first.
    pub fn class_by_name(&self, name: &str) -> Option<ClassIdx> {
        crate::builtin::builtin_class_by_name(name).or_else(|| {
            self.classes
                .iter()
                .position(|c| c.name == name)
                .map(Module::user_class_idx)
        })
    }
}
