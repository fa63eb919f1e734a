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
//!   not unique identifiers are dropped (locals printed by number); other
//!   names (classes, fields, statics, functions) are printed as they are, so
//!   a module whose names are not identifiers does not reassemble; a line
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
    use crate::asm::assemble;
    use crate::isa::*;
    use crate::module::{ClassDef, FieldDef, Handler, LineEntry, StaticDef};

    /// `a == b`, with float constants compared by bit pattern.
    fn assert_same(a: &Module, b: &Module) {
        let keys = |m: &Module| m.constants.iter().map(ConstantKey::of).collect::<Vec<_>>();
        assert_eq!(keys(a), keys(b), "constant pools differ");
        let strip = |m: &Module| Module {
            constants: Vec::new(),
            ..m.clone()
        };
        assert_eq!(strip(a), strip(b));
    }

    /// disassemble → assemble gives the same module, and the same `.gbc`
    /// bytes; a second disassembly gives the same text.
    fn round_trip(m: &Module) -> String {
        let text = disassemble(m);
        let back = assemble(&text, "elsewhere/other.gasm")
            .unwrap_or_else(|e| panic!("{e}\n--- text ---\n{text}"));
        assert_same(m, &back);
        assert_eq!(crate::gbc::encode(m), crate::gbc::encode(&back));
        assert_eq!(disassemble(&back), text);
        text
    }

    fn asm(src: &str) -> Module {
        assemble(src, "t.gasm").unwrap_or_else(|e| panic!("{e}"))
    }

    const KITCHEN_SINK: &str = r#"
.source "dir/kitchen sink.gasm"
.static total float
.static head ref
.class Node
    .field value int
    .field next ref
.end
.class Named extends Node
    .field name ref
.end
.class Bad extends IllegalStateException
    .field code int
.end
.class Worse extends Bad
.end

.func main(args)
    .locals node, text, x
    .catch Worse from try to after using worse
    .catch Bad from try to after using bad
    .catch any from try to after using anything
try:
    new Named
    dup
    iconst -2147483648
    putfield Named.value
    dup
    aconst_null
    putfield Node.next
    store node
    ldc "tab\tquote\" backslash\\ nul\0 cr\r bell\u{7} é 😀 \u{2028}"
    store text
    ldc -0.0
    ldc 0.0
    ldc nan
    ldc -nan
    ldc nan(0x7FF0000000000001)
    ldc -nan(0x7FFFFFFFFFFFFFFF)
    ldc inf
    ldc -inf
    ldc 1e300
    ldc 5e-324
    ldc 0.1
    ldc 9223372036854775807
    ldc -9223372036854775808
    fadd
    putstatic total
    pop
    pop
    pop
    pop
    pop
    pop
    pop
    pop
    pop
    pop
    pop
    load node
    call sum
    iinc x 32767
    iinc x -32768
    new Worse
    dup
    ldc "worse"
    putfield Throwable.message
    throw
after:
    return
worse:
    .line 1000
    getfield Bad.code
    callnative println
    goto after
bad:
    callnative eprintln
    goto after
anything:
    .line 7
    throw
.end

.func sum(node) -> value
    load node
    ifnull zero
    load node
    getfield Node.value
    load node
    getfield Node.next
    checkcast Node
    call sum
    iadd
    vreturn
zero:
    iconst 0
    vreturn
.end

.func numbered(2) -> value
    .locals 2
    load 0
    load 1
    instanceof Named
    store 3
    store 2
    load 2
    iconst 3
    newarray float
    arrlen
    iadd
    vreturn
.end

.func no_locals()
    .stack 9
    nop
    .line 5
    nop
    .line 4
    nop
    .line 5
    return
.end

.func handler_to_the_end()
    .catch any from s to e using h
    goto s
h:
    pop
    return
s:
    callnative nanoTime
    pop
    return
e:
.end
"#;

    #[test]
    fn kitchen_sink_round_trips() {
        let m = asm(KITCHEN_SINK);
        let text = round_trip(&m);
        // no `.const` or `.native` section needed: the code rebuilds both
        assert!(!text.contains(".const"), "{text}");
        assert!(!text.contains(".native"), "{text}");
        assert!(text.contains(".source \"dir/kitchen sink.gasm\""), "{text}");
        assert!(text.contains("    .catch Worse from L0 to L"), "{text}");
        assert!(text.contains("ldc nan(0x7FF0000000000001)"), "{text}");
        assert!(text.contains("ldc -nan(0x7FFFFFFFFFFFFFFF)"), "{text}");
        assert!(
            text.contains(".func numbered(2) -> value\n    .locals 2\n"),
            "{text}"
        );
        assert!(
            text.contains("putfield Node.value"),
            "Named.value prints its declaring class:\n{text}"
        );
        assert!(text.contains(r#"\u{7} é 😀"#), "{text}");
    }

    #[test]
    fn a_label_after_the_last_instruction_round_trips() {
        let m = asm(".func f()\n    .catch any from s to e using h\n    goto s\nh:\n    throw\ns:\n    return\ne:\n.end\n");
        assert_eq!(
            m.functions[0].handlers[0],
            Handler {
                start: 2,
                end: 3,
                handler: 1,
                class: None
            }
        );
        let text = round_trip(&m);
        assert!(text.ends_with("    return\nL3:\n.end\n"), "{text}");
    }

    #[test]
    fn fib_prints_as_expected() {
        let m = asm("
.func fib(n) -> value
    load n
    iconst 2
    if_icmplt base
    load n
    vreturn
base:
    ldc 1.0
    f2i
    vreturn
.end
");
        let text = round_trip(&m);
        assert_eq!(
            text,
            ".source \"t.gasm\"\n\n.func fib(n) -> value\n    .stack 2\n    .line 3\n    load n\n    .line 4\n    iconst 2\n    .line 5\n    if_icmplt L5\n    .line 6\n    load n\n    .line 7\n    vreturn\nL5:\n    .line 9\n    ldc 1.0\n    .line 10\n    f2i\n    .line 11\n    vreturn\n.end\n"
        );
    }

    /// A module no assembler run would produce by itself: unused, duplicate
    /// and out-of-first-use-order constants, natives in a different order,
    /// a non-canonical line table start.
    fn hand_built() -> Module {
        let code = vec![
            Instruction::Ldc(ConstIdx(2)),
            Instruction::Ldc(ConstIdx(1)),
            Instruction::Ldc(ConstIdx(3)),
            Instruction::CallNative(NativeIdx(1)),
            Instruction::CallNative(NativeIdx(0)),
            Instruction::Pop,
            Instruction::Return,
        ];
        Module {
            source_name: "hand.gasm".into(),
            constants: vec![
                Constant::Int(7),
                Constant::Str("dup".into()),
                Constant::Float(f64::from_bits(0x7FF8_0000_0000_0001)),
                Constant::Str("dup".into()),
                Constant::Float(2.0),
            ],
            classes: vec![ClassDef {
                name: "A".into(),
                superclass: None,
                fields: vec![FieldDef {
                    name: "f".into(),
                    ty: ValueType::Float,
                }],
            }],
            statics: vec![StaticDef {
                name: "s".into(),
                ty: ValueType::Ref,
            }],
            natives: vec!["print".into(), "println".into(), "exit".into()],
            functions: vec![Function {
                name: "main".into(),
                params: 0,
                locals: 0,
                returns_value: false,
                max_stack: 3,
                local_names: Vec::new(),
                code,
                handlers: vec![Handler {
                    start: 1,
                    end: 5,
                    handler: 6,
                    class: Some(ClassIdx(3)),
                }],
                lines: vec![
                    LineEntry { pc: 0, line: 1 },
                    LineEntry { pc: 3, line: 2 },
                    LineEntry { pc: 5, line: 1 },
                ],
            }],
        }
    }

    #[test]
    fn pools_that_the_code_cannot_rebuild_get_const_and_native_sections() {
        let m = hand_built();
        let text = round_trip(&m);
        assert!(text.contains(".const 7\n.const \"dup\"\n.const nan(0x7FF8000000000001)\n.const \"dup\"\n.const 2.0\n"), "{text}");
        assert!(
            text.contains(".native print\n.native println\n.native exit\n"),
            "{text}"
        );
        assert!(
            text.contains("    ldc #3\n"),
            "the second \"dup\" is named by index:\n{text}"
        );
        assert!(text.contains("    ldc \"dup\"\n"), "{text}");
    }

    #[test]
    fn unnamed_and_unusable_local_names_print_as_numbers() {
        let mut m = asm(".func f(a, b)\n    .locals c\n    load c\n    store a\n    iinc b 1\n    return\n.end\n");
        assert_eq!(m.functions[0].local_names, vec!["a", "b", "c"]);
        round_trip(&m);
        m.functions[0].local_names.clear();
        let text = round_trip(&m);
        assert!(text.contains(".func f(2)\n    .locals 1\n"), "{text}");
        assert!(
            text.contains("    load 2\n    .line 4\n    store 0\n"),
            "{text}"
        );
        // names that cannot be read back are dropped, not printed broken
        m.functions[0].local_names = vec!["a".into(), "a".into(), "not a name".into()];
        let back = assemble(&disassemble(&m), "x").unwrap();
        assert!(back.functions[0].local_names.is_empty());
    }

    #[test]
    fn literals_read_back_to_the_same_bits() {
        let floats = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1e300,
            -1e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7FF0_0000_0000_0001),
            f64::from_bits(0xFFFF_FFFF_FFFF_FFFF),
            123456789.0,
            1e15,
            1e16,
            1e17,
        ];
        for f in floats {
            let src = format!(
                ".func f()\n    ldc {}\n    pop\n    return\n.end\n",
                float_literal(f)
            );
            let m = asm(&src);
            match &m.constants[0] {
                Constant::Float(g) => assert_eq!(
                    g.to_bits(),
                    f.to_bits(),
                    "{f:?} printed as {}",
                    float_literal(f)
                ),
                other => panic!("{f:?} read back as {other:?}"),
            }
        }
        for s in [
            "",
            "plain",
            "\u{0}\u{1}\u{1F}\u{7F}\u{80}\u{9F}",
            "\"\\'\n\r\t",
            "😀é中\u{FEFF}\u{2028}\u{10FFFF}",
        ] {
            let src = format!(
                ".func f()\n    ldc {}\n    pop\n    return\n.end\n",
                string_literal(s)
            );
            assert_eq!(asm(&src).constants, vec![Constant::Str(s.to_string())]);
        }
    }

    #[test]
    fn format_instruction_names_operands() {
        let m = asm(KITCHEN_SINK);
        let main = &m.functions[0];
        let shown: Vec<String> = main.code[..4]
            .iter()
            .map(|i| format_instruction(&m, main, i))
            .collect();
        assert_eq!(
            shown,
            [
                "new Named",
                "dup",
                "iconst -2147483648",
                "putfield Node.value"
            ]
        );
        let sum = &m.functions[1];
        assert_eq!(format_instruction(&m, sum, &sum.code[1]), "ifnull L10");
    }

    #[test]
    fn sample_programs_round_trip_through_gbc_bytes() {
        let dirs = ["../programs", "../tests/fixtures"];
        let mut seen = 0;
        for dir in dirs {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("gasm") {
                    continue;
                }
                let Ok(src) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let Ok(m) = assemble(&src, &path.to_string_lossy()) else {
                    continue;
                };
                // assemble → encode → load → disassemble → assemble → encode
                let bytes = crate::gbc::encode(&m);
                let loaded = crate::gbc::decode(&bytes)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let text = disassemble(&loaded);
                let back = assemble(&text, "x.gasm")
                    .unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()));
                assert_eq!(crate::gbc::encode(&back), bytes, "{}", path.display());
                seen += 1;
            }
        }
        eprintln!("round-tripped {seen} sample programs");
    }

    #[test]
    fn broken_modules_never_panic() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let base = asm(KITCHEN_SINK);
        for _ in 0..500 {
            let mut m = base.clone();
            let f = (next() % m.functions.len() as u64) as usize;
            let func = &mut m.functions[f];
            let pc = (next() % func.code.len() as u64) as usize;
            let wild = (next() % 40) as u32;
            let info = &OPCODES[(next() % OPCODES.len() as u64) as usize];
            let operand = match info.operand {
                OperandKind::None => Operand::None,
                OperandKind::Int => Operand::Int(wild as i32),
                OperandKind::Local => Operand::Local(Local(wild as u16)),
                OperandKind::Const => Operand::Const(ConstIdx(wild)),
                OperandKind::Target => Operand::Target(Target(wild)),
                OperandKind::Func => Operand::Func(FuncIdx(wild)),
                OperandKind::Class => Operand::Class(ClassIdx(wild)),
                OperandKind::Field => Operand::Field(FieldRef {
                    class: wild as u16,
                    field: (wild % 3) as u16,
                }),
                OperandKind::Static => Operand::Static(StaticIdx(wild)),
                OperandKind::Native => Operand::Native(NativeIdx(wild)),
                OperandKind::Type => Operand::Type(ValueType::Ref),
                OperandKind::Inc => Operand::Inc(IncOperand {
                    local: Local(wild as u16),
                    delta: -1,
                }),
            };
            func.code[pc] = Instruction::from_parts(info.opcode, operand).unwrap();
            match next() % 4 {
                0 => func.handlers.push(Handler {
                    start: wild,
                    end: 1,
                    handler: wild * 7,
                    class: Some(ClassIdx(wild)),
                }),
                1 => func.lines.push(LineEntry {
                    pc: wild * 3,
                    line: wild,
                }),
                2 => func.local_names.truncate(1),
                _ => m.classes[0].superclass = Some(ClassIdx(wild)),
            }
            let text = disassemble(&m);
            let _ = assemble(&text, "x.gasm").map_err(|e| e.to_string());
        }
    }
}
