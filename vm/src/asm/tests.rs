//! End-to-end tests of `assemble`: small programs and the modules they give,
//! one test row per error message, and a never-panic sweep over random and
//! truncated input.

use super::assemble;
use crate::builtin::{EXCEPTION, THROWABLE};
use crate::isa::*;
use crate::module::*;

fn ok(src: &str) -> Module {
    match assemble(src, "dir/test.gasm") {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    }
}

const FIB: &str = "\
.func main(args)
    .locals n
    iconst 32
    store n
    load n
    call fib
    callnative println
    return
.end

.func fib(n) -> value
    load n
    iconst 2
    if_icmplt base
    load n
    iconst 1
    isub
    call fib
    load n
    iconst 2
    isub
    call fib
    iadd
    vreturn
base:
    load n
    vreturn
.end
";

#[test]
fn assembles_fib() {
    let m = ok(FIB);
    assert_eq!(m.source_name, "test.gasm");
    assert!(m.constants.is_empty());
    assert_eq!(m.natives, vec!["println".to_string()]);
    assert_eq!(m.functions.len(), 2);
    let main = &m.functions[0];
    assert_eq!(
        (main.params, main.locals, main.returns_value),
        (1, 2, false)
    );
    assert_eq!(main.local_names, vec!["args", "n"]);
    assert_eq!(main.max_stack, 1);
    assert_eq!(main.code[3], Instruction::Call(FuncIdx(1)));
    assert_eq!(main.code[4], Instruction::CallNative(NativeIdx(0)));
    let fib = &m.functions[1];
    assert_eq!((fib.params, fib.locals, fib.returns_value), (1, 1, true));
    assert_eq!(fib.code[2], Instruction::IfICmpLt(Target(13)));
    assert_eq!(fib.max_stack, 3);
    // each instruction on its own line: one entry per instruction
    assert_eq!(fib.lines.len(), fib.code.len());
    assert_eq!(fib.lines[0], LineEntry { pc: 0, line: 12 });
    assert_eq!(fib.lines[13], LineEntry { pc: 13, line: 26 });
    assert_eq!(m.main_function(), Some(FuncIdx(0)));
}

#[test]
fn assembles_classes_fields_statics_and_handlers() {
    let m = ok(r#"
.source "custom.gasm"
.func main()
    .stack 3
    .catch BadInput from try to done using caught
    .catch any from try to done using caught
try:
    new Sub
    dup
    iconst 7
    putfield Sub.value      ; inherited: resolves to Base.value
    getfield Base.value
    putstatic counter
    new BadInput
    dup
    ldc "bad"
    putfield BadInput.message
    throw
done:
    return
caught:
    getfield Throwable.message
    callnative println
    return
.end
.class Sub extends Base
    .field name ref
.end
.class Base
    .field value int
.end
.class BadInput extends Exception
.end
.static counter int
"#);
    assert_eq!(m.source_name, "custom.gasm");
    let base = Module::user_class_idx(1);
    assert_eq!(
        m.classes[0],
        ClassDef {
            name: "Sub".into(),
            superclass: Some(base),
            fields: vec![FieldDef {
                name: "name".into(),
                ty: ValueType::Ref
            }]
        }
    );
    assert_eq!(m.classes[2].superclass, Some(EXCEPTION));
    assert_eq!(
        m.statics,
        vec![StaticDef {
            name: "counter".into(),
            ty: ValueType::Int
        }]
    );
    let f = &m.functions[0];
    assert!(f.local_names.is_empty());
    let value = FieldRef {
        class: base.0 as u16,
        field: 0,
    };
    assert_eq!(f.code[3], Instruction::PutField(value));
    assert_eq!(f.code[4], Instruction::GetField(value));
    assert_eq!(
        f.code[9],
        Instruction::PutField(FieldRef {
            class: THROWABLE.0 as u16,
            field: 0
        })
    );
    assert_eq!(
        f.code[12],
        Instruction::GetField(FieldRef { class: 0, field: 0 })
    );
    assert_eq!(
        f.handlers,
        vec![
            Handler {
                start: 0,
                end: 11,
                handler: 12,
                class: Some(Module::user_class_idx(2))
            },
            Handler {
                start: 0,
                end: 11,
                handler: 12,
                class: None
            },
        ]
    );
    assert_eq!(f.max_stack, 3);
}

#[test]
fn pools_constants_by_first_use_and_float_bits() {
    let m = ok(r#"
.func main()
    ldc 10000000000
    ldc 2.5
    ldc "hi\n"
    ldc 2.5
    ldc -0.0
    ldc 0.0
    ldc nan
    ldc -nan
    ldc nan(0x7FF0000000000001)
    ldc inf
    ldc -inf
    ldc 10000000000
    ldc 1e300
    ldc 0x10
    return
.end
"#);
    let bits: Vec<String> = m
        .constants
        .iter()
        .map(|c| match c {
            Constant::Float(f) => format!("f{:X}", f.to_bits()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        bits,
        vec![
            "Int(10000000000)".to_string(),
            format!("f{:X}", 2.5f64.to_bits()),
            "Str(\"hi\\n\")".into(),
            "f8000000000000000".into(),
            "f0".into(),
            "f7FF8000000000000".into(),
            "fFFF8000000000000".into(),
            "f7FF0000000000001".into(),
            "f7FF0000000000000".into(),
            "fFFF0000000000000".into(),
            format!("f{:X}", 1e300f64.to_bits()),
            "Int(16)".into(),
        ]
    );
    let f = &m.functions[0];
    assert_eq!(f.code[3], Instruction::Ldc(ConstIdx(1)));
    assert_eq!(f.code[11], Instruction::Ldc(ConstIdx(0)));
    assert_eq!(f.max_stack, 14);
}

#[test]
fn const_and_native_declarations_open_their_tables() {
    let m = ok("
.const 5
.const 5
.const \"x\"
.native print
.func main()
    ldc \"y\"
    ldc 5
    ldc #1
    callnative println
    callnative print
    pop
    return
.end
");
    assert_eq!(
        m.constants,
        vec![
            Constant::Int(5),
            Constant::Int(5),
            Constant::Str("x".into()),
            Constant::Str("y".into())
        ]
    );
    assert_eq!(m.natives, vec!["print".to_string(), "println".to_string()]);
    let code = &m.functions[0].code;
    assert_eq!(
        &code[..5],
        &[
            Instruction::Ldc(ConstIdx(3)),
            Instruction::Ldc(ConstIdx(0)),
            Instruction::Ldc(ConstIdx(1)),
            Instruction::CallNative(NativeIdx(1)),
            Instruction::CallNative(NativeIdx(0)),
        ]
    );
}

#[test]
fn line_directives_build_the_line_table() {
    let m = ok("
.func main()
    .line 100
    iconst 1
    iconst 2
    .line 100
    iadd
    .line 7
    pop
    return
.end
.func other()
    nop
    return
.end
");
    assert_eq!(
        m.functions[0].lines,
        vec![LineEntry { pc: 0, line: 100 }, LineEntry { pc: 3, line: 7 }]
    );
    // `.line` does not leak into the next function
    assert_eq!(
        m.functions[1].lines,
        vec![LineEntry { pc: 0, line: 13 }, LineEntry { pc: 1, line: 14 }]
    );
    assert_eq!(m.functions[1].line_of(1), Some(14));
}

#[test]
fn numbered_locals_and_operands() {
    let m = ok("
.func f(2) -> value
    .locals 1
    load 0
    load 1
    iadd
    store 2
    iinc 2 -5
    load 2
    vreturn
.end
.func g()
    .locals 3
    iconst 0
    store 2
    return
.end
.func h()
    .locals a
    iconst 0
    store a
    return
.end
");
    let f = &m.functions[0];
    assert_eq!((f.params, f.locals), (2, 3));
    assert!(f.local_names.is_empty());
    assert_eq!(
        f.code[4],
        Instruction::IInc(IncOperand {
            local: Local(2),
            delta: -5
        })
    );
    assert!(m.functions[1].local_names.is_empty());
    assert_eq!(m.functions[1].locals, 3);
    assert_eq!(m.functions[2].local_names, vec!["a"]);
}

#[test]
fn handles_crlf_tabs_and_comments() {
    let m = ok(".func main()\r\n\tldc \"a;b\" ; comment\r\n\tpop\r\n\treturn\r\n.end\r\n");
    assert_eq!(m.constants, vec![Constant::Str("a;b".into())]);
}

/// (source, line, col, message)
const ERRORS: &[(&str, u32, u32, &str)] = &[
    (".foo", 1, 1, "unknown directive `.foo`"),
    (".func f()\n    iadx\n.end", 2, 5, "unknown mnemonic `iadx` (did you mean `iadd`?)"),
    (".func f()\n    qqqqqqqq\n.end", 2, 5, "unknown mnemonic `qqqqqqqq`"),
    (".func f()\n    printline\n.end", 2, 5, "unknown mnemonic `printline` (did you mean `callnative println`?)"),
    (".func f()\n    exit\n.end", 2, 5, "unknown mnemonic `exit` (did you mean `callnative exit`?)"),
    (".func f()\n    iadd 1\n.end", 2, 10, "`iadd` takes no operand, found integer `1`"),
    (".func f()\n    load\n.end", 2, 9, "expected a local (name or number) for `load`"),
    (".func f(a)\n    load a a\n.end", 2, 12, "too many operands for `load`: unexpected identifier `a`"),
    (".func f()\n    iconst x\n.end", 2, 12, "expected an integer operand for `iconst`, found identifier `x`"),
    (".func f()\n    ldc foo\n.end", 2, 9, "expected a constant (integer, float or string), found identifier `foo`"),
    (".func f()\n    newarray long\n.end", 2, 14, "bad type name `long` (expected `int`, `float` or `ref`)"),
    (".func f()\n    iconst 2147483648\n.end", 2, 12, "integer `2147483648` out of range for `iconst` (i32: -2147483648..=2147483647)"),
    (".func f(a)\n    iinc a 40000\n.end", 2, 12, "delta `40000` out of range for `iinc` (i16: -32768..=32767)"),
    (".func f()\n    load 70000\n.end", 2, 10, "local number `70000` out of range (0..=65535)"),
    (".func f()\n    load 1\n.end", 2, 10, "local `1` out of range: function `f` has 0 locals"),
    (".func f()\n    goto nowhere\n.end", 2, 10, "undefined label `nowhere`"),
    (".func f()\nx:\nx:\n    return\n.end", 3, 1, "duplicate label `x` (first defined on line 2)"),
    (".func f()\n    call g\n.end", 2, 10, "undefined function `g`"),
    (".func f()\n    new Foo\n.end", 2, 9, "undefined class `Foo`"),
    (".class A\n.end\n.func f()\n    getfield A.x\n.end", 4, 16, "undefined field `x` in class `A`"),
    (".func f()\n    getfield A.x\n.end", 2, 14, "undefined class `A`"),
    (".func f()\n    getfield Ax\n.end", 2, 14, "expected `Class.field` for `getfield`, found identifier `Ax`"),
    (".func f()\n    getstatic s\n.end", 2, 15, "undefined static `s`"),
    (".func f()\n    load x\n.end", 2, 10, "undefined local `x` in function `f`"),
    (".func f()\n    callnative frobnicate\n.end", 2, 16, "unknown native `frobnicate`"),
    (".native nope", 1, 9, "unknown native `nope`"),
    (".native print\n.native print", 2, 9, "duplicate native `print`"),
    (".func f()\n.end\n.func f()\n.end", 3, 7, "duplicate function `f`"),
    (".class A\n.end\n.class A\n.end", 3, 8, "duplicate class `A`"),
    (".class Exception\n.end", 1, 8, "duplicate class `Exception`: it is a built-in class"),
    (".class A\n  .field x int\n  .field x ref\n.end", 3, 10, "duplicate field `x` in class `A`"),
    (".static s int\n.static s ref", 2, 9, "duplicate static `s`"),
    (".func f(a, a)\n.end", 1, 12, "duplicate local `a` in function `f`"),
    (".func f(a)\n  .locals b, a\n.end", 2, 14, "duplicate local `a` in function `f`"),
    (".func f(a)\n  .locals 2\n.end", 2, 3, "function `f` mixes named and numbered locals: name them all or none"),
    (".func f()\n  ldc \"abc\n.end", 2, 7, "unterminated string"),
    (".func f()\n  ldc \"é\\x\"\n.end", 2, 9, "bad escape `\\x`"),
    (".func f()\n  return", 1, 1, "missing `.end` for `.func f`"),
    (".class A", 1, 1, "missing `.end` for `.class A`"),
    (".class A\n.func f()\n.end", 2, 1, "`.func` inside `.class A` (missing `.end`?)"),
    (".func f()\n.class A\n.end", 2, 1, "`.class` inside `.func f` (missing `.end`?)"),
    ("    iadd", 1, 5, "instruction `iadd` outside a function"),
    (".class A\n    iadd\n.end", 2, 5, "instruction `iadd` outside a function"),
    ("x:", 1, 1, "label `x` outside a function"),
    (".end", 1, 1, "`.end` without an open `.class` or `.func`"),
    (".field x int", 1, 1, "`.field` outside a `.class`"),
    (".locals a", 1, 1, "`.locals` outside a `.func`"),
    (".func f()\na:\n    nop\nb:\n    return\n  .catch any from b to a using a\n.end", 6, 24, "`.catch` labels out of order: `b` (pc 1) must come before `a` (pc 0)"),
    (".func f()\na:\n    return\n  .catch any from a to a using a\n.end", 4, 24, "`.catch` labels out of order: `a` (pc 0) must come before `a` (pc 0)"),
    (".func f()\na:\n    return\n  .catch Nope from a to a using a\n.end", 4, 10, "undefined class `Nope`"),
    (".func f()\na:\n    return\n  .catch any form a to a using a\n.end", 4, 14, "expected `from`, found identifier `form`"),
    (".class A extends B\n.end\n.class B extends A\n.end", 1, 18, "class `A` is its own superclass (cycle: A extends B extends A)"),
    (".class A extends A\n.end", 1, 18, "class `A` is its own superclass (cycle: A extends A)"),
    (".class A extends Nope\n.end", 1, 18, "unknown superclass `Nope`"),
    (".class A implements B\n.end", 1, 10, "expected `extends` or end of line, found identifier `implements`"),
    (".class any\n.end", 1, 8, "`any` is reserved (it means \"catch everything\" in `.catch`)"),
    (".class A\n  .field x long\n.end", 2, 12, "bad type name `long` (expected `int`, `float` or `ref`)"),
    (".static s", 1, 10, "expected a type (`int`, `float` or `ref`)"),
    (".func f() -> int\n.end", 1, 14, "expected `value`, found identifier `int`"),
    (".func f(a b)\n.end", 1, 11, "expected `,` or `)`, found identifier `b`"),
    (".func f\n.end", 1, 8, "expected `(`"),
    (".source \"a\"\n.source \"b\"", 2, 1, "duplicate `.source`"),
    (".func f()\n  .locals a\n  .locals b\n.end", 3, 3, "duplicate `.locals` in function `f`"),
    (".func f()\n  .stack 70000\n.end", 2, 10, "stack depth `70000` out of range (0..=65535)"),
    (".func f()\n  .line -1\n.end", 2, 9, "line number `-1` out of range (0..=4294967295)"),
    (".func f()\n  ldc #3\n.end", 2, 7, "constant `#3` out of range: the pool has 0 entries here (declare entries with `.const`)"),
    (".const #0", 1, 8, "`#0` cannot be used here: expected a constant (integer, float or string)"),
    (".func f()\n  ldc nan(0x10)\n.end", 2, 11, "`0x10` is not the bit pattern of a NaN (exponent all ones, non-zero fraction, no sign bit)"),
    (".func f()\n  ldc 99999999999999999999\n.end", 2, 7, "integer `99999999999999999999` does not fit in 64 bits"),
    (".func f()\n  ldc 1.5x\n.end", 2, 7, "malformed number `1.5x`"),
    (".func f()\n  ldc @\n.end", 2, 7, "unexpected character `@`"),
    ("main:\n", 1, 1, "label `main` outside a function"),
    (".func f()\nl: nop\n.end", 2, 4, "unexpected identifier `nop` after a label"),
    ("42", 1, 1, "expected a directive, label or instruction, found integer `42`"),
    (".func f() -> value\n    iadd\n    vreturn\n.end", 2, 5, "cannot infer the stack depth of function `f` at pc 0 (`iadd`): stack underflow: pops 2 values but the stack holds 0 (fix the code or give `.stack N`)"),
    (".func f()\n.end", 1, 1, "cannot infer the stack depth of function `f`: function has no instructions (fix the code or give `.stack N`)"),
    ("; é\n\"é\" \"ü", 2, 5, "unterminated string"),
];

#[test]
fn every_error_has_its_position_and_message() {
    let mut failures = Vec::new();
    for &(src, line, col, message) in ERRORS {
        match assemble(src, "e.gasm") {
            Ok(_) => failures.push(format!("{src:?}: assembled, expected {message:?}")),
            Err(e) => {
                if (e.line, e.col, e.message.as_str()) != (line, col, message) {
                    failures.push(format!(
                        "{src:?}:\n   got {}:{}: {}\n  want {line}:{col}: {message}",
                        e.line, e.col, e.message
                    ));
                }
                assert_eq!(e.file, "e.gasm");
                assert_eq!(
                    e.source_line,
                    src.split('\n').nth(line as usize - 1).unwrap_or("")
                );
                // Display never panics, whatever the column.
                assert!(e
                    .to_string()
                    .starts_with(&format!("e.gasm:{line}:{col}: error: ")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} error rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_module_without_main_is_fine() {
    let m = ok(".func helper()\n    return\n.end\n");
    assert_eq!(m.main_function(), None);
    assert_eq!(ok("").functions.len(), 0);
}

/// A tiny deterministic PRNG (xorshift64*), so the sweep needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const SWEEP_SAMPLE: &str = r#"
.source "s.gasm"
.const 1.5
.native print
.class Base
    .field value int
.end
.class Bad extends RuntimeException
    .field why ref
.end
.static total float
.func main(args) -> value
    .locals i, s
    .catch Bad from a to b using h
a:  ; comment
    ldc "x\u{1F600}\n"
    store s
    iinc i -3
    ldc nan(0x7FF0000000000001)
    putstatic total
    new Bad
    getfield Bad.message
    callnative print
b:
    iconst 0
    vreturn
h:
    .line 99
    iconst -7
    vreturn
.end
"#;

#[test]
fn random_and_truncated_input_never_panics() {
    // Every prefix, by characters (so multibyte characters get cut at every
    // boundary) ...
    let chars: Vec<char> = SWEEP_SAMPLE.chars().collect();
    for end in 0..=chars.len() {
        let text: String = chars[..end].iter().collect();
        if let Err(e) = assemble(&text, "t.gasm") {
            let _ = e.to_string();
        }
    }
    // ... random mutations of the sample ...
    let alphabet: Vec<char> = " \t\n\r:;,.()#\"\\-_$0123456789abcdefxuAZé😀{}->"
        .chars()
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut text = chars.clone();
        for _ in 0..(rng.next() % 8 + 1) {
            let at = (rng.next() as usize) % (text.len() + 1);
            let c = alphabet[(rng.next() as usize) % alphabet.len()];
            match rng.next() % 3 {
                0 => text.insert(at, c),
                1 if at < text.len() => {
                    text.remove(at);
                }
                _ if at < text.len() => text[at] = c,
                _ => {}
            }
        }
        let text: String = text.into_iter().collect();
        if let Err(e) = assemble(&text, "t.gasm") {
            let _ = e.to_string();
        }
    }
    // ... and random strings over the same alphabet and random bytes.
    for _ in 0..3000 {
        let len = (rng.next() % 80) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
            .collect();
        let _ = assemble(&text, "t.gasm").map_err(|e| e.to_string());
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = assemble(&lossy, "t.gasm").map_err(|e| e.to_string());
    }
}

#[test]
fn the_sweep_sample_itself_assembles() {
    let m = ok(SWEEP_SAMPLE);
    assert_eq!(
        m.functions[0].lines.last(),
        Some(&LineEntry { pc: 10, line: 99 })
    );
}
