//! Interpreter tests on assembled, verified modules.

use std::sync::Arc;

use super::*;
use crate::builtin::{
    ARITHMETIC_EXCEPTION, ARRAY_INDEX_OUT_OF_BOUNDS_EXCEPTION, CLASS_CAST_EXCEPTION,
    NULL_POINTER_EXCEPTION, NUMBER_FORMAT_EXCEPTION, OUT_OF_MEMORY_ERROR,
};
use crate::exception::{format_uncaught, message, stack_trace};
use crate::heap::AllocList;
use crate::output::Output;
use crate::program::LinkOptions;
use crate::thread_state::DEFAULT_STACK_SIZE;

/// A linked program and a thread ready to run its `main`.
struct Harness {
    program: Arc<Program>,
    thread: ThreadState,
}

fn harness_with(src: &str, stack_size: usize, max_heap: usize) -> Harness {
    let module = crate::asm::assemble(src, "test.gasm").unwrap_or_else(|e| panic!("{e}"));
    crate::verifier::verify(&module).unwrap_or_else(|e| panic!("{e}"));
    let main = module.main_function().expect("main");
    let program = Arc::new(
        Program::link(
            module,
            LinkOptions {
                max_heap,
                output: Output::capture(),
                ..LinkOptions::default()
            },
        )
        .unwrap(),
    );
    let thread =
        ThreadState::new(program.clone(), main, &[], stack_size, &AllocList::new()).unwrap();
    Harness { program, thread }
}

fn harness(src: &str) -> Harness {
    harness_with(src, DEFAULT_STACK_SIZE, 64 << 20)
}

impl Harness {
    /// Runs to the end in small slices.
    fn finish(&mut self) -> RunExit {
        loop {
            match run(&mut self.thread, 1000) {
                RunExit::BudgetSpent => continue,
                other => return other,
            }
        }
    }

    fn stdout(&self) -> String {
        self.program.output.captured().0
    }
}

/// Runs `main` (which returns a value) and returns it. Runs it twice, on
/// the fast path and on the general path only, and checks they agree.
fn eval(src: &str) -> Value {
    let mut results = Vec::new();
    for general_path_only in [false, true] {
        let mut h = harness(src);
        h.thread.general_path_only = general_path_only;
        let v = match h.finish() {
            RunExit::Finished(Some(v)) => v,
            RunExit::Threw(e) => panic!("threw {}", format_uncaught(&h.program, "main", e)),
            other => panic!("unexpected {other:?}"),
        };
        results.push(describe(v));
        if general_path_only {
            assert_eq!(results[0], results[1], "fast and general paths disagree");
            // `v` may point into this run's heap: leak the harness so the
            // heap outlives every use of the value (tests only).
            std::mem::forget(h);
            return v;
        }
    }
    unreachable!()
}

/// A value's kind and content, comparable across programs.
fn describe(v: Value) -> String {
    match v {
        Value::Ref(r) => match r.as_str() {
            Some(s) if !s.contains('@') => format!("string {s:?}"),
            _ => format!("{:?}", r.kind()),
        },
        Value::Float(f) => format!("float {:?}", f.to_bits()),
        other => format!("{other:?}"),
    }
}

fn eval_int(body: &str) -> i64 {
    match eval(&format!(
        ".func main() -> value\n{body}\n    vreturn\n.end\n"
    )) {
        Value::Int(i) => i,
        v => panic!("expected int, got {v:?}"),
    }
}

fn eval_float(body: &str) -> f64 {
    match eval(&format!(
        ".func main() -> value\n{body}\n    vreturn\n.end\n"
    )) {
        Value::Float(f) => f,
        v => panic!("expected float, got {v:?}"),
    }
}

fn eval_str(body: &str) -> String {
    match eval(&format!(
        ".func main() -> value\n{body}\n    vreturn\n.end\n"
    )) {
        Value::Ref(r) => r.as_str().expect("a string").to_string(),
        v => panic!("expected string, got {v:?}"),
    }
}

/// Runs a program expected to end with an uncaught exception; returns its
/// class name, message and the full report.
fn uncaught(src: &str) -> (String, Option<String>, String) {
    let mut reports = Vec::new();
    for general_path_only in [false, true] {
        let mut h = harness(src);
        h.thread.general_path_only = general_path_only;
        match h.finish() {
            RunExit::Threw(e) => reports.push((
                h.program.type_name(Value::Ref(e)),
                message(&h.program, e),
                format_uncaught(&h.program, "main", e),
            )),
            other => panic!("expected an uncaught exception, got {other:?}"),
        }
    }
    assert_eq!(reports[0], reports[1], "fast and general paths disagree");
    reports.remove(0)
}

fn uncaught_body(body: &str) -> (String, Option<String>) {
    let (class, msg, _) = uncaught(&format!(".func main()\n{body}\n    return\n.end\n"));
    (class, msg)
}

// ---- arithmetic ---------------------------------------------------------

#[test]
fn integer_arithmetic_wraps() {
    assert_eq!(eval_int("    iconst 7\n    iconst 5\n    isub"), 2);
    assert_eq!(eval_int("    iconst -7\n    iconst 2\n    idiv"), -3);
    assert_eq!(eval_int("    iconst -7\n    iconst 2\n    irem"), -1);
    assert_eq!(eval_int("    iconst 6\n    iconst 7\n    imul"), 42);
    assert_eq!(
        eval_int("    ldc 9223372036854775807\n    iconst 1\n    iadd"),
        i64::MIN
    );
    assert_eq!(
        eval_int("    ldc -9223372036854775808\n    iconst -1\n    idiv"),
        i64::MIN
    );
    assert_eq!(
        eval_int("    ldc -9223372036854775808\n    iconst -1\n    irem"),
        0
    );
    assert_eq!(eval_int("    ldc -9223372036854775808\n    ineg"), i64::MIN);
    assert_eq!(eval_int("    iconst 12\n    iconst 10\n    iand"), 8);
    assert_eq!(eval_int("    iconst 12\n    iconst 10\n    ior"), 14);
    assert_eq!(eval_int("    iconst 12\n    iconst 10\n    ixor"), 6);
    assert_eq!(eval_int("    iconst 3\n    iconst 5\n    icmp"), -1);
    assert_eq!(eval_int("    iconst 5\n    iconst 5\n    icmp"), 0);
    assert_eq!(eval_int("    iconst 9\n    iconst 5\n    icmp"), 1);
}

#[test]
fn shifts_are_mod_64() {
    assert_eq!(eval_int("    iconst 1\n    iconst 65\n    ishl"), 2);
    assert_eq!(eval_int("    iconst 1\n    iconst 63\n    ishl"), i64::MIN);
    assert_eq!(eval_int("    iconst -16\n    iconst 2\n    ishr"), -4);
    assert_eq!(eval_int("    iconst -16\n    iconst 66\n    ishr"), -4);
    assert_eq!(eval_int("    iconst -1\n    iconst 60\n    iushr"), 15);
    assert_eq!(eval_int("    iconst 8\n    iconst -1\n    iushr"), 0);
}

#[test]
fn division_by_zero_throws() {
    let (class, msg) = uncaught_body("    iconst 1\n    iconst 0\n    idiv\n    pop");
    assert_eq!(
        (class.as_str(), msg.as_deref()),
        ("ArithmeticException", Some("/ by zero"))
    );
    let (class, _) = uncaught_body("    iconst 1\n    iconst 0\n    irem\n    pop");
    assert_eq!(class, "ArithmeticException");
}

#[test]
fn arithmetic_checks_operand_types() {
    let (class, msg) = uncaught_body("    iconst 1\n    ldc \"x\"\n    iadd\n    pop");
    assert_eq!(class, "ClassCastException");
    assert_eq!(msg.as_deref(), Some("iadd: expected int, found string"));
    let (_, msg) = uncaught_body("    ldc 1.5\n    iconst 1\n    isub\n    pop");
    assert_eq!(msg.as_deref(), Some("isub: expected int, found float"));
    let (_, msg) = uncaught_body("    ldc 1.5\n    iconst 1\n    fadd\n    pop");
    assert_eq!(msg.as_deref(), Some("fadd: expected float, found int"));
    let (_, msg) = uncaught_body("    aconst_null\n    ifeq x\nx:\n    nop");
    assert_eq!(msg.as_deref(), Some("ifeq: expected int, found null"));
}

#[test]
fn float_arithmetic_and_nan_comparisons() {
    assert_eq!(eval_float("    ldc 1.5\n    ldc 2.25\n    fadd"), 3.75);
    assert_eq!(eval_float("    ldc 1.5\n    ldc 2.0\n    fmul"), 3.0);
    assert_eq!(eval_float("    ldc 7.5\n    ldc 2.0\n    frem"), 1.5);
    assert_eq!(
        eval_float("    ldc 1.0\n    ldc 0.0\n    fdiv"),
        f64::INFINITY
    );
    assert!(eval_float("    ldc 0.0\n    ldc 0.0\n    fdiv").is_nan());
    assert_eq!(eval_float("    ldc 2.5\n    fneg"), -2.5);
    assert_eq!(eval_int("    ldc nan\n    ldc 1.0\n    fcmpl"), -1);
    assert_eq!(eval_int("    ldc nan\n    ldc 1.0\n    fcmpg"), 1);
    assert_eq!(eval_int("    ldc 1.0\n    ldc 2.0\n    fcmpg"), -1);
    assert_eq!(eval_int("    ldc 2.0\n    ldc 2.0\n    fcmpl"), 0);
    assert_eq!(eval_int("    ldc 3.0\n    ldc 2.0\n    fcmpl"), 1);
}

#[test]
fn conversions_saturate_and_map_nan_to_zero() {
    assert_eq!(eval_float("    iconst -3\n    i2f"), -3.0);
    assert_eq!(eval_int("    ldc -3.9\n    f2i"), -3);
    assert_eq!(eval_int("    ldc 1e300\n    f2i"), i64::MAX);
    assert_eq!(eval_int("    ldc -inf\n    f2i"), i64::MIN);
    assert_eq!(eval_int("    ldc nan\n    f2i"), 0);
}

// ---- stack ops and branches ---------------------------------------------

#[test]
fn stack_manipulation() {
    // b a -> a b a: 1 2 dup_x1 -> 2 1 2 ; 2*100 + 1*10 + 2
    let body = "    iconst 1\n    iconst 2\n    dup_x1\n    store 0\n    iconst 10\n    imul\n    swap\n    iconst 100\n    imul\n    iadd\n    load 0\n    iadd";
    assert!(eval(&format!(
        ".func main() -> value\n    .locals t\n{body}\n    vreturn\n.end\n"
    ))
    .same_as(Value::Int(212)));
    assert_eq!(
        eval_int("    iconst 3\n    iconst 4\n    dup2\n    iadd\n    iadd\n    iadd"),
        14
    );
    assert_eq!(
        eval_int("    iconst 3\n    iconst 4\n    pop\n    dup\n    iadd"),
        6
    );
}

#[test]
fn every_branch_goes_the_right_way() {
    let cases: &[(&str, &str, bool)] = &[
        ("iconst 0", "ifeq", true),
        ("iconst 1", "ifeq", false),
        ("iconst 1", "ifne", true),
        ("iconst 0", "ifne", false),
        ("iconst -1", "iflt", true),
        ("iconst 0", "iflt", false),
        ("iconst 0", "ifge", true),
        ("iconst -1", "ifge", false),
        ("iconst 1", "ifgt", true),
        ("iconst 0", "ifgt", false),
        ("iconst 0", "ifle", true),
        ("iconst 1", "ifle", false),
        ("iconst 2\n    iconst 2", "if_icmpeq", true),
        ("iconst 2\n    iconst 3", "if_icmpeq", false),
        ("iconst 2\n    iconst 3", "if_icmpne", true),
        ("iconst 2\n    iconst 2", "if_icmpne", false),
        ("iconst 2\n    iconst 3", "if_icmplt", true),
        ("iconst 3\n    iconst 3", "if_icmplt", false),
        ("iconst 3\n    iconst 3", "if_icmpge", true),
        ("iconst 2\n    iconst 3", "if_icmpge", false),
        ("iconst 4\n    iconst 3", "if_icmpgt", true),
        ("iconst 3\n    iconst 3", "if_icmpgt", false),
        ("iconst 3\n    iconst 3", "if_icmple", true),
        ("iconst 4\n    iconst 3", "if_icmple", false),
        ("aconst_null\n    aconst_null", "if_acmpeq", true),
        ("ldc \"a\"\n    aconst_null", "if_acmpeq", false),
        ("ldc \"a\"\n    aconst_null", "if_acmpne", true),
        ("ldc \"a\"\n    dup", "if_acmpne", false),
        ("aconst_null", "ifnull", true),
        ("iconst 0", "ifnull", false),
        ("iconst 0", "ifnonnull", true),
        ("aconst_null", "ifnonnull", false),
    ];
    for (push, branch, taken) in cases {
        let src = format!(
            ".func main() -> value\n    {push}\n    {branch} yes\n    iconst 0\n    vreturn\nyes:\n    iconst 1\n    vreturn\n.end\n"
        );
        let got = matches!(eval(&src), Value::Int(1));
        assert_eq!(got, *taken, "{push} {branch}");
    }
}

#[test]
fn loops_with_iinc() {
    let src = ".func main() -> value
    .locals i, sum
    iconst 0
    store i
    iconst 0
    store sum
loop:
    load i
    iconst 100
    if_icmpge done
    load sum
    load i
    iadd
    store sum
    iinc i 1
    goto loop
done:
    load sum
    vreturn
.end
";
    assert!(eval(src).same_as(Value::Int(4950)));
}

/// The sequences `fuse` rewrites, under every condition, on both paths:
/// locals against locals and constants, an int static against 0, and
/// `iinc; goto`, including a jump into the middle of a fused sequence.
#[test]
fn fused_sequences_branch_like_the_originals() {
    let conds = ["eq", "ne", "lt", "ge", "gt", "le"];
    for cond in conds {
        for (a, b) in [(1, 2), (2, 2), (3, 2), (i32::MIN, 0)] {
            let expected = match cond {
                "eq" => a == b,
                "ne" => a != b,
                "lt" => a < b,
                "ge" => a >= b,
                "gt" => a > b,
                _ => a <= b,
            } as i64;
            let locals = format!(
                ".func main() -> value\n    .locals x, y\n    iconst {a}\n    store x\n    iconst {b}\n    store y\n    load x\n    load y\n    if_icmp{cond} yes\n    iconst 0\n    vreturn\nyes:\n    iconst 1\n    vreturn\n.end\n"
            );
            assert!(
                eval(&locals).same_as(Value::Int(expected)),
                "load/load {a} {cond} {b}"
            );
            let constant = format!(
                ".func main() -> value\n    .locals x\n    iconst {a}\n    store x\n    load x\n    iconst {b}\n    if_icmp{cond} yes\n    iconst 0\n    vreturn\nyes:\n    iconst 1\n    vreturn\n.end\n"
            );
            assert!(
                eval(&constant).same_as(Value::Int(expected)),
                "load/iconst {a} {cond} {b}"
            );
        }
        for v in [-1, 0, 1] {
            let expected = match cond {
                "eq" => v == 0,
                "ne" => v != 0,
                "lt" => v < 0,
                "ge" => v >= 0,
                "gt" => v > 0,
                _ => v <= 0,
            } as i64;
            let src = format!(
                ".static s int\n.func main() -> value\n    iconst {v}\n    putstatic s\n    getstatic s\n    if{cond} yes\n    iconst 0\n    vreturn\nyes:\n    iconst 1\n    vreturn\n.end\n"
            );
            assert!(
                eval(&src).same_as(Value::Int(expected)),
                "getstatic {v} if{cond}"
            );
        }
    }
    // A jump to the second instruction of a fused `load; load; if_icmpge`
    // runs the originals from there: here it compares 5 (pushed before the
    // jump) with n, counting n down from 10 to 5.
    let middle = ".func main() -> value
    .locals i, n
    iconst 10
    store n
    iconst 0
    store i
    iconst 5
    goto second
top:
    load i
second:
    load n
    if_icmpge done
    iinc n -1
    iinc i 1
    goto again
again:
    iconst 5
    goto second
done:
    load n
    vreturn
.end
";
    assert!(eval(middle).same_as(Value::Int(5)));
}

/// A fused sequence whose operands have the wrong type throws from the
/// instruction that checks them, as unfused.
#[test]
fn fused_sequences_throw_where_the_originals_do() {
    let (class, msg) = uncaught_body(
        "    .locals x, y\n    ldc 1.5\n    store x\n    iconst 1\n    store y\n    load x\n    load y\n    if_icmplt out\nout:",
    );
    assert_eq!(class, "ClassCastException");
    assert!(msg.unwrap().contains("if_icmplt"));
    let (class, _) = uncaught_body(
        "    .locals x\n    aconst_null\n    store x\n    iinc x 1\n    goto out\nout:",
    );
    assert_eq!(class, "ClassCastException");
}

// ---- calls -------------------------------------------------------------

const FIB: &str = ".func fib(n) -> value
    load n
    iconst 2
    if_icmplt small
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
small:
    load n
    vreturn
.end
";

#[test]
fn recursive_calls_with_args_and_results() {
    let src =
        format!(".func main() -> value\n    iconst 20\n    call fib\n    vreturn\n.end\n{FIB}");
    assert!(eval(&src).same_as(Value::Int(6765)));
}

#[test]
fn calls_pass_args_in_order_and_clear_extra_locals() {
    let src = ".func main() -> value
    iconst 10
    iconst 3
    call sub
    iconst 1
    call sub
    vreturn
.end
.func sub(a, b) -> value
    .locals extra
    load extra
    ifnonnull bad
    iconst 7
    store extra
    load a
    load b
    isub
    vreturn
bad:
    iconst -1000
    vreturn
.end
";
    assert!(eval(src).same_as(Value::Int(6)));
}

#[test]
fn budget_exhaustion_suspends_and_resumes() {
    let src =
        format!(".func main() -> value\n    iconst 15\n    call fib\n    vreturn\n.end\n{FIB}");
    let mut h = harness(&src);
    assert!(matches!(run(&mut h.thread, 0), RunExit::BudgetSpent));
    let mut slices = 0;
    let result = loop {
        match run(&mut h.thread, 7) {
            RunExit::BudgetSpent => {
                slices += 1;
                // suspended state is consistent: frames and live values
                assert!(!h.thread.frames().is_empty());
                assert!(h.thread.live_values().len() + 1 >= h.thread.frames().len());
            }
            RunExit::Finished(v) => break v,
            other => panic!("{other:?}"),
        }
    };
    assert!(slices > 100);
    assert!(matches!(result, Some(Value::Int(610))));
    assert!(h.thread.is_finished());
    assert!(matches!(run(&mut h.thread, 10), RunExit::Finished(None)));
}

// ---- objects, statics ---------------------------------------------------

const CLASSES: &str = ".class Node
    .field value int
    .field next ref
.end
.class Named extends Node
    .field name ref
    .field weight float
.end
.static counter int
.static label ref
";

#[test]
fn objects_with_inherited_fields() {
    let src = format!(
        "{CLASSES}
.func main() -> value
    .locals n
    new Named
    store n
    load n
    iconst 5
    putfield Node.value
    load n
    ldc \"x\"
    putfield Named.name
    load n
    ldc 2.5
    putfield Named.weight
    load n
    getfield Node.next
    ifnonnull bad
    load n
    getfield Node.value
    load n
    getfield Named.name
    slen
    iadd
    vreturn
bad:
    iconst -1
    vreturn
.end
"
    );
    assert!(eval(&src).same_as(Value::Int(6)));
}

#[test]
fn typed_fields_refuse_wrong_values() {
    let (class, msg, _) = uncaught(&format!(
        "{CLASSES}\n.func main()\n    new Node\n    ldc \"s\"\n    putfield Node.value\n    return\n.end\n"
    ));
    assert_eq!(class, "ClassCastException");
    assert_eq!(
        msg.as_deref(),
        Some("cannot store string into int field Node.value")
    );
    let (_, msg, _) = uncaught(&format!(
        "{CLASSES}\n.func main()\n    new Node\n    iconst 1\n    putfield Node.next\n    return\n.end\n"
    ));
    assert_eq!(
        msg.as_deref(),
        Some("cannot store int into ref field Node.next")
    );
    // a Node is not a Named
    let (class, msg, _) = uncaught(&format!(
        "{CLASSES}\n.func main()\n    new Node\n    getfield Named.name\n    pop\n    return\n.end\n"
    ));
    assert_eq!(class, "ClassCastException");
    assert_eq!(
        msg.as_deref(),
        Some("getfield Named.name: expected Named, found Node")
    );
    let (class, _, _) = uncaught(&format!(
        "{CLASSES}\n.func main()\n    aconst_null\n    getfield Node.value\n    pop\n    return\n.end\n"
    ));
    assert_eq!(class, "NullPointerException");
}

#[test]
fn instanceof_and_checkcast() {
    let src = format!(
        "{CLASSES}
.func main() -> value
    new Named
    instanceof Node
    new Node
    instanceof Named
    iconst 10
    imul
    iadd
    aconst_null
    instanceof Node
    iconst 100
    imul
    iadd
    aconst_null
    checkcast Node
    pop
    new Named
    checkcast Node
    pop
    vreturn
.end
"
    );
    assert!(eval(&src).same_as(Value::Int(1)));
    let (class, msg, _) = uncaught(&format!(
        "{CLASSES}\n.func main()\n    ldc \"s\"\n    checkcast Node\n    pop\n    return\n.end\n"
    ));
    assert_eq!(class, "ClassCastException");
    assert_eq!(msg.as_deref(), Some("string cannot be cast to Node"));
}

#[test]
fn statics_are_typed() {
    let src = format!(
        "{CLASSES}\n.func main() -> value\n    getstatic counter\n    iconst 4\n    iadd\n    putstatic counter\n    getstatic label\n    ifnonnull bad\n    getstatic counter\n    vreturn\nbad:\n    iconst -1\n    vreturn\n.end\n"
    );
    assert!(eval(&src).same_as(Value::Int(4)));
    let (_, msg, _) = uncaught(&format!(
        "{CLASSES}\n.func main()\n    ldc 1.0\n    putstatic counter\n    return\n.end\n"
    ));
    assert_eq!(
        msg.as_deref(),
        Some("cannot store float into int static counter")
    );
}

// ---- arrays -------------------------------------------------------------

#[test]
fn arrays_store_load_and_length() {
    let src = ".func main() -> value
    .locals a
    iconst 3
    newarray int
    store a
    load a
    iconst 2
    iconst 40
    arrstore
    load a
    iconst 2
    arrload
    load a
    arrlen
    iadd
    load a
    iconst 0
    arrload
    iadd
    vreturn
.end
";
    assert!(eval(src).same_as(Value::Int(43)));
    assert_eq!(
        eval_str("    iconst 2\n    newarray ref\n    iconst 1\n    arrload\n    tostr"),
        "null"
    );
    assert_eq!(
        eval_float("    iconst 2\n    newarray float\n    iconst 1\n    arrload"),
        0.0
    );
}

#[test]
fn array_errors() {
    let (class, msg) =
        uncaught_body("    iconst 3\n    newarray int\n    iconst 5\n    arrload\n    pop");
    assert_eq!(class, "ArrayIndexOutOfBoundsException");
    assert_eq!(msg.as_deref(), Some("Index 5 out of bounds for length 3"));
    let (_, msg) =
        uncaught_body("    iconst 3\n    newarray int\n    iconst -1\n    iconst 0\n    arrstore");
    assert_eq!(msg.as_deref(), Some("Index -1 out of bounds for length 3"));
    let (class, msg) = uncaught_body("    iconst -2\n    newarray int\n    pop");
    assert_eq!(
        (class.as_str(), msg.as_deref()),
        ("NegativeArraySizeException", Some("-2"))
    );
    let (class, msg) =
        uncaught_body("    iconst 1\n    newarray int\n    iconst 0\n    ldc \"s\"\n    arrstore");
    assert_eq!(class, "ClassCastException");
    assert_eq!(msg.as_deref(), Some("cannot store string into int array"));
    let (class, _) = uncaught_body("    aconst_null\n    arrlen\n    pop");
    assert_eq!(class, "NullPointerException");
    let (class, _) = uncaught_body("    aconst_null\n    iconst 0\n    arrload\n    pop");
    assert_eq!(class, "NullPointerException");
}

// ---- strings ------------------------------------------------------------

#[test]
fn string_operations() {
    assert_eq!(
        eval_str("    ldc \"green\"\n    ldc \"vm\"\n    sconcat"),
        "greenvm"
    );
    assert_eq!(eval_int("    ldc \"héllo\"\n    slen"), 5);
    assert_eq!(
        eval_int("    ldc \"aé😀\"\n    iconst 2\n    scharat"),
        0x1F600
    );
    assert_eq!(
        eval_int("    ldc \"abc\"\n    iconst 1\n    scharat"),
        'b' as i64
    );
    assert_eq!(
        eval_str("    ldc \"aé😀z\"\n    iconst 1\n    iconst 3\n    ssubstr"),
        "é😀"
    );
    assert_eq!(
        eval_str("    ldc \"hello\"\n    iconst 1\n    iconst 4\n    ssubstr"),
        "ell"
    );
    assert_eq!(eval_str("    iconst 0x1F600\n    chr"), "😀");
    assert_eq!(eval_int("    ldc \"abc\"\n    ldc \"abd\"\n    scmp"), -1);
    assert_eq!(eval_int("    ldc \"abc\"\n    ldc \"abc\"\n    scmp"), 0);
    assert_eq!(eval_int("    ldc \"b\"\n    ldc \"abc\"\n    scmp"), 1);
}

#[test]
fn tostr_of_each_kind() {
    assert_eq!(eval_str("    iconst -42\n    tostr"), "-42");
    assert_eq!(eval_str("    ldc 3.0\n    tostr"), "3.0");
    assert_eq!(eval_str("    ldc 0.5\n    tostr"), "0.5");
    assert_eq!(eval_str("    ldc nan\n    tostr"), "NaN");
    assert_eq!(eval_str("    ldc -inf\n    tostr"), "-Infinity");
    assert_eq!(eval_str("    aconst_null\n    tostr"), "null");
    assert_eq!(eval_str("    ldc \"s\"\n    tostr"), "s");
    let arr = eval_str("    iconst 3\n    newarray int\n    tostr");
    assert!(arr.starts_with("int[3]@"), "{arr}");
    let obj = eval(&format!(
        "{CLASSES}\n.func main() -> value\n    new Named\n    tostr\n    vreturn\n.end\n"
    ));
    let Value::Ref(r) = obj else { panic!() };
    let text = r.as_str().unwrap();
    assert!(text.starts_with("Named@") && text.len() > 6, "{text}");
}

#[test]
fn string_errors() {
    let (class, msg) = uncaught_body("    ldc \"abc\"\n    iconst 3\n    scharat\n    pop");
    assert_eq!(class, "StringIndexOutOfBoundsException");
    assert_eq!(msg.as_deref(), Some("Index 3 out of bounds for length 3"));
    let (class, msg) =
        uncaught_body("    ldc \"abc\"\n    iconst 2\n    iconst 5\n    ssubstr\n    pop");
    assert_eq!(class, "StringIndexOutOfBoundsException");
    assert_eq!(msg.as_deref(), Some("begin 2, end 5, length 3"));
    let (class, _) = uncaught_body("    aconst_null\n    ldc \"x\"\n    sconcat\n    pop");
    assert_eq!(class, "NullPointerException");
    let (class, msg) = uncaught_body("    iconst 1\n    slen\n    pop");
    assert_eq!(class, "ClassCastException");
    assert_eq!(msg.as_deref(), Some("slen: expected string, found int"));
    let (class, _) = uncaught_body("    iconst 0xD800\n    chr\n    pop");
    assert_eq!(class, "IllegalArgumentException");
}

// ---- natives ------------------------------------------------------------

#[test]
fn print_natives_format_values() {
    let src = ".func main()
    ldc \"a\"
    callnative print
    iconst 1
    callnative println
    ldc 2.0
    callnative println
    aconst_null
    callnative println
    ldc \"err\"
    callnative eprintln
    return
.end
";
    let mut h = harness(src);
    assert!(matches!(h.finish(), RunExit::Finished(None)));
    assert_eq!(
        h.program.output.captured(),
        ("a1\n2.0\nnull\n".into(), "err\n".into())
    );
}

#[test]
fn parse_natives() {
    assert_eq!(eval_int("    ldc \"-123\"\n    callnative parseInt"), -123);
    assert_eq!(eval_int("    ldc \"+7\"\n    callnative parseInt"), 7);
    assert_eq!(
        eval_float("    ldc \" 2.5 \"\n    callnative parseFloat"),
        2.5
    );
    assert_eq!(
        eval_float("    ldc \"-Infinity\"\n    callnative parseFloat"),
        f64::NEG_INFINITY
    );
    let (class, msg) = uncaught_body("    ldc \"abc\"\n    callnative parseInt\n    pop");
    assert_eq!(class, "NumberFormatException");
    assert_eq!(msg.as_deref(), Some("For input string: \"abc\""));
    let (class, _) =
        uncaught_body("    ldc \"99999999999999999999\"\n    callnative parseInt\n    pop");
    assert_eq!(class, "NumberFormatException");
    let (class, _) = uncaught_body("    ldc \"inf\"\n    callnative parseFloat\n    pop");
    assert_eq!(class, "NumberFormatException");
    let (class, _) = uncaught_body("    ldc \"\"\n    callnative parseInt\n    pop");
    assert_eq!(class, "NumberFormatException");
}

#[test]
fn clock_natives_return_ints() {
    for (native, min) in [("nanoTime", 0), ("currentTimeMillis", 1_600_000_000_000)] {
        let mut h = harness(&format!(
            ".func main() -> value\n    callnative {native}\n    vreturn\n.end\n"
        ));
        match h.finish() {
            RunExit::Finished(Some(Value::Int(t))) => assert!(t >= min, "{native}"),
            other => panic!("{other:?}"),
        }
    }
}

// ---- exceptions ---------------------------------------------------------

const EXC_CLASSES: &str = ".class Bad extends RuntimeException
    .field code int
.end
";

#[test]
fn caught_in_the_same_frame() {
    let src = ".func main() -> value
    .catch ArithmeticException from s to e using h
    iconst 99
s:
    iconst 1
    iconst 0
    idiv
e:
    vreturn
h:
    getfield Throwable.message
    vreturn
.end
";
    let Value::Ref(r) = eval(src) else { panic!() };
    assert_eq!(r.as_str(), Some("/ by zero"));
}

#[test]
fn caught_by_a_caller_via_superclass() {
    let src = format!(
        "{EXC_CLASSES}
.func main() -> value
    .catch Exception from s to e using h
s:
    iconst 1
    call thrower
e:
    vreturn
h:
    checkcast Bad
    getfield Bad.code
    vreturn
.end
.func thrower(x) -> value
    new Bad
    dup
    iconst 42
    putfield Bad.code
    throw
.end
"
    );
    assert!(eval(&src).same_as(Value::Int(42)));
}

#[test]
fn handler_order_catch_all_and_non_matching_handlers() {
    let src = ".func main() -> value
    .catch NullPointerException from s to e using npe
    .catch any from s to e using all
s:
    iconst 1
    iconst 0
    idiv
e:
    vreturn
npe:
    pop
    iconst 1
    vreturn
all:
    instanceof ArithmeticException
    iconst 10
    iadd
    vreturn
.end
";
    assert!(eval(src).same_as(Value::Int(11)));
}

#[test]
fn rethrow_keeps_the_first_trace_and_uncaught_reports_it() {
    let src = format!(
        "{EXC_CLASSES}
.func main()
    call middle
    return
.end
.func middle()
    .locals e
    .catch any from s to t using h
s:
    call inner
t:
    return
h:
    store e
    load e
    throw
.end
.func inner()
    new Bad
    dup
    ldc \"boom\"
    putfield Throwable.message
    throw
.end
"
    );
    let (class, msg, report) = uncaught(&src);
    assert_eq!(class, "Bad");
    assert_eq!(msg.as_deref(), Some("boom"));
    let expected = "Exception in thread \"main\" Bad: boom
    at inner (test.gasm:26)
    at middle (test.gasm:13)
    at main (test.gasm:6)
";
    assert_eq!(report, expected);
}

#[test]
fn uncaught_without_message_has_no_colon() {
    let (_, _, report) = uncaught(".func main()\n    aconst_null\n    throw\n.end\n");
    assert!(report.starts_with(
        "Exception in thread \"main\" NullPointerException: throw: exception is null\n"
    ));
    let (_, _, report) = uncaught(&format!(
        "{EXC_CLASSES}\n.func main()\n    new Bad\n    throw\n.end\n"
    ));
    assert!(
        report.starts_with("Exception in thread \"main\" Bad\n    at main (test.gasm:"),
        "{report}"
    );
}

#[test]
fn throw_requires_a_throwable() {
    let (class, msg) = uncaught_body("    ldc \"s\"\n    throw");
    assert_eq!(class, "ClassCastException");
    assert_eq!(
        msg.as_deref(),
        Some("throw: expected Throwable, found string")
    );
}

#[test]
fn trace_records_function_and_pc_innermost_first() {
    let src = ".func main()\n    call f\n    return\n.end\n.func f()\n    nop\n    aconst_null\n    arrlen\n    pop\n    return\n.end\n";
    let mut h = harness(src);
    let RunExit::Threw(e) = h.finish() else {
        panic!()
    };
    let trace = stack_trace(e);
    assert_eq!(trace.len(), 2);
    assert_eq!((trace[0].func.0, trace[0].pc), (1, 2));
    assert_eq!((trace[1].func.0, trace[1].pc), (0, 0));
    assert_eq!(e.class(), Some(NULL_POINTER_EXCEPTION));
}

#[test]
fn stack_overflow_is_catchable_and_the_thread_continues() {
    let src = ".func main() -> value
    .catch StackOverflowError from s to e using h
s:
    iconst 0
    call down
e:
    vreturn
h:
    pop
    iconst 0
    call down2
    vreturn
.end
.func down(n) -> value
    load n
    iconst 1
    iadd
    call down
    vreturn
.end
; recursion that stops at depth 50: still fits after the overflow
.func down2(n) -> value
    load n
    iconst 50
    if_icmpge done
    load n
    iconst 1
    iadd
    call down2
    vreturn
done:
    load n
    vreturn
.end
";
    let mut h = harness_with(src, 16 * 1024, 64 << 20);
    match h.finish() {
        RunExit::Finished(Some(Value::Int(50))) => {}
        other => panic!("{other:?}"),
    }
    // the stack never grew past its limit
    assert!(h.thread.values.len() * crate::thread_state::SLOT_BYTES <= 16 * 1024);
}

#[test]
fn uncaught_stack_overflow_has_a_bounded_trace() {
    let src = ".func main()\n    call down\n    return\n.end\n.func down()\n    call down\n    return\n.end\n";
    let mut h = harness_with(src, 1 << 20, 64 << 20);
    let RunExit::Threw(e) = h.finish() else {
        panic!()
    };
    assert_eq!(h.program.type_name(Value::Ref(e)), "StackOverflowError");
    assert_eq!(stack_trace(e).len(), crate::exception::MAX_TRACE_DEPTH);
}

#[test]
fn out_of_memory_with_a_small_heap_is_catchable() {
    let src = ".func main() -> value
    .locals keep, n
    .catch OutOfMemoryError from s to e using h
    iconst 0
    store n
s:
loop:
    iconst 1000
    newarray ref
    dup
    iconst 0
    load keep
    arrstore
    store keep
    iinc n 1
    goto loop
e:
    iconst -1
    vreturn
h:
    getfield Throwable.message
    vreturn
.end
";
    let mut h = harness_with(src, DEFAULT_STACK_SIZE, 1 << 20);
    match h.finish() {
        RunExit::Finished(Some(Value::Ref(r))) => assert_eq!(r.as_str(), Some("Java heap space")),
        other => panic!("{other:?}"),
    }
    assert!(h.program.heap.allocated_bytes() <= (1 << 20) + 4096);
    let (class, _) = {
        let mut h = harness_with(
            ".func main()\n    ldc 100000000\n    newarray int\n    pop\n    return\n.end\n",
            DEFAULT_STACK_SIZE,
            1 << 20,
        );
        let RunExit::Threw(e) = h.finish() else {
            panic!()
        };
        (e.class(), ())
    };
    assert_eq!(class, Some(OUT_OF_MEMORY_ERROR));
}

#[test]
fn builtin_exception_classes_are_what_the_vm_throws() {
    for (body, class) in [
        (
            "    iconst 1\n    iconst 0\n    idiv\n    pop",
            ARITHMETIC_EXCEPTION,
        ),
        (
            "    iconst 1\n    newarray int\n    iconst 1\n    arrload\n    pop",
            ARRAY_INDEX_OUT_OF_BOUNDS_EXCEPTION,
        ),
        (
            "    iconst 1\n    ldc 1.0\n    iadd\n    pop",
            CLASS_CAST_EXCEPTION,
        ),
        (
            "    ldc \"x\"\n    callnative parseInt\n    pop",
            NUMBER_FORMAT_EXCEPTION,
        ),
    ] {
        let mut h = harness(&format!(".func main()\n{body}\n    return\n.end\n"));
        let RunExit::Threw(e) = h.finish() else {
            panic!("{body}")
        };
        assert_eq!(e.class(), Some(class), "{body}");
    }
}

#[test]
fn allocations_are_on_the_thread_list() {
    let mut h = harness(".func main()\n    iconst 1\n    newarray int\n    pop\n    ldc \"a\"\n    ldc \"b\"\n    sconcat\n    pop\n    return\n.end\n");
    assert!(matches!(h.finish(), RunExit::Finished(None)));
    assert_eq!(h.thread.allocated_objects(), 2);
    assert!(h.stdout().is_empty());
}

#[test]
fn threads_of_one_program_run_on_several_os_threads() {
    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<ThreadState>();
    assert_send_sync::<Program>();
    assert_send_sync::<Value>();

    // Each VM thread allocates a list of 1000 nodes and bumps a shared
    // static; the heap and the statics are shared without locks.
    let src = format!(
        "{CLASSES}
.func main() -> value
    .locals head, i
    iconst 0
    store i
loop:
    load i
    iconst 1000
    if_icmpge done
    new Node
    dup
    load head
    putfield Node.next
    dup
    load i
    putfield Node.value
    store head
    getstatic counter
    iconst 1
    iadd
    putstatic counter
    iinc i 1
    goto loop
done:
    load head
    getfield Node.value
    vreturn
.end
"
    );
    let h = harness(&src);
    let program = h.program.clone();
    let main = program.module.main_function().unwrap();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let program = program.clone();
            std::thread::spawn(move || {
                let mut t =
                    ThreadState::new(program, main, &[], DEFAULT_STACK_SIZE, &AllocList::new())
                        .unwrap();
                loop {
                    match run(&mut t, 50) {
                        RunExit::BudgetSpent => {}
                        RunExit::Finished(v) => return (v.map(describe), t.allocated_objects()),
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let (v, allocated) = w.join().unwrap();
        assert_eq!(v.as_deref(), Some("Int(999)"));
        assert_eq!(allocated, 1000);
    }
    // racy increments may be lost (Java semantics), never torn or unsafe
    let Value::Int(count) = program.load_static(0) else {
        panic!()
    };
    assert!((1000..=4000).contains(&count), "{count}");
}
