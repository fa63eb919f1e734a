//! The disassembler: a [`Module`] back to `.gasm` text that reassembles to
//! an identical module (and so to identical `.gbc` bytes).
//!
//! What it prints, in order: `.source`; the `.const` pool and the `.native`
//! table only when the code alone would not rebuild them in the same order
//! (the assembler pools both by first use); the classes, statics and
//! functions in table order. Each function gets an explicit `.stack`, its
//! `.catch` entries, a label `L<pc>` at every branch target and handler
//! start, end and entry, and a `.line N` wherever its line table starts an
//! entry.
//!
//! Invariants:
//! - For every module the assembler can produce, and every module loaded
//!   from such a module's `.gbc`, `assemble(&disassemble(m), _) == Ok(m)`
//!   (floats compared by bit pattern). The tests check this.
//! - The disassembler never panics, even on a module the verifier would
//!   refuse: an index out of range is printed as `<bad class 7>` (which does
//!   not reassemble, on purpose) or, for constants, `#N`.
//! - Limits (nothing the assembler produces hits them): local names that are
//!   not unique identifiers are dropped (locals printed by number); a line
//!   table that does not start at pc 0, or repeats a line in consecutive
//!   entries, is not reproduced exactly.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;

use crate::asm::{is_identifier, ConstantKey, CANONICAL_NAN_BITS};
use crate::builtin::builtin_class;
use crate::isa::{ClassIdx, FieldRef, Instruction, Local, Operand};
use crate::module::{Constant, Function, Module};

/// The whole module as `.gasm` text.
pub fn disassemble(module: &Module) -> String {
    let printer = Printer::new(module);
    let mut out = String::new();
    printer.module(&mut out);
    out
}

/// One instruction as it would appear in `func`'s disassembly (for traces
/// and thread dumps): `load n`, `ldc "hi"`, `goto L12`, `getfield Node.next`.
pub fn format_instruction(module: &Module, func: &Function, insn: &Instruction) -> String {
    let printer = Printer {
        module,
        explicit_constants: None,
    };
    printer.instruction(&local_names(func), insn)
}

/// A float literal that the assembler reads back to the same bits: `1.0`,
/// `-0.0`, `1e300`, `inf`, `-inf`, `nan`, `-nan`, `nan(0x7FF8000000000001)`.
pub fn float_literal(f: f64) -> String {
    const SIGN: u64 = 1 << 63;
    if f.is_nan() {
        let sign = if f.to_bits() & SIGN != 0 { "-" } else { "" };
        let magnitude = f.to_bits() & !SIGN;
        if magnitude == CANONICAL_NAN_BITS {
            format!("{sign}nan")
        } else {
            format!("{sign}nan({magnitude:#X})")
        }
    } else if f.is_infinite() {
        if f > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        }
    } else {
        // `Debug` prints the shortest text that parses back to the same
        // value, always with a `.` or an exponent (`1.0`, `1e300`, `-0.0`).
        format!("{f:?}")
    }
}

/// A string literal with the escapes of docs/assembly.md.
pub fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A constant as the assembler's `ldc`/`.const` operand.
pub fn constant_literal(c: &Constant) -> String {
    match c {
        Constant::Int(i) => i.to_string(),
        Constant::Float(f) => float_literal(*f),
        Constant::Str(s) => string_literal(s),
    }
}

struct Printer<'m> {
    module: &'m Module,
    /// `Some(first index of each value)` when the pool is printed as
    /// `.const` lines; `None` when the code's first uses rebuild it.
    explicit_constants: Option<HashMap<ConstantKey, u32>>,
}

impl<'m> Printer<'m> {
    fn new(module: &'m Module) -> Printer<'m> {
        let explicit_constants = if pool_rebuilt_by_code(module) {
            None
        } else {
            let mut first = HashMap::new();
            for (i, c) in module.constants.iter().enumerate() {
                first.entry(ConstantKey::of(c)).or_insert(i as u32);
            }
            Some(first)
        };
        Printer {
            module,
            explicit_constants,
        }
    }

    fn module(&self, out: &mut String) {
        let m = self.module;
        let _ = writeln!(out, ".source {}", string_literal(&m.source_name));
        if self.explicit_constants.is_some() && !m.constants.is_empty() {
            out.push_str("\n; the constant pool, in order\n");
            for c in &m.constants {
                let _ = writeln!(out, ".const {}", constant_literal(c));
            }
        }
        if !natives_rebuilt_by_code(m) {
            out.push_str("\n; the imported natives, in order\n");
            for n in &m.natives {
                let _ = writeln!(out, ".native {n}");
            }
        }
        for class in &m.classes {
            out.push('\n');
            let _ = write!(out, ".class {}", class.name);
            if let Some(s) = class.superclass {
                let _ = write!(out, " extends {}", self.class_name(s));
            }
            out.push('\n');
            for f in &class.fields {
                let _ = writeln!(out, "    .field {} {}", f.name, f.ty);
            }
            out.push_str(".end\n");
        }
        if !m.statics.is_empty() {
            out.push('\n');
        }
        for s in &m.statics {
            let _ = writeln!(out, ".static {} {}", s.name, s.ty);
        }
        for func in &m.functions {
            out.push('\n');
            self.function(out, func);
        }
    }

    fn function(&self, out: &mut String, func: &Function) {
        let names = local_names(func);
        let params = func.params as usize;
        let extra = (func.locals as usize).saturating_sub(params);
        let _ = write!(out, ".func {}(", func.name);
        match &names {
            Some(names) => out.push_str(&names[..params.min(names.len())].join(", ")),
            None if params > 0 => {
                let _ = write!(out, "{params}");
            }
            None => {}
        }
        out.push(')');
        if func.returns_value {
            out.push_str(" -> value");
        }
        out.push('\n');
        if extra > 0 {
            match &names {
                Some(names) => {
                    let _ = writeln!(out, "    .locals {}", names[params..].join(", "));
                }
                None => {
                    let _ = writeln!(out, "    .locals {extra}");
                }
            }
        }
        let _ = writeln!(out, "    .stack {}", func.max_stack);
        for h in &func.handlers {
            let class = match h.class {
                None => "any".to_string(),
                Some(c) => self.class_name(c),
            };
            let _ = writeln!(
                out,
                "    .catch {class} from L{} to L{} using L{}",
                h.start, h.end, h.handler
            );
        }

        let mut labels: BTreeSet<u32> = func
            .code
            .iter()
            .filter_map(|i| i.branch_target())
            .map(|t| t.0)
            .collect();
        for h in &func.handlers {
            labels.extend([h.start, h.end, h.handler]);
        }
        let line_starts: HashMap<u32, u32> = func.lines.iter().map(|e| (e.pc, e.line)).collect();
        for (pc, insn) in func.code.iter().enumerate() {
            let pc = pc as u32;
            if labels.contains(&pc) {
                let _ = writeln!(out, "L{pc}:");
            }
            if let Some(line) = line_starts.get(&pc) {
                let _ = writeln!(out, "    .line {line}");
            }
            let _ = writeln!(out, "    {}", self.instruction(&names, insn));
        }
        let end = func.code.len() as u32;
        if labels.contains(&end) {
            let _ = writeln!(out, "L{end}:");
        }
        out.push_str(".end\n");
    }

    fn instruction(&self, names: &Option<Vec<String>>, insn: &Instruction) -> String {
        let m = self.module;
        let local = |l: Local| match names {
            Some(names) if (l.0 as usize) < names.len() => names[l.0 as usize].clone(),
            _ => l.0.to_string(),
        };
        let operand = match insn.operand() {
            Operand::None => return insn.mnemonic().to_string(),
            Operand::Int(i) => i.to_string(),
            Operand::Const(c) => match m.constants.get(c.0 as usize) {
                None => format!("#{}", c.0),
                Some(value) => match &self.explicit_constants {
                    Some(first) if first.get(&ConstantKey::of(value)) != Some(&c.0) => {
                        format!("#{}", c.0)
                    }
                    _ => constant_literal(value),
                },
            },
            Operand::Local(l) => local(l),
            Operand::Target(t) => format!("L{}", t.0),
            Operand::Func(f) => match m.functions.get(f.0 as usize) {
                Some(callee) => callee.name.clone(),
                None => format!("<bad function {}>", f.0),
            },
            Operand::Class(c) => self.class_name(c),
            Operand::Field(f) => self.field_name(f),
            Operand::Static(s) => match m.statics.get(s.0 as usize) {
                Some(s) => s.name.clone(),
                None => format!("<bad static {}>", s.0),
            },
            Operand::Native(n) => match m.natives.get(n.0 as usize) {
                Some(name) => name.clone(),
                None => format!("<bad native {}>", n.0),
            },
            Operand::Type(t) => t.name().to_string(),
            Operand::Inc(inc) => format!("{} {}", local(inc.local), inc.delta),
        };
        format!("{} {operand}", insn.mnemonic())
    }

    fn class_name(&self, idx: ClassIdx) -> String {
        match self.module.class_name(idx) {
            Some(name) => name.to_string(),
            None => format!("<bad class {}>", idx.0),
        }
    }

    /// `Class.field`, naming the declaring class.
    fn field_name(&self, f: FieldRef) -> String {
        let class = ClassIdx(u32::from(f.class));
        let field = match builtin_class(class) {
            Some(b) => b
                .fields
                .get(f.field as usize)
                .map(|(name, _)| name.to_string()),
            None => self
                .module
                .user_class(class)
                .and_then(|c| c.fields.get(f.field as usize))
                .map(|fd| fd.name.clone()),
        };
        match field {
            Some(name) => format!("{}.{name}", self.class_name(class)),
            None => format!("<bad field {}.{}>", f.class, f.field),
        }
    }
}

/// The function's local names, if they can be printed and read back: exactly
/// `locals` unique identifiers. `None` means "print locals by number".
fn local_names(func: &Function) -> Option<Vec<String>> {
    if func.local_names.is_empty() || func.local_names.len() != func.locals as usize {
        return None;
    }
    let mut seen = HashSet::new();
    let usable = func
        .local_names
        .iter()
        .all(|n| is_identifier(n) && seen.insert(n.as_str()));
    usable.then(|| func.local_names.clone())
}

/// True when pooling the `ldc` operands by first use (as the assembler does)
/// rebuilds exactly `module.constants`, index for index.
fn pool_rebuilt_by_code(module: &Module) -> bool {
    let mut rebuilt: Vec<ConstantKey> = Vec::new();
    let mut index: HashMap<ConstantKey, u32> = HashMap::new();
    for func in &module.functions {
        for insn in &func.code {
            let Instruction::Ldc(c) = insn else { continue };
            let Some(value) = module.constants.get(c.0 as usize) else {
                return false;
            };
            let key = ConstantKey::of(value);
            let next = rebuilt.len() as u32;
            let pooled = *index.entry(key.clone()).or_insert_with(|| {
                rebuilt.push(key);
                next
            });
            if pooled != c.0 {
                return false;
            }
        }
    }
    rebuilt.len() == module.constants.len()
}

/// True when importing natives by first use of `callnative` (as the
/// assembler does) rebuilds exactly `module.natives`.
fn natives_rebuilt_by_code(module: &Module) -> bool {
    let mut rebuilt: Vec<&str> = Vec::new();
    for func in &module.functions {
        for insn in &func.code {
            let Instruction::CallNative(n) = insn else {
                continue;
            };
            let Some(name) = module.natives.get(n.0 as usize) else {
                return false;
            };
            match rebuilt.iter().position(|r| r == name) {
                Some(i) if i as u32 == n.0 => {}
                Some(_) => return false,
                None if rebuilt.len() as u32 == n.0 => rebuilt.push(name),
                None => return false,
            }
        }
    }
    rebuilt.len() == module.natives.len()
}

#[cfg(test)]
mod tests {
    use super::*;
}
