//! Assembling one function: its locals, labels, instructions, exception
//! table and line table.
//!
//! Invariants:
//! - `local_names` is either empty (unnamed locals: `.func f(2)`,
//!   `.locals 3`) or exactly `locals` long (parameters, then `.locals`).
//! - Labels name pcs; a label may sit after the last instruction (pc =
//!   code length), which is where a `.catch` range that covers the end of
//!   the function ends.
//! - The line table has one entry per change of source line, pc-sorted. An
//!   instruction's line is the last `.line N` before it in the function, or
//!   its own source line when there is none.
//! - `max_stack` is left at 0 when `.stack` is omitted; the assembler fills
//!   it in once the whole module exists (inference needs callee signatures).

use std::collections::HashMap;

use super::ast::{
    BodyItem, CatchDecl, ConstOperand, FuncDecl, LocalList, LocalRef, OperandSyntax, Spanned,
};
use super::constant_pool::ConstantPool;
use super::error::{AsmResult, Diagnostic, Pos};
use super::symbols::Symbols;
use crate::isa::{ConstIdx, IncOperand, Instruction, Local, Operand, Target};
use crate::module::{Function, Handler, LineEntry};

/// An assembled function and the source position of each instruction (by
/// pc), for errors found later (stack-depth inference).
pub struct AssembledFunction {
    pub function: Function,
    pub positions: Vec<Pos>,
}

/// Assembles `decl`, pooling its constants into `pool` and its natives into
/// `symbols`.
pub fn assemble_function(
    decl: &FuncDecl,
    symbols: &mut Symbols,
    pool: &mut ConstantPool,
) -> AsmResult<AssembledFunction> {
    let locals = Locals::new(decl)?;
    let labels = labels(decl)?;
    let mut code = Vec::new();
    let mut positions = Vec::new();
    let mut lines: Vec<LineEntry> = Vec::new();
    let mut handlers = Vec::new();
    let mut explicit_line: Option<u32> = None;
    for item in &decl.body {
        match item {
            BodyItem::Label(_) => {}
            BodyItem::Line(n) => explicit_line = Some(*n),
            BodyItem::Catch(c) => handlers.push(handler(c, &labels, symbols)?),
            BodyItem::Instruction(insn) => {
                let pc = code.len() as u32;
                let line = explicit_line.unwrap_or(insn.pos.line);
                if lines.last().map(|e| e.line) != Some(line) {
                    lines.push(LineEntry { pc, line });
                }
                let operand = operand(&insn.operand, &locals, &labels, symbols, pool)?;
                let instruction =
                    Instruction::from_parts(insn.info.opcode, operand).ok_or_else(|| {
                        // The parser builds operands by the opcode's kind, so this
                        // is an assembler bug; report it rather than panic.
                        Diagnostic::new(
                            insn.pos,
                            format!("internal error: bad operand for `{}`", insn.info.mnemonic),
                        )
                    })?;
                code.push(instruction);
                positions.push(insn.pos);
            }
        }
    }
    let function = Function {
        name: decl.name.value.clone(),
        params: decl.params.len() as u16,
        locals: locals.count,
        returns_value: decl.returns_value,
        max_stack: decl.max_stack.unwrap_or(0),
        local_names: locals.names,
        code,
        handlers,
        lines,
    };
    Ok(AssembledFunction {
        function,
        positions,
    })
}

/// The function's local slots.
struct Locals {
    count: u16,
    /// Empty, or `count` names.
    names: Vec<String>,
    by_name: HashMap<String, u16>,
    function: String,
}

impl Locals {
    fn new(decl: &FuncDecl) -> AsmResult<Locals> {
        let function = decl.name.value.clone();
        let empty = LocalList::Count(0);
        let (extra, extra_pos) = match &decl.locals {
            Some(l) => (&l.value, l.pos),
            None => (&empty, decl.pos),
        };
        let total = decl.params.len() + extra.len();
        let count = u16::try_from(total).map_err(|_| {
            Diagnostic::new(
                extra_pos,
                format!("function `{function}` has {total} locals (at most 65535)"),
            )
        })?;
        let mut named: Vec<&Spanned<String>> = Vec::new();
        let mut numbered = false;
        for list in [&decl.params, extra] {
            match list {
                LocalList::Named(names) => named.extend(names),
                LocalList::Count(n) => numbered |= *n > 0,
            }
        }
        if numbered && !named.is_empty() {
            return Err(Diagnostic::new(
                extra_pos,
                format!(
                    "function `{function}` mixes named and numbered locals: name them all or none"
                ),
            ));
        }
        let mut by_name = HashMap::new();
        for (slot, name) in named.iter().enumerate() {
            if by_name.insert(name.value.clone(), slot as u16).is_some() {
                return Err(Diagnostic::new(
                    name.pos,
                    format!("duplicate local `{}` in function `{function}`", name.value),
                ));
            }
        }
        let names = named.iter().map(|n| n.value.clone()).collect();
        Ok(Locals {
            count,
            names,
            by_name,
            function,
        })
    }

    fn resolve(&self, local: &Spanned<LocalRef>) -> AsmResult<Local> {
        match &local.value {
            LocalRef::Name(name) => self.by_name.get(name).map(|&i| Local(i)).ok_or_else(|| {
                Diagnostic::new(
                    local.pos,
                    format!("undefined local `{name}` in function `{}`", self.function),
                )
            }),
            LocalRef::Number(n) if *n < self.count => Ok(Local(*n)),
            LocalRef::Number(n) => Err(Diagnostic::new(
                local.pos,
                format!(
                    "local `{n}` out of range: function `{}` has {} locals",
                    self.function, self.count
                ),
            )),
        }
    }
}

/// Maps each label to the pc of the instruction that follows it.
fn labels(decl: &FuncDecl) -> AsmResult<HashMap<String, (u32, u32)>> {
    // name -> (pc, line of the definition)
    let mut labels: HashMap<String, (u32, u32)> = HashMap::new();
    let mut pc = 0u32;
    for item in &decl.body {
        match item {
            BodyItem::Label(name) => {
                if let Some((_, line)) = labels.insert(name.value.clone(), (pc, name.pos.line)) {
                    return Err(Diagnostic::new(
                        name.pos,
                        format!(
                            "duplicate label `{}` (first defined on line {line})",
                            name.value
                        ),
                    ));
                }
            }
            BodyItem::Instruction(_) => pc += 1,
            BodyItem::Line(_) | BodyItem::Catch(_) => {}
        }
    }
    Ok(labels)
}

fn label(name: &Spanned<String>, labels: &HashMap<String, (u32, u32)>) -> AsmResult<u32> {
    labels
        .get(&name.value)
        .map(|&(pc, _)| pc)
        .ok_or_else(|| Diagnostic::new(name.pos, format!("undefined label `{}`", name.value)))
}

fn handler(
    c: &CatchDecl,
    labels: &HashMap<String, (u32, u32)>,
    symbols: &Symbols,
) -> AsmResult<Handler> {
    let class = c
        .class
        .as_ref()
        .map(|name| symbols.class(name))
        .transpose()?;
    let start = label(&c.start, labels)?;
    let end = label(&c.end, labels)?;
    let handler = label(&c.handler, labels)?;
    if start >= end {
        return Err(Diagnostic::new(
            c.end.pos,
            format!(
                "`.catch` labels out of order: `{}` (pc {start}) must come before `{}` (pc {end})",
                c.start.value, c.end.value
            ),
        ));
    }
    Ok(Handler {
        start,
        end,
        handler,
        class,
    })
}

fn operand(
    syntax: &OperandSyntax,
    locals: &Locals,
    labels: &HashMap<String, (u32, u32)>,
    symbols: &mut Symbols,
    pool: &mut ConstantPool,
) -> AsmResult<Operand> {
    Ok(match syntax {
        OperandSyntax::None => Operand::None,
        OperandSyntax::Int(i) => Operand::Int(*i),
        OperandSyntax::Const(c) => Operand::Const(ConstIdx(match &c.value {
            ConstOperand::Literal(value) => pool.intern(value.clone()),
            ConstOperand::Index(i) if (*i as usize) < pool.len() => *i,
            ConstOperand::Index(i) => {
                return Err(Diagnostic::new(
                    c.pos,
                    format!("constant `#{i}` out of range: the pool has {} entries here (declare entries with `.const`)", pool.len()),
                ))
            }
        })),
        OperandSyntax::Local(l) => Operand::Local(locals.resolve(l)?),
        OperandSyntax::Target(name) => Operand::Target(Target(label(name, labels)?)),
        OperandSyntax::Func(name) => Operand::Func(symbols.function(name)?),
        OperandSyntax::Class(name) => Operand::Class(symbols.class(name)?),
        OperandSyntax::Field { class, field } => Operand::Field(symbols.field(class, field)?),
        OperandSyntax::Static(name) => Operand::Static(symbols.static_var(name)?),
        OperandSyntax::Native(name) => Operand::Native(symbols.native(name)?),
        OperandSyntax::Type(t) => Operand::Type(*t),
        OperandSyntax::Inc { local, delta } => {
            Operand::Inc(IncOperand { local: locals.resolve(local)?, delta: *delta })
        }
    })
}
